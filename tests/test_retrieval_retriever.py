"""The Retriever over a real (local Chroma) store with a small deterministic embedder.

The embedder hashes accent-folded syllables into 64 dimensions, so the dense leg has a real,
if crude, notion of similarity and the tests stay fast and offline.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document

from baocao.lang.tokens import folded_words
from baocao.models import Chunk, DocumentMeta, ParsedDocument
from baocao.protocols import ChunkStore
from baocao.settings import Settings
from vectorstore.config import RetrievalConfig
from vectorstore.fusion import FusedCandidate, doc_id_of, fuse, is_live
from vectorstore.legs import Leg, LegHit
from vectorstore.rerank import CrossEncoderReranker, build_reranker
from vectorstore.retriever import (
    ReportsRetriever,
    Retriever,
    SearchStack,
    Variant,
    ablation_variants,
    build_where,
)
from vectorstore.snapshot import SnapshotCache, check_agreement, load_snapshot, snapshot_path
from vectorstore.store import ChromaChunkStore, EmbeddingSpace


class HashingEmbedder:
    name, dim, max_tokens = "hashing:64", 64, 512

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for token in folded_words(text):
            vector[int(hashlib.md5(token.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector + 1.0 / np.sqrt(self.dim)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


DOCS = {
    "ht.txt": (
        dict(locality="Hương Trà", locality_level="thị xã", period_year=2023, doc_type="Báo cáo"),
        [
            "Tổng thu ngân sách nhà nước trên địa bàn thị xã ước đạt 527,191 tỷ đồng.",
            "Giải ngân vốn đầu tư công đạt 80% kế hoạch năm.",
            "Tai nạn giao thông: xảy ra 22 vụ, làm chết 03 người.",
        ],
    ),
    "tv.txt": (
        dict(locality="Trà Vinh", locality_level="thành phố", period_year=2023, period_month=2, doc_type="Báo cáo"),
        [
            "Giải ngân vốn đầu tư công được 15 tỷ 298 triệu đồng, đạt 6,39% so với kế hoạch.",
            "Tiêm phòng vaccine cúm gia cầm được 30.000 con gia cầm.",
        ],
    ),
    "hd.txt": (
        dict(locality="Hải Dương", locality_level="thành phố", period_year=2023, doc_type="Báo cáo"),
        [
            "Hoàn thành nhiệm vụ đột phá là tiếp tục giải phóng mặt bằng đúng tiến độ.",
            "Tỷ lệ hộ nghèo giảm còn 0,97%.",
        ],
    ),
}


def parsed(doc_id: str, texts: list[str], fields: dict, version: str = "1") -> ParsedDocument:
    meta = DocumentMeta(
        doc_id=doc_id, source=doc_id, content_hash=hashlib.sha256(f"{doc_id}{version}{texts}".encode()).hexdigest(),
        short_title=f"Báo cáo – {fields['locality_level']} {fields['locality']}", **fields,
    )
    chunks = [
        Chunk(chunk_id="", doc_id=doc_id, position=i, kind="text", text=t, search_text=t, embed_text=t,
              section_path=["I. Kết quả"], meta=meta)
        for i, t in enumerate(texts)
    ]
    return ParsedDocument(meta=meta, original_text="\n\n".join(texts), chunks=chunks)


EMBEDDER = HashingEmbedder()


def add(store: ChunkStore, doc: ParsedDocument) -> None:
    store.replace_document(doc, EMBEDDER.embed_passages([c.embed_text for c in doc.chunks]))


def open_stack(settings: Settings) -> SearchStack:
    return SearchStack.open(settings, EMBEDDER, ChromaChunkStore(settings, EmbeddingSpace.of(EMBEDDER)))


@pytest.fixture()
def stack(tmp_path: Path) -> SearchStack:
    stack = open_stack(Settings(data_dir=tmp_path / "data"))
    for doc_id, (fields, texts) in DOCS.items():
        add(stack.store, parsed(doc_id, texts, fields))
    return stack


@pytest.fixture()
def store(stack: SearchStack) -> ChunkStore:
    return stack.store


@pytest.fixture()
def bm25_stack(tmp_path: Path) -> SearchStack:
    """The earlier in-memory BM25 index (``lexical_index="bm25"``): one pickle per revision."""
    stack = open_stack(Settings(data_dir=tmp_path / "data", lexical_index="bm25"))
    for doc_id, (fields, texts) in DOCS.items():
        add(stack.store, parsed(doc_id, texts, fields))
    return stack


def make_retriever(stack: SearchStack, **kwargs) -> Retriever:
    return Retriever(stack.store, stack.embedder, stack.snapshots, **kwargs)


def test_search_returns_ranked_hits_with_legs_and_reasons(stack: SearchStack, store: ChunkStore) -> None:
    hits = make_retriever(stack).search("tỷ lệ giải ngân vốn đầu tư công Trà Vinh", k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].chunk.doc_id == "tv.txt" and "6,39%" in hits[0].chunk.text
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert set(hits[0].legs) >= {"lexical", "dense"}
    assert any(w.startswith("lexical #") and "matched 'giải ngân vốn đầu tư công'" in w for w in hits[0].why)
    assert "boost: locality Trà Vinh" in hits[0].why
    assert hits[0].chunk.meta is not None and hits[0].chunk.meta.locality == "Trà Vinh"
    assert make_retriever(stack).search("   ") == []


def test_hard_filters_hide_other_documents(stack: SearchStack, store: ChunkStore) -> None:
    retriever = make_retriever(stack)
    query = "giải ngân vốn đầu tư công"
    only_ht = retriever.search(query, k=10, filters={"locality": "huong tra"})  # spelled loosely
    assert only_ht and {h.chunk.doc_id for h in only_ht} == {"ht.txt"}
    assert "filter: locality=Hương Trà" in only_ht[0].why
    two = retriever.search(query, k=10, filters={"locality": ["Hương Trà", "Hải Dương"], "period_year": "2023"})
    assert {h.chunk.doc_id for h in two} == {"ht.txt", "hd.txt"}
    assert retriever.search(query, k=10, filters={"doc_id": "tv.txt", "period_month": 2})[0].chunk.doc_id == "tv.txt"
    assert retriever.search(query, k=10, filters={"period_year": 1999}) == []
    # each leg alone obeys the filter too
    for variant in (make_retriever(stack, variant=Variant(dense=False)), make_retriever(stack, variant=Variant(lexical=False))):
        assert {h.chunk.doc_id for h in variant.search(query, k=10, filters={"locality": "Trà Vinh"})} == {"tv.txt"}


def test_soft_boosts_do_not_hide_other_documents(stack: SearchStack, store: ChunkStore) -> None:
    hits = make_retriever(stack).search("giải ngân vốn đầu tư công của Hương Trà", k=10)
    assert hits[0].chunk.doc_id == "ht.txt" and "boost: locality Hương Trà" in hits[0].why
    assert "tv.txt" in {h.chunk.doc_id for h in hits}  # the other city's disbursement is still there
    # a wrong guess (the question names Hải Dương) still finds the only chunk about vaccines
    wrong = make_retriever(stack).search("tiêm phòng vaccine cúm gia cầm Hải Dương", k=3)
    assert "vaccine" in wrong[0].chunk.text


def test_fusion_keeps_hits_found_by_only_one_leg() -> None:
    config = RetrievalConfig()
    legs = [
        Leg("lexical", 1.5, [LegHit("x:g:0001", 9.0, ["giải ngân"]), LegHit("x:g:0002", 3.0)]),
        Leg("dense", 1.0, [LegHit("x:g:0003", 0.9), LegHit("x:g:0001", 0.5)]),
    ]
    fused = fuse(legs, {"x": "g"}, config)
    assert set(fused) == {"x:g:0001", "x:g:0002", "x:g:0003"}
    assert fused["x:g:0001"].legs == {"lexical": 1, "dense": 2}
    assert fused["x:g:0002"].legs == {"lexical": 2} and fused["x:g:0003"].legs == {"dense": 1}
    assert isinstance(fused["x:g:0001"], FusedCandidate) and fused["x:g:0001"].score == max(c.score for c in fused.values())
    # a stale generation never comes back
    assert fuse(legs, {"x": "other"}, config) == {}
    # reciprocal-rank fusion keeps them too
    assert set(fuse(legs, {"x": "g"}, RetrievalConfig(fusion="rrf"))) == {"x:g:0001", "x:g:0002", "x:g:0003"}


def test_chunk_ids_and_where_clauses() -> None:
    assert doc_id_of("reports/a:b:c.txt:0123abcd:0004") == "reports/a:b:c.txt"
    assert is_live("a.txt:0123abcd:0004", {"a.txt": "0123abcd99ff"})
    assert not is_live("a.txt:0123abcd:0004", {"a.txt": "ffffffff0000"})
    assert not is_live("gone.txt:0123abcd:0004", {})
    assert build_where(None) is None
    assert build_where({"locality": "Trà Vinh"}) == {"locality": "Trà Vinh"}
    assert build_where({"locality": ["A", "B"], "period_year": 2023}) == {
        "$and": [{"locality": {"$in": ["A", "B"]}}, {"period_year": 2023}]
    }


def test_lexical_index_follows_the_store_and_check_agreement_finds_mismatches(bm25_stack: SearchStack) -> None:
    stack, store = bm25_stack, bm25_stack.store
    retriever = make_retriever(stack)
    assert retriever.search("hộ nghèo", k=1)[0].chunk.doc_id == "hd.txt"
    path = snapshot_path(stack.settings)
    assert path == stack.settings.data_dir / "lexical" / "reports.pkl" and path.exists()
    assert check_agreement(store, stack.settings).ok

    # the document changes behind the persisted index's back
    fields, _ = DOCS["hd.txt"]
    add(store, parsed("hd.txt", ["Tỷ lệ hộ nghèo giảm còn 0,5%.", "Giao đủ 214 chỉ tiêu quân."], fields, version="2"))
    stale = check_agreement(store, stack.settings)
    assert not stale.ok and not stale.revision_matches
    assert len(stale.missing) == 2 and len(stale.extra) == 2 and "disagrees" in stale.text()

    # the next search rebuilds the index: the new text is found, the old chunks are gone
    hits = retriever.search("hộ nghèo giảm", k=10)
    assert "0,5%" in hits[0].chunk.text
    assert all("0,97%" not in h.chunk.text for h in hits)
    assert retriever.search("giao đủ 214 chỉ tiêu quân", k=1)[0].chunk.text.startswith("Giao đủ 214")
    assert check_agreement(store, stack.settings).ok

    store.delete_document("tv.txt")
    assert all(h.chunk.doc_id != "tv.txt" for h in retriever.search("vaccine cúm gia cầm", k=10))
    snapshot = load_snapshot(path)
    assert snapshot is not None and not any(cid.startswith("tv.txt") for cid in snapshot.lexical.chunk_ids)


def test_persisted_index_is_reused_when_the_store_has_not_changed(bm25_stack: SearchStack, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = bm25_stack
    make_retriever(stack).search("hộ nghèo", k=1)
    from vectorstore import lexical

    def fail(*args, **kwargs):
        raise AssertionError("the index should have been loaded, not rebuilt")

    monkeypatch.setattr(lexical.BM25Index, "build", classmethod(fail))
    fresh = SearchStack(stack.settings, stack.embedder, stack.store, SnapshotCache(stack.store, stack.settings))
    assert make_retriever(fresh).search("hộ nghèo", k=1)[0].chunk.doc_id == "hd.txt"


@pytest.mark.parametrize("lexical_index", ["tantivy", "bm25"])
def test_snapshot_cache_reads_the_records_only_when_the_revision_changes(
    tmp_path: Path, lexical_index: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = open_stack(Settings(data_dir=tmp_path / "data", lexical_index=lexical_index))
    store = stack.store
    for doc_id, (doc_fields, texts) in DOCS.items():
        add(store, parsed(doc_id, texts, doc_fields))
    cache = SnapshotCache(store, stack.settings)
    first = cache.current()
    reads: list[int] = []
    documents = store.documents
    monkeypatch.setattr(store, "documents", lambda: reads.append(1) or documents())
    assert cache.current() is first and cache.current() is first
    assert reads == []  # the revision did not change: the index is current without reading every record

    # another writer (as another process would) commits a new version of a document
    other = ChromaChunkStore(stack.settings, EmbeddingSpace.of(EMBEDDER))
    fields, _ = DOCS["hd.txt"]
    add(other, parsed("hd.txt", ["Tỷ lệ hộ nghèo giảm còn 0,5%."], fields, version="2"))
    updated = cache.current()
    assert reads and updated is not first
    new_ids = {c.chunk_id for c in other.all_chunks() if c.doc_id == "hd.txt"}
    assert len(new_ids) == 1 and {cid for cid in updated.lexical.chunk_ids if cid.startswith("hd.txt")} == new_ids


@pytest.mark.parametrize("lexical_index", ["tantivy", "bm25"])
def test_agreement_without_an_index_on_disk(tmp_path: Path, lexical_index: str) -> None:
    stack = open_stack(Settings(data_dir=tmp_path / "data", lexical_index=lexical_index))
    for doc_id, (fields, texts) in DOCS.items():
        add(stack.store, parsed(doc_id, texts, fields))
    agreement = check_agreement(stack.store, stack.settings)
    assert not agreement.index_found and len(agreement.missing) == 7 and "no lexical index" in agreement.text()


class KeywordScorer:
    """Stands in for a CrossEncoder: scores a pair by how many query words the passage holds."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def predict(self, sentences: list[tuple[str, str]], **kwargs: object) -> list[float]:
        self.calls.append(sentences)
        return [float(sum(w in passage.lower() for w in query.lower().split())) for query, passage in sentences]


def test_reranker_reorders_the_top_candidates(stack: SearchStack, store: ChunkStore) -> None:
    scorer = KeywordScorer()
    retriever = make_retriever(stack, reranker=CrossEncoderReranker(scorer, name="keywords"))
    hits = retriever.search("vaccine cúm gia cầm", k=2)
    assert "vaccine" in hits[0].chunk.text
    assert hits[0].legs["rerank"] == 1 and any(w.startswith("rerank:") for w in hits[0].why)
    assert len(scorer.calls) == 1 and len(scorer.calls[0]) == 7  # every candidate was read
    assert scorer.calls[0][0][1].startswith("Báo cáo – ")  # the passage carries its document title
    assert build_reranker(Settings(reranker_model="")) is None


def test_langchain_adapter_returns_documents(stack: SearchStack, store: ChunkStore) -> None:
    adapter = ReportsRetriever(retriever=make_retriever(stack), k=2, filters={"locality": "Trà Vinh"})
    documents = adapter.invoke("giải ngân vốn đầu tư công")
    assert len(documents) == 2 and all(isinstance(d, Document) for d in documents)
    first = documents[0]
    assert "6,39%" in first.page_content
    assert first.metadata["source"] == "tv.txt" and first.metadata["chunk_id"].startswith("tv.txt:")
    assert first.metadata["section"] == "I. Kết quả" and first.metadata["rank"] == 1
    assert first.metadata["score"] > 0 and first.metadata["locality"] == "Trà Vinh"


def test_ablation_variants_use_the_legs_they_name(stack: SearchStack, store: ChunkStore) -> None:
    variants = ablation_variants(stack)
    assert list(variants) == ["lexical", "dense", "fused", "fused+qu"]
    query = "giải ngân vốn đầu tư công"
    assert all(set(h.legs) == {"lexical"} for h in variants["lexical"].search(query, k=3))
    assert all(set(h.legs) == {"dense"} for h in variants["dense"].search(query, k=3))
    assert variants["fused+qu"].read("GPMB ở Hải Dương").locality_names == ["Hải Dương"]
    with pytest.raises(ValueError):
        make_retriever(stack, variant=Variant(lexical=False, dense=False))


def test_an_empty_store_returns_nothing(tmp_path: Path) -> None:
    empty = open_stack(Settings(data_dir=tmp_path / "empty"))
    retriever = make_retriever(empty)
    assert retriever.search("giải ngân vốn đầu tư công", k=5) == []
    assert retriever.search("giải ngân", k=5, filters={"locality": "Trà Vinh"}) == []
    assert retriever.read("Hương Trà 2023").locality_names == []
    assert check_agreement(empty.store, empty.settings).ok


def test_metadata_edits_reach_the_lexical_filters_and_boosts(stack: SearchStack, store: ChunkStore) -> None:
    retriever = make_retriever(stack)
    retriever.warm()
    store.update_metadata("hd.txt", {"locality": "Chí Linh"})
    hits = retriever.search("tỷ lệ hộ nghèo", k=10, filters={"locality": "Chí Linh"})
    assert hits and {h.chunk.doc_id for h in hits} == {"hd.txt"}
    assert all("Chí Linh" == h.chunk.meta.locality for h in hits if h.chunk.meta)
    assert retriever.read("hộ nghèo ở Chí Linh").locality_names == ["Chí Linh"]
    lexical_only = make_retriever(stack, variant=Variant(dense=False))
    assert {h.chunk.doc_id for h in lexical_only.search("hộ nghèo", k=10, filters={"locality": "Chí Linh"})} == {"hd.txt"}


def test_the_learned_passage_model_reorders_through_the_reranker_seam(stack: SearchStack, store: ChunkStore) -> None:
    from vectorstore.passage_ranker import PASSAGE_FEATURES, LinearPassageModel, PassageModelReranker

    n = len(PASSAGE_FEATURES)
    # a model that prefers the candidates the first stage ranked lowest: the order must turn round
    coef = [-1.0 if name == "fused_rank_inv" else 0.0 for name in PASSAGE_FEATURES]
    reranker = PassageModelReranker(LinearPassageModel(list(PASSAGE_FEATURES), [0.0] * n, [1.0] * n, coef))
    fused = make_retriever(stack).search("giải ngân vốn đầu tư công", k=7)
    reranked = make_retriever(stack, reranker=reranker).search("giải ngân vốn đầu tư công", k=7)
    assert len(fused) == len(reranked) == 7
    assert [h.chunk.chunk_id for h in reranked] == [h.chunk.chunk_id for h in reversed(fused)]
    assert reranked[0].legs["rerank"] == 1 and any(w.startswith("rerank:") and "(was #7)" in w for w in reranked[0].why)
    assert reranked[0].score == fused[-1].score  # a hit keeps its fused score (the answer layer's scale)
    query = make_retriever(stack).rerank_query(make_retriever(stack).read("giải ngân vốn đầu tư công"))
    assert query.stats is not None and {"giai", "ngan", "von"} <= {t.term for t in query.terms if t.field == "folded"}
