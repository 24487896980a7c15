"""The two legs of a search: lexical (BM25 terms of the query) and dense (the query's vector).

Each leg turns a :class:`~vectorstore.query.Query` into ranked ``LegHit``s with a weight for
the fusion; each is testable alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from baocao.lang.abbreviations import Expansion
from baocao.lang.normalize import fold_syllable, has_diacritics
from baocao.lang.questions import remove_question_words
from baocao.lang.tokens import clause_tokens, syllable_parts
from baocao.protocols import ChunkStore, Embedder, Filters, LexicalIndex, QueryTerm
from vectorstore.config import RetrievalConfig
from vectorstore.lexical import within_document_factor
from vectorstore.query import Query


@dataclass
class LegHit:
    chunk_id: str
    score: float
    matched: list[str] = field(default_factory=list)


@dataclass
class Leg:
    name: str
    weight: float
    hits: list[LegHit]


# --------------------------------------------------------------------------- lexical


def lexical_terms(query: Query, config: RetrievalConfig, understand: bool = True) -> list[QueryTerm]:
    """The weighted BM25 terms of a query: its own words, then expansions and translations."""
    terms: dict[tuple[str, str], QueryTerm] = {}
    if not understand:
        _add_terms(terms, query.text, 1.0, config, use_exact=query.lang == "vi")
        return list(terms.values())
    if query.lang == "en":
        position = _add_terms(terms, " ".join(query.kept_words), 1.0, config, use_exact=True)
    else:
        # The restored text folds to the same terms as the typed one (it only adds accents),
        # and reads better in ``why``.
        own_text, hints = remove_question_words(query.restored or query.text)
        position = _add_terms(terms, own_text, 1.0, config, use_exact=query.lang == "vi")
        if query.restored:
            # Restored accents are a guess: they add exact-syllable terms, the folded ones stay.
            _add_terms(terms, own_text, config.restored_exact_weight, config, use_exact=True, only_exact=True)
        for hint in hints:
            position = _add_terms(terms, hint, config.expansion_weight, config, use_exact=True, offset=position)
    for expansion in query.expansions:
        weight = config.glossary_weight if expansion.source == "glossary" else config.expansion_weight
        for alternative in expansion.alternatives:
            position = _add_terms(terms, alternative, weight, config, use_exact=has_diacritics(alternative), offset=position)
    return list(terms.values())


def vocabulary_coverage(terms: list[QueryTerm], index: LexicalIndex) -> float:
    """Share (by weight) of the query's syllables that occur in the corpus.

    Low for a query the lexical leg cannot read (English words, typos): its ranking is then
    mostly noise ("the" meets "thế"), so it counts for less in the fusion.
    """
    syllables = [t for t in terms if t.field == "folded"]
    total = sum(t.weight for t in syllables)
    if total <= 0:
        return 0.0
    return sum(t.weight for t in syllables if index.has_term("folded", t.term)) / total


@dataclass
class LexicalQuery:
    """A query's weighted BM25 terms and how much of them the corpus knows, read once per search."""

    terms: list[QueryTerm]
    coverage: float  # vocabulary_coverage ** config.coverage_power: scales every lexical leg


def lexical_query(query: Query, index: LexicalIndex, config: RetrievalConfig, understand: bool = True) -> LexicalQuery:
    terms = lexical_terms(query, config, understand)
    return LexicalQuery(terms, vocabulary_coverage(terms, index) ** config.coverage_power)


def lexical_leg(read: LexicalQuery, index: LexicalIndex, filters: Filters | None, config: RetrievalConfig) -> Leg:
    matches = index.search(read.terms, config.lexical_depth, filters)
    return Leg("lexical", config.lexical_weight * read.coverage, [LegHit(m.chunk_id, m.score, m.matched) for m in matches])


def local_legs(
    read: LexicalQuery, index: LexicalIndex, doc_ids: list[str], filters: Filters | None, config: RetrievalConfig
) -> list[Leg]:
    """One lexical leg per leading document, over its own chunks, each query term weighed by how
    well it tells the document's chunks apart (:func:`~vectorstore.lexical.within_document_factor`)."""
    if config.local_weight <= 0 or not doc_ids:
        return []
    terms = [t for t in read.terms if t.weight > 0]
    weight = config.local_weight * read.coverage
    legs = []
    for doc_id in doc_ids:
        chunks, counts = index.document_frequencies(doc_id, terms)
        factors = within_document_factor(np.asarray(counts, dtype=np.float32), np.full(len(counts), chunks, dtype=np.float32))
        held = [(term, float(factor) ** config.local_power) for term, factor, n in zip(terms, factors, counts) if n > 0]
        if not held:
            continue
        weighed = [replace(term, weight=term.weight * factor) for term, factor in held]
        # A query whose words are in most of the document's chunks tells them apart by little:
        # the leg counts by the share of the query's weight that is specific inside the document.
        specific = sum(t.weight for t in weighed) / sum(t.weight for t, _ in held)
        matches = index.search(weighed, config.local_depth, {**(filters or {}), "doc_id": doc_id})
        legs.append(Leg("local", weight * specific, [LegHit(m.chunk_id, m.score, m.matched) for m in matches]))
    return legs


def _add_terms(
    terms: dict[tuple[str, str], QueryTerm], text: str, weight: float, config: RetrievalConfig, use_exact: bool,
    only_exact: bool = False, offset: int = 0,
) -> int:
    """Add the terms of ``text``; positions start at ``offset``; returns the next free position."""
    position = offset
    for clause in clause_tokens(text):
        sequence: list[tuple[str, str, int]] = []  # (folded, as typed, position)
        for token in clause:
            parts = syllable_parts(token)
            if use_exact:
                _put(terms, QueryTerm("exact", token, weight * config.exact_weight, token, position))
            if only_exact:
                position += 1
                continue
            if len(parts) > 1:
                _put(terms, QueryTerm("folded", fold_syllable(token), weight * config.folded_weight, token, position))
            for part in parts:
                folded = fold_syllable(part)
                _put(terms, QueryTerm("folded", folded, weight * config.folded_weight, part, position))
                sequence.append((folded, part, position))
                position += 1
        for (a, a_typed, at), (b, b_typed, _) in zip(sequence, sequence[1:]):
            _put(terms, QueryTerm("bigram", f"{a}_{b}", weight * config.bigram_weight, f"{a_typed} {b_typed}", at))
        position += 1  # clauses never join into one phrase
    return position


def _put(terms: dict[tuple[str, str], QueryTerm], term: QueryTerm) -> None:
    key = (term.field, term.term)
    if key not in terms or terms[key].weight < term.weight:
        terms[key] = term


# --------------------------------------------------------------------------- dense


def translated_query(query: Query) -> str:
    """A Vietnamese stand-in for an English query: names and numbers plus glossary terms."""
    parts = [e.alternatives[0] for e in query.expansions if e.source == "glossary"]
    return " ".join(parts + query.kept_words)


def with_abbreviations(text: str, expansions: list[Expansion]) -> str:
    """'chương trình MTQG' -> 'chương trình MTQG (mục tiêu quốc gia)' for the embedder."""
    added = [
        f"{e.found} ({e.alternatives[0]})"
        for e in expansions
        if e.source == "abbreviation" and e.found.upper() == e.found
    ]
    return text if not added else f"{text} ({'; '.join(added)})"


def dense_texts(query: Query, config: RetrievalConfig, understand: bool = True) -> dict[str, str]:
    """The query as typed, and (with query understanding) its restored or translated forms, by leg name."""
    texts: dict[str, str] = {"dense": query.text}
    if understand:
        texts["dense"] = with_abbreviations(query.text, query.expansions)
        if query.restored and query.restored != query.text:
            texts["dense_restored"] = with_abbreviations(query.restored, query.expansions)
            if config.raw_noaccent_weight == 0:
                del texts["dense"]  # the unaccented text only adds noise next to the restored one
        if query.lang == "en" and config.translated_weight > 0 and translated_query(query):
            texts["dense_translated"] = translated_query(query)
    return texts


def _dense_weight(leg: str, lang: str, config: RetrievalConfig) -> float:
    if leg == "dense":
        return config.raw_noaccent_weight if lang == "vi-noaccent" else config.dense_weight
    return config.restored_weight if leg == "dense_restored" else config.translated_weight


def dense_legs(
    query: Query, embedder: Embedder, store: ChunkStore, where: dict[str, object] | None, config: RetrievalConfig,
    understand: bool = True,
) -> list[Leg]:
    texts = dense_texts(query, config, understand)
    weights = {leg: _dense_weight(leg, query.lang, config) for leg in texts}
    vectors = {leg: embedder.embed_query(text) for leg, text in texts.items()}
    if config.combine_dense_queries and len(vectors) > 1:
        # One search with the weighted mean of the query's forms instead of one per form.
        total = sum(weights[leg] * vector for leg, vector in vectors.items())
        assert isinstance(total, np.ndarray)
        vectors = {"dense": total / max(float(np.linalg.norm(total)), 1e-12)}
        weights = {"dense": config.dense_weight}
    return [
        Leg(leg, weights[leg], [LegHit(cid, sim) for cid, sim in store.dense_search(vector, config.dense_depth, where)])
        for leg, vector in vectors.items()
    ]
