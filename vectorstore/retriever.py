"""The one search API: lexical + dense legs, rank fusion, soft boosts, optional reranking.

    retriever = build_retriever(settings)
    hits = retriever.search("tỷ lệ giải ngân vốn đầu tư công Trà Vinh tháng 2/2023", k=5)

Explicit ``filters`` are hard (a Chroma ``where`` on the dense leg, the same test on the
lexical leg); what :meth:`Retriever.parse` finds in the query (locality, period, document
type) only boosts, so a wrong guess never hides the answer. Only chunks of each document's
live generation are returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from baocao.models import Chunk
from baocao.settings import Settings
from baocao.text import fold_accents, has_diacritics, nfc
from vectorstore.hits import Filters, Hit
from vectorstore.lexical import (
    LexicalIndex,
    LexicalIndexCache,
    QueryTerm,
    clause_tokens,
    fold_syllable,
    syllable_parts,
)
from vectorstore.query import (
    Abbreviations,
    Expansion,
    KnownValues,
    QueryInfo,
    detect_language,
    load_abbreviations,
    load_glossary,
    parse_query,
    remove_question_words,
)
from vectorstore.rerank import CrossEncoderReranker, rerank_order
from vectorstore.store import ChunkStore

INT_FIELDS = {"period_year", "period_month", "plan_year", "issued_year", "issued_month", "issued_day", "position"}
BOOL_FIELDS = {"is_draft"}


@dataclass
class RetrievalConfig:
    """Knobs of the search; the defaults were chosen on the dev set (docs/retrieval.md)."""

    lexical_depth: int = 60  # candidates taken from each leg before fusion
    dense_depth: int = 60
    fusion: str = "score"  # "rrf" (reciprocal rank) or "score" (min-max normalised scores)
    rrf_k: float = 60.0
    lexical_weight: float = 1.5
    dense_weight: float = 1.0
    # extra dense queries: diacritics restored (no-accent questions), glossary translation (English)
    restored_weight: float = 1.0
    raw_noaccent_weight: float = 0.0  # the unaccented query itself, next to its restored form
    combine_dense_queries: bool = True  # one search with the mean vector instead of one per form
    translated_weight: float = 0.5
    # BM25 field weights of the query terms
    exact_weight: float = 0.6
    folded_weight: float = 1.0
    bigram_weight: float = 1.0
    restored_exact_weight: float = 1.0  # exact terms of the restored no-accent query
    expansion_weight: float = 0.7  # abbreviation expansions, relative to the query's own words
    glossary_weight: float = 1.0  # translations of an English query
    # soft boosts: the fused score is multiplied by (1 + boost)
    locality_boost: float = 0.3
    year_boost: float = 0.1
    month_boost: float = 0.1
    doc_type_boost: float = 0.0
    rerank_depth: int = 30
    check_store_every_s: float = 2.0
    coverage_power: float = 2.0  # lexical weight × (share of the query's syllables the corpus knows) ** power


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


@dataclass
class Candidate:
    chunk_id: str
    score: float = 0.0
    legs: dict[str, int] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)


class Retriever:
    def __init__(
        self,
        store: ChunkStore,
        settings: Settings,
        *,
        use_lexical: bool = True,
        use_dense: bool = True,
        use_query_understanding: bool = True,
        reranker: CrossEncoderReranker | None = None,
        config: RetrievalConfig | None = None,
        lexical_cache: LexicalIndexCache | None = None,
    ) -> None:
        if not (use_lexical or use_dense):
            raise ValueError("a retriever needs at least one of the lexical and dense legs")
        self.store = store
        self.settings = settings
        self.use_lexical = use_lexical
        self.use_dense = use_dense
        self.use_query_understanding = use_query_understanding
        self.reranker = reranker
        self.config = config or RetrievalConfig()
        self.lexical = lexical_cache or LexicalIndexCache(store, self.config.check_store_every_s)
        self.glossary = load_glossary(settings.data_dir)
        self._known: KnownValues | None = None
        self._abbreviations: Abbreviations | None = None
        self._understood_fingerprint = ""

    def warm(self) -> None:
        """Load or build the lexical index now (after an ingest) instead of at the first search."""
        self._refresh_understanding(self.lexical.current())

    # ----- query understanding -----------------------------------------------------------
    def _refresh_understanding(self, index: LexicalIndex) -> None:
        if self._known is None or self._understood_fingerprint != index.fingerprint:
            self._known = KnownValues.from_documents(self.store.documents())
            self._abbreviations = load_abbreviations(self.settings.data_dir, index.defined_abbreviations)
            self._understood_fingerprint = index.fingerprint

    def known_values(self) -> KnownValues:
        self._refresh_understanding(self.lexical.current())
        assert self._known is not None
        return self._known

    def parse(self, query: str) -> QueryInfo:
        """Language, localities, period, document type and term expansions of ``query``."""
        index = self.lexical.current()
        self._refresh_understanding(index)
        assert self._known is not None
        return parse_query(
            query,
            self._known,
            abbreviations=self._abbreviations,
            glossary=self.glossary,
            vocabulary=index.vocabulary,
        )

    # ----- search ------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        query = nfc(query).strip()
        if not query:
            return []
        index = self.lexical.current()
        live = self.lexical.live_generations()
        filters = self._normalize_filters(filters, index)
        if self.use_query_understanding:
            info = self.parse(query)
        else:
            info = QueryInfo(text=query, lang=detect_language(query))

        legs: list[Leg] = []
        if self.use_lexical:
            terms = self.lexical_terms(info, index)
            weight = self.config.lexical_weight * vocabulary_coverage(terms, index) ** self.config.coverage_power
            legs.append(Leg("lexical", weight, self._lexical_leg(index, terms, filters)))
        if self.use_dense:
            legs.extend(self._dense_legs(info, filters))
        candidates = self._fuse(legs, live)
        if self.use_query_understanding:
            self._apply_boosts(candidates, info, index)
        ordered = sorted(candidates.values(), key=lambda c: -c.score)
        depth = max(k, self.config.rerank_depth) if self.reranker else k
        chunks = {c.chunk_id: c for c in self.store.get_chunks([c.chunk_id for c in ordered[: depth + 5]])}
        ordered = [c for c in ordered if c.chunk_id in chunks][:depth]
        if self.reranker is not None and ordered:
            ordered = self._rerank(query, ordered, chunks)
        filter_notes = [f"filter: {key}={value}" for key, value in (filters or {}).items()]
        hits = []
        for rank, candidate in enumerate(ordered[:k], start=1):
            hits.append(
                Hit(
                    chunk=chunks[candidate.chunk_id],
                    score=candidate.score,
                    rank=rank,
                    legs=dict(candidate.legs),
                    why=candidate.why + filter_notes,
                )
            )
        return hits

    # ----- legs --------------------------------------------------------------------------
    def _lexical_leg(self, index: LexicalIndex, terms: list[QueryTerm], filters: Filters | None) -> list[LegHit]:
        mask = index.filter_mask(filters)
        matches = index.search(terms, self.config.lexical_depth, mask)
        return [LegHit(m.chunk_id, m.score, m.matched) for m in matches]

    def lexical_terms(self, info: QueryInfo, index: LexicalIndex) -> list[QueryTerm]:
        """The weighted BM25 terms of a query: its own words, then expansions and translations."""
        config = self.config
        terms: dict[tuple[str, str], QueryTerm] = {}
        if not self.use_query_understanding:
            _add_terms(terms, info.text, 1.0, config, use_exact=info.lang == "vi")
            return list(terms.values())
        if info.lang == "en":
            position = _add_terms(terms, " ".join(info.kept_words), 1.0, config, use_exact=True)
        else:
            # The restored text folds to the same terms as the typed one (it only adds accents),
            # and reads better in ``why``.
            own_text, hints = remove_question_words(info.restored or info.text)
            position = _add_terms(terms, own_text, 1.0, config, use_exact=info.lang == "vi")
            if info.restored:
                # Restored accents are a guess: they add exact-syllable terms, the folded ones stay.
                _add_terms(terms, own_text, config.restored_exact_weight, config, use_exact=True, only_exact=True)
            for hint in hints:
                position = _add_terms(terms, hint, config.expansion_weight, config, use_exact=True, offset=position)
        for expansion in info.expansions:
            weight = config.glossary_weight if expansion.source == "glossary" else config.expansion_weight
            for alternative in expansion.alternatives:
                position = _add_terms(
                    terms, alternative, weight, config, use_exact=has_diacritics(alternative), offset=position
                )
        return list(terms.values())

    def _dense_legs(self, info: QueryInfo, filters: Filters | None) -> list[Leg]:
        """The query as typed, and (with query understanding) its restored or translated forms."""
        texts: dict[str, str] = {"dense": info.text}
        if self.use_query_understanding:
            texts["dense"] = _with_abbreviations(info.text, info.expansions)
            if info.restored and info.restored != info.text:
                texts["dense_restored"] = _with_abbreviations(info.restored, info.expansions)
                if self.config.raw_noaccent_weight == 0:
                    del texts["dense"]  # the unaccented text only adds noise next to the restored one
            if info.lang == "en" and self.config.translated_weight > 0 and translated_query(info):
                texts["dense_translated"] = translated_query(info)
        where = build_where(filters)
        weights = {leg: self._dense_weight(leg, info.lang) for leg in texts}
        vectors = {leg: self.store.embedder.embed_query(text) for leg, text in texts.items()}
        if self.config.combine_dense_queries and len(vectors) > 1:
            # One search with the weighted mean of the query's forms instead of one per form.
            total = sum(weights[leg] * vector for leg, vector in vectors.items())
            vectors = {"dense": total / max(float(np.linalg.norm(total)), 1e-12)}
            weights = {"dense": self.config.dense_weight}
        return [
            Leg(leg, weights[leg], [LegHit(cid, sim) for cid, sim in self.store.dense_search(vector, self.config.dense_depth, where)])
            for leg, vector in vectors.items()
        ]

    def _dense_weight(self, leg: str, lang: str) -> float:
        if leg == "dense":
            return self.config.raw_noaccent_weight if lang == "vi-noaccent" else self.config.dense_weight
        return self.config.restored_weight if leg == "dense_restored" else self.config.translated_weight

    def _fuse(self, legs: list[Leg], live: dict[str, str]) -> dict[str, Candidate]:
        """Weighted fusion over the legs (reciprocal rank or normalised score); stale generations dropped."""
        candidates: dict[str, Candidate] = {}
        for leg in legs:
            ranked = [h for h in leg.hits if is_live(h.chunk_id, live)]
            for rank, (hit, contribution) in enumerate(zip(ranked, self._contributions(ranked)), start=1):
                candidate = candidates.setdefault(hit.chunk_id, Candidate(hit.chunk_id))
                candidate.score += leg.weight * contribution
                candidate.legs[leg.name] = rank
                if hit.matched:
                    candidate.matched = hit.matched
        for candidate in candidates.values():
            if "lexical" in candidate.legs and candidate.matched:
                shown = ", ".join(f"'{m}'" for m in candidate.matched[:6])
                candidate.why.append(f"lexical #{candidate.legs['lexical']}: matched {shown}")
            for leg in ("dense", "dense_restored", "dense_translated"):
                if leg in candidate.legs:
                    candidate.why.append(f"{leg.replace('_', ' ')} #{candidate.legs[leg]}")
        return candidates

    def _contributions(self, ranked: list[LegHit]) -> list[float]:
        if self.config.fusion == "rrf":
            return [1.0 / (self.config.rrf_k + rank) for rank in range(1, len(ranked) + 1)]
        # "score": each leg's scores scaled to [0, 1] between its top hit and its last candidate
        if not ranked:
            return []
        top, floor = ranked[0].score, ranked[-1].score
        span = top - floor
        if span <= 1e-9:
            return [1.0] * len(ranked)
        return [(h.score - floor) / span for h in ranked]

    def _apply_boosts(self, candidates: dict[str, Candidate], info: QueryInfo, index: LexicalIndex) -> None:
        config = self.config
        doc_meta = index.doc_meta_by_id()
        locality_docs = {doc_id for loc in info.localities for doc_id in loc.doc_ids}
        for candidate in candidates.values():
            md = doc_meta.get(doc_id_of(candidate.chunk_id))
            if md is None:
                continue
            factor = 1.0
            if md.get("doc_id") in locality_docs and config.locality_boost:
                factor += config.locality_boost
                candidate.why.append(f"boost: locality {md.get('locality')}")
            doc_years = {md.get("period_year"), md.get("plan_year")} - {0, None}
            if info.years and doc_years & set(info.years) and config.year_boost:
                factor += config.year_boost
                candidate.why.append(f"boost: year {', '.join(str(y) for y in sorted(doc_years & set(info.years)))}")
            if info.period.month and md.get("period_month") == info.period.month and config.month_boost:
                factor += config.month_boost
                candidate.why.append(f"boost: month {info.period.month}")
            if info.doc_types and md.get("doc_type") in info.doc_types and config.doc_type_boost:
                factor += config.doc_type_boost
                candidate.why.append(f"boost: type {md.get('doc_type')}")
            candidate.score *= factor

    def _rerank(self, query: str, ordered: list[Candidate], chunks: dict[str, Chunk]) -> list[Candidate]:
        assert self.reranker is not None
        scores = self.reranker.scores(query, [chunks[c.chunk_id] for c in ordered])
        reordered = []
        for position in rerank_order(scores):
            candidate = ordered[position]
            candidate.legs["rerank"] = len(reordered) + 1
            candidate.why.append(f"rerank: {scores[position]:.3f} (was #{position + 1})")
            candidate.score = scores[position]
            reordered.append(candidate)
        return reordered

    # ----- filters -----------------------------------------------------------------------
    def _normalize_filters(self, filters: Filters | None, index: LexicalIndex) -> Filters | None:
        """Types as stored (years as int) and values spelled as the store spells them."""
        if not filters:
            return None
        known_values: dict[str, dict[str, Any]] = {}
        for md in index.doc_meta:
            for key, value in md.items():
                if isinstance(value, str) and value:
                    known_values.setdefault(key, {})[fold_accents(value).strip()] = value
        normalized: Filters = {}
        for key, wanted in filters.items():
            if wanted is None or wanted == "" or wanted == []:
                continue
            values = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
            fixed = [_coerce(key, v, known_values.get(key, {})) for v in values]
            normalized[key] = fixed if len(fixed) > 1 else fixed[0]
        return normalized or None


def _coerce(key: str, value: Any, spellings: dict[str, Any]) -> Any:
    if key in INT_FIELDS:
        return int(value)
    if key in BOOL_FIELDS:
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(value, str):
        return spellings.get(fold_accents(nfc(value)).strip(), nfc(value))
    return value


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


def build_where(filters: Filters | None) -> dict[str, Any] | None:
    """Chroma ``where`` for hard filters: one clause per key, ``$in`` for lists, ``$and`` to join."""
    if not filters:
        return None
    clauses = []
    for key, wanted in filters.items():
        if isinstance(wanted, (list, tuple, set)):
            clauses.append({key: {"$in": list(wanted)}})
        else:
            clauses.append({key: wanted})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def doc_id_of(chunk_id: str) -> str:
    """Chunk ids are '<doc_id>:<generation[:8]>:<position>' (see ChunkStore)."""
    parts = chunk_id.rsplit(":", 2)
    return parts[0] if len(parts) == 3 else chunk_id


def is_live(chunk_id: str, live: dict[str, str]) -> bool:
    parts = chunk_id.rsplit(":", 2)
    if len(parts) != 3:
        return True  # not our id scheme: nothing to check against
    doc_id, generation, _ = parts
    live_generation = live.get(doc_id)
    return live_generation is not None and live_generation.startswith(generation)


# --------------------------------------------------------------------------- query terms


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


def translated_query(info: QueryInfo) -> str:
    """A Vietnamese stand-in for an English query: names and numbers plus glossary terms."""
    parts = [e.alternatives[0] for e in info.expansions if e.source == "glossary"]
    return " ".join(parts + info.kept_words)


def _with_abbreviations(text: str, expansions: list[Expansion]) -> str:
    """'chương trình MTQG' -> 'chương trình MTQG (mục tiêu quốc gia)' for the embedder."""
    added = [
        f"{e.found} ({e.alternatives[0]})"
        for e in expansions
        if e.source == "abbreviation" and e.found.upper() == e.found
    ]
    return text if not added else f"{text} ({'; '.join(added)})"


# --------------------------------------------------------------------------- factories


def build_retriever(settings: Settings, store: ChunkStore | None = None) -> Retriever:
    from vectorstore.embedders import get_embedder

    if store is None:
        store = ChunkStore(settings, get_embedder(settings))
    return Retriever(store, settings, reranker=CrossEncoderReranker.from_settings(settings))


def ablation_variants(store: ChunkStore, settings: Settings) -> dict[str, Retriever]:
    """The variants compared in docs/retrieval.md, sharing one lexical index."""
    cache = LexicalIndexCache(store)
    return {
        "lexical": Retriever(store, settings, use_dense=False, use_query_understanding=False, lexical_cache=cache),
        "dense": Retriever(store, settings, use_lexical=False, use_query_understanding=False, lexical_cache=cache),
        "fused": Retriever(store, settings, use_query_understanding=False, lexical_cache=cache),
        "fused+qu": Retriever(store, settings, lexical_cache=cache),
    }


class ReportsRetriever(BaseRetriever):
    """LangChain adapter: ``Document(page_content=chunk.text, metadata={chunk_id, source, ...})``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 5
    filters: dict[str, Any] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [hit_to_document(hit) for hit in self.retriever.search(query, k=self.k, filters=self.filters)]


def hit_to_document(hit: Hit) -> Document:
    chunk = hit.chunk
    meta = chunk.meta
    return Document(
        page_content=chunk.text,
        metadata={
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "source": meta.source if meta else "",
            "section": chunk.section,
            "kind": chunk.kind,
            "score": hit.score,
            "rank": hit.rank,
            "legs": dict(hit.legs),
            "why": list(hit.why),
            "locality": meta.locality if meta else "",
            "period": meta.period if meta else "",
            "doc_type": meta.doc_type if meta else "",
            "title": meta.title if meta else "",
            "short_title": meta.short_title if meta else "",
            "start": chunk.start,
            "end": chunk.end,
        },
    )

