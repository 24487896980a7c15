"""Target questions answered from the records by the assistant as it is configured by default:
cited passages like any answer, follow-ups carried over, coverage said, the kinds of figure made
explicit, and the passage answer when the records do not cover the question."""
from __future__ import annotations

import re

import pytest

from assistant.service import Assistant
from assistant.targets import TargetAsk, TargetFilter, answer_from_records
from assistant.types import Answer
from baocao.models import TargetRecord
from baocao.settings import Settings
from tests.targets_fixtures import sample_target_store
from vectorstore.retriever import build_retriever

MISSED_HT = ("14,5-15,5", "8,8", "215-220", "151", "31/38", "29/38")
MISSED_NAMES = ["Tốc độ tăng trưởng (GTSX)", "Tổng thu ngân sách NN", "Tỷ lệ trường đạt chuẩn quốc gia"]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings, store, embedder = sample_target_store(tmp_path_factory.mktemp("target-answers"))
    assert settings.targets_answers  # the default
    return Assistant(build_retriever(settings, store, embedder), settings)


COVERAGE = re.compile(r"^\d+ (trong|of) \d+ ")  # "3 trong 5 báo cáo đã nạp có số liệu chỉ tiêu năm 2023."


def lead_and_coverage(answer: Answer) -> tuple[str, str]:
    """The answer's first two lines: the short answer, in bold, then the coverage statement."""
    lead, coverage = answer.text.splitlines()[:2]
    assert re.fullmatch(r"\*\*[^*]+\*\*( \[\d+\])*", lead), lead
    assert COVERAGE.match(coverage), coverage
    return lead, coverage


def assert_every_figure_cited(answer: Answer) -> None:
    """Each cited passage is carried; each quote is its passage's text at the span; every line
    after the short answer and the coverage line that states a number ends in (or holds) a citation marker."""
    assert answer.context.get("route") == "targets"
    by_chunk = {h.chunk.chunk_id: h.chunk for h in answer.passages}
    assert answer.citations
    for c in answer.citations:
        chunk = by_chunk[c.chunk_id]
        start, end = c.span
        assert chunk.text[start:end] == c.quote, (c.quote, chunk.text[start:end])
        assert f"[{c.n}]" in answer.text
    lead_and_coverage(answer)
    for line in answer.text.splitlines()[2:]:
        if re.search(r"\d", line) and not line.endswith(":") and not line.startswith(("Số dùng", "Figures compared", "Lưu ý", "Note")):
            assert re.search(r"\[\d+\]", line), line


@pytest.mark.parametrize(
    "question",
    [
        "Những chỉ tiêu nào không đạt ở Hương Trà năm 2023?",
        "Nhung chi tieu nao khong dat o Huong Tra nam 2023?",
        "Which targets were missed in Hương Trà in 2023?",
        "Which targets were missed in Huong Tra in 2023?",
    ],
)
def test_missed_targets_with_passages_and_coverage(assistant: Assistant, question: str) -> None:
    answer = assistant.answer(question)
    assert_every_figure_cited(answer)
    for figure in MISSED_HT:
        assert figure in answer.text
    # The short answer first (the count and the missed targets), then the coverage, then each figure.
    lead, coverage = lead_and_coverage(answer)
    assert re.match(r"\*\*3 (chỉ tiêu không đạt|targets missed) ", lead) and "2023" in lead, lead
    assert [name for name in MISSED_NAMES if name in lead] == MISSED_NAMES, lead
    assert re.match(r"3 (trong|of) 5 ", coverage) and "2023" in coverage, coverage
    assert {h.chunk.doc_id for h in answer.passages} == {"001_4f6835b70005be68.txt"}
    assert answer.context["localities"] == ["Hương Trà"] and answer.context["years"] == [2023]


@pytest.mark.parametrize(
    ("first", "follow", "lang"),
    [
        ("Những chỉ tiêu nào không đạt ở Hương Trà năm 2023?", "còn Hải Dương thì sao?", "vi"),
        ("Which targets were missed in Huong Tra in 2023?", "and Hải Dương?", "en"),
    ],
)
def test_a_follow_up_asks_the_same_of_another_place(assistant: Assistant, first: str, follow: str, lang: str) -> None:
    before = assistant.answer(first)
    after = assistant.answer(follow, [assistant.turn(first, before)])
    assert_every_figure_cited(after)
    assert after.context["shape"] == "missed" and after.context["localities"] == ["Hải Dương"]
    assert after.context["years"] == [2023] and "Hải Dương" in after.standalone
    assert {h.chunk.doc_id for h in after.passages} == {"002_10b12c69719b1d7b.txt"}
    assert "10/10" in after.text  # the report's own tally of its main targets comes first
    assert "8,8" not in after.text
    assert (" of 5 " in after.text) == (lang == "en")


@pytest.mark.parametrize(
    "question", ["Hải Dương có đạt hết chỉ tiêu không?", "Hai Duong co dat het chi tieu khong?",
                 "Did Hải Dương meet all its targets?", "Did Hai Duong meet all its targets?"],
)
def test_all_met(assistant: Assistant, question: str) -> None:
    answer = assistant.answer(question)
    assert_every_figure_cited(answer)
    assert answer.context["shape"] == "all_met" and "10/10" in answer.text
    lead, _ = lead_and_coverage(answer)
    assert "Hải Dương" in lead and "10/10" in lead and lead.endswith("[1]"), lead  # the verdict, cited, comes first


@pytest.mark.parametrize(
    "question", ["Phường 2 đặt những chỉ tiêu gì cho năm 2024?", "Phuong 2 dat nhung chi tieu gi cho nam 2024?",
                 "What targets did Phường 2 set for 2024?", "What targets did Phuong 2 set for 2024?"],
)
def test_plan_targets(assistant: Assistant, question: str) -> None:
    answer = assistant.answer(question)
    assert_every_figure_cited(answer)
    assert answer.context["shape"] == "pending" and answer.context["records"] >= 28
    assert "95%" in answer.text


@pytest.mark.parametrize(
    "question", ["So sánh tổng thu ngân sách Hương Trà và Hải Dương năm 2023",
                 "So sanh tong thu ngan sach Huong Tra va Hai Duong nam 2023",
                 "Compare total budget revenue of Hương Trà and Hải Dương in 2023",
                 "Compare total budget revenue of Huong Tra and Hai Duong in 2023"],
)
def test_compare_says_which_figure_of_which_kind(assistant: Assistant, question: str) -> None:
    answer = assistant.answer(question)
    assert_every_figure_cited(answer)
    text = answer.text
    assert answer.context["shape"] == "compare"
    used = [line for line in text.splitlines() if line.startswith(("Số dùng để so sánh", "Figures compared"))]
    assert len(used) == 1, text
    # Hương Trà's total on its territory (527,191) is compared, not its table's smaller 151;
    # both are estimates ("ước"), and the answer says so for each place.
    assert "Hương Trà 2023 — Tổng thu ngân sách nhà nước trên địa bàn thị xã" in used[0]
    assert "Hải Dương 2023 — Tổng thu ngân sách nhà nước" in used[0]
    assert used[0].count("(ước thực hiện)" if "Số" in used[0] else "(estimate)") == 2
    assert "527,191" in text and "1.484 tỷ 750 triệu" in text and "151" in text
    lead, _ = lead_and_coverage(answer)  # the two figures compared, each with its kind and marker, come first
    assert re.search(r"Hương Trà 2023: 527,191 tỷ đồng \((ước thực hiện|estimate)\) \[1\]", lead), lead
    assert re.search(r"Hải Dương 2023: 1.484 tỷ 750 triệu đồng \((ước thực hiện|estimate)\) \[\d\]", lead), lead
    assert "122% dự toán tỉnh" in text and "96,79% dự toán tỉnh giao" in text


def test_a_comparison_of_different_kinds_says_so() -> None:
    def rec(place: str, kind: str, result: str, n: int) -> TargetRecord:
        return TargetRecord(
            doc_id=f"d{n}", chunk_position=0, indicator="Thu ngân sách", canonical="thu ngân sách", locality=place,
            year=2023, unit="tỷ đồng", kind=kind, result=result, evidence=f"Thu ngân sách {result} tỷ đồng",
            evidence_span=(0, 20), chunk_id=f"d{n}:0", source=f"d{n}.txt",
        )

    records = [rec("An Phú", "estimate", "12,5", 1), rec("Bình Minh", "actual", "20", 2)]
    ask = TargetAsk(shape="compare", wanted=TargetFilter(localities=["An Phú", "Bình Minh"], years=[2023]),
                    indicators=["thu ngân sách"])
    answer = answer_from_records("So sánh thu ngân sách An Phú và Bình Minh năm 2023", ask, records, [])
    assert "An Phú 2023 — Thu ngân sách (ước thực hiện)" in answer.text
    assert "Bình Minh 2023 — Thu ngân sách (thực hiện)" in answer.text
    assert "khác loại (thực hiện, ước thực hiện)" in answer.text
    assert [c.chunk_id for c in answer.citations] == ["d1:0", "d2:0"]


@pytest.mark.parametrize(
    "question",
    [
        "Những chỉ tiêu nào không đạt ở Trà Vinh năm 2024?",  # no record of Trà Vinh for 2024
        "Nguyên nhân của những hạn chế ở Hải Dương là gì?",  # not a target question
        "Những chỉ tiêu nào không đạt ở Đà Nẵng năm 2023?",  # a place no report covers
        # about one particular thing that "chỉ tiêu" counts, not the report's targets
        "Năm 2023 Hương Trà tuyển sinh được bao nhiêu chỉ tiêu vào lớp 10?",
        # one indicator of one place in one year: the sentence that states it is quoted
        "Thu ngân sách của Hương Trà năm 2023 tăng bao nhiêu so với năm trước?",
    ],
)
def test_questions_the_records_do_not_cover_get_the_passage_answer(assistant: Assistant, question: str) -> None:
    answer = assistant.answer(question)
    assert answer.context.get("route") != "targets"
    assert "query" in answer.context  # the passage answer's reading of the question


def test_turned_off_every_question_goes_to_the_passages(assistant: Assistant) -> None:
    settings: Settings = assistant.settings.model_copy(update={"targets_answers": False})
    off = Assistant(assistant.retriever, settings)
    assert off.answer("Những chỉ tiêu nào không đạt ở Hương Trà năm 2023?").context.get("route") != "targets"


def test_the_target_question_set_is_scored_by_type(assistant: Assistant) -> None:
    """evals/sets/targets.jsonl (type "target") through the one harness: every answer from the
    records, every fact and every citation holding its evidence."""
    from pathlib import Path

    from evals.questions import load_questions
    from evals.runner import evaluate_questions
    from evals.scoring import aggregate_groups

    questions = load_questions(Path(__file__).resolve().parent.parent / "evals" / "sets" / "targets.jsonl")
    results = evaluate_questions(
        questions, lambda q, k: assistant.retriever.search(q, k=k), assistant.answer, progress=False
    )
    assert {r.route for r in results} == {"targets"}
    table = aggregate_groups([r.scored() for r in results], with_answers=True)
    by_type = table["by_type"]
    assert isinstance(by_type, dict) and list(by_type) == ["target"]
    assert by_type["target"]["n"] == len(questions) == 9
    assert by_type["target"]["fact_recall"] == 1.0, [(r.question.id, r.facts_missing) for r in results]
    # each record cites the row or sentence it was read from; a cited passage holds an evidence string
    # unless it is the report's tally or a second figure of the same place (counted, not excused)
    assert by_type["target"]["citation_precision"] >= 0.6, [(r.question.id, r.citation_precision) for r in results]


def test_how_many_targets_gives_the_report_s_own_tally(assistant: Assistant) -> None:
    answer = assistant.answer("Năm 2023 thành phố Hải Dương đạt bao nhiêu chỉ tiêu phát triển kinh tế - xã hội?")
    assert_every_figure_cited(answer)
    assert "10/10" in answer.text and len(answer.citations) == 1
    assert lead_and_coverage(answer)[0] == "**Hải Dương: báo cáo đạt 10/10 chỉ tiêu chủ yếu** [1]"


def test_target_records_are_read_again_only_when_the_store_changes(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings, store, embedder = sample_target_store(tmp_path_factory.mktemp("target-reads"))
    assistant = Assistant(build_retriever(settings, store, embedder), settings)
    reads: list[str] = []
    read_records = store.target_records

    def counted() -> list[TargetRecord]:
        reads.append(store.revision())
        return read_records()

    store.target_records = counted  # type: ignore[method-assign]
    first = assistant.answer("Hương Trà có những chỉ tiêu nào không đạt năm 2023?")
    again = assistant.answer("Which targets did Huong Tra miss in 2023?")
    assert first.context.get("route") == again.context.get("route") == "targets"
    assert len(reads) == 1
    doc_id = next(r.meta.doc_id for r in store.documents() if r.meta.locality == "Hương Trà")
    store.update_metadata(doc_id, {"locality": "Hương Thủy"})
    moved = assistant.answer("Hương Thủy có những chỉ tiêu nào không đạt năm 2023?")
    assert len(reads) == 2 and reads[0] != reads[1]
    assert moved.context.get("route") == "targets" and "Hương Thủy" in moved.text
