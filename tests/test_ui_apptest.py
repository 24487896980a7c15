"""The Streamlit UI driven headlessly with ``streamlit.testing.v1.AppTest`` over the sample corpus.

The corpus is ingested once per session (``sample_settings`` in conftest); each test module
fixture works on a *copy* of that data folder, so uploads and removals here never touch it.
"""
from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from baocao.settings import Settings

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
TIMEOUT = 240  # the first run loads the embedder and builds the lexical index (2 shared CPUs)
QUESTION = "Những chỉ tiêu nào không đạt kế hoạch năm 2023 của Hương Trà?"
HUONG_TRA = "001_4f6835b70005be68.txt"
# The rows marked "Không đạt" in Hương Trà's targets table (corpus/001_4f6835b70005be68.txt).
MISSED = ["Tốc độ tăng trưởng (GTSX)", "Tổng thu ngân sách NN", "Tỷ lệ trường đạt chuẩn quốc gia"]
MET = ["Thu nhập bình quân đầu người", "Tổng vốn đầu tư toàn xã hội", "Tỷ lệ che phủ rừng"]

NEW_REPORT = """ỦY BAN NHÂN DÂN
XÃ AN PHÚ THỬ NGHIỆM
Số: 77/BC-UBND
An Phú, ngày 05 tháng 12 năm 2023

BÁO CÁO
Tình hình nuôi ong mật năm 2023

I. Kết quả
Năm 2023 toàn xã có 1.234 đàn ong mật, sản lượng mật ong đạt 56 tấn, tăng 12% so với năm 2022.

II. Nhiệm vụ năm 2024
Phát triển thêm 300 đàn ong mật và xây dựng nhãn hiệu mật ong An Phú.
"""


def copy_data_dir(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target


@pytest.fixture(scope="module")
def ui_data_dir(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_data_dir(Path(sample_settings.data_dir), tmp_path_factory.mktemp("ui-data"))


@pytest.fixture(autouse=True)
def ui_env(ui_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(ui_data_dir))
    monkeypatch.setenv("BAOCAO_LLM__PROVIDER", "none")
    yield ui_data_dir


def open_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go_to(at: AppTest, page: str) -> AppTest:
    at.sidebar.radio(key="page").set_value(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown_with(at: AppTest, needle: str) -> list[str]:
    return [m.value for m in at.markdown if needle in m.value]


def cited_rows(card: str) -> list[str]:
    """Text of the table rows of a source card that carry a cited mark."""
    rows = re.findall(r"<tr>(.*?)</tr>", card)
    return [re.sub(r"<[^>]+>", " ", row) for row in rows if 'class="bc-cite"' in row]


# ----------------------------------------------------------------------------- first open


def test_first_open_ingests_the_sample_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.backend

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mau.txt").write_text(NEW_REPORT, encoding="utf-8")
    monkeypatch.setattr(ui.backend, "SAMPLE_CORPUS", corpus)  # a one-file "sample corpus" keeps it fast
    monkeypatch.setenv("BAOCAO_DATA_DIR", str(tmp_path / "data"))

    at = open_app()
    assert any("1 new" in toast.value for toast in at.toast), [toast.value for toast in at.toast]
    go_to(at, "documents")
    assert list(at.dataframe[0].value["Tệp"]) == ["mau.txt"]
    (corpus / "khac.txt").write_text(NEW_REPORT.replace("ong mật", "bò sữa"), encoding="utf-8")
    at.run()  # opened before: never ingested again, even if the user removes everything
    assert list(at.dataframe[0].value["Tệp"]) == ["mau.txt"]


# ----------------------------------------------------------------------------- chat


def test_chat_lists_the_missed_targets_with_citations() -> None:
    at = open_app()
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]

    answers = markdown_with(at, "(#src-")
    assert len(answers) == 1, [m.value for m in at.markdown]
    answer = answers[0]
    for target in MISSED:
        assert target in answer
    for target in MET:
        assert target not in answer
    # Each [n] is a link to its source's anchor, with the quote as the tooltip.
    links = re.findall(r"\[\\\[(\d+)\\\]\]\(#(src-[0-9a-f]+-\d+) \"([^\"]*)\"\)", answer)
    assert len(links) >= 3
    assert any("Không đạt" in quote for _, _, quote in links)

    cards = markdown_with(at, 'class="bc-source"')
    assert cards, "no sources panel"
    assert any(label.startswith("📚") for label in (e.label for e in at.expander))
    card_text = "".join(cards)
    for _, anchor, _ in links:
        assert f'id="{anchor}"' in card_text  # every marker has its anchor in the panel
    huong_tra = [c for c in cards if HUONG_TRA in c]
    assert huong_tra, "the Hương Trà report is not among the sources"
    assert "📍 Hương Trà" in huong_tra[0] and "2023-11-14" in huong_tra[0]
    marked = [row for card in huong_tra for row in cited_rows(card)]
    for target in MISSED:
        assert any(target in row and "Không đạt" in row for row in marked), (target, marked)
    assert f"?doc={HUONG_TRA}&amp;chunk=" in huong_tra[0]  # opens the whole document

    # Export and feedback widgets are there for the answer.
    assert at.get("download_button"), "no Markdown download"
    assert at.feedback, "no 👍/👎"


def test_feedback_vote_is_stored(ui_data_dir: Path) -> None:
    at = open_app()
    at.chat_input[0].set_value(QUESTION).run()
    at.feedback[0].set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key=next(k for k in _widget_keys(at) if k.startswith("comment-text-"))).input("Đúng, đủ 3 chỉ tiêu")
    at.button(key=next(b.key for b in at.button if b.key and "FormSubmitter:comment-" in b.key)).click().run()
    records = [json.loads(line) for line in (ui_data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    mine = [r for r in records if r["question"] == QUESTION]
    assert mine and all(r["rating"] == "up" for r in mine)
    assert mine[-1]["comment"] == "Đúng, đủ 3 chỉ tiêu"
    assert any(c["source"] == HUONG_TRA for c in mine[-1]["citations"])


def _widget_keys(at: AppTest) -> list[str]:
    return [w.key for w in at.text_input if w.key]


def test_english_toggle_switches_labels() -> None:
    at = open_app()
    assert "Hỏi đáp" in " ".join(at.sidebar.radio(key="page").options)
    at.sidebar.toggle(key="lang_en").set_value(True).run()
    assert "Chat" in " ".join(at.sidebar.radio(key="page").options)
    assert at.chat_input[0].placeholder == "Type a question…"


# ----------------------------------------------------------------------------- search


def search(at: AppTest, query: str) -> AppTest:
    at.text_input(key="search_query").input(query)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def result_cards(at: AppTest) -> list[str]:
    return markdown_with(at, 'class="bc-source"')


def test_search_locality_filter_keeps_only_that_locality() -> None:
    at = go_to(open_app(), "search")
    search(at, "thu ngân sách nhà nước")
    unfiltered = result_cards(at)
    assert len(unfiltered) == 10  # first page of several
    assert len({re.search(r"📍 ([^·<]+)", c).group(1).strip() for c in unfiltered}) > 1

    at.sidebar.multiselect(key="f_locality").set_value(["Hương Trà"]).run()
    filtered = result_cards(at)
    assert filtered
    assert all("📍 Hương Trà ·" in card for card in filtered)
    assert all(HUONG_TRA in card for card in filtered)
    assert any("locality = Hương Trà" in c.value for c in at.caption)


def test_search_marks_query_words_ignoring_diacritics_and_pages() -> None:
    at = go_to(open_app(), "search")
    search(at, "thu ngan sach")  # typed without diacritics
    cards = result_cards(at)
    assert any('<mark class="bc-term">ngân</mark>' in c and '<mark class="bc-term">sách</mark>' in c for c in cards)
    assert any("lexical #" in c or "dense #" in c for c in cards)  # which leg found it
    first_page = cards[0]
    at.button(key="search_next").click().run()
    assert not at.exception
    assert result_cards(at) and result_cards(at)[0] != first_page
    assert any("2/" in c.value for c in at.caption)


# ----------------------------------------------------------------------------- documents and viewer


def test_documents_page_lists_the_reports() -> None:
    at = go_to(open_app(), "documents")
    table = at.dataframe[0].value
    assert len(table) == 5
    assert set(table["Tệp"]) >= {HUONG_TRA}
    assert at.file_uploader, "no uploader"


def test_viewer_marks_the_passage_in_the_whole_document() -> None:
    at = open_app()
    at.chat_input[0].set_value(QUESTION).run()
    card = next(c for c in markdown_with(at, 'class="bc-source"') if HUONG_TRA in c)
    chunk_id = re.search(r"chunk=([^\"&]+)", card).group(1)
    from urllib.parse import unquote

    viewer = open_app(doc=HUONG_TRA, chunk=unquote(chunk_id))
    documents = markdown_with(viewer, 'class="bc-document"')
    assert len(documents) == 1
    doc = documents[0]
    assert 'id="passage"' in doc
    assert doc.count('class="bc-cite"') > 3
    assert "Kỳ họp thứ 07" in doc  # the rest of the document is there too
    assert "&lt;b&gt;" not in doc and "**" not in doc  # markup cleaned for reading


# ----------------------------------------------------------------------------- uploads through the page


def test_upload_through_the_page_adds_a_document(ui_data_dir: Path) -> None:
    at = go_to(open_app(), "documents")
    at.file_uploader[0].set_value(("bao-cao ong mat.txt", NEW_REPORT.encode("utf-8"), "text/plain")).run()
    at.button(key="upload_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("bao-cao ong mat.txt" in s.value for s in at.success)
    assert (ui_data_dir / "uploads" / "bao-cao ong mat.txt").is_file()
    assert len(at.dataframe[0].value) == 6

    # The new report is searchable at once.
    go_to(at, "search")
    search(at, "đàn ong mật")
    assert "bao-cao ong mat.txt" in result_cards(at)[0]


def test_bad_upload_through_the_page_shows_its_error(ui_data_dir: Path) -> None:
    at = go_to(open_app(), "documents")
    before = len(at.dataframe[0].value)
    at.file_uploader[0].set_value(("rong.txt", b"", "text/plain")).run()
    at.button(key="upload_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any("rong.txt" in e and "rỗng" in e for e in errors), errors
    assert len(at.dataframe[0].value) == before
    assert not (ui_data_dir / "uploads" / "rong.txt").exists()


def test_upload_results_show_an_unsupported_type() -> None:
    from ui.uploads import UploadResult

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["page"] = "documents"
    at.session_state["upload_results"] = [UploadResult("virus.exe", "failed", "loại tệp không được hỗ trợ ('.exe')")]
    at.run()
    assert any("virus.exe" in e.value and ".exe" in e.value for e in at.error)


# ----------------------------------------------------------------------------- metadata edit and removal


def test_edit_metadata_then_remove_a_document(ui_data_dir: Path) -> None:
    from ui.uploads import save_and_ingest
    from vectorstore.retriever import SearchStack

    stack = SearchStack.open(Settings(data_dir=ui_data_dir))
    store = stack.store
    [result] = save_and_ingest([("tam thoi.md", NEW_REPORT.replace("ong mật", "cá tra").encode())], stack)
    assert result.ok, result

    at = go_to(open_app(), "documents")
    at.selectbox(key="manage_doc").set_value(result.doc_id).run()
    at.text_input(key=f"m-{result.doc_id}-locality").input("An Phú")
    at.button(key=f"FormSubmitter:meta-{result.doc_id}-{_save_label()}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert store.document(result.doc_id).meta.locality == "An Phú"
    assert any("locality" in s.value for s in at.success)

    at.checkbox(key=f"sure-{result.doc_id}").check().run()
    at.button(key=f"delete-{result.doc_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert store.document(result.doc_id) is None
    assert result.doc_id not in set(at.dataframe[0].value["doc_id"])


def _save_label() -> str:
    from ui.i18n import t

    return t("save")


# ----------------------------------------------------------------------------- evaluation


def test_evaluation_page_runs_a_small_question_set(dev_set_path: Path, tmp_path: Path, ui_data_dir: Path) -> None:
    from assistant.types import Answer
    from ui.feedback import make_record, save_feedback

    lines = dev_set_path.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    save_feedback(ui_data_dir, make_record("e1", Answer(question="Câu hỏi thử?", text="Không rõ.", abstained=True), "down"))

    at = go_to(open_app(), "eval")
    at.text_input(key="eval_path").input(str(small))
    at.button(key="eval_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    overall = at.dataframe[0].value.set_index("metric")["overall"]
    assert int(overall["n"]) == 3 and "hit@5" in overall.index
    assert len(at.dataframe) >= 3  # overall, by lang, by type (+ failing questions, if any)
    assert at.image, "no plots"
    assert at.get("download_button"), "no report / feedback export"

    # A second run can be compared with the first.
    at.button(key="eval_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.selectbox(key="eval_run_choice").options) >= 2
    baseline = at.selectbox(key="eval_baseline").value
    assert any(baseline in m.value for m in at.markdown), "no comparison"


def test_evaluation_page_reports_an_invalid_question_set(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "?"}\nnot json\n', encoding="utf-8")
    at = go_to(open_app(), "eval")
    at.text_input(key="eval_path").input(str(bad))
    at.button(key="eval_go").click().run()
    assert any("không hợp lệ" in e.value for e in at.error)
    assert any("line 2" in c.value for c in at.code)


# ----------------------------------------------------------------------------- targets


def test_targets_page_filters_the_records_and_shows_their_sources() -> None:
    at = go_to(open_app(), "targets")
    at.selectbox(key="tg_locality").set_value("Hương Trà").run()
    at.selectbox(key="tg_status").set_value("missed").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert sorted(table["Kế hoạch"]) == sorted(["14,5-15,5", "215-220", "31/38 (81,6%)"])
    assert set(table["Đánh giá"]) == {"Không đạt"}
    assert len(at.expander) >= 3 and any("Tốc độ tăng trưởng" in e.label for e in at.expander)
    assert at.get("download_button"), "no CSV export"
    at.sidebar.toggle(key="lang_en").set_value(True).run()
    assert "% of plan" in list(at.dataframe[0].value.columns)
