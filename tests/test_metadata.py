"""Document metadata extraction (ingest.metadata) on the sample corpus and on made-up documents."""
from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from baocao.models import DocumentMeta
from ingest.metadata import apply_overrides, extract_metadata, find_sidecar_overrides, load_sidecar

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _sample(prefix: str) -> tuple[str, str]:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8"), path.name


def _strip_diacritics(text: str) -> str:
    """'Hương Trà' -> 'Huong Tra' (case kept), as in files typed without accents."""
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return plain.replace("đ", "d").replace("Đ", "D")


EXPECTED: dict[str, dict[str, Any]] = {
    "000": {
        "issuer": "UBND thành phố Tây Ninh",
        "locality": "Tây Ninh",
        "locality_level": "thành phố",
        "parent_locality": "",
        "doc_number": "26/KH-UBND",
        "doc_type": "Kế hoạch",
        "is_draft": False,
        "date_issued": "2023-02-11",
        "issued_year": 2023,
        "issued_month": 2,
        "issued_day": 11,
        # A remediation plan looks back at 2022; its actions run in the issue year.
        "period": "2022",
        "period_year": 2022,
        "period_month": 0,
        "plan_year": 2023,
        "title": "Kế hoạch khắc phục những hạn chế, khuyết điểm năm 2022",
        "short_title": "Kế hoạch 26/KH-UBND – thành phố Tây Ninh – 2022",
    },
    "001": {
        "issuer": "UBND thị xã Hương Trà",
        "locality": "Hương Trà",
        "locality_level": "thị xã",
        "parent_locality": "",
        "doc_number": "3422/BC-UBND",
        "doc_type": "Báo cáo",
        "is_draft": False,
        "date_issued": "2023-11-14",
        "issued_year": 2023,
        "issued_month": 11,
        "issued_day": 14,
        "period": "2023",
        "period_year": 2023,
        "period_month": 0,
        "plan_year": 2024,
        "title": "Báo cáo công tác chỉ đạo, điều hành năm 2023 của UBND thị xã Hương Trà "
        "và nhiệm vụ chỉ đạo điều hành năm 2024",
        "short_title": "Báo cáo 3422/BC-UBND – thị xã Hương Trà – 2023",
    },
    "002": {
        "issuer": "UBND thành phố Hải Dương",
        "locality": "Hải Dương",
        "locality_level": "thành phố",
        "parent_locality": "",
        "doc_number": "",
        "doc_type": "Báo cáo",
        "is_draft": False,
        "date_issued": "2024-01",
        "issued_year": 2024,
        "issued_month": 1,
        "issued_day": 0,
        "period": "2023",
        "period_year": 2023,
        "period_month": 0,
        "plan_year": 2024,
        "title": "Báo cáo công tác chính quyền năm 2023 và nhiệm vụ năm 2024",
        "short_title": "Báo cáo – thành phố Hải Dương – 2023",
    },
    "003": {
        "issuer": "UBND thành phố Trà Vinh",
        "locality": "Trà Vinh",
        "locality_level": "thành phố",
        "parent_locality": "tỉnh Trà Vinh",
        "doc_number": "",
        "doc_type": "Báo cáo",
        "is_draft": False,
        "date_issued": "",
        "issued_year": 0,
        "issued_month": 0,
        "issued_day": 0,
        "period": "02/2023",
        "period_year": 2023,
        "period_month": 2,
        # from the heading "II. MỘT SỐ NHIỆM VỤ TRỌNG TÂM TRONG THÁNG 03/2023"
        "plan_year": 2023,
        "title": "Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội tháng 02/2023",
        "short_title": "Báo cáo – thành phố Trà Vinh – 02/2023",
    },
    "004": {
        "issuer": "UBND Phường 2",
        "locality": "Phường 2",
        "locality_level": "phường",
        "parent_locality": "thành phố Tây Ninh",
        "doc_number": "",
        "doc_type": "Kế hoạch",
        "is_draft": True,
        "date_issued": "2024-02",
        "issued_year": 2024,
        "issued_month": 2,
        "issued_day": 0,
        "period": "2024",
        "period_year": 2024,
        "period_month": 0,
        "plan_year": 2024,
        "title": "Kế hoạch phát triển Kinh tế - Xã hội và những giải pháp, nhiệm vụ chủ yếu năm 2024",
        "short_title": "Kế hoạch (dự thảo) – Phường 2, thành phố Tây Ninh – 2024",
    },
}


# ---------------------------------------------------------------- the sample corpus


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_sample_metadata_every_field(prefix: str) -> None:
    text, name = _sample(prefix)
    meta = extract_metadata(text, name)
    expected = {"doc_id": "", "source": name, "path": "", "content_hash": "", **EXPECTED[prefix]}
    assert meta.to_dict() == expected


def test_expected_table_covers_every_field() -> None:
    managed = {"doc_id", "source", "path", "content_hash"}
    fields = set(DocumentMeta.__dataclass_fields__) - managed
    for prefix, expected in EXPECTED.items():
        assert set(expected) == fields, prefix


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_samples_typed_without_diacritics(prefix: str) -> None:
    text, name = _sample(prefix)
    meta = extract_metadata(_strip_diacritics(text), name)
    want = EXPECTED[prefix]
    for key in ("doc_number", "doc_type", "is_draft", "date_issued", "locality_level", "period", "plan_year"):
        assert getattr(meta, key) == want[key], key
    assert meta.locality == _strip_diacritics(want["locality"]) or meta.locality == want["locality"]
    assert _strip_diacritics(meta.parent_locality) == _strip_diacritics(want["parent_locality"])


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_samples_cut_short_keep_their_header(prefix: str) -> None:
    text, name = _sample(prefix)
    cut = text[: text.index("\n", 400) + 30]  # ends mid-sentence
    meta = extract_metadata(cut, name)
    want = EXPECTED[prefix]
    for key in ("doc_number", "doc_type", "is_draft", "date_issued", "period"):
        assert getattr(meta, key) == want[key], key


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_samples_with_windows_newlines_and_decomposed_unicode(prefix: str) -> None:
    text, name = _sample(prefix)
    variant = unicodedata.normalize("NFD", text).replace("\n", "\r\n")
    assert extract_metadata(variant, name).to_dict() == extract_metadata(text, name).to_dict()


# ---------------------------------------------------------------- made-up documents

HEADER_DOC = """ỦY BAN NHÂN DÂN
HUYỆN ABC

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Số: 12/TTr-UBND

ABC, ngày 05 tháng 3 năm 2024

TỜ TRÌNH
Về việc phê duyệt dự toán ngân sách năm 2024

Kính gửi: Hội đồng nhân dân huyện ABC

Căn cứ Luật Ngân sách nhà nước ngày 25 tháng 6 năm 2015;
UBND huyện ABC kính trình HĐND huyện xem xét, quyết định./.
"""


def test_full_header_document() -> None:
    meta = extract_metadata(HEADER_DOC, "totrinh.txt")
    assert meta.doc_type == "Tờ trình"
    assert meta.issuer == "UBND huyện ABC"
    assert (meta.locality, meta.locality_level, meta.parent_locality) == ("ABC", "huyện", "")
    assert meta.doc_number == "12/TTr-UBND"
    assert meta.date_issued == "2024-03-05"
    assert (meta.issued_year, meta.issued_month, meta.issued_day) == (2024, 3, 5)
    assert meta.title == "Tờ trình phê duyệt dự toán ngân sách năm 2024"
    assert (meta.period, meta.period_year, meta.plan_year) == ("2024", 2024, 0)
    assert meta.short_title == "Tờ trình 12/TTr-UBND – huyện ABC – 2024"
    assert not meta.is_draft


def test_header_names_the_parent_and_tone_mark_variants_agree() -> None:
    old_style = (
        "UBND THÀNH PHỐ TÂY NINH\tCỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "UỶ BAN NHÂN DÂN PHƯỜNG HOÀ THÀNH\n\n"
        "Số: 7 /BC-UBND\tHoà Thành, ngày 02/10/2023\n\n"
        "<b>BÁO CÁO</b>\n<b>Kết quả thực hiện nhiệm vụ 9 tháng đầu năm 2023</b>\n\n"
        "UBND phường Hoà Thành báo cáo như sau.\n"
    )
    new_style = old_style.replace("HOÀ", "HÒA").replace("Hoà", "Hòa").replace("UỶ", "ỦY")
    a, b = extract_metadata(old_style, "a.txt"), extract_metadata(new_style, "a.txt")
    assert a.to_dict() == b.to_dict()
    assert (a.locality, a.locality_level) == ("Hòa Thành", "phường")
    assert a.parent_locality == "thành phố Tây Ninh"
    assert a.issuer == "UBND phường Hòa Thành"
    assert (a.doc_number, a.doc_type, a.date_issued) == ("7/BC-UBND", "Báo cáo", "2023-10-02")
    assert (a.period, a.period_year, a.period_month) == ("9 tháng đầu năm 2023", 2023, 0)
    assert a.short_title == "Báo cáo 7/BC-UBND – phường Hòa Thành, thành phố Tây Ninh – 9 tháng đầu năm 2023"


def test_cong_van_has_no_type_line() -> None:
    text = (
        "Số: 45/UBND-VP\n"
        "V/v triển khai Tết trồng cây năm 2024\n\n"
        "Bình Minh, ngày 20 tháng 01 năm 2024\n\n"
        "Kính gửi: Các phòng, ban thuộc UBND thị xã.\n\n"
        "UBND thị xã Bình Minh đề nghị các đơn vị triển khai.\n"
    )
    meta = extract_metadata(text, "cv.txt")
    assert (meta.doc_type, meta.doc_number) == ("Công văn", "45/UBND-VP")
    assert meta.title == "Công văn về việc triển khai Tết trồng cây năm 2024"
    assert (meta.locality, meta.locality_level) == ("Bình Minh", "thị xã")
    assert meta.date_issued == "2024-01-20"


def test_markdown_title_and_quarter_period_and_plan_from_subject() -> None:
    text = (
        "Số: 101/BC-UBND\n\nTP. Hội An, ngày 05 tháng 4 năm 2024\n\n"
        "# BÁO CÁO\n**Tình hình kinh tế - xã hội quý I/2024 và phương hướng, nhiệm vụ quý II năm 2024**\n\n"
        "Trong quý I, UBND thành phố Hội An tập trung chỉ đạo.\n"
    )
    meta = extract_metadata(text, "q.txt")
    assert (meta.locality, meta.locality_level) == ("Hội An", "thành phố")
    assert (meta.period, meta.period_year, meta.period_month, meta.plan_year) == ("quý I/2024", 2024, 0, 2024)
    assert meta.title.startswith("Báo cáo tình hình kinh tế - xã hội quý I/2024")


def test_forward_looking_plan_and_draft_in_parentheses() -> None:
    text = (
        "Số:……/KH-UBND\n\nLong Đức, ngày     tháng     năm 2024\n\n"
        "KẾ HOẠCH (DỰ THẢO)\nThực hiện nhiệm vụ phát triển kinh tế - xã hội tháng 3/2024\n\n"
        "Căn cứ chỉ đạo của UBND thành phố Trà Vinh, UBND xã Long Đức xây dựng kế hoạch.\n"
    )
    meta = extract_metadata(text, "kh.txt")
    assert meta.is_draft
    assert (meta.doc_number, meta.doc_type, meta.date_issued) == ("", "Kế hoạch", "2024")
    assert (meta.locality, meta.locality_level, meta.parent_locality) == ("Long Đức", "xã", "thành phố Trà Vinh")
    assert (meta.period, meta.period_year, meta.period_month, meta.plan_year) == ("03/2024", 2024, 3, 2024)
    assert meta.title == "Kế hoạch thực hiện nhiệm vụ phát triển kinh tế - xã hội tháng 3/2024"


def test_body_only_locality_needs_no_header() -> None:
    text = "BÁO CÁO\n\nKết quả công tác năm 2023\n\nNăm 2023, UBND huyện Củ Chi đã chỉ đạo; UBND huyện họp 12 lần.\n"
    meta = extract_metadata(text, "b.txt")
    assert (meta.locality, meta.locality_level, meta.issuer) == ("Củ Chi", "huyện", "UBND huyện Củ Chi")
    assert (meta.period, meta.plan_year) == ("2023", 0)


def test_similar_words_are_not_localities() -> None:
    # "phương án", "cơ quan Công an", "Kinh Tế - Xã Hội" share letters with phường / quận / xã.
    text = "BÁO CÁO\nVề phương án Kinh Tế - Xã Hội\n\nCơ quan Công an và Phương Minh phối hợp.\n"
    meta = extract_metadata(text, "x.txt")
    assert (meta.locality, meta.locality_level, meta.parent_locality, meta.issuer) == ("", "", "", "")
    assert meta.title == "Báo cáo về phương án Kinh Tế - Xã Hội"


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n\t", "hello world", "Số:", "Số: /", "ngày tháng năm", "**", "<b></b>", "\x00\ufeff", "#" * 50,
     "Phường , ngày 99 tháng 13 năm 99999", "1. 2. 3.\nI. II.\n" * 20, "a\n" * 5000],
)
def test_unrecognisable_text_gives_empty_fields(text: str) -> None:
    meta = extract_metadata(text, "junk.txt")
    empty = DocumentMeta(doc_id="", source="junk.txt", short_title="junk.txt")
    assert meta == empty


def test_tabbed_header_table_with_wide_blanks() -> None:
    text = (
        "ỦY BAN NHÂN DÂN\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "HUYỆN CỦ CHI\tCủ Chi, ngày     tháng 12    năm 2023\n"
        "Số:        /BC-UBND\n\nBÁO CÁO\nTình hình năm 2023\n"
    )
    meta = extract_metadata(text, "tab.txt")
    assert (meta.locality, meta.locality_level, meta.issuer) == ("Củ Chi", "huyện", "UBND huyện Củ Chi")
    assert (meta.doc_number, meta.doc_type, meta.date_issued, meta.period) == ("", "Báo cáo", "2023-12", "2023")


def test_random_fragments_never_raise() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    rng = random.Random(7)
    noise = "Số:/ ngày tháng năm 2024\n\t.…UBND TP. Phường xã HUYỆN ỦY BAN BÁO CÁO V/v (dự thảo) *#<b>12 IVX quý \u0301"
    for i in range(300):
        if i % 2:
            source = rng.choice(texts)
            start = rng.randrange(len(source))
            text = source[start : start + rng.randint(0, 2000)]
        else:
            text = "".join(rng.choice(noise) for _ in range(rng.randint(0, 300)))
        meta = extract_metadata(text, "f.txt")
        assert meta.locality_level in ("", "tỉnh", "thành phố", "thị xã", "huyện", "quận", "phường", "xã", "thị trấn")
        assert meta.short_title


def test_blank_day_and_month_and_numeric_date_forms() -> None:
    base = "Số: 3/BC-UBND\n\nThạnh Phú, {date}\n\nBÁO CÁO\nCông tác năm 2023\n"
    cases = {
        "ngày 14/11/2023": "2023-11-14",
        "ngày … tháng 01 năm 2024": "2024-01",
        "ngày ... tháng ... năm 2024": "2024",
        "14-11-2023": "2023-11-14",
    }
    for date, iso in cases.items():
        assert extract_metadata(base.format(date=date), "d.txt").date_issued == iso, date


# ---------------------------------------------------------------- sidecars and overrides


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_file_level_sidecars(tmp_path: Path) -> None:
    report = _write(tmp_path / "X.txt", "BÁO CÁO")
    assert find_sidecar_overrides(report) == {}
    _write(tmp_path / "X.meta.json", {"locality": "Hương Trà", "plan_year": 2025})
    assert find_sidecar_overrides(report) == {"locality": "Hương Trà", "plan_year": 2025}
    _write(tmp_path / "X.txt.meta.json", {"plan_year": 2026})
    assert find_sidecar_overrides(report) == {"locality": "Hương Trà", "plan_year": 2026}


def test_folder_sidecar_and_file_sidecar_wins(tmp_path: Path) -> None:
    report = _write(tmp_path / "a.txt", "BÁO CÁO")
    _write(tmp_path / "metadata.json", {"a.txt": {"doc_number": "9/BC-UBND", "is_draft": True}, "b.txt": {}})
    assert find_sidecar_overrides(report) == {"doc_number": "9/BC-UBND", "is_draft": True}
    assert find_sidecar_overrides(_write(tmp_path / "c.txt", "")) == {}
    _write(tmp_path / "a.txt.meta.json", {"is_draft": False})
    assert find_sidecar_overrides(report) == {"doc_number": "9/BC-UBND", "is_draft": False}
    assert load_sidecar(tmp_path / "metadata.json")["b.txt"] == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"locality": "A", "town": "B", "colour": 1}, "unknown metadata field(s): colour, town"),
        ({"plan_year": "2024"}, "'plan_year' must be int"),
        ({"is_draft": "yes"}, "'is_draft' must be bool"),
        ({"period_year": True}, "'period_year' must be int"),
        ({"title": 5}, "'title' must be str"),
        ({"doc_id": "x"}, "set by the pipeline"),
        ({"date_issued": "14/11/2023"}, "date_issued must look like"),
        ({"locality_level": "city"}, "locality_level must be one of"),
        ({"issued_month": 13}, "issued_month must be between 0 and 12"),
        (["locality"], "expected a JSON object"),
        ("{not json", "invalid JSON"),
    ],
)
def test_bad_file_sidecar_raises_clear_error(tmp_path: Path, content: Any, message: str) -> None:
    sidecar = _write(tmp_path / "X.txt.meta.json", content)
    with pytest.raises(ValueError) as info:
        load_sidecar(sidecar)
    assert message in str(info.value)
    assert "X.txt.meta.json" in str(info.value)
    with pytest.raises(ValueError):
        find_sidecar_overrides(tmp_path / "X.txt")


def test_bad_folder_sidecar_names_the_entry(tmp_path: Path) -> None:
    _write(tmp_path / "metadata.json", {"a.txt": {"locality": 3}})
    with pytest.raises(ValueError, match=r"metadata\.json \[a\.txt\]: field 'locality' must be str"):
        find_sidecar_overrides(tmp_path / "a.txt")
    _write(tmp_path / "metadata.json", [1, 2])
    with pytest.raises(ValueError, match="mapping file names"):
        load_sidecar(tmp_path / "metadata.json")


def test_overrides_win_and_derived_fields_follow() -> None:
    text, name = _sample("004")
    meta = extract_metadata(text, name)
    updated = apply_overrides(
        meta, {"doc_number": "15/KH-UBND", "is_draft": False, "date_issued": "2024-02-20", "locality": "Phường 3"}
    )
    assert (updated.issued_year, updated.issued_month, updated.issued_day) == (2024, 2, 20)
    assert updated.issuer == "UBND Phường 3"
    assert updated.short_title == "Kế hoạch 15/KH-UBND – Phường 3, thành phố Tây Ninh – 2024"
    assert meta.doc_number == "" and meta.is_draft  # the input is not modified


def test_override_period_and_date_parts() -> None:
    text, name = _sample("001")
    meta = extract_metadata(text, name)
    monthly = apply_overrides(meta, {"period": "10/2023"})
    assert (monthly.period_year, monthly.period_month) == (2023, 10)
    assert monthly.short_title.endswith("– 10/2023")
    by_parts = apply_overrides(meta, {"issued_day": 0})
    assert by_parts.date_issued == "2023-11"
    cleared = apply_overrides(meta, {"date_issued": ""})
    assert (cleared.issued_year, cleared.issued_month, cleared.issued_day) == (0, 0, 0)
    custom = apply_overrides(meta, {"short_title": "BC 3422 Hương Trà", "locality_level": "huyện"})
    assert custom.short_title == "BC 3422 Hương Trà"
    assert custom.issuer == "UBND huyện Hương Trà"
    retyped = apply_overrides(meta, {"doc_type": "Tờ trình"})
    assert retyped.title.startswith("Tờ trình công tác chỉ đạo")


def test_override_errors() -> None:
    meta = extract_metadata(HEADER_DOC, "t.txt")
    with pytest.raises(ValueError, match="unknown metadata field"):
        apply_overrides(meta, {"localty": "x"})
    with pytest.raises(ValueError, match="disagree"):
        apply_overrides(meta, {"date_issued": "2024-03-05", "issued_day": 6})
    assert apply_overrides(meta, {}).to_dict() == meta.to_dict()
