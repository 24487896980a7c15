"""A learned second stage: named features of each (query, fused candidate) combined by a linear model.

The first stage (lexical + dense legs, fusion, boosts) often finds the right document but puts
another passage of it first: the boilerplate that repeats the document's subject, the passage
that names an annex table instead of its rows. The features below say what the first stage knew
(fused score and rank, each leg's score and rank) and what it did not weigh: how much of the
question's specific vocabulary the passage *itself* holds (not only its section path and title),
how generic the passage is in this corpus, and how its document fares among the candidates.

:func:`passage_features` is the one feature function, used at search time and by the training
script (``python -m evals.train_passage_ranker``), which fits :class:`LinearPassageModel` on the
training question sets and writes it to ``vectorstore/data/passage_ranker.json``.
:class:`PassageModelReranker` implements :class:`baocao.protocols.Reranker` (registry name
``passage-model``, ``BAOCAO_RERANKER=passage-model``).
"""
from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Set
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from baocao.lang.normalize import fold_syllable
from baocao.lang.tokens import clause_tokens, is_number, syllable_parts
from baocao.protocols import RerankCandidate, RerankQuery, TermStatistics
from vectorstore.lexical import chunk_heading

K = TypeVar("K", bound=Hashable)

MODEL_FILE = Path(__file__).resolve().parent / "data" / "passage_ranker.json"

PASSAGE_FEATURES: tuple[str, ...] = (
    "fused_rel",  # fused score / the query's best fused score
    "fused_rank_inv",  # 1 / fused rank
    "lexical_rel",  # BM25 score / the best BM25 score among the candidates (0: not found by the leg)
    "lexical_rank_inv",  # 1 / rank in the lexical leg (0: not found)
    "dense_sim",  # cosine similarity in the dense leg (0: not found)
    "dense_gap",  # best cosine among the candidates minus this one (1: not found)
    "dense_rank_inv",  # 1 / rank in the dense leg (0: not found)
    "cover_text",  # share of the query's syllables (idf-weighted) in the passage text
    "cover_heading",  # ... in its section path and document title
    "cover_text_only",  # ... in the text and not in the heading: what the passage itself adds
    "cover_specific",  # ... in the text, weighted by how few documents hold each syllable
    "cover_local",  # ... in the text, weighted by how few of the query's candidates hold each syllable
    "bigram_text",  # share of the query's syllable pairs (idf-weighted) side by side in the text
    "numbers_text",  # share of the figures the query names that the text holds
    "generic_text",  # 1 - the mean normalised idf of the passage's syllables: boilerplate is near 1
    "doc_best_rank_inv",  # 1 / the best fused rank of the passage's document
    "doc_share_top",  # the share of the candidates that come from the passage's document
    "doc_first",  # 1 for the best-ranked passage of its document
    "kind_table",
    "kind_footnote",
    "kind_closing",
    "log_chars",  # log(1 + characters of text) / 8
    "en_dense_sim",  # dense_sim for English questions (their lexical leg reads translations only)
    "en_lexical_rel",  # lexical_rel for English questions
    "noaccent_lexical_rel",  # lexical_rel for questions typed without diacritics
)


def folded_clauses(text: str) -> list[list[str]]:
    """Folded syllables (numbers whole) by clause, as the lexical leg's query terms are made."""
    out = []
    for clause in clause_tokens(text):
        sequence = [fold_syllable(part) for token in clause for part in syllable_parts(token)]
        if sequence:
            out.append(sequence)
    return out


@dataclass
class _QueryVocabulary:
    weights: dict[str, float]  # folded syllable -> query weight x idf (only syllables the corpus knows)
    specific: dict[str, float]  # the same x (1 - the share of documents holding it)
    bigrams: dict[tuple[str, str], float]  # adjacent pair -> weight
    numbers: list[str]


def _query_vocabulary(query: RerankQuery) -> _QueryVocabulary:
    stats = query.stats
    weights: dict[str, float] = {}
    bigrams: dict[tuple[str, str], float] = {}
    for term in query.terms:
        if term.field == "folded" and "-" not in term.term:
            if stats is not None and not stats.known(term.term):
                continue
            idf = stats.idf(term.term) if stats is not None else 1.0
            weights[term.term] = max(weights.get(term.term, 0.0), term.weight * max(idf, 0.0))
    for term in query.terms:
        if term.field == "bigram":
            a, _, b = term.term.partition("_")
            if a in weights and b in weights:
                bigrams[(a, b)] = max(bigrams.get((a, b), 0.0), term.weight * (weights[a] + weights[b]) / 2)
    specific = {t: w * (1.0 - _document_share(stats, t)) for t, w in weights.items()}
    numbers = [n for n in query.numbers if n]
    return _QueryVocabulary(weights, specific, bigrams, numbers)


def _document_share(stats: TermStatistics | None, token: str) -> float:
    return stats.document_share(token) if stats is not None else 0.0


def _share(weights: Mapping[K, float], present: Set[K]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in present) / total if total > 0 else 0.0


def _generic(tokens: set[str], stats: TermStatistics | None, n_chunks: int) -> float:
    words = [t for t in tokens if not is_number(t)]
    if stats is None or not words or n_chunks <= 0:
        return 0.0
    top = math.log((n_chunks + 1) / 0.5)
    return 1.0 - float(np.mean([min(max(stats.idf(t), 0.0) / top, 1.0) for t in words]))


def passage_features(query: RerankQuery, candidates: list[RerankCandidate]) -> np.ndarray:
    """One row of :data:`PASSAGE_FEATURES` per candidate (candidates in fused order, best first)."""
    rows = np.zeros((len(candidates), len(PASSAGE_FEATURES)), dtype=np.float64)
    if not candidates:
        return rows
    vocabulary = _query_vocabulary(query)
    n_chunks = query.stats.n if query.stats is not None else 0
    best_fused = max(c.score for c in candidates) or 1.0
    lexical_best = max((c.leg_scores.get("lexical", 0.0) for c in candidates), default=0.0) or 1.0
    dense_best = max((c.leg_scores["dense"] for c in candidates if "dense" in c.legs), default=0.0)
    doc_best: dict[str, int] = {}
    doc_count: dict[str, int] = {}
    for rank, c in enumerate(candidates, start=1):
        doc_best.setdefault(c.chunk.doc_id, rank)
        doc_count[c.chunk.doc_id] = doc_count.get(c.chunk.doc_id, 0) + 1
    english, noaccent = query.lang == "en", query.lang == "vi-noaccent"
    clauses = [folded_clauses(c.chunk.search_text or c.chunk.text) for c in candidates]
    tokens = [{t for clause in cl for t in clause} for cl in clauses]
    # a query word most candidates hold (the table title every chunk of a document repeats) tells
    # them apart less than one only a few hold
    local = {t: w * (1.0 - sum(1 for held in tokens if t in held) / len(candidates)) for t, w in vocabulary.weights.items()}
    for i, c in enumerate(candidates):
        chunk = c.chunk
        text_clauses, text_tokens = clauses[i], tokens[i]
        text_pairs = {pair for clause in text_clauses for pair in zip(clause, clause[1:])}
        heading_tokens = {t for clause in folded_clauses(chunk_heading(chunk)) for t in clause}
        lexical_rel = c.leg_scores.get("lexical", 0.0) / lexical_best if "lexical" in c.legs else 0.0
        dense_sim = c.leg_scores["dense"] if "dense" in c.legs else 0.0
        only_text = text_tokens - heading_tokens
        numbers_found = sum(1 for n in vocabulary.numbers if n in text_tokens)
        values = {
            "fused_rel": c.score / best_fused,
            "fused_rank_inv": 1.0 / (i + 1),
            "lexical_rel": lexical_rel,
            "lexical_rank_inv": 1.0 / c.legs["lexical"] if "lexical" in c.legs else 0.0,
            "dense_sim": dense_sim,
            "dense_gap": dense_best - dense_sim if "dense" in c.legs else 1.0,
            "dense_rank_inv": 1.0 / c.legs["dense"] if "dense" in c.legs else 0.0,
            "cover_text": _share(vocabulary.weights, text_tokens),
            "cover_heading": _share(vocabulary.weights, heading_tokens),
            "cover_text_only": _share(vocabulary.weights, only_text),
            "cover_specific": _share(vocabulary.specific, text_tokens),
            "cover_local": _share(local, text_tokens),
            "bigram_text": _share(vocabulary.bigrams, text_pairs),
            "numbers_text": numbers_found / len(vocabulary.numbers) if vocabulary.numbers else 0.0,
            "generic_text": _generic(text_tokens, query.stats, n_chunks),
            "doc_best_rank_inv": 1.0 / doc_best[chunk.doc_id],
            "doc_share_top": doc_count[chunk.doc_id] / len(candidates),
            "doc_first": float(doc_best[chunk.doc_id] == i + 1),
            "kind_table": float(chunk.kind == "table"),
            "kind_footnote": float(chunk.kind == "footnote"),
            "kind_closing": float(chunk.kind == "closing"),
            "log_chars": math.log1p(len(chunk.text)) / 8.0,
            "en_dense_sim": dense_sim if english else 0.0,
            "en_lexical_rel": lexical_rel if english else 0.0,
            "noaccent_lexical_rel": lexical_rel if noaccent else 0.0,
        }
        rows[i] = [values[name] for name in PASSAGE_FEATURES]
    return rows


# --------------------------------------------------------------------------- the model


class PassageModelError(RuntimeError):
    pass


@dataclass
class LinearPassageModel:
    """score = sum(coef * (x - mean) / scale) + intercept, over named features."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float = 0.0
    kind: str = "pairwise"  # how it was fitted: "pairwise" or "pointwise" logistic regression
    trained_on: dict[str, Any] = field(default_factory=dict)

    def score(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 0:
            return np.zeros(0)
        z = (rows - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef) + self.intercept

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> LinearPassageModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            model = cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise PassageModelError(f"cannot read the passage model {path}: {exc}") from exc
        if tuple(model.features) != PASSAGE_FEATURES:
            raise PassageModelError(f"the passage model {path} was fitted on other features than "
                                    "vectorstore.passage_ranker computes; refit it (python -m evals.train_passage_ranker)")
        return model


class PassageModelReranker:
    """Reorders the fused top-N by the linear model's score of each candidate's features."""

    def __init__(self, model: LinearPassageModel, name: str = "passage-model") -> None:
        self.model = model
        self.name = name

    def scores(self, query: RerankQuery, candidates: list[RerankCandidate]) -> list[float]:
        return [float(s) for s in self.model.score(passage_features(query, candidates))]
