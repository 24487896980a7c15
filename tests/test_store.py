from pathlib import Path

import numpy as np
import pytest

from baocao.models import Chunk, DocumentMeta, ParsedDocument
from baocao.protocols import ChunkStore
from baocao.settings import Settings
from tests.servers import chroma_server
from vectorstore.store import ChromaChunkStore, EmbedderMismatchError, EmbeddingSpace, drop_collection


class FakeEmbedder:
    """A deterministic 8-d embedder: the store must work with any Embedder."""

    def __init__(self, name: str = "fake:8", dim: int = 8) -> None:
        self.name, self.dim, self.max_tokens = name, dim, 512

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        rng = np.random.default_rng(sum(map(ord, text)))
        v = rng.normal(size=self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def make_doc(doc_id: str, texts: list[str], content_hash: str) -> ParsedDocument:
    meta = DocumentMeta(doc_id=doc_id, source=f"{doc_id}.txt", content_hash=content_hash, locality="Hương Trà", period_year=2023)
    original = "\n\n".join(texts)
    chunks, offset = [], 0
    for i, text in enumerate(texts):
        chunks.append(Chunk(chunk_id=f"{doc_id}:{i:04d}", doc_id=doc_id, position=i, kind="text", text=text,
                            search_text=text, embed_text=text, section_path=["I. Kết quả"], spans=[(offset, offset + len(text))], meta=meta))
        offset += len(text) + 2
    return ParsedDocument(meta=meta, original_text=original, chunks=chunks)


EMBEDDER = FakeEmbedder()


def open_store(settings: Settings, embedder: FakeEmbedder = EMBEDDER) -> ChunkStore:
    return ChromaChunkStore(settings, EmbeddingSpace.of(embedder))


def vectors_for(store: ChunkStore, doc: ParsedDocument) -> np.ndarray:
    return EMBEDDER.embed_passages([c.embed_text for c in doc.chunks])


def exercise_store(store: ChunkStore) -> None:
    revisions = [store.revision()]
    v1 = make_doc("a", ["một", "hai", "ba"], "h1" * 10)
    store.replace_document(v1, vectors_for(store, v1))
    revisions.append(store.revision())
    assert [c.text for c in store.all_chunks()] == ["một", "hai", "ba"]
    record = store.document("a")
    assert record is not None and record.chunk_count == 3 and record.meta.locality == "Hương Trà"
    assert store.document_text("a") == "một\n\nhai\n\nba"

    v2 = make_doc("a", ["bốn", "năm"], "h2" * 10)
    store.replace_document(v2, vectors_for(store, v2))
    revisions.append(store.revision())
    chunks = store.all_chunks()
    assert [c.text for c in chunks] == ["bốn", "năm"]  # exactly the new chunks, nothing of v1
    assert store.count_chunks() == 2
    assert chunks[0].section_path == ["I. Kết quả"] and chunks[0].spans == [(0, 3)]

    hits = store.dense_search(EMBEDDER.embed_query("năm"), k=1)
    assert hits[0][0] == chunks[1].chunk_id and hits[0][1] > 0.99
    filtered = store.dense_search(EMBEDDER.embed_query("năm"), k=5, where={"period_year": 2022})
    assert filtered == []

    store.update_metadata("a", {"locality": "Hải Dương"})
    assert {c.meta.locality for c in store.all_chunks()} == {"Hải Dương"}
    revisions.append(store.revision())
    assert store.revision() == revisions[-1]  # reading changes nothing

    store.delete_document("a")
    assert store.all_chunks() == [] and store.documents() == []
    revisions.append(store.revision())
    # every commit, metadata edit and removal gives readers a new revision to notice
    assert revisions[0] and len(set(revisions)) == len(revisions)


def test_local_store_replaces_documents_as_a_unit(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path))
    exercise_store(store)


def test_failed_write_leaves_the_live_version(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path))
    v1 = make_doc("a", ["một", "hai"], "h1" * 10)
    store.replace_document(v1, vectors_for(store, v1))
    v2 = make_doc("a", ["ba", "bốn", "năm"], "h2" * 10)
    bad_vectors = np.zeros((3, 5), np.float32)  # wrong dimension: Chroma rejects the write
    with pytest.raises(Exception):
        store.replace_document(v2, bad_vectors)
    assert [c.text for c in store.all_chunks()] == ["một", "hai"]
    assert store.count_chunks() == 2


def test_repair_removes_chunks_of_an_interrupted_run(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path))
    v1 = make_doc("a", ["một"], "h1" * 10)
    store.replace_document(v1, vectors_for(store, v1))
    v2 = make_doc("a", ["hai", "ba"], "h2" * 10)
    assert isinstance(store, ChromaChunkStore)
    store._write_generation(v2, vectors_for(store, v2), "h2h2h2h2h2h2")  # crash before the registry switch
    assert store.count_chunks() == 3
    assert [c.text for c in store.all_chunks()] == ["một"]  # readers see only the live version
    assert store.repair() == 2
    assert store.count_chunks() == 1


def test_other_embedder_gets_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store = open_store(settings)
    v1 = make_doc("a", ["một"], "h1" * 10)
    store.replace_document(v1, vectors_for(store, v1))
    with pytest.raises(EmbedderMismatchError, match="--reindex"):
        open_store(settings, FakeEmbedder("other:16", 16))
    drop_collection(settings)
    assert open_store(settings, FakeEmbedder("other:16", 16)).count_chunks() == 0


@pytest.mark.slow
def test_store_on_a_real_chroma_server(tmp_path: Path) -> None:
    with chroma_server(tmp_path) as port:
        settings = Settings(data_dir=tmp_path / "unused", chroma_host="127.0.0.1", chroma_port=port)
        store = open_store(settings)
        assert "chroma server" in store.location
        exercise_store(store)
        assert not (tmp_path / "unused" / "chroma").exists()


def test_neighbours_are_found_by_position_in_the_live_version(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path))
    v1 = make_doc("a", ["một", "hai", "ba", "bốn"], "h1" * 10)
    store.replace_document(v1, vectors_for(store, v1))
    first = store.all_chunks()[0]
    assert [c.text for c in store.following(first, 2)] == ["hai", "ba"]
    assert [c.text for c in store.following(store.all_chunks()[-1], 3)] == []
    v2 = make_doc("a", ["năm", "sáu"], "h2" * 10)
    store.replace_document(v2, vectors_for(store, v2))
    assert [c.text for c in store.following(store.all_chunks()[0], 4)] == ["sáu"]  # never the old version's


def test_the_closing_block_is_found_in_the_live_version(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path))
    v1 = make_doc("a", ["một", "hai", "Nơi nhận:\n- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"], "h1" * 10)
    v1.chunks[2].kind = v1.chunks[3].kind = "closing"
    store.replace_document(v1, vectors_for(store, v1))
    other = make_doc("b", ["ba", "Nơi nhận: UBND tỉnh"], "h3" * 10)
    other.chunks[1].kind = "closing"
    store.replace_document(other, vectors_for(store, other))
    assert [c.text for c in store.closing_chunks("a")] == ["Nơi nhận:\n- Lưu: VT.", "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"]
    v2 = make_doc("a", ["năm", "CHỦ TỊCH\nTrần Văn A"], "h2" * 10)
    v2.chunks[1].kind = "closing"
    store.replace_document(v2, vectors_for(store, v2))
    assert [c.text for c in store.closing_chunks("a")] == ["CHỦ TỊCH\nTrần Văn A"]  # never the old version's
    assert store.closing_chunks("missing") == []
