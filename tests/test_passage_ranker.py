"""The learned second stage: its features, its model file and its place behind the reranker seam."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from baocao.models import Chunk, DocumentMeta
from baocao.protocols import QueryTerm, RerankCandidate, RerankQuery
from baocao.settings import Settings
from vectorstore.passage_ranker import (
    MODEL_FILE,
    PASSAGE_FEATURES,
    LinearPassageModel,
    PassageModelError,
    PassageModelReranker,
    passage_features,
)
from vectorstore.rerank import RerankerError, build_reranker, reranker_name
from vectorstore.term_stats import TermStats

BOILERPLATE = "Căn cứ Luật Tổ chức chính quyền địa phương; Sở Tài chính chủ trì tổ chức thực hiện kế hoạch."


def chunk(doc_id: str, position: int, text: str, section: str = "", kind: str = "text", title: str = "") -> Chunk:
    meta = DocumentMeta(doc_id=doc_id, source=doc_id, short_title=title)
    return Chunk(chunk_id=f"{doc_id}#{position}", doc_id=doc_id, position=position, kind=kind,  # type: ignore[arg-type]
                 text=text, search_text=text, embed_text=text, section_path=[section] if section else [], meta=meta)


def stats_of(chunks: list[Chunk]) -> TermStats:
    from baocao.lang.tokens import clause_tokens

    stats = TermStats()
    for c in chunks:
        stats.add(c.doc_id, clause_tokens(c.text))
    return stats


def folded_terms(*syllables: str) -> list[QueryTerm]:
    terms = [QueryTerm("folded", s, 1.0, s, i) for i, s in enumerate(syllables)]
    terms += [QueryTerm("bigram", f"{a}_{b}", 1.0, f"{a} {b}", i) for i, (a, b) in enumerate(zip(syllables, syllables[1:]))]
    return terms


def features_of(rows: np.ndarray, i: int) -> dict[str, float]:
    return dict(zip(PASSAGE_FEATURES, rows[i].tolist()))


CORPUS = [
    chunk("a.txt", 0, BOILERPLATE, "Tổ chức thực hiện", title="Kế hoạch bảng giá đất"),
    chunk("a.txt", 1, "Đất ở đô thị đường Lê Lợi: 12.500 nghìn đồng/m2.", "Phụ lục bảng giá đất", kind="table",
          title="Kế hoạch bảng giá đất"),
    chunk("b.txt", 0, BOILERPLATE, "Tổ chức thực hiện", title="Kế hoạch phòng cháy rừng"),
    chunk("b.txt", 1, "Trồng rừng phòng hộ 300 ha trong năm.", "Mục tiêu", title="Kế hoạch phòng cháy rừng"),
    chunk("c.txt", 0, BOILERPLATE + " Hiệu lực kể từ ngày ký.", "Điều 3", title="Quyết định giá đất"),
]


def test_the_passage_that_holds_the_query_words_in_its_own_text_is_told_from_boilerplate() -> None:
    stats = stats_of(CORPUS)
    query = RerankQuery("giá đất đường lê lợi 12.500", "vi", folded_terms("gia", "dat", "duong", "le", "loi", "12.500"),
                        ["12.500"], stats)
    candidates = [
        RerankCandidate(CORPUS[0], 2.0, {"lexical": 1, "dense": 2}, {"lexical": 8.0, "dense": 0.80}),
        RerankCandidate(CORPUS[1], 1.5, {"lexical": 2}, {"lexical": 6.0}),
        RerankCandidate(CORPUS[4], 1.0, {"dense": 1}, {"dense": 0.85}),
    ]
    rows = passage_features(query, candidates)
    assert rows.shape == (3, len(PASSAGE_FEATURES))
    head, row, other = features_of(rows, 0), features_of(rows, 1), features_of(rows, 2)
    # the annex row holds the query's words and figure in its own text; the boilerplate chunk holds none
    assert row["cover_text"] > head["cover_text"] and row["cover_text_only"] > 0 and head["cover_text_only"] == 0
    assert row["bigram_text"] > head["bigram_text"] and row["numbers_text"] == 1.0 and head["numbers_text"] == 0.0
    assert row["cover_local"] > head["cover_local"] == 0.0
    # the title is the heading of both chunks of the document: equal heading coverage
    assert row["cover_heading"] == head["cover_heading"] > 0
    # boilerplate repeated in every document is generic; the row is not
    assert head["generic_text"] > row["generic_text"]
    # the fused ranking and the legs as the first stage saw them
    assert head["fused_rel"] == 1.0 and row["fused_rel"] == pytest.approx(0.75) and head["fused_rank_inv"] == 1.0
    assert row["lexical_rel"] == pytest.approx(0.75) and other["lexical_rel"] == 0.0 and other["lexical_rank_inv"] == 0.0
    assert row["dense_sim"] == 0.0 and row["dense_gap"] == 1.0 and other["dense_gap"] == 0.0
    assert head["dense_gap"] == pytest.approx(0.05) and other["dense_rank_inv"] == 1.0
    # document aggregates: a.txt holds two of the three candidates, its best at rank 1
    assert head["doc_share_top"] == row["doc_share_top"] == pytest.approx(2 / 3) and other["doc_share_top"] == pytest.approx(1 / 3)
    assert row["doc_best_rank_inv"] == 1.0 and row["doc_first"] == 0.0 and other["doc_first"] == 1.0
    assert row["kind_table"] == 1.0 and head["kind_table"] == 0.0
    # a Vietnamese question: the language interactions are off
    assert head["en_lexical_rel"] == head["en_dense_sim"] == head["noaccent_lexical_rel"] == 0.0


def test_specific_coverage_weighs_words_by_how_few_documents_hold_them() -> None:
    stats = stats_of(CORPUS)
    assert stats.document_share("thuc") == 1.0 and stats.document_share("loi") == pytest.approx(1 / 3)
    query = RerankQuery("tổ chức thực hiện trồng rừng", "en", folded_terms("to", "chuc", "thuc", "hien", "trong", "rung"),
                        [], stats)
    candidates = [RerankCandidate(CORPUS[2], 1.0, {"lexical": 1}, {"lexical": 5.0}),
                  RerankCandidate(CORPUS[3], 0.9, {"lexical": 2, "dense": 1}, {"lexical": 4.0, "dense": 0.7})]
    boiler, plan = features_of(passage_features(query, candidates), 0), features_of(passage_features(query, candidates), 1)
    assert plan["cover_specific"] > boiler["cover_specific"]
    assert boiler["en_lexical_rel"] == 1.0 and plan["en_dense_sim"] == pytest.approx(0.7)  # English interactions on


def test_words_the_corpus_does_not_know_are_left_out_of_coverage() -> None:
    stats = stats_of(CORPUS)
    known = RerankQuery("q", "vi", folded_terms("rung"), [], stats)
    with_unknown = RerankQuery("q", "vi", folded_terms("rung", "firebreak"), [], stats)
    candidates = [RerankCandidate(CORPUS[3], 1.0, {"lexical": 1}, {"lexical": 1.0})]
    assert features_of(passage_features(known, candidates), 0)["cover_text"] == 1.0
    assert features_of(passage_features(with_unknown, candidates), 0)["cover_text"] == 1.0
    assert passage_features(known, []).shape == (0, len(PASSAGE_FEATURES))


def model_on(feature: str, weight: float = 1.0) -> LinearPassageModel:
    n = len(PASSAGE_FEATURES)
    coef = [weight if name == feature else 0.0 for name in PASSAGE_FEATURES]
    return LinearPassageModel(list(PASSAGE_FEATURES), [0.0] * n, [1.0] * n, coef)


def test_the_reranker_orders_candidates_by_the_model_score() -> None:
    stats = stats_of(CORPUS)
    query = RerankQuery("lê lợi", "vi", folded_terms("le", "loi"), [], stats)
    candidates = [RerankCandidate(CORPUS[0], 2.0, {"lexical": 1}, {"lexical": 3.0}),
                  RerankCandidate(CORPUS[1], 1.0, {"lexical": 2}, {"lexical": 2.0})]
    by_text = PassageModelReranker(model_on("cover_text")).scores(query, candidates)
    assert by_text[1] > by_text[0]
    by_rank = PassageModelReranker(model_on("fused_rank_inv")).scores(query, candidates)
    assert by_rank[0] > by_rank[1]


def test_the_model_file_round_trips_and_a_stale_one_is_refused(tmp_path: Path) -> None:
    model = model_on("cover_text", 2.5)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = LinearPassageModel.load(path)
    rows = np.random.default_rng(0).random((4, len(PASSAGE_FEATURES)))
    assert np.allclose(loaded.score(rows), model.score(rows))
    stale = LinearPassageModel(["fused_rel"], [0.0], [1.0], [1.0])
    stale.save(path)
    with pytest.raises(PassageModelError, match="other features"):
        LinearPassageModel.load(path)
    with pytest.raises(PassageModelError, match="cannot read"):
        LinearPassageModel.load(tmp_path / "missing.json")


def test_the_shipped_model_matches_the_features_and_is_built_by_name(tmp_path: Path) -> None:
    shipped = LinearPassageModel.load(MODEL_FILE)
    assert shipped.features == list(PASSAGE_FEATURES) and any(c != 0 for c in shipped.coef)
    assert "cross_validated" in shipped.trained_on
    reranker = build_reranker(Settings(data_dir=tmp_path, reranker="passage-model"))
    assert isinstance(reranker, PassageModelReranker)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(RerankerError):
        build_reranker(Settings(data_dir=tmp_path, reranker="passage-model", passage_model=broken))


def test_the_reranker_setting_chooses_the_registry_entry(tmp_path: Path) -> None:
    assert reranker_name(Settings(data_dir=tmp_path, reranker="", reranker_model="")) == ""
    assert build_reranker(Settings(data_dir=tmp_path, reranker="", reranker_model="")) is None
    assert reranker_name(Settings(data_dir=tmp_path, reranker="", reranker_model="some/model")) == "cross-encoder"
    with pytest.raises(RerankerError, match="RERANKER_MODEL"):
        build_reranker(Settings(data_dir=tmp_path, reranker="cross-encoder", reranker_model=""))
    with pytest.raises(ValueError, match="available: cross-encoder, passage-model"):
        build_reranker(Settings(data_dir=tmp_path, reranker="nonesuch"))


def _counted_share(stats: TermStats, token: str) -> float:
    documents = stats.doc_tokens[False]
    return sum(1 for d in documents if token in documents[d]) / len(documents)


def test_document_shares_are_counted_once_and_equal_a_count_over_the_documents() -> None:
    import pickle

    from baocao.lang.tokens import clause_tokens

    stats = stats_of(CORPUS)
    tokens = sorted({t for held in stats.doc_tokens[False].values() for t in held}) + ["firebreak"]
    assert [stats.document_share(t) for t in tokens] == [_counted_share(stats, t) for t in tokens]
    assert stats.document_share("firebreak") == 0.0 and stats.document_share("loi") == pytest.approx(1 / 3)
    # a document added after the first count is counted in the next share
    stats.add("d.txt", clause_tokens("Đường Lê Lợi mở rộng."))
    assert stats.document_share("loi") == pytest.approx(2 / 4) == _counted_share(stats, "loi")
    # the counts are derived: not pickled, counted again after loading, the same shares
    loaded = pickle.loads(pickle.dumps(stats))
    assert "_document_counts" not in loaded.__dict__
    assert [loaded.document_share(t) for t in tokens] == [stats.document_share(t) for t in tokens]
    assert TermStats().document_share("loi") == 0.0
