"""A chunk store whose writes carry the on-disk lexical index with them.

:class:`IndexedStore` wraps any :class:`baocao.protocols.ChunkStore`: each write commits to the
store first (its registry switch is the commit point), then replaces the document's entries in
the lexical index in one commit of its own. Readers build a snapshot only from an index that
agrees with the store's live generations (:func:`vectorstore.lexical_sync.repair` mends the
gap a crash between the two commits leaves), so a document's chunks appear and disappear in
both or in neither.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from baocao.models import Chunk, DocumentMeta, DocumentRecord, ParsedDocument, TargetRecord
from baocao.protocols import ChunkStore
from vectorstore.lexical_sync import analyse_live, repair
from vectorstore.tantivy_lexical import AnalysedDocument, LexicalDisk


class IndexedStore:
    def __init__(self, inner: ChunkStore, disk: LexicalDisk) -> None:
        self.inner = inner
        self.disk = disk
        self.name = inner.name

    @property
    def location(self) -> str:
        return self.inner.location

    # ----- writes: the store, then the index ---------------------------------------------
    def replace_document(self, parsed: ParsedDocument, vectors: np.ndarray) -> None:
        self.inner.replace_document(parsed, vectors)  # sets the chunks' ids and generation
        meta = parsed.meta
        generation = parsed.chunks[0].generation if parsed.chunks else ""
        self.disk.write([AnalysedDocument.of(meta.doc_id, generation, parsed.chunks)])

    def update_metadata(self, doc_id: str, changes: dict[str, Any]) -> DocumentMeta:
        merged = self.inner.update_metadata(doc_id, changes)
        record = self.inner.document(doc_id)
        if record is not None:  # the short title is indexed with each chunk
            self.disk.write([analyse_live(self.inner, record)])
        return merged

    def delete_document(self, doc_id: str) -> None:
        self.inner.delete_document(doc_id)
        self.disk.write([], [doc_id])

    def repair(self) -> int:
        """Mend the store, then the index; returns the store's count of stale chunks removed."""
        removed = self.inner.repair()
        repair(self.disk, self.inner)
        return removed

    # ----- reads: the store's -------------------------------------------------------------
    def revision(self) -> str:
        return self.inner.revision()

    def documents(self) -> list[DocumentRecord]:
        return self.inner.documents()

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.inner.document(doc_id)

    def document_text(self, doc_id: str) -> str:
        return self.inner.document_text(doc_id)

    def target_records(self) -> list[TargetRecord]:
        return self.inner.target_records()

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        return self.inner.find_by_hash(content_hash)

    def count_chunks(self) -> int:
        return self.inner.count_chunks()

    def all_chunks(self) -> list[Chunk]:
        return self.inner.all_chunks()

    def get_chunks(self, chunk_ids: list[str]) -> list[Chunk]:
        return self.inner.get_chunks(chunk_ids)

    def following(self, chunk: Chunk, count: int = 1) -> list[Chunk]:
        return self.inner.following(chunk, count)

    def closing_chunks(self, doc_id: str) -> list[Chunk]:
        return self.inner.closing_chunks(doc_id)

    def dense_search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        return self.inner.dense_search(vector, k, where)

    def chunk_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        return self.inner.chunk_vectors(chunk_ids)
