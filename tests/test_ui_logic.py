"""The UI's plain functions: uploads, highlighting, citation links, export, feedback (no Streamlit run)."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.types import Answer, Citation
from baocao.lang.detect import detect_language
from baocao.models import Chunk, DocumentMeta
from baocao.settings import Settings
from tests.test_store import EMBEDDER
from ui.answers import answer_markdown, group_by_passage, sources_of
from ui.feedback import export_questions, load_feedback, make_record, save_feedback, to_question
from ui.render import (
    document_html,
    highlight_html,
    link_citations,
    meta_line,
    table_html,
)
from ui.uploads import UploadResult, check_upload, choose_path, safe_filename, save_and_ingest
from vectorstore.hits import Hit
from vectorstore.retriever import SearchStack

# ----------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("báo cáo 2023.docx", "báo cáo 2023.docx"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.PDF", "evil.pdf"),
        ("/abs/path/x.md", "x.md"),
        ("..", "upload"),
        (".hidden.txt", "hidden.txt"),
        ("a<b>|c?.html", "a_b_c.html"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("", "upload"),
    ],
)
def test_safe_filename(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe
    assert "/" not in safe_filename(raw) and "\\" not in safe_filename(raw)


def test_check_upload_refuses_type_empty_and_size() -> None:
    assert "exe" in check_upload("virus.exe", b"MZ", 1.0)
    assert "không" in check_upload("noext", b"x", 1.0)
    assert "rỗng" in check_upload("a.txt", b"", 1.0)
    assert "empty" in check_upload("a.txt", b"", 1.0, lang="en")
    assert "MB" in check_upload("a.txt", b"x" * (2 * 1024 * 1024), 1.0)
    assert check_upload("a.txt", b"x", 1.0) == ""


def test_choose_path_never_overwrites_a_different_file(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_bytes(b"old")
    assert choose_path(tmp_path, "r.txt", b"old", {}) == (tmp_path / "r.txt", True)  # same bytes: reuse
    assert choose_path(tmp_path, "r.txt", b"new", {}) == (tmp_path / "r-1.txt", False)
    # A document id taken by a file elsewhere (the sample corpus) is not reused either.
    taken = {"c.txt": "/corpus/c.txt"}
    assert choose_path(tmp_path, "c.txt", b"x", taken) == (tmp_path / "c-1.txt", False)


# ----------------------------------------------------------------------------- save_and_ingest


@dataclass
class _Result:
    path: str
    status: str
    doc_id: str = ""
    chunks: int = 0
    reason: str = ""


@dataclass
class _Summary:
    results: list[_Result]


class _FakeStore:
    def __init__(self) -> None:
        self.docs: list[object] = []

    def documents(self) -> list[object]:
        return self.docs


def _stack(settings: Settings) -> SearchStack:
    """Only what uploads use: the settings, the store's documents, an embedder to hand the pipeline."""
    return SearchStack(settings, EMBEDDER, _FakeStore(), None)


def _fake_ingest(fail_on: str = "") -> tuple[list[Path], object]:
    seen: list[Path] = []

    def ingest(paths: list[Path], store: object, embedder: object, settings: Settings, progress: bool = False) -> _Summary:
        path = paths[0]
        seen.append(path)
        assert path.is_file(), "the upload is saved before ingesting"
        if fail_on and fail_on in path.name:
            return _Summary([_Result(str(path), "failed", path.name, reason="cannot read: broken file")])
        return _Summary([_Result(str(path), "new", path.name, 3)])

    return seen, ingest


def test_save_and_ingest_validates_saves_and_cleans_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", max_file_mb=1.0)
    seen, ingest = _fake_ingest(fail_on="broken")
    progress: list[tuple[int, int]] = []
    results = save_and_ingest(
        [
            ("../../outside.txt", b"hello"),
            ("virus.exe", b"MZ"),
            ("empty.md", b""),
            ("big.txt", b"x" * (1024 * 1024 + 1)),
            ("broken.pdf", b"%PDF-garbage"),
        ],
        _stack(settings), ingest=ingest, on_progress=lambda done, total, name: progress.append((done, total)),
    )
    assert [r.status for r in results] == ["new", "failed", "failed", "failed", "failed"]
    uploads = settings.data_dir / "uploads"
    assert results[0].saved_as == str(uploads / "outside.txt")
    assert not (tmp_path / "outside.txt").exists()
    assert "exe" in results[1].reason and "rỗng" in results[2].reason and "MB" in results[3].reason
    assert results[4].reason == "không nạp được tệp (cannot read: broken file)"  # an unknown reason, framed
    assert sorted(p.name for p in uploads.iterdir()) == ["outside.txt"]  # the failed one was removed
    assert [p.name for p in seen] == ["outside.txt", "broken.pdf"]  # rejected files never reach the pipeline
    assert progress[0] == (0, 5) and progress[-1] == (5, 5)


def test_save_and_ingest_keeps_an_existing_identical_file_on_failure(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "broken.txt").write_bytes(b"same")
    _, ingest = _fake_ingest(fail_on="broken")
    [result] = save_and_ingest([("broken.txt", b"same")], _stack(settings), ingest=ingest)
    assert result.status == "failed"
    assert (tmp_path / "uploads" / "broken.txt").exists()  # it was there before this upload


def test_save_and_ingest_reports_a_pipeline_exception(tmp_path: Path) -> None:
    def ingest(*args: object, **kwargs: object) -> object:
        raise RuntimeError("store is down")

    [result] = save_and_ingest([("a.txt", b"x")], _stack(Settings(data_dir=tmp_path)), ingest=ingest)
    assert result == UploadResult("a.txt", "failed", "không nạp được tệp (RuntimeError: store is down)")
    assert not any((tmp_path / "uploads").iterdir())


@pytest.mark.slow
def test_save_and_ingest_with_the_real_pipeline(sample_settings: Settings, tmp_path: Path) -> None:
    data = shutil.copytree(sample_settings.data_dir, tmp_path / "data")
    settings = Settings(data_dir=data)
    stack = SearchStack.open(settings)
    store = stack.store
    before = {r.meta.doc_id: r.meta.content_hash for r in store.documents()}
    corpus_text = (Path(__file__).resolve().parent.parent / "corpus" / "001_4f6835b70005be68.txt").read_bytes()
    results = save_and_ingest(
        [
            ("001_4f6835b70005be68.txt", b"Mot bao cao khac hoan toan.\n\nNam 2023 xa X trong 5 ha lua."),  # same name
            ("ban sao.txt", corpus_text),  # same content as a stored report
            ("hong.docx", b"not a zip file"),
        ],
        stack,
    )
    assert results[0].status == "new" and results[0].doc_id == "001_4f6835b70005be68-1.txt"
    assert results[1].status == "failed" and "trùng nội dung với 001_4f6835b70005be68.txt" in results[1].reason
    assert results[2].status == "failed" and "không đọc được tệp Word" in results[2].reason
    after = {r.meta.doc_id: r.meta.content_hash for r in store.documents()}
    assert {k: v for k, v in after.items() if k in before} == before  # nothing stored was changed
    assert set(after) - set(before) == {"001_4f6835b70005be68-1.txt"}
    assert sorted(p.name for p in (data / "uploads").iterdir()) == ["001_4f6835b70005be68-1.txt"]


# ----------------------------------------------------------------------------- highlighting


def _read(question: str):  # -> Query, read with the shipped abbreviations and no corpus
    from baocao.lang.abbreviations import Abbreviations
    from vectorstore.query import read_query

    return read_query(question, None, Abbreviations.load(), None)


def _marked(text: str, question: str) -> list[str]:
    from ui.matches import match_passage, query_phrases

    query = _read(question)
    return [text[s:e] for s, e in sorted(match_passage(text, query_phrases(query), query.accents).spans)]


def test_search_marks_phrases_and_their_abbreviation_not_single_syllables() -> None:
    text = "Công tác GPMB chậm; giải quyết kiến nghị; Mặt trận Tổ quốc; cụ thể bằng văn bản; giải phóng mặt bằng xong."
    assert _marked(text, "giải phóng mặt bằng") == ["GPMB", "giải phóng mặt bằng"]
    assert _marked(text, "GPMB") == ["GPMB", "giải phóng mặt bằng"]  # the other way round too
    assert _marked(text, "giai phong mat bang") == ["GPMB", "giải phóng mặt bằng"]  # typed without accents


def test_search_match_needs_every_phrase_and_respects_accents() -> None:
    from ui.matches import match_passage, query_phrases

    query = _read("thu ngân sách nhà nước")
    phrases = query_phrases(query)
    assert match_passage("Tổng thu NSNN đạt 151 tỷ", phrases, query.accents).complete  # thu + NSNN
    assert match_passage("Thu ngân sách nhà nước ước đạt", phrases, query.accents).complete
    assert not match_passage("Thu nhập; ngân sách xã", phrases, query.accents).any
    assert _marked("đạt và đất", "đạt") == ["đạt"]  # typed with diacritics: only that word
    assert _marked("đạt và đất", "dat") == ["đạt", "đất"]  # typed without: any accented form


def test_highlight_html_escapes_and_marks() -> None:
    out = highlight_html("a <b> & $5\nnext", [(0, 1), (11, 15)], anchors=[(11, "x")])
    assert out == (
        '<mark class="bc-cite">a</mark> &lt;b&gt; &amp; &#36;5<br><span id="x"></span><mark class="bc-cite">next</mark>'
    )


def test_table_html_keeps_offsets_for_marks_and_anchors() -> None:
    text = "Chỉ tiêu\tKH\tTH\nThu ngân sách\t215\t151\tKhông đạt"
    start = text.index("Thu")
    out = table_html(text, [(start, len(text))], anchors=[(start, "src-1-2")])
    rows = out.split("<tr>")
    assert 'class="bc-cite"' not in rows[1]
    assert rows[2].count('<mark class="bc-cite">') == 4 and '<span id="src-1-2"></span>' in rows[2]


def test_document_html_marks_spans_and_cleans_markup() -> None:
    original = "## **Tiêu đề**\nĐoạn một.\nĐoạn <b>hai</b> được trích.\nA\tB\n"
    start = original.index("Đoạn <b>")
    out = document_html(original, [(start, original.index(".", start) + 1)])
    assert "**" not in out and "&lt;b&gt;" not in out and "##" not in out
    assert '<span id="passage"></span><mark class="bc-cite">Đoạn hai được trích.</mark>' in out
    assert "<table" in out


def test_citation_markers_show_their_quote_inline() -> None:
    from ui.render import CitePop

    text = "Đạt 8,8% [1], chi $5 [2] và [9]."
    pops = {1: CitePop("Báo cáo", "Mục I", 'Tốc độ\t"tăng"\t8,8%', "?doc=d&chunk=c&cite=0-5"), 2: CitePop("B", "", "chi")}
    linked = link_citations(text, pops, "src-a", "vi")
    first = re.search(r'<span class="bc-ref"[^>]*data-n="1">\[1\]<span class="bc-pop">(.*?)</span></span>', linked)
    assert first, linked
    assert "Tốc độ | &quot;tăng&quot; | 8,8%" in first.group(1) or 'Tốc độ | "tăng" | 8,8%' in first.group(1)
    assert 'href="#src-a-1"' in first.group(1) and "cite=0-5" in first.group(1) and "Xem trong nguồn" in first.group(1)
    assert 'data-n="2"' in linked and "[9]" in linked and "\\$5" in linked
    assert "Show in the sources" in link_citations(text, pops, "src-a", "en")


def test_numbered_rows_lose_their_table_number_not_the_bullet() -> None:
    from ui.render import tidy_answer

    text = "Theo báo cáo:\n- 1. Tốc độ tăng trưởng [1]\n- 4. Tổng thu [2]\n- Khác 5. mục [3]"
    assert tidy_answer(text) == "Theo báo cáo:\n- Tốc độ tăng trưởng [1]\n- Tổng thu [2]\n- Khác 5. mục [3]"


def test_a_bold_short_answer_stands_before_the_quotes_as_its_own_paragraph() -> None:
    from ui.render import tidy_answer

    lead = "**Tổng thu ngân sách ước đạt 1.484 tỷ đồng** [1]"
    quote = "Theo Báo cáo – Hải Dương – 2023: Tổng thu ngân sách ước đạt 1.484 tỷ đồng, bằng 122% dự toán. [1]"
    assert tidy_answer(f"{lead}\n{quote}") == f"{lead}\n\n{quote}"  # not one run-on paragraph
    assert tidy_answer(f"{lead}\nTheo X:\n- 2. Dòng [2]") == f"{lead}\n\nTheo X:\n- Dòng [2]"
    # Only a first line wholly in bold is a lead; other lines are left as written.
    for text in (f"Theo X: **đậm** ở giữa [1]\n{quote}", f"{quote}\n{lead}", f"{lead}\n\n{quote}"):
        assert tidy_answer(text) == text
    linked = link_citations(f"{lead}\n{quote}", {}, "src-a", "vi")
    assert linked.startswith(lead + "\n\nTheo Báo cáo")


def test_viewer_finds_the_cited_row_in_the_original_text() -> None:
    from ui.render import locate_quote, parse_cite

    original = "Mở đầu.\n| **Chỉ tiêu** | KH |\n| Thu ngân sách | 215 |\n| Trường chuẩn | 31 | <b>Không đạt</b> |\nKết."
    start, end = locate_quote(original, "Trường chuẩn\t31\tKhông đạt", (8, len(original)))
    assert original[start:end] == "Trường chuẩn | 31 | <b>Không đạt"
    assert parse_cite("3-9") == (3, 9) and parse_cite("9-3") is None and parse_cite("x") is None


def test_reasons_and_labels_are_translated() -> None:
    from ui.i18n import reason_text

    assert reason_text("unreadable PDF: Stream has ended unexpectedly") == "không đọc được tệp PDF (tệp hỏng hoặc không phải PDF)"
    assert "nhị phân" in reason_text("binary file (not text)")
    assert reason_text("binary file (not text)", "en") == "not a text file (binary content)"
    meta = DocumentMeta(doc_id="d", source="d.txt", issuer="UBND", doc_number="3/BC", date_issued="2023-11-14", is_draft=True)
    assert meta_line(meta, "en") == "UBND · no. 3/BC · date 2023-11-14 · DRAFT"
    assert meta_line(meta) == "UBND · số 3/BC · ngày 2023-11-14 · DỰ THẢO"


# ----------------------------------------------------------------------------- answers, export, feedback


def _answer() -> Answer:
    meta = DocumentMeta(doc_id="d.txt", source="d.txt", locality="Hương Trà", title="Báo cáo năm 2023", date_issued="2023-11-14")
    text = "Chỉ tiêu\tKH\tTH\nThu ngân sách\t215\t151\tKhông đạt\nTrường chuẩn\t31\t29\tKhông đạt"
    chunk = Chunk("d.txt:g:0001", "d.txt", 1, "table", text, text, text, section_path=["I", "2"], meta=meta)
    q1, q2 = text.splitlines()[1], text.splitlines()[2]
    return Answer(
        question="Những chỉ tiêu nào không đạt?",
        text="Thu ngân sách [1] và trường chuẩn [2] không đạt.",
        citations=[
            Citation(1, chunk.chunk_id, "d.txt", "d.txt", "Báo cáo năm 2023", "I > 2", q1, (text.index(q1), text.index(q1) + len(q1))),
            Citation(2, chunk.chunk_id, "d.txt", "d.txt", "Báo cáo năm 2023", "I > 2", q2, (0, 3)),  # wrong span: found by text
        ],
        passages=[Hit(chunk, 1.0, 1)],
    )


def test_sources_resolve_quotes_and_group_by_passage() -> None:
    answer = _answer()
    sources = sources_of(answer)
    assert [s.n for s in sources] == [1, 2]
    assert all(s.text[slice(*s.quote_interval())] == s.citation.quote for s in sources)
    assert len(group_by_passage(sources)) == 1


def test_answer_markdown_has_text_and_sources() -> None:
    md = answer_markdown(_answer())
    assert md.startswith("## Những chỉ tiêu nào không đạt?")
    assert "**[1] Báo cáo năm 2023**" in md and "> Thu ngân sách 215 151 Không đạt" in md
    assert "`d.txt`" in md and "Hương Trà · ngày 2023-11-14" in md


def test_the_language_detector_matches_the_question_sets(dev_set_path: Path) -> None:
    for path in (dev_set_path, *sorted(dev_set_path.parent.glob("*.jsonl"))):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert detect_language(record["question"]) == record["lang"], (path.name, record["question"])


def test_feedback_is_stored_and_exported_as_a_valid_question_set(tmp_path: Path) -> None:
    from evals.questions import load_questions

    answer = _answer()
    save_feedback(tmp_path, make_record("a1", answer, "down"))
    save_feedback(tmp_path, make_record("a1", answer, "up", "  đúng  "))  # a later vote replaces it
    abstained = Answer(question="GDP of Mars in 2023?", text="Không tìm thấy.", abstained=True)
    save_feedback(tmp_path, make_record("a2", abstained, "up"))
    (tmp_path / "feedback.jsonl").open("a").write("not json\n")

    records = load_feedback(tmp_path)
    assert [r["answer_id"] for r in records] == ["a1", "a2"]
    assert records[0]["rating"] == "up" and records[0]["comment"] == "đúng"

    first = to_question(records[0])
    assert first["type"] == "feedback" and first["answerable"] and first["docs"] == ["d.txt"]
    assert first["evidence"] == [c.quote for c in answer.citations] and first["answer_facts"] == []
    assert first["lang"] == "vi" and first["answer"] == answer.text
    second = to_question(records[1])
    assert not second["answerable"] and second["docs"] == [] and second["lang"] == "en"

    exported = tmp_path / "fb.jsonl"
    exported.write_text(export_questions(records), encoding="utf-8")
    assert [q.id for q in load_questions(exported)] == ["fb-a1", "fb-a2"]  # the evaluation format accepts it
    assert export_questions(records, only_up=True).count("\n") == 2


# ----------------------------------------------------------------------------- LLM warnings and the run comparison


def test_every_llm_warning_the_assistant_writes_is_told_in_both_languages() -> None:
    from assistant.llm import check_answer
    from ui.i18n import warning_text

    chunk = Chunk.from_metadata("c1", "Giải ngân đạt 6,39 % so với kế hoạch.", {"doc_id": "d1", "source": "d1.txt"})
    checked = check_answer("The answer is 999 percent of the plan [9].", [Hit(chunk, 1.0, 1)], "Tỷ lệ giải ngân?", "vi")
    written = [*checked.warnings,  # the messages of assistant.llm and assistant.service, as they write them
               "LLM answer failed the checks (missing-citation, uncited, figure, language); answered without it (extractive)",
               "LLM unavailable: the LLM at http://h:1/v1 did not answer within 2.5s; answered without it (extractive)",
               "the LLM's standalone question was not used (longer than a question); used the rule",
               "could not condense the follow-up with the LLM (cannot reach the LLM at http://h:1/v1); used the rule"]
    assert len(checked.warnings) == 4, checked.warnings
    for warning in written:
        vi, en = warning_text(warning, "vi"), warning_text(warning, "en")
        assert vi != warning and vi != en, warning
        assert detect_language(vi) != "en", vi
    assert warning_text("LLM unavailable: the LLM at http://h:1/v1 did not answer within 2.5s; answered without it (extractive)",
                        "vi") == "không dùng được mô hình ngôn ngữ (LLM http://h:1/v1 không trả lời trong 2.5 giây); " \
                                 "đã trả lời bằng trích dẫn trực tiếp"
    assert warning_text("something new", "vi") == "something new"  # unknown: shown as written


def test_the_run_comparison_tables_are_in_the_pages_language() -> None:
    from evals.compare import MetricDelta, QuestionChange
    from ui.views.evaluation import change_rows, delta_rows

    rows = delta_rows([MetricDelta("hit@5", 0.5, 0.75), MetricDelta("latency_answer_p50_ms", 10.0, 20.0)], "a", "b", "vi")
    assert list(rows) == ["Chỉ số", "A: a", "B: b", "Chênh lệch (B − A)"]
    assert rows["Chênh lệch (B − A)"] == ["+0.250 ↑", "+10.0 ↓"]
    changes = [QuestionChange("q1", "Câu?", "vi", "factoid", "abstention", "right", "wrong"),
               QuestionChange("q2", "Câu 2?", "vi", "list", "hit rank@5", None, 2)]
    vi, en = change_rows(changes, "vi"), change_rows(changes, "en")
    assert [(r["Thay đổi"], r["A"], r["B"]) for r in vi] == [
        ("từ chối trả lời", "đúng", "sai"), ("hạng đoạn đúng (trong 5 đầu)", "không có", "2")]
    assert [(r["What changed"], r["A"]) for r in en] == [("abstention", "right"), ("rank of the right passage (top 5)", "miss")]


def test_the_search_count_says_when_it_is_capped() -> None:
    from ui.views.search import MAX_RESULTS, Results, count_text

    hits = [object()] * MAX_RESULTS
    assert count_text(Results(hits[:7], {}, exact=True, capped=False), "vi") == "7 đoạn chứa các từ tìm"
    capped = count_text(Results(hits, {}, exact=True, capped=True), "vi")
    assert capped.startswith(f"{MAX_RESULTS}+ đoạn") and f"chỉ xét {MAX_RESULTS} đoạn đầu" in capped
    assert "only the first" in count_text(Results(hits, {}, exact=True, capped=True), "en")
    closest = count_text(Results(hits[:5], {}, exact=False, capped=False), "vi")
    assert "5" in closest and "chứa các từ tìm" not in closest  # no match: not counted as matches
