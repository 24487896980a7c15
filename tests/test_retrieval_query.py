"""Query understanding: language, locality, period, document type, abbreviations, English glossary."""
from __future__ import annotations

from pathlib import Path

import pytest

from baocao.lang.abbreviations import Abbreviations, looks_like_syllable
from baocao.lang.detect import detect_language
from baocao.lang.glossary import Glossary, english_base_forms
from baocao.lang.periods import parse_period
from baocao.lang.questions import remove_question_words
from baocao.models import Chunk, DocumentMeta, DocumentRecord
from baocao.settings import Settings
from tests.test_retrieval_lexical import make_chunk
from vectorstore.query import Query, read_query
from vectorstore.snapshot import CorpusSnapshot, SnapshotCache


def record(doc_id: str, locality: str, level: str, parent: str = "", year: int = 2023, month: int = 0, doc_type: str = "Báo cáo") -> DocumentRecord:
    meta = DocumentMeta(
        doc_id=doc_id, source=f"{doc_id}.txt", locality=locality, locality_level=level, parent_locality=parent,
        period_year=year, period_month=month, doc_type=doc_type,
    )
    return DocumentRecord(meta=meta, generation="g", chunk_count=1, encoding="utf-8", source_format="txt", ingested_at=0.0)


RECORDS = [
    record("tn", "Tây Ninh", "thành phố", year=2022, doc_type="Kế hoạch"),
    record("ht", "Hương Trà", "thị xã"),
    record("hd", "Hải Dương", "thành phố"),
    record("tv", "Trà Vinh", "thành phố", parent="tỉnh Trà Vinh", month=2),
    record("p2", "Phường 2", "phường", parent="thành phố Tây Ninh", year=2024, doc_type="Kế hoạch"),
]


def snapshot_of(chunks: list[Chunk]) -> CorpusSnapshot:
    return CorpusSnapshot.from_chunks(RECORDS, chunks, "rev")


@pytest.fixture(scope="module")
def known() -> CorpusSnapshot:
    return snapshot_of([])


def parse_query(
    text: str, snapshot: CorpusSnapshot, *, abbreviations: Abbreviations | None = None, glossary: Glossary | None = None
) -> Query:
    return read_query(text, snapshot, abbreviations, glossary)


def names(text: str, known: CorpusSnapshot) -> list[str]:
    return parse_query(text, known).locality_names


def test_language_detection() -> None:
    assert detect_language("Tỷ lệ giải ngân vốn đầu tư công của Trà Vinh?") == "vi"
    assert detect_language("ty le giai ngan von dau tu cong tra vinh thang 2 2023") == "vi-noaccent"
    assert detect_language("What was the poverty rate in Hương Trà in 2023?") == "en"
    assert detect_language("How much did Hai Duong disburse?") == "en"


def test_locality_with_and_without_diacritics_and_in_english(known: CorpusSnapshot) -> None:
    assert names("Thu ngân sách của thị xã Hương Trà năm 2023", known) == ["Hương Trà"]
    assert names("thu ngan sach huong tra 2023", known) == ["Hương Trà"]
    assert names("GRDP của TP Tây Ninh", known) == ["Tây Ninh"]
    assert names("GRDP của TP. Tây Ninh", known) == ["Tây Ninh"]
    assert names("GRDP của thành phố Tây Ninh", known) == ["Tây Ninh"]
    assert names("What did Tay Ninh city report?", known) == ["Tây Ninh"]
    assert names("What was Hương Trà's export value?", known) == ["Hương Trà"]
    assert names("Năm 2023 Hương Trà, Hải Dương và Trà Vinh giao bao nhiêu quân?", known) == ["Hương Trà", "Hải Dương", "Trà Vinh"]


def test_ward_number_needs_its_level_and_beats_its_parent(known: CorpusSnapshot) -> None:
    assert names("chi tieu thu gom rac cua phuong 2 tay ninh", known) == ["Phường 2"]
    assert names("Kế hoạch của Phường 2, thành phố Tây Ninh", known) == ["Phường 2"]
    assert names("Ward 2 plan for 2024", known) == ["Phường 2"]
    assert names("có 2 dự án", known) == []  # a bare number is not a ward
    # Trà Vinh city whose parent is the province of the same name is still found
    assert names("TP Trà Vinh tháng 2/2023", known) == ["Trà Vinh"]


def test_period_forms() -> None:
    years, period = parse_period("tháng 2/2023")
    assert (period.month, period.year) == (2, 2023) and years == [2023]
    assert parse_period("tháng 02/2023")[1].month == 2
    assert parse_period("thang 2 2023")[1].month == 2
    assert parse_period("tháng 2 năm 2023")[1].year == 2023
    assert parse_period("In February 2023")[1].month == 2
    assert parse_period("kết quả quý I năm 2024")[1].quarter == 1
    assert parse_period("first quarter of 2024")[1].quarter == 1
    assert parse_period("6 tháng đầu năm 2023")[1].half == 1
    assert parse_period("in 2023")[1].year == 2023
    assert parse_period("đạt 1.484 tỷ đồng")[0] == []  # a number is not a year


def test_document_type(known: CorpusSnapshot) -> None:
    assert parse_query("Theo báo cáo năm 2023 của Hương Trà", known).doc_types == ["Báo cáo"]
    assert parse_query("In the 2024 plan of Ward 2", known).doc_types == ["Kế hoạch"]


def test_abbreviations_expand_both_ways() -> None:
    abbreviations = Abbreviations.load()
    forward = {e.found: e.alternatives for e in abbreviations.expand("nhiệm vụ GPMB của UBND thành phố")}
    assert "giải phóng mặt bằng" in forward["GPMB"] and "ủy ban nhân dân" in forward["UBND"]
    backward = {e.found: e.alternatives for e in abbreviations.expand("chương trình mục tiêu quốc gia về nông thôn mới")}
    assert "CTMTQG" in backward["chương trình mục tiêu quốc gia"] and "MTQG" in backward["mục tiêu quốc gia"]
    assert "NTM" in backward["nông thôn mới"]
    # typed in lower case: still an abbreviation when it cannot be a syllable ("tp", "gpmb") ...
    lower = {e.found for e in abbreviations.expand("tp tra vinh gpmb")}
    assert {"tp", "gpmb"} <= lower
    # ... but "to", "tu", "an" are ordinary syllables unless typed in capitals
    assert not [e for e in abbreviations.expand("an ninh to dan pho") if e.source == "abbreviation" and e.found in ("an", "to")]
    assert looks_like_syllable("nghieng") and not looks_like_syllable("ubnd")


def test_user_abbreviation_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "abbreviations.tsv").write_text("# mine\nXYZQ\tquỹ xóa nghèo\n", encoding="utf-8")
    extra = tmp_path / "more.tsv"
    extra.write_text("QWRT\tquy tắc riêng\n", encoding="utf-8")
    monkeypatch.setenv("BAOCAO_ABBREVIATIONS", str(extra))
    settings = Settings(data_dir=tmp_path)
    abbreviations = Abbreviations.load(settings.user_tables("abbreviations.tsv", settings.abbreviations))
    found = {e.found: e.alternatives for e in abbreviations.expand("XYZQ và QWRT")}
    assert found["XYZQ"] == ["quỹ xóa nghèo"] and found["QWRT"] == ["quy tắc riêng"]


def test_glossary_translates_longest_phrase_first() -> None:
    glossary = Glossary.load()
    found, untranslated = glossary.translate("How much public investment capital did Hai Duong disburse, and what was the poverty rate?")
    translated = {e.found: e.alternatives for e in found}
    assert translated["public investment capital"] == ["vốn đầu tư công"]
    assert "giải ngân" in translated["disburse"]
    assert translated["poverty rate"] == ["tỷ lệ hộ nghèo"]
    assert "Hai" in untranslated and "Duong" in untranslated
    # plural and -ed/-ing forms find their base form
    assert "sidewalk" in english_base_forms("sidewalks") and "plan" in english_base_forms("planned")
    found, _ = glossary.translate("vendors occupying sidewalks; targets missed")
    translated = {e.found: e.alternatives for e in found}
    assert translated["sidewalks"] == ["vỉa hè"] and "lấn chiếm" in translated["occupying"]
    assert "chỉ tiêu" in translated["targets"] and "không đạt" in translated["missed"]


def test_hyphenated_words_are_read_by_their_parts_unless_the_glossary_has_them_whole() -> None:
    glossary = Glossary.load()
    found, untranslated = glossary.translate("Which commune-level bodies receive the boarding-school allowance?")
    translated = {e.found: e.alternatives for e in found}
    assert translated["commune level"] == ["cấp xã"] and "phụ cấp" in translated["allowance"]
    assert "trường nội trú" in translated["boarding school"]
    assert not any("-" in w for w in untranslated)
    whole = Glossary({"well-being": ["phúc lợi"], "well": ["giếng"], "being": ["là"]})
    assert [(e.found, e.alternatives) for e in whole.translate("the well-being of workers")[0]] == [("well-being", ["phúc lợi"])]


def test_question_words_are_left_out_and_why_asks_for_causes() -> None:
    text, hints = remove_question_words("Vì sao việc giải ngân còn chậm, đạt bao nhiêu phần trăm?")
    assert "bao" not in text and "Vì sao" not in text and "giải ngân" in text
    assert hints == ["nguyên nhân"]
    text, _ = remove_question_words("co bao nhieu don thu giai quyet cham")
    assert "bao" not in text and "don thu" in text


def test_parse_query_for_each_language() -> None:
    snapshot = snapshot_of(
        [make_chunk("tv", 0, "Tỷ lệ giải ngân vốn đầu tư công của thành phố Trà Vinh tháng 02/2023 đạt 6,39%.")]
    )
    noaccent = parse_query("ty le giai ngan von dau tu cong tra vinh thang 2 2023", snapshot)
    assert noaccent.lang == "vi-noaccent" and noaccent.locality_names == ["Trà Vinh"]
    assert noaccent.restored.startswith("Tỷ lệ giải ngân vốn đầu tư công Trà Vinh tháng")  # cased as written
    assert (noaccent.period.month, noaccent.period.year) == (2, 2023)

    english = parse_query(
        "In Tra Vinh city's February 2023 report, how much public investment was disbursed?",
        snapshot, glossary=Glossary.load(), abbreviations=Abbreviations.load(),
    )
    assert english.lang == "en" and english.locality_names == ["Trà Vinh"]
    assert english.period.month == 2 and english.years == [2023]
    assert "Trà" in english.kept_words and "2023" in english.kept_words and "how" not in english.kept_words
    assert any("đầu tư công" in e.alternatives for e in english.expansions)

    vietnamese = parse_query("Chương trình MTQG ở Hương Trà năm 2023", snapshot, abbreviations=Abbreviations.load())
    assert vietnamese.lang == "vi" and vietnamese.years == [2023]
    assert any(e.found == "MTQG" and "mục tiêu quốc gia" in e.alternatives for e in vietnamese.expansions)
    assert vietnamese.to_dict()["localities"] == ["thị xã Hương Trà"]


def test_the_snapshot_cache_follows_the_store_revision(sample_stack) -> None:
    cache = SnapshotCache(sample_stack.store, sample_stack.settings)
    first = cache.current()
    assert cache.current() is first  # same revision: the same snapshot, nothing re-read
    assert first.revision == sample_stack.store.revision()
    assert {loc.name for loc in first.known.localities} >= {"Hương Trà", "Hải Dương", "Trà Vinh", "Phường 2"}
