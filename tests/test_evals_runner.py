"""Question-set validation, the runner end to end on a tiny corpus, compare, ablation, floors."""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.types import Answer, Citation
from baocao.models import Chunk, DocumentMeta
from baocao.settings import PROJECT_ROOT, SAMPLE_CORPUS
from evals import (
    QuestionSetError,
    check_floors,
    compare_runs,
    load_floors,
    load_questions,
    run_ablation,
    run_eval,
)
from vectorstore.hits import Hit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

DOC_A = (
    "Báo cáo kinh tế năm 2023.\n"
    "Tổng thu ngân sách đạt <b>1.646</b> tỷ đồng, tăng 8,8% so cùng kỳ.\n"
    "Các nguyên nhân:\n"
    "- Giá vật liệu tăng cao;\n"
    "- Thiếu lao động.\n"
)
DOC_B = "Tỷ lệ hộ nghèo\t%\t0,2\t0,71\tĐạt\nDân số trung bình 120.000 người.\n"

# Chunks as a chunker would show them: markup stripped, table tabs turned into spaces.
CHUNK_TEXTS = {
    "a1": ("a.txt", "Báo cáo kinh tế năm 2023."),
    "a2": ("a.txt", "Tổng thu ngân sách đạt 1.646 tỷ đồng, tăng 8,8% so cùng kỳ."),
    "a3": ("a.txt", "Các nguyên nhân:\n- Giá vật liệu tăng cao;"),
    "a4": ("a.txt", "- Thiếu lao động."),
    "b1": ("b.txt", "Tỷ lệ hộ nghèo % 0,2 0,71 Đạt"),
    "b2": ("b.txt", "Dân số trung bình 120.000 người."),
}

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "q1", "question": "Tổng thu ngân sách năm 2023?", "lang": "vi", "type": "factoid",
        "answerable": True, "docs": ["a.txt"],
        "evidence": ["Tổng thu ngân sách đạt <b>1.646</b> tỷ đồng"],
        "answer_facts": ["1.646 tỷ đồng", "8,8%"], "answer": "1.646 tỷ đồng, tăng 8,8%.",
    },
    {
        "id": "q2", "question": "What were the causes?", "lang": "en", "type": "list",
        "answerable": True, "docs": ["a.txt"],
        "evidence": ["- Giá vật liệu tăng cao;", "- Thiếu lao động."],
        "answer_facts": ["vật liệu tăng cao", "thiếu lao động"], "answer": "Giá vật liệu tăng cao; thiếu lao động.",
    },
    {
        "id": "q3", "question": "Tỷ lệ hộ nghèo giảm bao nhiêu?", "lang": "vi", "type": "table",
        "answerable": True, "docs": ["b.txt"],
        "evidence": ["Tỷ lệ hộ nghèo\t%\t0,2\t0,71\tĐạt"],
        "answer_facts": ["0,71"], "answer": "Giảm 0,71%.", "difficulty": "hard",
    },
    {
        "id": "q4", "question": "Diện tích tự nhiên là bao nhiêu?", "lang": "vi", "type": "unanswerable",
        "answerable": False, "docs": [], "evidence": [], "answer_facts": [], "answer": "Không có thông tin.",
    },
    {
        "id": "q5", "question": "What is the GDP per capita?", "lang": "en", "type": "unanswerable",
        "answerable": False, "docs": [], "evidence": [], "answer_facts": [], "answer": "Không có thông tin.",
    },
]

# Run A: q1 hit at 1, q2 first hit at 3 (one of two evidence strings), q3 hit only at 6.
RANKINGS_A = {
    "q1": ["a2", "a1", "b2"],
    "q2": ["b1", "a1", "a3", "b2", "a2"],
    "q3": ["a1", "a2", "a3", "a4", "b2", "b1"],
    "q4": ["b2"],
    "q5": ["b2"],
}
# (answer text, cited chunk ids, abstained)
ANSWERS_A = {
    "q1": ("Tổng thu đạt 1646 tỷ đồng, tăng 8,8 % [1].", ["a2"], False),
    "q2": ("Do giá vật liệu tăng cao [1][2].", ["a3", "b1"], False),
    "q3": ("Không tìm thấy thông tin trong tài liệu.", [], True),
    "q4": ("Không tìm thấy thông tin trong tài liệu.", [], True),
    "q5": ("The population is 120.000 [1].", ["b2"], False),
}


def _chunk(cid: str) -> Chunk:
    source, text = CHUNK_TEXTS[cid]
    meta = DocumentMeta(doc_id=source.removesuffix(".txt"), source=source)
    return Chunk(
        chunk_id=cid, doc_id=meta.doc_id, position=int(cid[1]), kind="text", text=text,
        search_text=text, embed_text=text, section_path=["Phần " + cid[1]], meta=meta,
    )


def _by_question() -> dict[str, str]:
    return {q["question"]: q["id"] for q in QUESTIONS}


def make_retrieve(rankings: dict[str, list[str]]) -> Callable[[str, int], list[Hit]]:
    ids = _by_question()

    def retrieve(question: str, k: int) -> list[Hit]:
        ranked = rankings[ids[question]][:k]
        return [Hit(chunk=_chunk(c), score=1.0 / r, rank=r) for r, c in enumerate(ranked, start=1)]

    return retrieve


def make_answer(answers: dict[str, tuple[str, list[str], bool]], rankings: dict[str, list[str]]) -> Callable[[str], Answer]:
    ids = _by_question()
    retrieve = make_retrieve(rankings)

    def answer(question: str) -> Answer:
        text, cited, abstained = answers[ids[question]]
        passages = [h for h in retrieve(question, 10) if h.chunk_id in cited]
        citations = [
            Citation(n=i, chunk_id=c, doc_id="", source="", title="", section="", quote="", span=(0, 0))
            for i, c in enumerate(cited, start=1)
        ]
        return Answer(question=question, text=text, citations=citations, passages=passages, abstained=abstained)

    return answer


@pytest.fixture()
def tiny(tmp_path: Path) -> dict[str, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(DOC_A, encoding="utf-8")
    (corpus / "b.txt").write_text(DOC_B, encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return {"corpus": corpus, "questions": questions, "out": tmp_path / "runs"}


def _run(tiny: dict[str, Path], name: str, rankings: dict[str, list[str]], answers: dict | None) -> Any:
    return run_eval(
        tiny["questions"],
        corpus_dir=tiny["corpus"],
        run_name=name,
        out_dir=tiny["out"],
        retrieve=make_retrieve(rankings),
        answer=make_answer(answers, rankings) if answers is not None else None,
        config={"retriever": "fake", "k": 10},
        progress=False,
    )


# --------------------------------------------------------------------------- validation


def test_load_questions_keeps_extra_keys(tiny: dict[str, Path]) -> None:
    questions = load_questions(tiny["questions"], tiny["corpus"])
    assert [q.id for q in questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert questions[2].extra == {"difficulty": "hard"}
    assert questions[2].line == 3
    assert questions[0].answer_facts == ["1.646 tỷ đồng", "8,8%"]


def test_validation_errors_have_line_numbers(tiny: dict[str, Path]) -> None:
    good = QUESTIONS[0]
    lines = [
        json.dumps(good, ensure_ascii=False),  # 1 ok
        '{"id": "broken", ',  # 2 malformed
        json.dumps({k: v for k, v in good.items() if k not in ("id", "evidence")} | {"id": "x3"}),  # 3 missing evidence
        json.dumps(good | {"id": "x4", "answerable": "yes"}),  # 4 wrong type
        json.dumps(good | {"id": "x5", "lang": "fr"}),  # 5 bad lang
        json.dumps(good, ensure_ascii=False),  # 6 duplicate of line 1
        json.dumps(good | {"id": "x7", "evidence": []}),  # 7 answerable, no evidence
        json.dumps(good | {"id": "x8", "evidence": ["không có trong tài liệu"]}, ensure_ascii=False),  # 8
        json.dumps(good | {"id": "x9", "docs": ["missing.txt"]}),  # 9 unknown document
        "",  # blank lines are fine
        json.dumps(good | {"id": "x11", "docs": "a.txt"}),  # 11 docs not a list
        "[1, 2]",  # 12 not an object
    ]
    path = tiny["questions"].with_name("bad.jsonl")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError) as info:
        load_questions(path, tiny["corpus"])
    problems = info.value.problems
    expected_starts = [
        "line 2: malformed JSON",
        "line 3: missing key 'evidence'",
        "line 4: 'answerable' must be bool, got str",
        "line 5: bad lang 'fr'",
        "line 6: duplicate id 'q1' (first on line 1)",
        "line 7: answerable question has no evidence",
        "line 8: evidence 1 not found in a.txt",
        "line 9: document 'missing.txt' not found",
        "line 11: 'docs' must be list, got str",
        "line 12: expected a JSON object",
    ]
    for start in expected_starts:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected_starts), problems
    assert "line 3: missing key 'evidence'" in str(info.value)


def test_evidence_not_checked_without_corpus(tiny: dict[str, Path]) -> None:
    path = tiny["questions"].with_name("unchecked.jsonl")
    record = QUESTIONS[0] | {"evidence": ["không có trong tài liệu"]}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert len(load_questions(path)) == 1
    with pytest.raises(QuestionSetError):
        load_questions(path, tiny["corpus"])


def test_custom_document_reader(tiny: dict[str, Path]) -> None:
    (tiny["corpus"] / "c.docx").write_bytes(b"not really a docx")
    path = tiny["questions"].with_name("docx.jsonl")
    record = QUESTIONS[0] | {"docs": ["c.docx"], "evidence": ["đoạn văn trong docx"]}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert len(load_questions(path, tiny["corpus"])) == 1  # default reader: docx not checked
    assert len(load_questions(path, tiny["corpus"], reader=lambda p: "Một đoạn văn trong docx.")) == 1
    with pytest.raises(QuestionSetError, match="evidence 1 not found in c.docx"):
        load_questions(path, tiny["corpus"], reader=lambda p: "khác hẳn")


def test_shipped_dev_set_is_valid_against_the_sample_corpus(dev_set_path: Path) -> None:
    # every evidence string is found in its named document (the validator's corpus check)
    assert len(load_questions(dev_set_path, SAMPLE_CORPUS)) == 53


def test_shipped_dev_set_matches_the_shared_one(dev_set_path: Path) -> None:
    shared = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"
    if not shared.exists():
        pytest.skip(f"no shared question set beside the project ({shared})")
    assert dev_set_path.read_bytes() == shared.read_bytes()


# --------------------------------------------------------------------------- runner


def test_run_eval_end_to_end(tiny: dict[str, Path]) -> None:
    result = _run(tiny, "run-a", RANKINGS_A, ANSWERS_A)
    run_dir = tiny["out"] / "run-a"
    assert result.dir == run_dir
    for name in ("results.json", "report.md", "metrics_by_lang.png", "metrics_by_type.png", "latency.png"):
        assert (run_dir / name).is_file(), name
    for name in ("metrics_by_lang.png", "metrics_by_type.png", "latency.png"):
        assert (run_dir / name).read_bytes()[:8] == PNG_MAGIC

    data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert data["run"]["name"] == "run-a"
    assert data["run"]["config"] == {"retriever": "fake", "k": 10}
    assert data["run"]["corpus"] == str(tiny["corpus"])
    assert data["run"]["questions_file"] == str(tiny["questions"])
    assert data["run"]["date"]

    overall = data["metrics"]["overall"]
    expected_keys = {
        "hit@1", "hit@3", "hit@5", "hit@10",
        "evidence_recall@1", "evidence_recall@3", "evidence_recall@5", "evidence_recall@10",
        "doc_hit@1", "doc_hit@3", "doc_hit@5", "doc_hit@10",
        "mrr@10", "ndcg@10", "fact_recall", "citation_precision",
        "abstention_precision", "abstention_recall", "false_abstention_rate",
        "latency_retrieval_p50_ms", "latency_retrieval_p95_ms", "latency_answer_p50_ms", "latency_answer_p95_ms",
        "n",
    }
    assert expected_keys <= set(overall)
    idcg2 = 1 + 1 / math.log2(3)
    expected = {
        "n": 5,
        "hit@1": 1 / 3,
        "hit@3": 2 / 3,
        "hit@5": 2 / 3,
        "hit@10": 1.0,
        "evidence_recall@3": 0.5,
        "evidence_recall@5": 0.5,
        "evidence_recall@10": (1 + 0.5 + 1) / 3,
        "doc_hit@1": 1 / 3,
        "doc_hit@5": 1.0,
        "mrr@10": (1 + 1 / 3 + 1 / 6) / 3,
        "ndcg@10": (1 + (1 / math.log2(4)) / idcg2 + 1 / math.log2(7)) / 3,
        "fact_recall": (1 + 0.5 + 0) / 3,
        "citation_precision": (1 + 0.5) / 2,  # q3 cites nothing: not counted
        "abstention_precision": 0.5,  # abstained on q3 (wrong) and q4 (right)
        "abstention_recall": 0.5,  # q4 declined, q5 answered
        "false_abstention_rate": 1 / 3,
    }
    for key, value in expected.items():
        assert overall[key] == pytest.approx(value, abs=1e-4), key
    for key in ("latency_retrieval_p50_ms", "latency_retrieval_p95_ms", "latency_answer_p50_ms", "latency_answer_p95_ms"):
        assert overall[key] >= 0

    by_lang = data["metrics"]["by_lang"]
    assert list(by_lang) == ["vi", "en"]
    assert by_lang["vi"]["n"] == 3 and by_lang["en"]["n"] == 2
    assert by_lang["vi"]["hit@5"] == pytest.approx(0.5)
    assert by_lang["en"]["hit@5"] == 1.0
    assert by_lang["en"]["abstention_recall"] == 0.0
    by_type = data["metrics"]["by_type"]
    assert list(by_type) == ["factoid", "list", "table", "unanswerable"]
    assert by_type["unanswerable"]["hit@5"] is None
    assert by_type["unanswerable"]["abstention_recall"] == 0.5
    assert by_type["table"]["hit@10"] == 1.0

    per_q = {q["id"]: q for q in data["questions"]}
    q2 = per_q["q2"]
    assert q2["first_hit_rank"] == 3
    assert q2["evidence_ranks"] == [3, None]
    assert q2["facts_missing"] == ["thiếu lao động"]
    assert q2["scores"]["citation_precision"] == 0.5
    assert [c["contains_evidence"] for c in q2["citations"]] == [True, False]
    assert q2["citations"][1]["source"] == "b.txt"  # filled from the passage
    assert q2["retrieved"][0] == {
        "rank": 1, "chunk_id": "b1", "source": "b.txt", "section": "Phần 1",
        "text": "Tỷ lệ hộ nghèo % 0,2 0,71 Đạt", "score": 1.0,
    }
    assert per_q["q3"]["first_hit_rank"] == 6
    assert per_q["q3"]["abstained"] is True
    assert per_q["q3"]["scores"]["abstention_correct"] is False
    assert per_q["q4"]["scores"]["abstention_correct"] is True
    assert per_q["q5"]["answer"] == "The population is 120.000 [1]."
    assert per_q["q1"]["latency_retrieval_ms"] >= 0 and per_q["q1"]["latency_answer_ms"] >= 0
    assert per_q["q3"]["extra"] == {"difficulty": "hard"}

    report = (run_dir / "report.md").read_text(encoding="utf-8")
    for heading in ("## Overall", "## By lang", "## By type", "## Failing questions"):
        assert heading in report
    misses = report.split("### Retrieval misses at 5 (1)")[1].split("\n### ")[0]
    assert "#### q3 (vi, table) — first hit at rank 6" in misses
    assert "`a.txt` — Phần 1 — \"Báo cáo kinh tế năm 2023.\"" in misses  # what came instead
    facts = report.split("### Answers missing facts")[1].split("\n### ")[0]
    assert "q2" in facts and "`thiếu lao động`" in facts and "q3" in facts
    wrong = report.split("### Wrong abstentions (2)")[1].split("\n### ")[0]
    assert "q3 (vi, table) — declined an answerable question" in wrong
    assert "q5 (en, unanswerable) — answered an unanswerable question" in wrong


def test_retrieval_only_run_omits_answer_metrics(tiny: dict[str, Path]) -> None:
    result = _run(tiny, "retrieval-only", RANKINGS_A, None)
    overall = result.metrics["overall"]
    assert overall["hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    for key in ("fact_recall", "citation_precision", "abstention_recall", "latency_answer_p50_ms"):
        assert key not in overall
    report = result.files["report"].read_text(encoding="utf-8")
    assert "retrieval only" in report
    assert "Answers missing facts" not in report
    assert all(p.read_bytes()[:8] == PNG_MAGIC for k, p in result.files.items() if k.startswith("plot"))


def test_a_failing_retriever_is_recorded_not_raised(tiny: dict[str, Path]) -> None:
    ok = make_retrieve(RANKINGS_A)

    def flaky(question: str, k: int) -> list[Hit]:
        if question == QUESTIONS[0]["question"]:
            raise RuntimeError("store offline")
        return ok(question, k)

    result = run_eval(tiny["questions"], run_name="flaky", out_dir=tiny["out"], retrieve=flaky, answer=None, progress=False)
    q1 = result.questions[0]
    assert q1.error and "store offline" in q1.error
    assert q1.retrieval is not None and q1.retrieval.metrics["hit@10"] == 0.0  # counted as a miss
    assert result.metrics["overall"]["hit@1"] == 0.0
    assert "### Errors (1)" in result.files["report"].read_text(encoding="utf-8")


# --------------------------------------------------------------------------- compare, ablation, floors


def test_compare_runs(tiny: dict[str, Path]) -> None:
    _run(tiny, "a", RANKINGS_A, ANSWERS_A)
    rankings_b = RANKINGS_A | {"q1": ["a1", "b2"], "q3": ["b1", "a1"]}  # q1 now missed, q3 found at 1
    answers_b = ANSWERS_A | {"q3": ("Giảm 0,71 % [1].", ["b1"], False)}
    _run(tiny, "b", rankings_b, answers_b)

    comp = compare_runs(tiny["out"] / "a", tiny["out"] / "b")
    assert (comp.run_a, comp.run_b) == ("a", "b")
    overall = {d.metric: d for d in comp.overall}
    assert overall["hit@5"].delta == pytest.approx(0.0, abs=1e-4)  # one lost, one gained
    assert overall["hit@1"].delta == pytest.approx(0.0, abs=1e-4)
    assert overall["false_abstention_rate"].delta == pytest.approx(-1 / 3, abs=1e-4)
    assert overall["false_abstention_rate"].improved is True  # lower is better
    vi = {d.metric: d for d in comp.by_lang["vi"]}
    assert vi["fact_recall"].delta == pytest.approx(0.5, abs=1e-4)
    table = {d.metric: d for d in comp.by_type["table"]}
    assert table["hit@5"].a == 0.0 and table["hit@5"].b == 1.0

    better = {(c.id, c.aspect): (c.a, c.b) for c in comp.better}
    worse = {(c.id, c.aspect): (c.a, c.b) for c in comp.worse}
    assert better[("q3", "hit rank@5")] == (None, 1)
    assert better[("q3", "fact_recall")] == (0.0, 1.0)
    assert better[("q3", "abstention")] == ("wrong", "right")
    assert worse == {("q1", "hit rank@5"): (1, None)}

    md = comp.to_markdown()
    assert "# Comparison: `a` (A) → `b` (B)" in md
    assert "| hit@1 |" in md and "## Better in B (3)" in md and "## Worse in B (1)" in md
    assert "| q1 | vi | factoid | hit rank@5 | 1 | miss |" in md


def test_run_ablation(tiny: dict[str, Path]) -> None:
    rankings_good = {q: ids for q, ids in RANKINGS_A.items()} | {"q3": ["b1"]}
    variants = {"baseline": make_retrieve(RANKINGS_A), "better": make_retrieve(rankings_good)}
    out = tiny["out"] / "ablation"
    markdown = run_ablation(tiny["questions"], variants, out, corpus_dir=tiny["corpus"], progress=False)
    assert (out / "ablation.md").read_text(encoding="utf-8") == markdown
    data = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
    assert data["variants"]["baseline"]["metrics"]["overall"]["hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert data["variants"]["better"]["metrics"]["overall"]["hit@5"] == 1.0
    assert data["variants"]["better"]["first_hit_rank"]["q3"] == 1
    assert "| baseline |" in markdown and "| better |" in markdown
    assert "## vi (n=3)" in markdown and "## en (n=2)" in markdown
    assert "**1.000**" in markdown  # best hit@5 in bold


def test_check_floors() -> None:
    metrics = {
        "overall": {"hit@5": 0.91, "mrr@10": 0.8, "fact_recall": None, "false_abstention_rate": 0.2},
        "by_lang": {"en": {"hit@5": 0.5}, "vi": {"hit@5": 1.0}},
        "by_type": {},
    }
    floors = {
        "overall": {"hit@5": 0.95, "mrr@10": 0.7, "fact_recall": 0.5, "false_abstention_rate": 0.1},
        "by_lang": {"en": {"hit@5": 0.8}, "vi": {"hit@5": 0.8}, "vi-noaccent": {"hit@5": 0.8}},
    }
    assert check_floors(metrics, floors) == [
        "hit@5 0.91 < floor 0.95",
        "false_abstention_rate 0.2 > ceiling 0.1",  # lower is better: a ceiling
        "by_lang[en] hit@5 0.5 < floor 0.8",
    ]


def test_shipped_floors_are_well_formed_and_catch_a_weak_run(tiny: dict[str, Path]) -> None:
    floors = load_floors()
    assert floors["overall"]["hit@5"] >= 0.9  # the CI gate is real, not a placeholder
    for group in (floors["overall"], *floors["by_lang"].values(), *floors["by_type"].values()):
        assert all(0.0 <= value <= 1.0 for value in group.values())
    result = _run(tiny, "floors", RANKINGS_A, ANSWERS_A)  # the tiny run misses on purpose
    failures = check_floors(result.metrics, floors)
    assert any(f.startswith("hit@5 ") for f in failures)
