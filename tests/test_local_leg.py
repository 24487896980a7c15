"""The passage inside the leading documents: a second lexical pass over each one's own chunks."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from assistant.service import Assistant
from baocao.protocols import QueryTerm
from baocao.settings import Settings
from tests.test_retrieval_retriever import EMBEDDER, add, open_stack, parsed
from vectorstore.config import RetrievalConfig
from vectorstore.fusion import FusedCandidate, leading_documents
from vectorstore.hits import Hit
from vectorstore.indexed_store import IndexedStore
from vectorstore.retriever import Retriever, SearchStack, Variant
from vectorstore.store import open_store

# Every chunk of the fire plan repeats its subject; one chunk holds the firebreak figure. The
# forestry report names firebreaks in a quarter of its chunks, so over the corpus "đường băng cản
# lửa" is commoner than the plan's subject: only inside the plan are the roles reversed.
FIRE_PLAN = [
    "Kế hoạch phòng cháy chữa cháy rừng năm 2026: Ban chỉ đạo phòng cháy chữa cháy rừng huyện kiện toàn.",
    "Kinh phí thực hiện kế hoạch phòng cháy chữa cháy rừng do ngân sách huyện bảo đảm.",
    "Kiểm tra phương án phòng cháy chữa cháy rừng của các chủ rừng, kinh phí kiểm tra theo kế hoạch.",
    "Làm mới 12 km đường băng cản lửa, kinh phí 1.480 triệu đồng.",
    "Tổng kết kế hoạch phòng cháy chữa cháy rừng, kinh phí khen thưởng tập thể có thành tích.",
]
FORESTRY = [f"Tiểu khu {i}: trồng rừng gỗ lớn" + (f", làm đường băng cản lửa {i} km." if i % 4 == 0 else ".") for i in range(1, 25)]
QUESTION = "Kinh phí làm đường băng cản lửa trong kế hoạch phòng cháy chữa cháy rừng là bao nhiêu?"


def fire_stack(settings: Settings) -> SearchStack:
    stack = open_stack(settings) if settings.lexical_index == "bm25" else _indexed(settings)
    add(stack.store, parsed("fire.txt", FIRE_PLAN, dict(locality="Mường Tè", locality_level="huyện", period_year=2026, doc_type="Kế hoạch")))
    add(stack.store, parsed("forestry.txt", FORESTRY, dict(locality="Hương Trà", locality_level="thị xã", period_year=2023, doc_type="Báo cáo")))
    return stack


def _indexed(settings: Settings) -> SearchStack:
    store = open_store(settings, EMBEDDER)
    assert isinstance(store, IndexedStore)
    return SearchStack.open(settings, EMBEDDER, store)


def lexical_retriever(stack: SearchStack, config: RetrievalConfig) -> Retriever:
    return stack.retriever(Variant(dense=False), config)


@pytest.mark.parametrize("lexical_index", ["bm25", "tantivy"])
def test_the_passage_that_differs_from_its_document_comes_first(tmp_path: Path, lexical_index: str) -> None:
    stack = fire_stack(Settings(data_dir=tmp_path / "data", lexical_index=lexical_index))
    without = lexical_retriever(stack, dataclasses.replace(RetrievalConfig(), local_weight=0.0)).search(QUESTION, k=3)
    assert "đường băng" not in without[0].chunk.text  # the chunks that repeat the subject win on their phrase
    hits = lexical_retriever(stack, RetrievalConfig()).search(QUESTION, k=3)
    assert "đường băng cản lửa" in hits[0].chunk.text
    assert any(w.startswith("in its document #1") for w in hits[0].why)
    assert {h.chunk.doc_id for h in hits} == {"fire.txt"}


@pytest.mark.parametrize("lexical_index", ["bm25", "tantivy"])
def test_document_frequencies_count_the_documents_own_chunks(tmp_path: Path, lexical_index: str) -> None:
    stack = fire_stack(Settings(data_dir=tmp_path / "data", lexical_index=lexical_index))
    index = stack.snapshots.current().lexical
    terms = [
        QueryTerm("bigram", "phong_chay", 1.0, "phòng cháy"),
        QueryTerm("folded", "bang", 1.0, "băng"),
        QueryTerm("exact", "1.480", 1.0, "1.480"),
        QueryTerm("folded", "khongco", 1.0, "khongco"),
    ]
    assert index.document_frequencies("fire.txt", terms) == (5, [4, 1, 1, 0])
    assert index.document_frequencies("forestry.txt", terms) == (24, [0, 6, 0, 0])
    assert index.document_frequencies("missing.txt", terms) == (0, [0, 0, 0, 0])


def test_leading_documents_are_the_best_candidates_documents_in_order() -> None:
    ordered = [FusedCandidate(f"{doc}:g1:{i}") for doc, i in (("a.txt", 0), ("a.txt", 1), ("b.txt", 0), ("c.txt", 0))]
    assert leading_documents(ordered, 2) == ["a.txt", "b.txt"]
    assert leading_documents(ordered, 5) == ["a.txt", "b.txt", "c.txt"]
    assert leading_documents([], 2) == []


def test_answers_take_the_order_their_models_were_fitted_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = fire_stack(Settings(data_dir=tmp_path / "data", lexical_index="bm25"))
    retriever = stack.retriever(Variant(dense=False))
    passes: list[bool] = []
    search = retriever.search

    def spy(*args: Any, **kwargs: Any) -> list[Hit]:
        passes.append(kwargs.get("within_documents", True))
        return search(*args, **kwargs)

    monkeypatch.setattr(retriever, "search", spy)
    answer = Assistant(retriever, stack.settings).answer(QUESTION)
    assert passes and not any(passes)  # every search of the answer path leaves the in-document pass out
    assert answer.text
    # the staff search keeps it: the two orders differ on this corpus
    with_pass = [h.chunk.chunk_id for h in search(QUESTION, k=3)]
    without = [h.chunk.chunk_id for h in search(QUESTION, k=3, within_documents=False)]
    assert with_pass != without


def test_the_pass_keeps_every_place_each_document_held() -> None:
    from vectorstore.fusion import rank_within_documents
    from vectorstore.legs import Leg, LegHit

    candidates = {cid: FusedCandidate(cid, score) for cid, score in
                  (("a.txt:g:0", 3.0), ("b.txt:g:0", 2.5), ("a.txt:g:1", 2.0), ("b.txt:g:1", 1.0))}
    # a.txt's own leg puts its second chunk first and finds a third the first stage had missed
    leg = Leg("local", 0.75, [LegHit("a.txt:g:1", 9.0), LegHit("a.txt:g:2", 5.0), LegHit("a.txt:g:0", 1.0)])
    rank_within_documents(candidates, [leg], {"a.txt": "g", "b.txt": "g"}, RetrievalConfig())
    order = sorted(candidates.values(), key=lambda c: -c.score)
    assert [c.chunk_id for c in order][:4] == ["a.txt:g:1", "b.txt:g:0", "a.txt:g:0", "b.txt:g:1"]
    assert [c.score for c in order][:4] == [3.0, 2.5, 2.0, 1.0]  # the same places, a.txt's filled anew
    assert 0 < candidates["a.txt:g:2"].score < 2.0  # the chunk it found falls below a.txt's last place
