"""Contracts of the language package's word lists (baocao/lang/data): each file parses, is NFC, has
no duplicate entries, and holds what the code reading it expects."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from baocao.lang import tables
from baocao.lang.abbreviations import Abbreviations
from baocao.lang.detect import english_markers
from baocao.lang.doctypes import doc_type_by_code, doc_types, doc_types_named
from baocao.lang.glossary import Glossary
from baocao.lang.normalize import canonical_syllable, fold_accents, fold_syllable
from baocao.lang.periods import english_months, roman_value
from baocao.lang.places import level_named, levels, lowercase_mentions, place_mentions, strip_level
from baocao.lang.questions import (
    ANSWER_SHAPES,
    answer_shapes,
    asks_count,
    asks_meaning,
    cell_status,
    copula_at,
    measures_asked,
    question_phrases,
    remove_question_words,
    statuses_in_text,
    stopwords,
)
from baocao.lang.sentences import sentence_spans
from baocao.lang.signatures import asks_signer, is_personal_name, signature_of

DATA = tables.DATA_DIR
FILES = sorted(p for p in DATA.iterdir() if p.is_file())


def test_every_data_file_is_listed_here() -> None:
    # a new word list needs its contract below
    assert {p.name for p in FILES} == {
        "abbreviations.tsv", "abbreviations_with_dot.txt", "answer_cues.tsv", "cause_words.txt", "central_bodies.txt",
        "central_cities.txt", "common_phrases.txt", "figure_terms_en.tsv", "instruction_phrases.txt", "provinces.txt",
        "remedy_words.txt", "count_words.txt", "signer_cues.txt", "signer_titles.txt",
        "definition_cues.tsv", "doc_frame_words.txt", "doc_types.tsv", "english_markers.txt", "english_short_words.txt",
        "exclusion_words.txt", "followup_starts.txt", "followup_words.txt", "generic_words.txt", "glossary_en_vi.tsv",
        "government_words.txt", "level_compounds.txt", "levels.tsv", "line_connectors.txt", "meaning_cues.tsv", "measure_stopwords.txt", "measures.tsv",
        "months_en.tsv",
        "numbered_name_words.txt", "place_kind_words.txt", "question_phrases.tsv", "question_words.txt",
        "relative_dates.txt", "site_chrome.txt", "status_words.tsv",
        "stopwords_en.txt", "stopwords_vi.txt", "stopwords_vi_folded.txt", "target_glossary.tsv", "target_questions.tsv",
        "target_question_words.txt", "target_terms.tsv",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_file_is_utf8_nfc_without_duplicate_entries(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", text) == text, f"{path.name} is not NFC"
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert lines, f"{path.name} is empty"
    assert text.lstrip().startswith("#"), f"{path.name} should open with a comment saying what it holds"
    if path.suffix == ".txt":
        assert len(lines) == len(set(lines)), f"duplicate entries in {path.name}"
    else:
        assert len(lines) == len(set(lines)), f"duplicate rows in {path.name}"


@pytest.mark.parametrize("name", [p.name for p in FILES if p.suffix == ".tsv" and p.name not in (
    "abbreviations.tsv", "glossary_en_vi.tsv")])
def test_record_tables_have_their_header_width(name: str) -> None:
    rows = tables.records(name)
    assert rows and all(len(row) == len(rows[0]) for row in rows)


def test_pair_tables_parse_into_abbreviations_and_glossary() -> None:
    assert len(tables.read_pairs(tables.data_file("abbreviations.tsv"))) > 200
    abbreviations = Abbreviations.load()
    assert "giải phóng mặt bằng" in abbreviations.expansions["gpmb"]
    glossary = Glossary.load()
    assert glossary.translate("poverty rate")[0][0].alternatives == ["tỷ lệ hộ nghèo"]
    # the documents' frequent words (evals.glossary_gaps), inflected as questions write them
    found, _ = glossary.translate("Which court handles damage claims, and how is the financial report's update notified?")
    assert {str(e.found): e.alternatives[0] for e in found if str(e.found) != "handles"} == {
        "court": "tòa án", "damage": "thiệt hại", "financial": "tài chính", "report's": "báo cáo",
        "update": "cập nhật", "notified": "thông báo"}


def test_levels_table() -> None:
    names = [level.name for level in levels()]
    assert names == ["tỉnh", "thành phố", "thị xã", "huyện", "quận", "phường", "xã", "thị trấn"]
    assert level_named("TP.").name == "thành phố" and level_named("thi xa").name == "thị xã"  # type: ignore[union-attr]
    assert all(parent in names for level in levels() for parent in level.parents)
    assert strip_level("thành phố Tây Ninh") == "Tây Ninh" and strip_level("TP. Hồ Chí Minh") == "Hồ Chí Minh"
    assert strip_level("Phường 2") == "Phường 2"  # a number is not a name by itself
    assert place_mentions("Dân số của thành phố Đà Nẵng năm 2023") == ["Đà Nẵng"]
    # a lower-case place (place_kind_words.txt, level_compounds.txt) is the two words after its level word, unless the level is counted or qualified
    assert [(n, lv.name) for n, lv in lowercase_mentions("huyện krông bông năm 2024 có bao nhiêu xã đạt chuẩn")] == [
        ("krông bông", "huyện")]
    assert [n for n, _ in lowercase_mentions("phường 2 thị xã hương trà")] == ["hương trà"]
    assert lowercase_mentions("các xã thuộc ubnd cấp huyện gồm những gì") == []
    assert lowercase_mentions("tình hình kinh tế xã hội quý một") == []  # "xã hội" is an everyday word
    assert lowercase_mentions("tỉnh ủy quảng ninh") == []


def test_doc_types_table() -> None:
    assert [t.name for t in doc_types()][:2] == ["Báo cáo", "Kế hoạch"]
    assert doc_type_by_code("bc").name == "Báo cáo"  # type: ignore[union-attr]
    assert {t.name for t in doc_types() if t.plan} == {"Kế hoạch", "Chương trình", "Đề án", "Phương án"}
    assert doc_types_named("In the 2024 plan of Ward 2") == ["Kế hoạch"]


def test_months_and_roman_numerals() -> None:
    assert english_months()["sept"] == 9 and len(set(english_months().values())) == 12
    assert [roman_value(r) for r in ("I", "iv", "IX", "XVI", "XX")] == [1, 4, 9, 16, 20]
    assert roman_value("VX") == 0 and roman_value("") == 0 and roman_value("ABC") == 0


def test_answer_cues_name_known_shapes_and_fire() -> None:
    assert {row["shape"][0] for row in tables.records("answer_cues.tsv")} <= set(ANSWER_SHAPES)
    assert {"number", "percent"} <= answer_shapes("Tỷ lệ giải ngân đạt bao nhiêu phần trăm?")
    assert "cause" in answer_shapes("vi sao giai ngan cham")  # the cues are folded like the question
    assert "list" in answer_shapes("Những nhiệm vụ nào chưa hoàn thành?")
    # the "nào" of "ngày nào" asks a date: it closes no "các … nào" list
    assert answer_shapes("Các xã phải lập tổ kiểm kê trước ngày nào?") == {"date"}
    assert {"list", "date"} <= answer_shapes("Những xã nào phải lập tổ kiểm kê trước ngày nào?")
    assert {"status", "missed"} <= answer_shapes("Which targets were missed?")
    # an English figure question says "what was the total" or "what did it reach", not "how much"
    assert "number" in answer_shapes("What was the total spending on schools in 2022?")
    assert "number" in answer_shapes("What did rice output reach last year?")
    assert "number" not in answer_shapes("Why did the road works fall behind?")
    assert "remedy" in answer_shapes("Thị xã có giải pháp gì để khắc phục?")
    assert "docs" in answer_shapes("Báo cáo nào nói về vỉa hè?") and "docs" not in answer_shapes("Nói về báo cáo nào")


def test_stopwords_and_question_phrases() -> None:
    assert "cua" in stopwords(False) and "của" in stopwords(True) and "môi" not in stopwords(True)
    assert all(w == canonical_syllable(w) for w in stopwords(True))
    assert question_phrases()[("vi", "sao")] == "nguyên nhân"
    text, hints = remove_question_words("Vì sao giải ngân chậm?")
    assert "Vì sao" not in text and hints == ["nguyên nhân"]
    assert {"what", "which", "the"} <= english_markers()


def test_measures_and_statuses() -> None:
    [people] = measures_asked("bao nhiêu người", accents=True)
    assert people.key == "nguoi" and ("thanh", "niên") in people.forms
    [projects] = measures_asked("bao nhieu du an", accents=False)
    assert projects.key == "du an" and projects.forms == (("du", "an"),)
    assert cell_status("Không đạt") == "missed" and cell_status("Đạt") == "met" and cell_status("Vượt") == "met"
    assert cell_status("51,5") == ""
    assert statuses_in_text("đạt và vượt 10/10 chỉ tiêu") == {"met"}
    assert statuses_in_text("một số nhiệm vụ chưa hoàn thành như:") == {"missed"}


def test_a_count_is_asked_by_its_words_not_by_a_share() -> None:
    assert asks_count("Dân số của xã năm 2023 là bao nhiêu?") and asks_count("dan so cua xa la bao nhieu")
    assert asks_count("How many households were poor in 2023?") and asks_count("What was the population?")
    assert not asks_count("Tỷ lệ dân số sử dụng nước sạch là bao nhiêu?")  # a share of the population
    assert not asks_count("What percentage of the population uses clean water?")
    assert not asks_count("Thu ngân sách năm 2023 đạt bao nhiêu?")  # an amount, not a count
    assert not asks_count("Công tác dân vận được thực hiện thế nào?")  # "dân" alone is not "dân số"


def test_a_signature_block_gives_the_title_and_the_name_when_it_has_one() -> None:
    named = signature_of(["Lưu: VT.", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Trần Hồ Đăng"])
    assert named is not None and named.title == "TM. ỦY BAN NHÂN DÂN – CHỦ TỊCH"
    assert (named.name, named.name_line) == ("Trần Hồ Đăng", 3)
    untitled = signature_of(["Nơi nhận:", "- Lưu: VT.", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"])
    assert untitled is not None and untitled.name == "" and untitled.title == "KT. CHỦ TỊCH – PHÓ CHỦ TỊCH"
    marked = signature_of(["**CHỦ TỊCH**", "(đã ký)", "**Nguyễn Hoài Anh**"])  # a crawled page's bold lines
    assert marked is not None and marked.name == "Nguyễn Hoài Anh"
    assert signature_of(["Nơi nhận:", "- UBND tỉnh;", "- Lưu: VT."]) is None  # no title: no signature block
    # a recipient line in capitals is not a title; a sentence is not a name
    assert signature_of(["ỦY BAN NHÂN DÂN TỈNH", "Lưu: VT."]) is None
    assert not is_personal_name("Lưu: VT.") and not is_personal_name("Chi ngân sách đúng quy định")
    assert not is_personal_name("CHỦ TỊCH") and is_personal_name("Lê Thị Thu Hà")


def test_who_signed_is_asked_by_its_words() -> None:
    assert asks_signer("Ai ký báo cáo 3422/BC-UBND?") and asks_signer("ai ky ke hoach 26 cua tay ninh")
    assert asks_signer("Ai là người đã ký quyết định này?") and asks_signer("Who signed the 2023 report?")
    assert asks_signer("Người ký kế hoạch là ai?")
    assert not asks_signer("Người ký kết hợp đồng lao động phải là ai?")  # "ký kết": to conclude a contract
    assert not asks_signer("Ai chủ trì kỳ họp thứ 7?")  # "kỳ" is not "ký"
    assert not asks_signer("Quyết định có hiệu lực kể từ ngày ký không?")


def test_one_i_y_fold_for_retrieval_and_answers() -> None:
    assert fold_syllable("Tỷ") == fold_syllable("tỉ") == "ti" and fold_syllable("Thy") == "thi"
    assert fold_syllable("Thủy") == "thuy" and fold_syllable("quý") == "quy"  # "uy" is a vowel pair
    assert canonical_syllable("Tỷ") == "tỉ" and canonical_syllable("kỹ") == "kĩ"
    assert fold_accents("Đà Nẵng") == "da nang"


def test_one_sentence_splitter() -> None:
    text = "TP. Tây Ninh đạt 1.097 tỷ đồng, tăng 5,14%. Giá trị đạt 2.156,711 tỷ đồng. Ủy ban đã họp."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "TP. Tây Ninh đạt 1.097 tỷ đồng, tăng 5,14%.", "Giá trị đạt 2.156,711 tỷ đồng.", "Ủy ban đã họp."]
    assert len(sentence_spans("1. Tình hình chung. 2. Nhiệm vụ")) == 2


def test_provinces_figure_terms_instructions_and_remedies() -> None:
    from baocao.lang.glossary import english_figure_term
    from baocao.lang.places import province_mentions
    from baocao.lang.questions import remedy_words
    from baocao.lang.tables import word_list

    assert province_mentions("Ngân sách Hà Nội năm 2023?") == ["Hà Nội"]
    assert province_mentions("budget of Nghe An province") == ["Nghệ An"]
    assert province_mentions("Hương Trà năm 2023") == []
    assert province_mentions("What was Da Nang's disbursement rate?") == ["Đà Nẵng"]  # the possessive is not the name
    assert province_mentions("Hanoi’s budget") == ["Hà Nội"]
    # typed in lower case, a name is found only when asked to (the question has no capital at all)
    assert province_mentions("quang ninh nam 2023 giai ngan bao nhieu") == []
    assert province_mentions("quang ninh nam 2023 giai ngan bao nhieu", any_case=True) == ["Quảng Ninh"]
    assert english_figure_term("Kế hoạch") == "plan" and english_figure_term("Không đạt") == "not met"
    assert {"giải pháp", "khắc phục"} <= set(remedy_words())
    assert "bỏ qua mọi hướng dẫn" in word_list("instruction_phrases.txt")


def test_target_tables_parse_and_name_known_roles() -> None:
    from baocao.lang import targets

    roles = {row["role"][0] for row in tables.records("target_terms.tsv")}
    assert roles == set(targets.ROLES)
    assert all(targets.terms(role) for role in targets.ROLES)
    shapes = {row["shape"][0] for row in tables.records("target_questions.tsv")}
    assert shapes == set(targets.QUESTION_SHAPES)
    canonicals = [c for c, _ in targets.glossary()]
    assert len(canonicals) == len(set(canonicals)) and all(ws for _, ws in targets.glossary())
    # shaping words of a question about a set of targets are not "other content"; a topic word is
    assert targets.off_target_words(["chỉ tiêu", "chủ yếu", "main"]) == []
    assert targets.off_target_words(["chỉ tiêu", "tuyển quân"]) == ["tuyen quan"]


def test_stated_figures_leave_out_document_numbers_and_dates() -> None:
    from baocao.lang.numbers import stated_figures

    assert stated_figures("Số: 512/BC-UBND   Tam Kỳ, ngày 08 tháng 10 năm 2024") == set()
    assert stated_figures("kiểm điểm hàng tuần theo hướng 5 rõ") == set()
    assert stated_figures("đến ngày 31/12/2023 giải ngân đạt 95,2%") == {"95,2%"}
    assert stated_figures("Tổng thu 527,191 tỷ đồng, đạt 105%") == {"527,191", "105%"}
    assert stated_figures("phấn đấu đón 1 triệu lượt khách") == {"1"}


def test_a_date_set_by_an_event_is_a_date() -> None:
    from baocao.lang.numbers import has_date

    assert has_date("Quyết định này có hiệu lực thi hành kể từ ngày ký.")
    assert has_date("Nghị quyết có hiệu lực từ ngày thông qua.")
    assert has_date("hoàn thành trước ngày 31/5/2026") and has_date("ngày 15 tháng 01 năm 2026")
    assert not has_date("Sở Tài chính ký kết hợp đồng với nhà thầu.")
    assert all(p == fold_accents(p) for p in tables.word_list("relative_dates.txt"))  # matched folded


def test_meaning_cues_tell_a_question_asking_what_something_is_and_find_the_copula() -> None:
    assert {row["role"][0] for row in tables.records("meaning_cues.tsv")} == {"question", "copula"}
    assert asks_meaning("Hộ nghèo được hiểu như thế nào?") and asks_meaning("khai niem dat nong nghiep la gi")
    assert asks_meaning("What is meant by a poor household?")
    assert not asks_meaning("Thu ngân sách năm 2023 đạt bao nhiêu?")
    from baocao.lang.tokens import match_tokens
    assert copula_at(match_tokens("Hộ nghèo là hộ có thu nhập bình quân dưới chuẩn")) == 2
    assert copula_at(match_tokens("Chuẩn nghèo được hiểu là mức thu nhập tối thiểu")) == 2
    assert copula_at(match_tokens("Thu ngân sách đạt 120 tỷ đồng")) == -1
