"""The chunk store: a Chroma collection of chunks plus a registry of documents.

:class:`ChromaChunkStore` implements :class:`baocao.protocols.ChunkStore`. Chroma is a persistent
local store by default (``data_dir/chroma``) or a server when ``chroma_host`` is set. We always
pass our own embeddings: Chroma's default embedding function downloads a model and is never used.
The store does not embed: it records which embedding space (model and dimension) built the
collection, and refuses to open it for another.

Replacing a document is done as a unit: the new chunks are written under a new
*generation* (the document's content hash), the registry is switched to it, and only then
are the old generation's chunks deleted. Readers only see chunks of the live generation,
and :meth:`ChromaChunkStore.repair` removes leftovers of an interrupted run.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import chromadb
import numpy as np

from baocao.models import Chunk, DocumentMeta, DocumentRecord, ParsedDocument, TargetRecord, chunk_id
from baocao.protocols import ChunkStore, Embedder
from baocao.registry import Registry
from baocao.settings import Settings
from vectorstore.targets import TargetTable

_BATCH = 500  # rows per Chroma call (Chroma caps batch size)
# The registry's rows (metadata and original text) wait in Chroma's log until its vector index
# is persisted, every `sync_threshold` writes (1000 by default), and a new client's first read
# of the registry replays them: 0.78 s at 100 documents, about 6.5 ms a document. Persisting
# the registry's one-dimensional index every 10 writes keeps that read short.
REGISTRY_SYNC_THRESHOLD = 10


class StoreError(RuntimeError):
    pass


class EmbedderMismatchError(StoreError):
    pass


@dataclass(frozen=True)
class EmbeddingSpace:
    """Which model made a collection's vectors: another one's vectors cannot be compared with them."""

    name: str
    dim: int

    @classmethod
    def of(cls, embedder: Embedder) -> EmbeddingSpace:
        return cls(embedder.name, embedder.dim)


def make_client(settings: Settings) -> Any:
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port)
        except Exception as exc:  # connection errors surface as several types
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}: {exc}"
            ) from exc
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path))


class ChromaChunkStore:
    def __init__(self, settings: Settings, space: EmbeddingSpace, client: Any | None = None) -> None:
        self.settings = settings
        self.space = space
        self.name = settings.collection
        self._client = client if client is not None else make_client(settings)
        self._chunks = self._client.get_or_create_collection(
            self.name,
            metadata={"embedder": space.name, "dim": space.dim, "hnsw:space": "cosine"},
            embedding_function=None,
        )
        self._check_embedder()
        # The registry holds one row per document (its metadata and original text); Chroma
        # needs a vector per row, so each gets a constant 1-d one.
        self._docs = self._client.get_or_create_collection(
            f"{self.name}__docs", embedding_function=None,
            configuration={"hnsw": {"batch_size": REGISTRY_SYNC_THRESHOLD, "sync_threshold": REGISTRY_SYNC_THRESHOLD}},
        )
        if (self._docs.configuration_json or {}).get("hnsw", {}).get("sync_threshold") != REGISTRY_SYNC_THRESHOLD:
            # a registry made before: its log is shortened from its next write on
            self._docs.modify(configuration={"hnsw": {"batch_size": REGISTRY_SYNC_THRESHOLD,
                                                      "sync_threshold": REGISTRY_SYNC_THRESHOLD}})
        if not self.revision():  # a new store, or one written before revisions existed
            self._bump_revision()
        self._targets = TargetTable(settings.targets_path, self.name)

    @property
    def location(self) -> str:
        if self.settings.chroma_host:
            return f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.settings.chroma_path)

    def _check_embedder(self) -> None:
        built_with = (self._chunks.metadata or {}).get("embedder")
        built_dim = (self._chunks.metadata or {}).get("dim")
        if built_with and (built_with != self.space.name or built_dim != self.space.dim):
            raise EmbedderMismatchError(
                f"collection '{self.name}' at {self.location} was built with {built_with} (dim {built_dim}), "
                f"but the configured embedder is {self.space.name} (dim {self.space.dim}). "
                f"Re-index with `baocao ingest DIR --reindex`, or use another collection "
                f"(BAOCAO_COLLECTION=...), or configure the embedder that built it."
            )

    # ----- documents -------------------------------------------------------------------
    def revision(self) -> str:
        """A token that changes with every commit, metadata edit or removal. Reading it costs a
        millisecond where reading every document's record costs half a second at 100k chunks,
        so every cache keys on it."""
        collection = self._client.get_collection(f"{self.name}__docs")
        return str((collection.metadata or {}).get("revision", ""))

    def _bump_revision(self) -> None:
        self._docs.modify(metadata={"revision": uuid.uuid4().hex})

    def documents(self) -> list[DocumentRecord]:
        rows = self._docs.get(include=["metadatas"])
        return sorted(
            (self._record(md) for md in rows["metadatas"] or []), key=lambda r: r.meta.source
        )

    def document(self, doc_id: str) -> DocumentRecord | None:
        rows = self._docs.get(ids=[doc_id], include=["metadatas"])
        return self._record(rows["metadatas"][0]) if rows["ids"] else None

    def document_text(self, doc_id: str) -> str:
        rows = self._docs.get(ids=[doc_id], include=["documents"])
        if not rows["ids"]:
            raise StoreError(f"no document {doc_id!r} in collection '{self.name}'")
        return str(rows["documents"][0])

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        rows = self._docs.get(where={"content_hash": content_hash}, include=["metadatas"])
        return self._record(rows["metadatas"][0]) if rows["ids"] else None

    @staticmethod
    def _record(md: dict[str, Any]) -> DocumentRecord:
        return DocumentRecord(
            meta=DocumentMeta.from_dict(md),
            generation=str(md.get("generation", "")),
            chunk_count=int(md.get("chunk_count", 0)),
            encoding=str(md.get("encoding", "")),
            source_format=str(md.get("source_format", "")),
            ingested_at=float(md.get("ingested_at", 0.0)),
        )

    # ----- writing ---------------------------------------------------------------------
    def replace_document(self, parsed: ParsedDocument, vectors: np.ndarray) -> None:
        """Make ``parsed`` the live version of its document (all new chunks, or none)."""
        meta = parsed.meta
        if len(parsed.chunks) != len(vectors):
            raise StoreError(f"{meta.source}: {len(parsed.chunks)} chunks but {len(vectors)} vectors")
        generation = meta.content_hash[:12]
        try:
            self._write_generation(parsed, vectors, generation)
            self._write_targets(parsed, generation)
        except Exception:
            self._delete_chunks({"$and": [{"doc_id": meta.doc_id}, {"generation": generation}]})
            self._targets.delete(meta.doc_id, generation)
            raise
        record: dict[str, Any] = {
            **meta.to_dict(),
            "generation": generation,
            "chunk_count": len(parsed.chunks),
            "encoding": parsed.encoding,
            "source_format": parsed.source_format,
            "ingested_at": time.time(),
        }
        # Switching the registry row is the commit point: from here readers see the new chunks.
        self._docs.upsert(ids=[meta.doc_id], embeddings=[[1.0]], documents=[parsed.original_text], metadatas=[record])
        self._bump_revision()
        self._delete_chunks({"$and": [{"doc_id": meta.doc_id}, {"generation": {"$ne": generation}}]})
        self._targets.keep_only(meta.doc_id, generation)

    def _write_targets(self, parsed: ParsedDocument, generation: str) -> None:
        """The document's target records, as the new generation (invisible until the registry switches)."""
        by_position = {c.position: c.chunk_id for c in parsed.chunks}
        for record in parsed.targets:
            record.chunk_id = by_position.get(record.chunk_position, "")
        self._targets.write(parsed.meta.doc_id, generation, parsed.targets)

    def target_records(self) -> list[TargetRecord]:
        """Every live document's target records (chỉ tiêu), with current document metadata."""
        records = self._targets.records(self.live_generations())
        metas = {r.meta.doc_id: r.meta for r in self.documents()}
        for record in records:
            meta = metas.get(record.doc_id)
            if meta is not None:  # a metadata edit (locality, period) applies to the records too
                record.locality, record.level, record.doc_label = meta.locality, meta.locality_level, meta.label
        return records

    def _write_generation(self, parsed: ParsedDocument, vectors: np.ndarray, generation: str) -> None:
        """Write the chunks of a new version; invisible to readers until the registry switches."""
        meta = parsed.meta
        # Ids carry the generation so the new version never overwrites the live one in place.
        for chunk in parsed.chunks:
            chunk.chunk_id = chunk_id(meta.doc_id, generation, chunk.position)
            chunk.generation = generation
        for start in range(0, len(parsed.chunks), _BATCH):
            batch = parsed.chunks[start : start + _BATCH]
            metadatas = [chunk.to_metadata() for chunk in batch]
            self._chunks.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[start : start + _BATCH].tolist(),
                documents=[c.text for c in batch],
                metadatas=metadatas,
            )

    def update_metadata(self, doc_id: str, changes: dict[str, Any]) -> DocumentMeta:
        """Change a document's metadata on its registry row and on every chunk."""
        record = self.document(doc_id)
        if record is None:
            raise StoreError(f"no document {doc_id!r}")
        merged = DocumentMeta.from_dict({**record.meta.to_dict(), **changes, "doc_id": doc_id})
        rows = self._docs.get(ids=[doc_id], include=["metadatas"])
        self._docs.update(ids=[doc_id], metadatas=[{**rows["metadatas"][0], **merged.to_dict()}])
        chunk_rows = self._chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
        new_mds = []
        for md in chunk_rows["metadatas"]:
            updated = {**md, **{k: v for k, v in merged.to_dict().items() if k != "doc_id"}}
            new_mds.append(updated)
        for start in range(0, len(chunk_rows["ids"]), _BATCH):
            self._chunks.update(ids=chunk_rows["ids"][start : start + _BATCH], metadatas=new_mds[start : start + _BATCH])
        self._bump_revision()
        return merged

    def delete_document(self, doc_id: str) -> None:
        self._delete_chunks({"doc_id": doc_id})
        self._docs.delete(ids=[doc_id])
        self._bump_revision()
        self._targets.delete(doc_id)

    def _delete_chunks(self, where: dict[str, Any]) -> None:
        ids = self._chunks.get(where=where, include=[])["ids"]
        for start in range(0, len(ids), _BATCH):
            self._chunks.delete(ids=ids[start : start + _BATCH])

    def repair(self) -> int:
        """Delete chunks that are not of their document's live generation; return how many."""
        live = {r.meta.doc_id: r.generation for r in self.documents()}
        stale: list[str] = []
        for cid, md in self._iter_chunk_metadata():
            if live.get(str(md.get("doc_id"))) != md.get("generation"):
                stale.append(cid)
        for start in range(0, len(stale), _BATCH):
            self._chunks.delete(ids=stale[start : start + _BATCH])
        self._targets.repair(live)
        return len(stale)

    # ----- reading ---------------------------------------------------------------------
    def _iter_chunk_metadata(self) -> Iterator[tuple[str, dict[str, Any]]]:
        total = self._chunks.count()
        for offset in range(0, total, _BATCH):
            rows = self._chunks.get(include=["metadatas"], limit=_BATCH, offset=offset)
            yield from zip(rows["ids"], rows["metadatas"])

    def count_chunks(self) -> int:
        return int(self._chunks.count())

    def all_chunks(self) -> list[Chunk]:
        """Every live chunk, in document order (used to build the lexical index)."""
        live = {r.meta.doc_id: r.generation for r in self.documents()}
        chunks: list[Chunk] = []
        total = self._chunks.count()
        for offset in range(0, total, _BATCH):
            rows = self._chunks.get(include=["metadatas", "documents"], limit=_BATCH, offset=offset)
            for cid, text, md in zip(rows["ids"], rows["documents"], rows["metadatas"]):
                if live.get(str(md.get("doc_id"))) == md.get("generation"):
                    chunks.append(Chunk.from_metadata(cid, text, md))
        chunks.sort(key=lambda c: (c.doc_id, c.position))
        return chunks

    def following(self, chunk: Chunk, count: int = 1) -> list[Chunk]:
        """The chunks right after ``chunk`` in its document version, in order (neighbours of a passage)."""
        positions = list(range(chunk.position + 1, chunk.position + 1 + count))
        generation = chunk.generation
        if not generation:
            record = self.document(chunk.doc_id)
            generation = record.generation if record else ""
        where = {"$and": [{"doc_id": chunk.doc_id}, {"generation": generation}, {"position": {"$in": positions}}]}
        rows = self._chunks.get(where=where, include=["metadatas", "documents"])
        found = [Chunk.from_metadata(cid, text, md) for cid, text, md in zip(rows["ids"], rows["documents"], rows["metadatas"])]
        return sorted(found, key=lambda c: c.position)

    def closing_chunks(self, doc_id: str) -> list[Chunk]:
        """The closing block of a document's live version ("Nơi nhận:", the signature), in order."""
        record = self.document(doc_id)
        if record is None:
            return []
        where = {"$and": [{"doc_id": doc_id}, {"generation": record.generation}, {"kind": "closing"}]}
        rows = self._chunks.get(where=where, include=["metadatas", "documents"])
        found = [Chunk.from_metadata(cid, text, md) for cid, text, md in zip(rows["ids"], rows["documents"], rows["metadatas"])]
        return sorted(found, key=lambda c: c.position)

    def get_chunks(self, chunk_ids: list[str]) -> list[Chunk]:
        if not chunk_ids:
            return []
        rows = self._chunks.get(ids=chunk_ids, include=["metadatas", "documents"])
        by_id = {
            cid: Chunk.from_metadata(cid, text, md)
            for cid, text, md in zip(rows["ids"], rows["documents"], rows["metadatas"])
        }
        return [by_id[c] for c in chunk_ids if c in by_id]

    def dense_search(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the k nearest chunks."""
        total = self._chunks.count()
        if total == 0:
            return []
        result = self._chunks.query(
            query_embeddings=[vector.tolist()], n_results=min(k, total), where=where or None, include=["distances"]
        )
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0])]

    def chunk_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        rows = self._chunks.get(ids=chunk_ids, include=["embeddings"])
        return {cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(rows["ids"], rows["embeddings"])}

    def live_generations(self) -> dict[str, str]:
        return {r.meta.doc_id: r.generation for r in self.documents()}


stores: Registry[ChunkStore] = Registry("store")


@stores.register("chroma")
def _chroma(settings: Settings, space: EmbeddingSpace) -> ChunkStore:
    return ChromaChunkStore(settings, space)


def open_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    """The configured store (Chroma, local or server) for vectors of ``embedder``'s space; with the
    tantivy lexical index, its writes update the index too."""
    store = stores.create(settings.store, settings, EmbeddingSpace.of(embedder))
    if settings.lexical_index == "tantivy":
        from vectorstore.indexed_store import IndexedStore
        from vectorstore.lexical_sync import open_disk

        return IndexedStore(store, open_disk(settings))
    return store


def drop_collection(settings: Settings, client: Any | None = None) -> None:
    """Delete a collection and its registry, whatever embedder built it (``--reindex``)."""
    client = client if client is not None else make_client(settings)
    TargetTable(settings.targets_path, settings.collection).drop()
    for name in (settings.collection, f"{settings.collection}__docs"):
        try:
            client.delete_collection(name)
        except Exception:  # absent already
            pass
