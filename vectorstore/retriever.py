"""The one search API: lexical + dense legs, rank fusion, soft boosts, optional reranking.

    retriever = build_retriever(settings)
    hits = retriever.search("tỷ lệ giải ngân vốn đầu tư công Trà Vinh tháng 2/2023", k=5)

``search`` takes the question's :class:`~vectorstore.query.Query` (read once by the caller with
``retriever.analyser``) or a plain string (read here). Explicit ``filters`` are hard (a Chroma
``where`` on the dense leg, the same test on the lexical leg); what the query names (locality,
period, document type) only boosts, so a wrong guess never hides the answer. Only chunks of
each document's live generation are returned.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from baocao.lang.detect import detect_language
from baocao.lang.normalize import nfc
from baocao.models import Chunk
from baocao.protocols import ChunkStore, Embedder, Filters, RerankCandidate, Reranker, RerankQuery
from baocao.settings import Settings
from vectorstore.config import RetrievalConfig
from vectorstore.fusion import (
    FusedCandidate,
    apply_boosts,
    fuse,
    leading_documents,
    rank_within_documents,
    rerank_order,
)
from vectorstore.hits import Hit
from vectorstore.legs import Leg, dense_legs, lexical_leg, lexical_query, lexical_terms, local_legs
from vectorstore.query import Query, QueryAnalyser
from vectorstore.rerank import build_reranker
from vectorstore.snapshot import SnapshotCache


@dataclass
class Variant:
    """Which parts of the search run (the ablation switches them off one by one)."""

    lexical: bool = True
    dense: bool = True
    understanding: bool = True  # query understanding: expansions, restored/translated forms, boosts, the in-document pass


class Retriever:
    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        snapshots: SnapshotCache,
        *,
        reranker: Reranker | None = None,
        config: RetrievalConfig | None = None,
        variant: Variant | None = None,
    ) -> None:
        self.variant = variant or Variant()
        if not (self.variant.lexical or self.variant.dense):
            raise ValueError("a retriever needs at least one of the lexical and dense legs")
        self.store = store
        self.embedder = embedder
        self.snapshots = snapshots
        self.analyser = QueryAnalyser(snapshots)
        self.reranker = reranker
        self.config = config or RetrievalConfig()

    def warm(self) -> None:
        """Load or build the corpus snapshot now (after an ingest) instead of at the first search."""
        self.snapshots.current()

    def read(self, question: str) -> Query:
        """The question read against the corpus (or, without query understanding, its language only)."""
        if not self.variant.understanding:
            text = nfc(question).strip()
            return Query(text=text, lang=detect_language(text))
        return self.analyser.analyse(question)

    def search(
        self, query: Query | str, k: int = 10, filters: Filters | None = None, within_documents: bool = True
    ) -> list[Hit]:
        """The top ``k`` live hits; ``within_documents=False`` leaves out the in-document pass
        (``RetrievalConfig.local_weight``): the order the answer models were fitted on."""
        if isinstance(query, str):
            if not nfc(query).strip():
                return []
            query = self.read(query)
        if not query.text:
            return []
        depth = max(k, self.config.rerank_depth) if self.reranker else k
        stage = self.first_stage(query, depth, filters, within_documents)
        ordered = stage.candidates
        if self.reranker is not None and ordered:
            ordered = self._rerank(self.rerank_query(query), ordered, stage.chunks)
        filter_notes = [f"filter: {key}={value}" for key, value in (stage.filters or {}).items()]
        return [
            Hit(chunk=stage.chunks[c.chunk_id], score=c.score, rank=rank, legs=dict(c.legs), why=c.why + filter_notes)
            for rank, c in enumerate(ordered[:k], start=1)
        ]

    def first_stage(
        self, query: Query, depth: int, filters: Filters | None = None, within_documents: bool = True
    ) -> FirstStage:
        """The fused (and boosted) ranking's top ``depth`` live candidates with their chunks, before any reranking."""
        snapshot = self.snapshots.current()
        filters = snapshot.normalize_filters(filters)
        legs: list[Leg] = []
        understand = self.variant.understanding
        read = lexical_query(query, snapshot.lexical, self.config, understand) if self.variant.lexical else None
        if read is not None:
            legs.append(lexical_leg(read, snapshot.lexical, filters, self.config))
        if self.variant.dense:
            legs.extend(dense_legs(query, self.embedder, self.store, build_where(filters), self.config, understand))
        candidates = fuse(legs, snapshot.live, self.config)
        if understand:
            apply_boosts(candidates, query, snapshot, self.config)
        ordered = sorted(candidates.values(), key=lambda c: -c.score)
        if within_documents and understand and read is not None and self.config.local_weight > 0:
            leading = leading_documents(ordered, self.config.local_documents)
            local = local_legs(read, snapshot.lexical, leading, filters, self.config)
            rank_within_documents(candidates, local, snapshot.live, self.config)
            ordered = sorted(candidates.values(), key=lambda c: -c.score)
        chunks = {c.chunk_id: c for c in self.store.get_chunks([c.chunk_id for c in ordered[: depth + 5]])}
        return FirstStage([c for c in ordered if c.chunk_id in chunks][:depth], chunks, filters)

    def rerank_query(self, query: Query) -> RerankQuery:
        """What the second stage reads of the question: text, language, the lexical leg's terms, corpus statistics."""
        terms = lexical_terms(query, self.config, self.variant.understanding)
        return RerankQuery(query.text, query.lang, terms, list(query.numbers), self.snapshots.current().stats)

    def _rerank(self, query: RerankQuery, ordered: list[FusedCandidate], chunks: dict[str, Chunk]) -> list[FusedCandidate]:
        assert self.reranker is not None
        scores = self.reranker.scores(query, [rerank_candidate(c, chunks[c.chunk_id]) for c in ordered])
        reordered: list[FusedCandidate] = []
        for position in rerank_order(scores):
            candidate = ordered[position]
            candidate.legs["rerank"] = len(reordered) + 1
            # The hit keeps its fused score: the scale the answer layer's models were fitted on.
            candidate.why.append(f"rerank: {scores[position]:.3f} (was #{position + 1})")
            reordered.append(candidate)
        return reordered


@dataclass
class FirstStage:
    """The fused ranking before the second stage: candidates best first, their chunks, the filters as applied."""

    candidates: list[FusedCandidate]
    chunks: dict[str, Chunk]
    filters: Filters | None


def rerank_candidate(candidate: FusedCandidate, chunk: Chunk) -> RerankCandidate:
    return RerankCandidate(chunk, candidate.score, dict(candidate.legs), dict(candidate.leg_scores))


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


# --------------------------------------------------------------------------- composition


@dataclass
class SearchStack:
    """The components one search needs, built once per process and shared (retriever, assistant, UI)."""

    settings: Settings
    embedder: Embedder
    store: ChunkStore
    snapshots: SnapshotCache

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, store: ChunkStore | None = None) -> SearchStack:
        from vectorstore.embedders import get_embedder
        from vectorstore.store import open_store

        embedder = embedder or get_embedder(settings)
        store = store or open_store(settings, embedder)
        return cls(settings, embedder, store, SnapshotCache(store, settings))

    def retriever(self, variant: Variant | None = None, config: RetrievalConfig | None = None) -> Retriever:
        reranker = build_reranker(self.settings) if variant is None else None
        return Retriever(self.store, self.embedder, self.snapshots, reranker=reranker, config=config, variant=variant)


def build_retriever(settings: Settings, store: ChunkStore | None = None, embedder: Embedder | None = None) -> Retriever:
    return SearchStack.open(settings, embedder, store).retriever()


ABLATION_VARIANTS: dict[str, Variant] = {
    "lexical": Variant(dense=False, understanding=False),
    "dense": Variant(lexical=False, understanding=False),
    "fused": Variant(understanding=False),
    "fused+qu": Variant(),
}


def ablation_variants(stack: SearchStack) -> dict[str, Retriever]:
    """The variants compared in docs/retrieval.md, sharing one snapshot."""
    return {name: stack.retriever(variant) for name, variant in ABLATION_VARIANTS.items()}


# --------------------------------------------------------------------------- LangChain


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
