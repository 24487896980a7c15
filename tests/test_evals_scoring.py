"""Scoring on hand-made cases: evidence matching, retrieval metrics, facts, citations, abstention."""
from __future__ import annotations

import math
import unicodedata

import pytest

from baocao.models import DocumentMeta
from evals.scoring import (
    Passage,
    ScoredQuestion,
    abstention_correct,
    abstention_metrics,
    aggregate,
    aggregate_groups,
    citation_precision,
    clean_for_match,
    evidence_found,
    fact_present,
    fact_recall,
    facts_missing,
    retrieval_scores,
)
from ingest.chunker import chunk_document

# --------------------------------------------------------------------------- clean / evidence


def test_clean_for_match_strips_markup_and_collapses_whitespace() -> None:
    assert clean_for_match("  a\t<b>Không đạt</b>\n\n**93,2%**  ") == "a Không đạt 93,2%"


def test_clean_for_match_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Hương Trà")
    assert clean_for_match(decomposed) == unicodedata.normalize("NFC", "Hương Trà")


def test_evidence_with_tabs_and_bold_found_in_cleaned_passage() -> None:
    evidence = "1. Tốc độ tăng trưởng (GTSX)\t%\t14,5-15,5\t8,8\t<b>Không đạt</b>"
    passage = "Bảng chỉ tiêu\n1. Tốc độ tăng trưởng (GTSX) % 14,5-15,5 8,8 Không đạt\n2. ..."
    assert evidence_found(evidence, passage)


def test_evidence_with_double_stars_found() -> None:
    evidence = "Đến nay đã hoàn thành **1049** ý kiến chỉ đạo, đạt tỷ lệ **93,2%**."
    passage = "…giao 1125 ý kiến. Đến nay đã hoàn thành 1049 ý kiến chỉ đạo, đạt tỷ lệ 93,2%. Còn lại…"
    assert evidence_found(evidence, passage)


# A file as users write them: a markdown table, and an italic span cut by line breaks and stray
# spaces. Evidence is quoted from the file; the chunks hold the table as tab-separated cells and
# the italic text without its stars.
MARKDOWN_REPORT = """# BÁO CÁO KẾT QUẢ NĂM 2025

*Căn cứ Nghị định số 272/2025/NĐ-CP ngày 16 tháng 10 năm 2025 của* *Chính phủ về phân định khu
vực vùng đồng bào dân tộc thiểu số;*

## I. CHỈ TIÊU

| STT | Chỉ tiêu | Đơn vị | Kế hoạch | Thực hiện |
|---|---|---|---|---|
| 1 | Thu ngân sách nhà nước trên địa bàn | Tỷ đồng | 318,6 | 402,5 |
| 2 | Tổng lượt khách du lịch | Nghìn lượt | 486 | 571 |
| | **Tổng cộng** | | **804,6** | **973,5** |
"""


@pytest.mark.parametrize("evidence", [
    "| 1 | Thu ngân sách nhà nước trên địa bàn | Tỷ đồng | 318,6 | 402,5 |",
    "| 2 | Tổng lượt khách du lịch | Nghìn lượt | 486 | 571 |",
    "| **Tổng cộng** | | **804,6** | **973,5** |",
    "272/2025/NĐ-CP ngày 16 tháng 10 năm 2025 của* *Chính phủ về phân định khu",
    "*Căn cứ Nghị định số 272/2025/NĐ-CP",
])
def test_evidence_quoted_from_the_file_is_found_in_its_chunk(evidence: str) -> None:
    chunks = chunk_document(MARKDOWN_REPORT, DocumentMeta(doc_id="r", source="r.md"), lambda t: len(t.split()))
    assert any("\t" in c.text for c in chunks)  # the table was read as cells, not kept as pipes
    assert any(evidence_found(evidence, c.text) for c in chunks)


def test_evidence_not_found_when_text_differs() -> None:
    assert not evidence_found("đạt tỷ lệ 93,2%", "đạt tỷ lệ 93,3%")
    assert not evidence_found("", "anything")


# --------------------------------------------------------------------------- retrieval


EVIDENCE = ["- Giá vật liệu tăng cao;", "- Thiếu lao động."]
DOCS = ["a.txt"]


def _p(text: str, source: str = "a.txt") -> Passage:
    return Passage(text=text, source=source)


def test_hit_at_rank_one() -> None:
    s = retrieval_scores([_p("x - Giá vật liệu tăng cao; - Thiếu lao động. y"), _p("other")], EVIDENCE, DOCS)
    assert s.metrics["hit@1"] == 1.0
    assert s.metrics["evidence_recall@1"] == 1.0
    assert s.metrics["mrr@10"] == 1.0
    assert s.metrics["ndcg@10"] == pytest.approx(1 / (1 + 1 / math.log2(3)))  # one relevant, ideal two
    assert s.first_hit_rank == 1
    assert s.evidence_ranks == [1, 1]


def test_miss() -> None:
    passages = [_p("nothing here", "b.txt"), _p("still nothing", "b.txt")]
    s = retrieval_scores(passages, EVIDENCE, DOCS)
    assert all(s.metrics[f"hit@{k}"] == 0.0 for k in (1, 3, 5, 10))
    assert all(s.metrics[f"doc_hit@{k}"] == 0.0 for k in (1, 3, 5, 10))
    assert s.metrics["mrr@10"] == 0.0
    assert s.metrics["ndcg@10"] == 0.0
    assert s.first_hit_rank is None
    assert s.evidence_ranks == [None, None]


def test_partial_list_evidence_recall() -> None:
    passages = [
        _p("unrelated", "b.txt"),
        _p("unrelated too"),
        _p("Các nguyên nhân:\n- Giá vật liệu tăng cao;"),  # rank 3: first evidence
        _p("x"),
        _p("y"),
        _p("- Thiếu lao động."),  # rank 6: second evidence
    ]
    s = retrieval_scores(passages, EVIDENCE, DOCS)
    m = s.metrics
    assert (m["hit@1"], m["hit@3"], m["hit@5"], m["hit@10"]) == (0.0, 1.0, 1.0, 1.0)
    assert (m["evidence_recall@1"], m["evidence_recall@3"], m["evidence_recall@5"], m["evidence_recall@10"]) == (
        0.0,
        0.5,
        0.5,
        1.0,
    )
    assert (m["doc_hit@1"], m["doc_hit@3"]) == (0.0, 1.0)
    assert m["mrr@10"] == pytest.approx(1 / 3)
    idcg = 1 + 1 / math.log2(3)
    assert m["ndcg@10"] == pytest.approx((1 / math.log2(4) + 1 / math.log2(7)) / idcg)
    assert s.evidence_ranks == [3, 6]
    assert s.relevant_ranks == [3, 6]
    assert s.doc_ranks == [2, 3, 4, 5, 6]


def test_ndcg_capped_when_evidence_repeats_in_overlapping_chunks() -> None:
    passages = [_p("a - Thiếu lao động."), _p("- Thiếu lao động. b")]
    s = retrieval_scores(passages, ["- Thiếu lao động."], DOCS)
    assert s.metrics["ndcg@10"] == 1.0


def test_only_top_ten_count_for_mrr() -> None:
    passages = [_p("x")] * 10 + [_p("- Thiếu lao động.")]
    s = retrieval_scores(passages, ["- Thiếu lao động."], DOCS)
    assert s.metrics["mrr@10"] == 0.0
    assert s.metrics["hit@10"] == 0.0


# --------------------------------------------------------------------------- facts


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("6,39 %", "giải ngân đạt 6,39% so với kế hoạch"),
        ("6,39%", "giải ngân đạt 6,39 % so với kế hoạch"),
        ("1.646 hồ sơ", "tiếp nhận 1646 hồ sơ"),
        ("1646", "tiếp nhận 1.646 hồ sơ"),
        ("14.543,21 triệu đồng", "giải ngân 14543,21 triệu đồng"),
        ("8,8%", "tăng 8,8%."),
        ("8,8%", "tăng 8,8 % [1]"),
        ("114/114", "hoàn thành 114 / 114 thanh niên"),
        ("03/01/2023", "ngày 03/01/2023 của Ban Thường vụ"),
        ("Khóa VII", "HĐND thị xã khoá vii"),  # case and tone-mark placement
        ("kinh tế khu vực và thế giới", "do (1) ảnh hưởng của Kinh tế khu vực và thế giới; (2) ..."),
        ("Thương mại - Du lịch", "Khu Thương mại – Du lịch"),  # dash style is punctuation
        ("754,82 triệu đồng", "được 754,82 triệu đồng⁷, đạt"),  # footnote marker
        ("**93,2%**", "đạt tỷ lệ 93,2%"),
    ],
)
def test_fact_present(fact: str, answer: str) -> None:
    assert fact_present(fact, answer)


@pytest.mark.parametrize(
    ("fact", "answer"),
    [
        ("8,8%", "tăng 18,8%"),  # a whole number, not a suffix
        ("8,8%", "tăng 8,85%"),  # nor a prefix
        ("14.543,21", "giải ngân 14.543 triệu đồng"),
        ("14.543", "giải ngân 14.543,21 triệu đồng"),
        ("50", "đạt 150 hộ"),
        ("50", "đạt 50,5 hộ"),
        ("3/4", "đạt 13/4 xã"),
        ("1.646", "1,646"),  # comma grouping is ambiguous: kept as written
        ("6,39 %", "6,39"),  # the percent sign is part of the fact
        ("đạt", "dat ke hoach"),  # diacritics count for words
        ("tăng cao", "tăng rất cao"),  # words must be contiguous
    ],
)
def test_fact_absent(fact: str, answer: str) -> None:
    assert not fact_present(fact, answer)


def test_fact_recall_and_missing() -> None:
    facts = ["754,82 triệu đồng", "0,60 %", "14.543,21 triệu đồng", "12,76 %"]
    answer = "Vốn tỉnh giải ngân 754,82 triệu đồng (0,60%); vốn phân cấp 14.543 triệu đồng."
    assert facts_missing(facts, answer) == ["14.543,21 triệu đồng", "12,76 %"]
    assert fact_recall(facts, answer) == 0.5
    assert fact_recall([], answer) is None


# --------------------------------------------------------------------------- citations, abstention


def test_citation_precision() -> None:
    evidence = ["giải ngân được 15 tỷ 298 triệu đồng"]
    good = "TP giải ngân được 15 tỷ 298 triệu đồng, đạt 6,39 %"
    bad = "Dân số trung bình 120.000 người"
    assert citation_precision([good, bad], evidence) == 0.5
    assert citation_precision([good], evidence) == 1.0
    assert citation_precision([], evidence) is None


def test_abstention_right_and_wrong() -> None:
    assert abstention_correct(answerable=False, abstained=True)
    assert abstention_correct(answerable=True, abstained=False)
    assert not abstention_correct(answerable=True, abstained=True)
    assert not abstention_correct(answerable=False, abstained=False)


def test_abstention_metrics() -> None:
    # (answerable, abstained): one right decline, one wrong decline, one missed decline, one answer.
    m = abstention_metrics([(False, True), (True, True), (False, False), (True, False)])
    assert m["abstention_precision"] == 0.5
    assert m["abstention_recall"] == 0.5
    assert m["false_abstention_rate"] == 0.5
    assert m["abstention_accuracy"] == 0.5
    none = abstention_metrics([(True, False)])
    assert none["abstention_precision"] is None  # never abstained
    assert none["abstention_recall"] is None  # no unanswerable question
    assert none["false_abstention_rate"] == 0.0


# --------------------------------------------------------------------------- aggregation


def _sq(lang: str, typ: str, answerable: bool, hit5: float | None, fr: float | None, abstained: bool) -> ScoredQuestion:
    metrics = {"hit@5": hit5, "fact_recall": fr} if answerable else {}
    return ScoredQuestion(lang, typ, answerable, metrics, abstained, latency_retrieval_ms=10.0, latency_answer_ms=100.0)


def test_aggregate_means_over_answerable_only() -> None:
    items = [
        _sq("vi", "factoid", True, 1.0, 1.0, False),
        _sq("vi", "list", True, 0.0, 0.5, False),
        _sq("en", "factoid", True, 1.0, None, False),  # no facts: not in the fact_recall mean
        _sq("vi", "unanswerable", False, None, None, True),
    ]
    overall = aggregate(items, with_answers=True)
    assert overall["n"] == 4
    assert overall["n_answerable"] == 3
    assert overall["hit@5"] == pytest.approx(2 / 3)
    assert overall["fact_recall"] == pytest.approx(0.75)
    assert overall["hit@1"] is None  # not computed for any question
    assert overall["abstention_recall"] == 1.0
    assert overall["latency_retrieval_p50_ms"] == 10.0
    assert overall["latency_answer_p95_ms"] == 100.0

    groups = aggregate_groups(items, with_answers=True)
    assert list(groups["by_lang"]) == ["vi", "en"]
    assert groups["by_lang"]["vi"]["n"] == 3
    assert groups["by_lang"]["vi"]["hit@5"] == 0.5
    assert list(groups["by_type"]) == ["factoid", "list", "unanswerable"]
    assert groups["by_type"]["unanswerable"]["hit@5"] is None
    assert groups["by_type"]["unanswerable"]["abstention_recall"] == 1.0


def test_aggregate_retrieval_only_has_no_answer_keys() -> None:
    overall = aggregate([_sq("vi", "factoid", True, 1.0, None, False)], with_answers=False)
    assert "fact_recall" not in overall
    assert "abstention_precision" not in overall
    assert "latency_answer_p50_ms" not in overall
    assert overall["hit@5"] == 1.0


def test_strip_diacritics_variant_keeps_vietnamese_rows_and_their_evidence() -> None:
    import json

    from evals.variants import strip_diacritics

    rows = [
        json.dumps({"id": "a", "question": "Tỷ lệ hộ nghèo của Hải Dương?", "lang": "vi", "evidence": ["0,97%"]}, ensure_ascii=False),
        json.dumps({"id": "b", "question": "What was the poverty rate?", "lang": "en", "evidence": ["0,97%"]}),
        "",
    ]
    out = [json.loads(line) for line in strip_diacritics(rows)]
    assert out == [{"id": "a", "question": "ty le ho ngheo cua hai duong?", "lang": "vi-noaccent", "evidence": ["0,97%"]}]
