"""Named features of (question, unit) pairs, and of a question's best candidates.

The unit ranker and the answerability model (:mod:`assistant.ranking`) weigh these; their weights
come from ``evals/train_ranker.py`` over training question sets, never from hand tuning. Every
feature is a plain, explainable signal: how much of the question the unit covers (IDF-weighted,
with and without diacritics), its word pairs, its meaning (e5 cosine), the kind of answer the
question asks for against what the unit holds (a figure, a percentage, a date, a document number,
causes, remedies, a list, targets met or missed), where the unit sits (its kind, its heading, its
passage's rank), and whether its place and period agree with the question's.
"""
from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from assistant.candidates import UnitCandidate, unit_years
from baocao.lang.numbers import has_date, has_document_reference, has_number, only_percentages
from baocao.lang.questions import (
    asks_meaning,
    cause_cues,
    cell_status,
    copula_at,
    generic_words,
    remedy_starts,
    sectors,
    statuses_in_text,
)
from baocao.lang.tokens import match_tokens
from vectorstore.query import Query
from vectorstore.term_stats import TermStats

UNIT_FEATURES: tuple[str, ...] = (
    "cov_unit",  # IDF-weighted share of the question's terms in the unit's own words
    "cov_all",  # ... in the unit, its heading/section path, or the document title
    "cov_title_only",  # ... found only in the document title
    "bigram_share",  # share of the question's word pairs in the unit
    "rarest_term_hit",  # the question's rarest term is in the unit or its context
    "specific_hit",  # some term that is not a generic figure word ("tỷ lệ", "số lượng") is hit
    "cov_rel",  # cov_all minus the best cov_all among the question's candidates
    "cov_local",  # like cov_unit, each term also weighted by how few of the question's candidates hold it
    "cov_local_near",  # ... in the unit or its heading/section path
    "unique_share",  # weighted share of the question's terms that the unit holds and at most a few other candidates do
    "dense",  # e5 cosine of unit and question (0 when not embedded)
    "dense_rel",  # dense minus the best dense among the candidates
    "dense_missing",  # the unit was not embedded (lexically far from the question)
    "hit_inv_rank",  # 1 / rank of the unit's passage
    "hit_score_rel",  # the passage's fused score / the top passage's
    "kind_sentence", "kind_item", "kind_row", "kind_footnote", "kind_heading",
    "ends_colon",  # "… như sau:": an introduction
    "log_len",
    "has_number",
    "ask_number_has", "ask_number_lacks",  # a figure asked, and the unit has one / has none
    "ask_percent_has",
    "ask_count_gets_percent",  # a figure asked, not a share, and every figure of the unit is a percentage
    "ask_date_has",
    "ask_reference_has",
    "ask_cause_cue", "ask_cause_no_cue",
    "ask_remedy_cue",
    "ask_list_item",  # a list asked, and the unit is a list item or a row
    "ask_list_intro",  # a list asked, and the unit introduces one ("…như sau:")
    "measure_present", "measure_missing",  # "bao nhiêu người": the unit counts in people / in something else
    "measure_counted",  # a figure followed by the measure ("214 chỉ tiêu")
    "question_number_in_unit",
    "status_match", "status_mismatch", "status_row_unrated",
    "status_text_match",
    "excluded_term",  # about what the question sets aside ("apart from X")
    "names_columns",  # the question names the row's columns ("kế hoạch bao nhiêu, ước thực hiện bao nhiêu")
    "defines_abbreviation",
    "ask_meaning_states",  # "X là gì?" and the unit says "X là …" (a question term before its first copula)
    "next_period_match", "next_period_mismatch",
    "locality_named_match",  # the question names the unit's locality
    "year_match",  # the unit speaks of a year the question names
    "sector_mismatch",  # "ngành công nghiệp" for a question on "ngành nông nghiệp"
    "empty_footnote",
    "cov_rank_inv",  # 1 / (1 + the unit's rank by cov_all among the candidates)
    "dense_rank_inv",  # 1 / (1 + its rank by dense among the embedded ones); 0 when not embedded
    "order_inv",  # 1 / (1 + its position in its passage)
    "en_dense", "en_cov",  # an English question leans on meaning: dense and cov_all when the question is English
    "cov_x_dense",  # words and meaning together
    "cause_x_cov", "number_x_cov",  # the shape asked for, on a unit that is about the question
)

QUESTION_FEATURES: tuple[str, ...] = (
    "p_max", "p_gap", "p_top3",
    "p_best_block",  # the probability of the best unit's whole list or table (a list asked spreads over its items)
    "p_best_passage",  # ... of every unit of the best unit's passage
    "best_cov_unit", "best_cov_all", "best_dense", "best_specific_hit", "best_rarest_term_hit",
    "doc_missing",  # weighted share of the question's terms found nowhere in the best unit's document
    "doc_unwritten",  # ... that its document never writes with their syllables side by side ("thất nghiệp")
    "best_lacks_heaviest",  # the question's rarest term is in neither the best unit nor its headings and title
    "top_hit_score",
    "asks_figure_best_lacks",
    "measure_missing_best",
    "n_terms_log",
    "lang_en", "lang_noaccent",
)

_INDEX = {name: i for i, name in enumerate(UNIT_FEATURES)}
MEANING_REACH = 16  # words: "X là …" states what X is when the copula comes early in the unit
UNITS_EMBEDDED = 6  # units embedded per question (the lexically closest first): 16 gave the same cross-validated figures at 2.5 times the time



def _has_form(joined: str, form: tuple[str, ...]) -> bool:
    return (" " + " ".join(form) + " ") in joined


class TermWeights:
    """The question's terms weighted by rarity in the corpus (IDF of their rarest known syllable)."""

    def __init__(self, query: Query, stats: TermStats) -> None:
        self.query = query
        self.weights = [_term_weight(t.forms, query.accents, stats) for t in query.terms]
        self.total = sum(self.weights) or 1.0
        self.rarest = max(range(len(self.weights)), key=lambda i: self.weights[i]) if self.weights else -1
        generic = generic_words()
        self.specific = {
            i for i, t in enumerate(query.terms)
            if not all(set(tuple(match_tokens(" ".join(f)))) <= generic for f in t.forms)
        }


def _term_weight(forms: list[tuple[str, ...]], accents: bool, stats: TermStats) -> float:
    best = 0.0
    for form in forms:
        known = [w for w in form if stats.known(w, accents)]
        if known:
            best = max(best, max(stats.idf(w, accents) for w in known))
    return best


def unit_features(query: Query, candidates: Sequence[UnitCandidate], weights: TermWeights) -> np.ndarray:
    """One row of :data:`UNIT_FEATURES` per candidate (their dense cosines set before, when embedded)."""
    rows = np.zeros((len(candidates), len(UNIT_FEATURES)), dtype=np.float32)
    if not candidates:
        return rows
    top_score = max((c.hit.score for c in candidates), default=0.0) or 1.0
    asked_sectors = sectors(" ".join(match_tokens(query.text))) if not query.is_english else set()
    meaning_asked = asks_meaning(query.reading)
    in_unit: list[set[int]] = []
    near: list[set[int]] = []
    for row, c in zip(rows, candidates):
        own, nearby = _lexical(row, query, c, weights)
        in_unit.append(own)
        near.append(nearby)
        if meaning_asked and _states_meaning(query, c):
            row[_INDEX["ask_meaning_states"]] = 1.0
        _shape(row, query, c)
        _place(row, query, c, asked_sectors)
        row[_INDEX["hit_inv_rank"]] = 1.0 / max(c.hit.rank, 1)
        row[_INDEX["hit_score_rel"]] = c.hit.score / top_score if top_score > 0 else 0.0
    _local_rarity(rows, in_unit, near, weights)
    cov = rows[:, _INDEX["cov_all"]]
    rows[:, _INDEX["cov_rel"]] = cov - cov.max()
    rows[:, _INDEX["cov_rank_inv"]] = 1.0 / (1.0 + np.argsort(np.argsort(-cov, kind="stable"), kind="stable"))
    rows[:, _INDEX["order_inv"]] = [1.0 / (1.0 + c.order) for c in candidates]
    english = 1.0 if query.is_english else 0.0
    rows[:, _INDEX["en_cov"]] = english * cov
    rows[:, _INDEX["cause_x_cov"]] = rows[:, _INDEX["ask_cause_cue"]] * cov
    rows[:, _INDEX["number_x_cov"]] = rows[:, _INDEX["ask_number_has"]] * cov
    set_dense(rows, candidates, english)
    return rows


UNIQUE_AMONG = 0.1  # "a few other candidates": at most this share of them (and at least 2)


def _local_rarity(rows: np.ndarray, in_unit: Sequence[set[int]], near: Sequence[set[int]], weights: TermWeights) -> None:
    """Coverage that discounts the terms most candidates share: among look-alike passages (the same
    boilerplate, a table's rows under one header) the term few of them hold is what tells them apart."""
    n_terms = len(weights.weights)
    if not n_terms:
        return
    corpus = np.asarray(weights.weights, dtype=np.float64)
    own, nearby = _held(in_unit, n_terms), _held(near, n_terms)
    rows[:, _INDEX["cov_local"]] = _rarity_weighted(own, corpus)
    rows[:, _INDEX["cov_local_near"]] = _rarity_weighted(nearby, corpus)
    few = own.sum(axis=0) <= max(2.0, UNIQUE_AMONG * len(in_unit))
    rows[:, _INDEX["unique_share"]] = (own * (few * corpus)).sum(axis=1) / max(float(corpus.sum()), 1e-6)


def _held(hits: Sequence[set[int]], n_terms: int) -> np.ndarray:
    """candidates x terms: does the candidate hold the term?"""
    held = np.zeros((len(hits), n_terms), dtype=bool)
    for a, found in enumerate(hits):
        held[a, list(found)] = True
    return held


def _rarity_weighted(held: np.ndarray, corpus: np.ndarray) -> np.ndarray:
    """Each candidate's share of the terms, a term weighing its corpus weight times its rarity among
    the candidates (log((N + 1) / (n + 0.5)))."""
    local = np.log((held.shape[0] + 1) / (held.sum(axis=0) + 0.5)) * corpus
    return (held * local).sum(axis=1) / max(float(local.sum()), 1e-6)


def set_dense(rows: np.ndarray, candidates: Sequence[UnitCandidate], english: float) -> None:
    """(Re)fill the dense columns from the candidates' cosines (units not embedded count as far)."""
    for row, c in zip(rows, candidates):
        row[_INDEX["dense"]] = c.dense or 0.0
        row[_INDEX["dense_missing"]] = 1.0 if c.dense is None else 0.0
    embedded = rows[:, _INDEX["dense_missing"]] == 0
    rows[:, _INDEX["dense_rel"]] = -0.2
    if embedded.any():
        best_dense = rows[embedded, _INDEX["dense"]].max()
        rows[:, _INDEX["dense_rel"]] = np.where(embedded, rows[:, _INDEX["dense"]] - best_dense, -0.2)
    dense = np.where(embedded, rows[:, _INDEX["dense"]], -1.0)
    ranks = np.argsort(np.argsort(-dense, kind="stable"), kind="stable")
    rows[:, _INDEX["dense_rank_inv"]] = np.where(embedded, 1.0 / (1.0 + ranks), 0.0)
    rows[:, _INDEX["en_dense"]] = english * rows[:, _INDEX["dense"]]
    rows[:, _INDEX["cov_x_dense"]] = rows[:, _INDEX["cov_all"]] * rows[:, _INDEX["dense"]]


def lexical_closeness(rows: np.ndarray) -> np.ndarray:
    """How close each unit is in words (what decides which units are worth embedding)."""
    return rows[:, _INDEX["cov_all"]] + rows[:, _INDEX["bigram_share"]]


def to_embed(candidates: Sequence[UnitCandidate], closeness: np.ndarray) -> list[int]:
    """Which units to embed (embedding every unit is the slow part): the :data:`UNITS_EMBEDDED`
    lexically closest, the best passages first on ties."""
    order = sorted(range(len(candidates)), key=lambda i: (closeness[i], -candidates[i].hit.rank), reverse=True)
    return order[:UNITS_EMBEDDED]


def refeaturize(query: Query, candidates: Sequence[UnitCandidate], weights: TermWeights) -> bool:
    """Recompute the feature rows of candidates featurized before (their dense cosines kept): what
    the training script does with its cached candidates. False, and nothing changed, when the
    current code would embed other units than those that were embedded."""
    if not candidates:
        return True
    rows = unit_features(query, candidates, weights)
    if set(to_embed(candidates, lexical_closeness(rows))) != {i for i, c in enumerate(candidates) if c.dense is not None}:
        return False
    set_dense(rows, candidates, 1.0 if query.is_english else 0.0)
    for c, features in zip(candidates, rows):
        c.features = features
    return True


def _lexical(row: np.ndarray, query: Query, c: UnitCandidate, weights: TermWeights) -> tuple[set[int], set[int]]:
    """The lexical columns of ``row``; returns the question terms the unit's own words hold, and
    those it or its headings/section path hold."""
    accents = query.accents
    words = c.words(accents)
    context = c.context(accents)
    joined = " " + " ".join(words) + " "
    covered = in_unit = title_only = 0.0
    c.term_hits = set()
    own: set[int] = set()
    near: set[int] = set()
    for i, (term, weight) in enumerate(zip(query.terms, weights.weights)):
        if any(_has_form(joined, f) for f in term.forms):
            covered += weight
            in_unit += weight
            c.term_hits.add(i)
            own.add(i)
            near.add(i)
            continue
        if any(all(w in context for w in f) for f in term.forms):
            near.add(i)
        if any(all(w in c.title_tokens for w in f) for f in term.forms):
            covered += 0.6 * weight  # words of the title name the document, not the answer in it
            title_only += weight
            c.term_hits.add(i)
        elif i in near:
            covered += 0.6 * weight
            c.term_hits.add(i)
    row[_INDEX["cov_unit"]] = in_unit / weights.total
    row[_INDEX["cov_all"]] = covered / weights.total
    row[_INDEX["cov_title_only"]] = title_only / weights.total
    bigrams = [b for b in query.bigrams if not (b[0] in c.title_tokens and b[1] in c.title_tokens)]
    if bigrams:
        pairs = set(zip(words, words[1:]))
        row[_INDEX["bigram_share"]] = sum(1 for b in bigrams if b in pairs) / len(bigrams)
    row[_INDEX["rarest_term_hit"]] = 1.0 if weights.rarest in c.term_hits else 0.0
    row[_INDEX["specific_hit"]] = 1.0 if weights.specific & c.term_hits else 0.0
    if any(_has_form(joined, f) for t in query.excluded for f in t.forms):
        row[_INDEX["excluded_term"]] = 1.0
    row[_INDEX["names_columns"]] = min(names_asked_columns(query, c), 2) / 2
    for _, expansions in query.definitions:
        if any(_has_form(joined, tuple(match_tokens(e, accents))) for e in expansions):
            row[_INDEX["defines_abbreviation"]] = 1.0
    return own, near


def names_asked_columns(query: Query, c: UnitCandidate) -> int:
    """How many of a table row's column names the question uses."""
    if c.unit.kind != "row" or not c.unit.cells:
        return 0
    asked = set(match_tokens(query.text))
    return sum(1 for name in c.unit.cells if name and set(match_tokens(name)) <= asked)


def _states_meaning(query: Query, c: UnitCandidate) -> bool:
    """The unit says what a term of the question is: a question term before its first copula
    ("Tập quán là quy tắc xử sự …" for "Tập quán là gì?")."""
    at = copula_at(c.tokens[:MEANING_REACH])
    words = c.words(query.accents)
    if at <= 0 or len(words) != len(c.tokens):
        return False
    before = " " + " ".join(words[:at]) + " "
    return any(_has_form(before, f) for term in query.terms for f in term.forms)


def _shape(row: np.ndarray, query: Query, c: UnitCandidate) -> None:
    unit = c.unit
    text = unit.text
    kind = unit.kind
    row[_INDEX[f"kind_{kind}"]] = 1.0
    colon = text.rstrip().endswith(":")
    row[_INDEX["ends_colon"]] = 1.0 if colon else 0.0
    row[_INDEX["log_len"]] = math.log(1 + len(text)) / 6
    numbered = has_number(text)
    row[_INDEX["has_number"]] = 1.0 if numbered else 0.0
    wants_list = query.wants_list
    if query.asks("number") and not wants_list:
        row[_INDEX["ask_number_has" if numbered else "ask_number_lacks"]] = 1.0
    if query.asks("percent") and "%" in text:
        row[_INDEX["ask_percent_has"]] = 1.0
    if numbered and query.asks("number") and not query.asks("percent") and only_percentages(text):
        row[_INDEX["ask_count_gets_percent"]] = 1.0
    if query.asks("date") and has_date(text):
        row[_INDEX["ask_date_has"]] = 1.0
    if query.asks("reference") and has_document_reference(text):
        row[_INDEX["ask_reference_has"]] = 1.0
    if query.asks("cause"):
        cue = cause_cues().search(text.lower()) or ("nguyen" in c.context_tokens and "nhan" in c.context_tokens)
        row[_INDEX["ask_cause_cue" if cue else "ask_cause_no_cue"]] = 1.0
    if query.asks("remedy"):
        folded = c.tokens[:3]
        context = c.context_tokens
        if any(tuple(folded[: len(s)]) == s for s in remedy_starts()) or any(set(s) <= context for s in remedy_starts()):
            row[_INDEX["ask_remedy_cue"]] = 1.0
    if wants_list:
        if kind in ("item", "row"):
            row[_INDEX["ask_list_item"]] = 1.0
        if colon or kind == "heading":
            row[_INDEX["ask_list_intro"]] = 1.0
    if query.measures and numbered:
        words = c.words(query.accents)
        joined = " " + " ".join(words) + " "
        present = any(any((f == ("%",) and "%" in text) or _has_form(joined, f) for f in m.forms) for m in query.measures)
        row[_INDEX["measure_present" if present else "measure_missing"]] = 1.0
        if any(_counted(m.forms, words) for m in query.measures):
            row[_INDEX["measure_counted"]] = 1.0
    if any(n in text for n in query.numbers):
        row[_INDEX["question_number_in_unit"]] = 1.0
    if query.status:
        if kind == "row":
            status = cell_status(unit.status) if unit.status else ""
            if not status:
                row[_INDEX["status_row_unrated"]] = 1.0
            else:
                row[_INDEX["status_match" if status == query.status else "status_mismatch"]] = 1.0
        elif query.status in statuses_in_text(text):
            row[_INDEX["status_text_match"]] = 1.0
    if kind == "footnote" and not text:
        row[_INDEX["empty_footnote"]] = 1.0
    meta = c.meta
    if query.asks("next_period") and meta is not None and meta.plan_year > meta.period_year:
        # "năm tới": what the report plans for the year after the one it reports on
        match = meta.plan_year in unit_years(unit, c.chunk, ranges=False)
        row[_INDEX["next_period_match" if match else "next_period_mismatch"]] = 1.0


def _counted(forms: Sequence[tuple[str, ...]], words: list[str]) -> bool:
    """A figure followed (at most one word later) by one of the measure's forms: '214 chỉ tiêu'."""
    for i, word in enumerate(words):
        if not word[0].isdigit():
            continue
        for form in forms:
            n = len(form)
            if tuple(words[i + 1 : i + 1 + n]) == form or tuple(words[i + 2 : i + 2 + n]) == form:
                return True
    return False


def _place(row: np.ndarray, query: Query, c: UnitCandidate, asked_sectors: set[str]) -> None:
    meta = c.meta
    if meta is not None and query.localities and any(meta.doc_id in loc.doc_ids for loc in query.localities):
        row[_INDEX["locality_named_match"]] = 1.0
    if query.years and unit_years(c.unit, c.chunk) & set(query.years):
        row[_INDEX["year_match"]] = 1.0
    if asked_sectors:
        unit = " " + c.key + " "
        named = sectors(c.key)
        if named and any(f" {s} " not in unit and s not in named for s in asked_sectors):
            row[_INDEX["sector_mismatch"]] = 1.0


def document_missing(query: Query, best: UnitCandidate, weights: TermWeights, stats: TermStats) -> float:
    """Weighted share of the question's terms found nowhere in the best unit's document."""
    return _absent_share(query, best, weights, stats.in_document)


def document_unwritten(query: Query, best: UnitCandidate, weights: TermWeights, stats: TermStats) -> float:
    """Weighted share of the question's terms that the best unit's document never writes as a
    phrase (each syllable may be there, apart): a measure the report does not give."""
    return _absent_share(query, best, weights, stats.writes)


def _absent_share(query: Query, best: UnitCandidate, weights: TermWeights,
                  holds: Callable[[str, tuple[str, ...], bool], bool | None]) -> float:
    """Weighted share of the terms none of whose forms the best unit's document ``holds`` (0 when
    its vocabulary is unknown)."""
    total = missing = 0.0
    for term, weight in zip(query.terms, weights.weights):
        present = [holds(best.chunk.doc_id, f, query.accents) for f in term.forms]
        if any(p is None for p in present):
            return 0.0
        total += weight
        if not any(present):
            missing += weight
    return missing / total if total else 0.0


def place_view(query: Query, ranked: Sequence[UnitCandidate]) -> Sequence[UnitCandidate]:
    """The candidates the answerability model weighs. A question over several places ("Hương Trà,
    Hải Dương và Trà Vinh mỗi nơi …") asks one thing of each: the ranker's probability is spread
    over one answer per place, so the question is weighed as asked of the place whose best unit
    stands out most, its units' probabilities renormalised within that place (copies)."""
    if len(query.localities) < 2:
        return ranked
    views: list[tuple[float, list[UnitCandidate], float]] = []
    for locality in query.localities:
        own = [c for c in ranked if c.chunk.doc_id in locality.doc_ids]
        total = sum(c.score for c in own)
        if own and total > 0:
            views.append((own[0].score / total, own, total))
    if len(views) < 2:
        return ranked
    _, own, total = max(views, key=lambda v: v[0])
    out = [copy.copy(c) for c in own]
    for c in out:
        c.score = c.score / total
    return out


def question_features(
    query: Query, ranked: Sequence[UnitCandidate], weights: TermWeights, stats: TermStats
) -> np.ndarray:
    """One row of :data:`QUESTION_FEATURES`: how well the best candidates answer, for the abstention model."""
    row = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
    index = {name: i for i, name in enumerate(QUESTION_FEATURES)}
    row[index["n_terms_log"]] = math.log(1 + len(query.terms)) / 3
    row[index["lang_en"]] = 1.0 if query.lang == "en" else 0.0
    row[index["lang_noaccent"]] = 1.0 if query.lang == "vi-noaccent" else 0.0
    ranked = place_view(query, ranked)
    if not ranked:
        return row
    scores = [c.score for c in ranked]
    best = ranked[0]
    assert best.features is not None
    row[index["p_max"]] = scores[0]
    row[index["p_gap"]] = scores[0] - (scores[1] if len(scores) > 1 else 0.0)
    row[index["p_top3"]] = float(np.mean(scores[:3]))
    same_passage = [c for c in ranked if c.hit.chunk.chunk_id == best.hit.chunk.chunk_id]
    row[index["p_best_passage"]] = sum(c.score for c in same_passage)
    if best.unit.block >= 0 and best.unit.kind in ("item", "row"):
        row[index["p_best_block"]] = sum(c.score for c in same_passage if c.unit.block == best.unit.block and c.unit.kind == best.unit.kind)
    else:
        row[index["p_best_block"]] = scores[0]
    for name in ("cov_unit", "cov_all", "dense", "specific_hit", "rarest_term_hit"):
        row[index[f"best_{name}"]] = best.features[_INDEX[name]]
    row[index["doc_missing"]] = document_missing(query, best, weights, stats)
    row[index["doc_unwritten"]] = document_unwritten(query, best, weights, stats)
    row[index["best_lacks_heaviest"]] = 0.0 if weights.rarest < 0 or weights.rarest in best.term_hits else 1.0
    row[index["top_hit_score"]] = max(c.hit.score for c in ranked)
    row[index["asks_figure_best_lacks"]] = best.features[_INDEX["ask_number_lacks"]]
    row[index["measure_missing_best"]] = best.features[_INDEX["measure_missing"]]
    return row


class SentenceEmbedder(Protocol):
    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class EmbeddingCache:
    """Unit embeddings by text (the same passages come back for related questions)."""

    def __init__(self, embedder: SentenceEmbedder | None, size: int = 20000) -> None:
        self.embedder = embedder
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def passages(self, texts: list[str]) -> np.ndarray | None:
        if self.embedder is None or not texts:
            return None
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = self.embedder.embed_passages(missing)
            for text, vector in zip(missing, vectors):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        for text in texts:
            self._cache.move_to_end(text)
        return np.stack([self._cache[t] for t in texts])

    def query(self, text: str) -> np.ndarray | None:
        if self.embedder is None:
            return None
        return np.asarray(self.embedder.embed_query(text), dtype=np.float32)




class Featurizer:
    """Fills the candidates' feature rows: lexical and shape features for all, then the e5 cosine
    of the :data:`UNITS_EMBEDDED` lexically closest units with the question."""

    def __init__(self, embedder: SentenceEmbedder | None) -> None:
        self.cache = EmbeddingCache(embedder)

    def featurize(self, query: Query, candidates: list[UnitCandidate], weights: TermWeights, span_query: str) -> None:
        if not candidates:
            return
        rows = unit_features(query, candidates, weights)
        self._dense(candidates, lexical_closeness(rows), span_query)  # the words decide what is worth embedding
        set_dense(rows, candidates, 1.0 if query.is_english else 0.0)
        for c, features in zip(candidates, rows):
            c.features = features

    def _dense(self, candidates: list[UnitCandidate], closeness: np.ndarray, span_query: str) -> None:
        if self.cache.embedder is None:
            return
        chosen = [candidates[i] for i in to_embed(candidates, closeness)]
        vectors = self.cache.passages([c.unit.text for c in chosen])
        q_vec = self.cache.query(span_query)
        if vectors is None or q_vec is None:
            return
        sims = vectors @ q_vec / (np.linalg.norm(vectors, axis=1) * (np.linalg.norm(q_vec) or 1.0) + 1e-9)
        for c, sim in zip(chosen, sims):
            c.dense = float(sim)
