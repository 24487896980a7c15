"""Layout normalisation (ingest.layout): small made-up layouts, then the 31 crawled documents of
``../shared/corpus-extra`` (skipped when that folder is not beside the project)."""
from __future__ import annotations

import re
from functools import cache

import pytest

from baocao.models import Chunk, DocumentMeta
from baocao.settings import PROJECT_ROOT
from ingest.chunker import chunk_document
from ingest.layout import Layout, normalize_layout
from ingest.structure import clean_text, parse_blocks

EXTRA = PROJECT_ROOT.parent / "shared" / "corpus-extra"
EXTRA_FILES = sorted(p.name for p in EXTRA.glob("*.md") if p.name != "README.md") if EXTRA.is_dir() else []
needs_extra = pytest.mark.skipif(not EXTRA_FILES, reason=f"no corpus-extra beside the project ({EXTRA})")


def stub_tokens(text: str) -> int:
    return round(len(text.split()) * 1.4)


def check_map(layout: Layout) -> None:
    """Every non-whitespace character of the normalised text is the original character it maps to."""
    if layout.identity:
        assert layout.text is layout.original and not layout.runs
        return
    covered = [False] * len(layout.text)
    for norm, orig, n in layout.runs:
        assert layout.text[norm : norm + n] == layout.original[orig : orig + n]
        covered[norm : norm + n] = [True] * n
    assert all(covered[i] or ch.isspace() for i, ch in enumerate(layout.text))


def norm(text: str) -> str:
    layout = normalize_layout(text)
    check_map(layout)
    return layout.text


# --------------------------------------------------------------------------- made-up layouts

TIDY = "Số: 12/BC-UBND\n\nBÁO CÁO\n\nI. Kết quả\n\nThu ngân sách đạt 151 tỷ đồng.\n\nChỉ tiêu\tĐVT\tKết quả\nThu\tTỷ đồng\t151\n"


def test_tidy_text_is_left_as_it_is() -> None:
    layout = normalize_layout(TIDY)
    assert layout.identity and layout.text is TIDY and layout.original_spans([(0, 5)]) == [(0, 5)]


WRAPPED = """\
Thực hiện Quyết định số 1899/QĐ-TTg ngày 04/9/2025
của Thủ tướng Chính phủ ban hành Kế hoạch triển khai thi hành Nghị định số
200/2025/NĐ-CP ngày 09/7/2025 của Chính phủ quy định chi tiết một số điều của
Luật Phòng thủ dân sự.
Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:
**I. MỤC ĐÍCH,
YÊU CẦU**
1. Phạm vi điều
chỉnh
- Bảo đảm sự chỉ đạo, điều hành thống nhất của Ủy
ban nhân dân tỉnh; sự phối hợp chặt chẽ giữa các sở.
*Căn cứ Luật
Ngân sách nhà nước số 89/2025/QH15; *
**1.
**Trên cơ sở nội dung Kế hoạch nêu trên, các
sở, ban, ngành tỉnh triển khai.
## II.
DANH MỤC THỦ TỤC
tốc độ tăng bình quân 05 - 06%/năm, đạt tỷ lệ tăng trưởng xuất khẩu tăng bình quân 05
- 06%/năm trong cả giai đoạn.
"""


def test_hard_wraps_are_joined_and_real_breaks_kept() -> None:
    paragraphs = norm(WRAPPED).split("\n\n")
    assert paragraphs == [
        "Thực hiện Quyết định số 1899/QĐ-TTg ngày 04/9/2025 của Thủ tướng Chính phủ ban hành Kế hoạch triển khai "
        "thi hành Nghị định số 200/2025/NĐ-CP ngày 09/7/2025 của Chính phủ quy định chi tiết một số điều của "
        "Luật Phòng thủ dân sự.",
        "Ủy ban nhân dân tỉnh ban hành Kế hoạch như sau:",
        "**I. MỤC ĐÍCH, YÊU CẦU**",
        "1. Phạm vi điều chỉnh",
        "- Bảo đảm sự chỉ đạo, điều hành thống nhất của Ủy ban nhân dân tỉnh; sự phối hợp chặt chẽ giữa các sở.",
        "*Căn cứ Luật Ngân sách nhà nước số 89/2025/QH15;*",  # the space before the closing star goes
        "1. Trên cơ sở nội dung Kế hoạch nêu trên, các sở, ban, ngành tỉnh triển khai.",  # "**1. **" unbolded
        "## II. DANH MỤC THỦ TỤC",
        "tốc độ tăng bình quân 05 - 06%/năm, đạt tỷ lệ tăng trưởng xuất khẩu tăng bình quân 05 - 06%/năm trong cả giai đoạn.",
    ]


def test_blank_line_paragraphs_are_joined_inside_only() -> None:
    text = (
        "Triển khai thực hiện các mục\ntiêu kế hoạch phát triển kinh tế - xã hội. Uỷ\nban nhân dân tỉnh ban hành.\n\n"
        "**II. CHỈ TIÊU\nXUẤT KHẨU ĐẾN NĂM 2030**\n\n- Tổ chức các chương trình: Tuần\nhàng, tuần lễ.\n"
        "- Làm việc với cơ quan thông tấn,\nbáo chí.\n\nThêm một đoạn văn bản có dòng\nbị ngắt giữa câu.\n"
    )
    assert norm(text).split("\n\n") == [
        "Triển khai thực hiện các mục tiêu kế hoạch phát triển kinh tế - xã hội. Uỷ ban nhân dân tỉnh ban hành.",
        "**II. CHỈ TIÊU XUẤT KHẨU ĐẾN NĂM 2030**",
        "- Tổ chức các chương trình: Tuần hàng, tuần lễ.\n- Làm việc với cơ quan thông tấn, báo chí.",
        "Thêm một đoạn văn bản có dòng bị ngắt giữa câu.",
    ]


HEADER_BLOCK = """\
|
**ỦY BAN NHÂN DÂN
**
TỈNH SƠN LA
-------
|
**CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM**
Độc lập - Tự do - Hạnh phúc
---------------
|
|
Số:
2954/QĐ-UBND
|
*Sơn La, ngày 20
tháng 11 năm 2025*
|
**QUYẾT ĐỊNH**
VỀ VIỆC BAN HÀNH KẾ HOẠCH XUẤT KHẨU SẢN PHẨM HÀNG HÓA TỈNH
SƠN LA GIAI ĐOẠN 2026 - 2030
Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025 và các văn bản
hướng dẫn thi hành;
"""


def test_two_column_header_block_becomes_one_paragraph_per_cell() -> None:
    assert norm(HEADER_BLOCK).split("\n\n") == [
        "**ỦY BAN NHÂN DÂN **\nTỈNH SƠN LA",
        "**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**\nĐộc lập - Tự do - Hạnh phúc",
        "Số: 2954/QĐ-UBND",
        "*Sơn La, ngày 20 tháng 11 năm 2025*",
        "**QUYẾT ĐỊNH**",
        "VỀ VIỆC BAN HÀNH KẾ HOẠCH XUẤT KHẨU SẢN PHẨM HÀNG HÓA TỈNH SƠN LA GIAI ĐOẠN 2026 - 2030",
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025 và các văn bản hướng dẫn thi hành;",
    ]


ANNEX = """\
Nội dung kế hoạch như sau:
|
**Nơi nhận:**
- Như Điều 3;
- Lưu: VT.
|
**KT. CHỦ TỊCH
**
**PHÓ CHỦ TỊCH**
**Nguyễn Văn A**
|
**PHỤ LỤC 01**
ĐỊNH HƯỚNG PHÁT TRIỂN
VÙNG NGUYÊN LIỆU
*(Kèm theo Quyết định số 2954/QĐ-UBND)*
|
**TT**
|
**Chỉ tiêu**
|
**ĐVT**
|
**GIAI ĐOẠN 2026 - 2030**
|
|
**Năm 2026**
|
**Năm 2027**
|
|
*(1)*
|
*(2)*
|
*(3)*
|
*(4)*
|
*(5)*
|
|
**I**
|
**CÂY CÔNG NGHIỆP**
|
|
|
|
|
1
|
Diện tích cà
phê
|
Ha
|
|
27.000
|
|
2
|
Sản lượng
|
Tấn
|
39.800
|
40.602
|
Ghi chú sau bảng, một đoạn văn dài hơn nhiều so với một ô của bảng và kết thúc
bằng dấu chấm.
"""


def test_one_cell_per_line_table_becomes_tab_rows() -> None:
    text = norm(ANNEX)
    parts = text.split("\n\n")
    assert parts[:3] == [
        "Nội dung kế hoạch như sau:",
        "**Nơi nhận:**\n- Như Điều 3;\n- Lưu: VT.",
        "**KT. CHỦ TỊCH **\n**PHÓ CHỦ TỊCH**\n**Nguyễn Văn A**",
    ]
    assert parts[3] == "**PHỤ LỤC 01** ĐỊNH HƯỚNG PHÁT TRIỂN VÙNG NGUYÊN LIỆU"  # the label takes its title
    assert parts[4] == "*(Kèm theo Quyết định số 2954/QĐ-UBND)*"
    assert parts[5].split("\n") == [
        "**TT**\t**Chỉ tiêu**\t**ĐVT**\t**GIAI ĐOẠN 2026 - 2030**",
        "\t\t\t**Năm 2026**\t**Năm 2027**",  # under the spanning header cell
        "*(1)*\t*(2)*\t*(3)*\t*(4)*\t*(5)*",
        "**I**\t**CÂY CÔNG NGHIỆP**\t\t\t",
        "1\tDiện tích cà phê\tHa\t\t27.000",  # an empty cell inside the row
        "2\tSản lượng\tTấn\t39.800\t40.602",
    ]
    assert parts[6] == "Ghi chú sau bảng, một đoạn văn dài hơn nhiều so với một ô của bảng và kết thúc bằng dấu chấm."


def test_the_structure_parser_reads_the_annex() -> None:
    text = norm(ANNEX)
    blocks = parse_blocks(text)
    kinds = [b.kind for b in blocks]
    assert kinds == ["paragraph", "closing", "closing", "heading", "paragraph", "table", "paragraph"]
    heading, table = blocks[3], blocks[5]  # the "(Kèm theo …)" paragraph between them
    assert heading.heading == "PHỤ LỤC 01 ĐỊNH HƯỚNG PHÁT TRIỂN VÙNG NGUYÊN LIỆU"
    assert table.header_rows == 3  # two header rows and the column numbers; "I" is a group row
    assert len(table.rows) == 6


def test_chunk_spans_map_back_to_the_original() -> None:
    meta = DocumentMeta(doc_id="annex", source="annex.md")
    chunks = chunk_document(ANNEX, meta, stub_tokens)
    check_chunks(ANNEX, chunks)
    table = next(c for c in chunks if c.kind == "table")
    assert table.section_path == ["PHỤ LỤC 01 ĐỊNH HƯỚNG PHÁT TRIỂN VÙNG NGUYÊN LIỆU"]
    assert table.text.startswith(  # the annex heading and its "(Kèm theo …)" line open the table's first piece
        "PHỤ LỤC 01 ĐỊNH HƯỚNG PHÁT TRIỂN VÙNG NGUYÊN LIỆU\n(Kèm theo Quyết định số 2954/QĐ-UBND)\nTT\tChỉ tiêu\tĐVT"
    )
    assert "1\tDiện tích cà phê\tHa\t\t27.000" in table.text.split("\n")
    # the cell "Diện tích cà⏎phê" is one span over the original line break; "|" lines are in no span
    assert any(ANNEX[s:e] == "Diện tích cà\nphê" for s, e in table.spans)
    assert all("|" not in ANNEX[s:e] for c in chunks for s, e in c.spans)


SITE_PAGE = """\
|
Bản dịch này thuộc quyền sở hữu của **
THƯ VIỆN PHÁP LUẬT**. Mọi hành vi sao chép là vi phạm pháp luật.
Đang tải văn bản...
#
**Số hiệu:**
|
980/KH-UBND
|
|
**Loại văn bản:**
|
Kế hoạch
|
**Ngày ban hành:**
|
18/11/2025
|
|
**Tình trạng:**
|
Đã biết
|
|
**ỦY BAN NHÂN DÂN**
TỈNH NGHỆ AN
-------
|
**CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM**
Độc lập - Tự do - Hạnh phúc
|
|
Số: 980/KH-UBND
|
*Nghệ An, ngày 18
tháng 11 năm 2025*
|
**KẾ HOẠCH**
Phòng thủ dân sự năm 2026 của tỉnh, được xây dựng theo hướng dẫn của Bộ Quốc phòng
và các văn bản liên quan.
Kế hoạch 980/KH-UBND năm 2025 thực hiện phòng thủ dân sự
Văn bản này chưa cập nhật nội dung Tiếng Anh
## Văn bản liên quan
**Địa chỉ:**
|
17 Nguyễn Gia Thiều, P. Xuân Hòa, TP.HCM
"""


def test_site_chrome_is_dropped_and_kept_out_of_every_span() -> None:
    layout = normalize_layout(SITE_PAGE)
    check_map(layout)
    assert layout.text.startswith("**ỦY BAN NHÂN DÂN**\nTỈNH NGHỆ AN\n\n")
    assert layout.text.endswith(
        "Phòng thủ dân sự năm 2026 của tỉnh, được xây dựng theo hướng dẫn của Bộ Quốc phòng và các văn bản liên quan."
    )
    for marker in ("THƯ VIỆN PHÁP LUẬT", "Đang tải", "Số hiệu", "Văn bản liên quan", "Nguyễn Gia Thiều", "năm 2025 thực hiện"):
        assert marker not in layout.text
    assert layout.site_meta["Số hiệu"] == "980/KH-UBND" and layout.site_meta["Ngày ban hành"] == "18/11/2025"
    reasons = {why for _, _, why in layout.dropped}
    assert "site chrome" in reasons and reasons <= {"site chrome", "table separator", "rule line", "empty markup", "markup"}


def test_markdown_pipe_table() -> None:
    text = (
        "# Ba Đình\n\n| Quận | |||\n|---|---|---|---|\n| Quốc gia | Việt Nam | ||\n"
        "| Dân số (2022) | 226.315 người | ||\n\nĐoạn văn.\n"
    )
    assert norm(text) == "# Ba Đình\n\nQuận\t\nQuốc gia\tViệt Nam\nDân số (2022)\t226.315 người\n\nĐoạn văn."


# --------------------------------------------------------------------------- checks on chunks

_TERMINAL = ".!?…:;"
_LABEL = re.compile(r"(?:[IVXLC]+|\d+(?:\.\d+)*|[a-zđ])[.)](?:\s|$|(?=[^\W\d_]))|\d+(?:\.\d+)+\s|(?:Điều|Chương|Mục)\s+\d")
_LIST = re.compile(r"[-+•–●*]\s")
# Words a sentence does not end on: a line ending with one goes on in the next, capital or not.
_CONNECTORS = {"của", "và", "các", "những", "số", "theo", "tại", "về", "cho", "với", "trong", "để", "là", "được", "từ", "đến"}


def wrap_cuts(text: str) -> list[tuple[str, str]]:
    """Pairs of lines where the first ends mid-sentence and the second continues it."""
    cuts = []
    lines = [collapse(line) for line in text.split("\n")]
    for raw_a, raw_b, a, b in zip(text.split("\n"), text.split("\n")[1:], lines, lines[1:]):
        if not a or not b or "\t" in raw_a or "\t" in raw_b or a[-1] in _TERMINAL:
            continue
        if _LABEL.match(b) or _LIST.match(b):
            continue
        last = a.split()[-1].lower()
        if b[0].islower() or b[0].isdigit() or last in _CONNECTORS:
            cuts.append((a[-60:], b[:40]))
    return cuts


def collapse(line: str) -> str:
    return " ".join(line.replace("*", " ").split())


def visible(text: str) -> str:
    return re.sub(r"[\s*]", "", text)


def check_chunks(original: str, chunks: list[Chunk] | tuple[Chunk, ...]) -> None:
    for chunk in chunks:
        assert chunk.spans, chunk.chunk_id
        assert all(0 <= s < e <= len(original) for s, e in chunk.spans)
        assert all(a[1] <= b[0] for a, b in zip(chunk.spans, chunk.spans[1:])), "spans in text order"
        from_spans = "".join(clean_text(original[s:e]) for s, e in chunk.spans)
        assert visible(chunk.text) == visible(from_spans), chunk.chunk_id


def test_wrap_cut_detector() -> None:
    assert wrap_cuts("Căn cứ Nghị định số\n200/2023/NĐ-CP ngày 28/12/2023") == [
        ("Căn cứ Nghị định số", "200/2023/NĐ-CP ngày 28/12/2023")
    ]
    assert wrap_cuts("phối hợp với các\nSở, ngành") and wrap_cuts("của Ủy\nban nhân dân")
    assert not wrap_cuts("I. MỤC TIÊU\n1. Duy trì tốc độ\n- Nơi nhận;\na) Mục a\nCỘNG HÒA\nĐộc lập")


# --------------------------------------------------------------------------- the crawled corpus


@cache
def extra_text(name: str) -> str:
    return (EXTRA / name).read_text(encoding="utf-8")


@cache
def extra_chunks(name: str) -> tuple[Chunk, ...]:
    meta = DocumentMeta(doc_id=name, source=name, short_title=name[:20])
    return tuple(chunk_document(extra_text(name), meta, stub_tokens, max_tokens=350))


@needs_extra
@pytest.mark.parametrize("name", EXTRA_FILES)
def test_no_sentence_is_cut_by_a_line_wrap(name: str) -> None:
    cuts = [(c.position, cut) for c in extra_chunks(name) for cut in wrap_cuts(c.text)]
    assert cuts == []


@needs_extra
@pytest.mark.parametrize("name", EXTRA_FILES)
def test_chunk_spans_point_at_the_original_bytes(name: str) -> None:
    check_map(normalize_layout(extra_text(name)))
    check_chunks(extra_text(name), extra_chunks(name))


# Characters the layout step may leave out of the document's body (outside it: the site's chrome).
_MARKUP_ONLY = re.compile(r"[\s|*#_\-–—=]*")


@needs_extra
@pytest.mark.parametrize("name", EXTRA_FILES)
def test_every_character_is_in_a_chunk_or_left_out_for_a_reason(name: str) -> None:
    text = extra_text(name)
    layout = normalize_layout(text)
    covered = [False] * len(text)
    for chunk in extra_chunks(name):
        for s, e in chunk.spans:
            covered[s:e] = [True] * (e - s)
    for s, e, why in layout.dropped:
        covered[s:e] = [True] * (e - s)
        if why != "site chrome":
            assert _MARKUP_ONLY.fullmatch(text[s:e]) or text[s:e] == "[sửa | sửa mã nguồn]", (why, text[s:e])
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert lost == [], repr(text[lost[0] : lost[0] + 60]) if lost else ""
    chrome = sum(e - s for s, e, why in layout.dropped if why == "site chrome")
    assert chrome < 0.7 * len(text)  # the document is not thrown away with the page


# (file, the table's first header cell, cells of one row that must stand on one line of a table chunk)
TABLE_ROWS = [
    ("01_sonla-qd2954-kh-xuat-khau-2026-2030.md", "TT", ["Sản lượng cà phê nhân", "Tấn", "37.724", "54.468"]),
    ("01_sonla-qd2954-kh-xuat-khau-2026-2030.md", "TT", ["Xoài", "13.500", "10.000"]),
    ("02_nghean-kh980-phong-thu-dan-su.md", "TT",
     ["Tổ chức lại Ban Chỉ huy Phòng thủ dân sự", "Bộ CHQS tỉnh; UBND cấp xã", "Trước ngày 30/11/2025"]),
    ("04_hcm-qd2820-kh-he-thong-thong-tin-quy-hoach.md", "TT", ["Công an Thành phố", "Quý IV/2026"]),
    ("08_vinhlong-nq22-hdnd-muc-chi-ky-thi-giao-duc.md", "Số TT", ["- Trưởng ban", "692", "người/ngày"]),
    ("09_hue-nq36-hdnd-hoc-phi-2025-2026.md", "Địa bàn", ["Đô thị", "190"]),
    ("10_hanoi-nq82-hdnd-kinh-phi-bau-cu.md", "STT", []),
    ("12_haiphong-qd212-tieu-chi-danh-gia-can-bo.md", "TT", ["Năng lực tập hợp, đoàn kết", "5"]),
    ("13_caobang-qd2003-xa-phuong-mien-nui.md", "STT", []),
    ("14_dongnai-qd62-bang-gia-thue-tai-nguyen-2026.md", "Mã, nhóm loại tài nguyên", ["II102", "Đất sỏi phún", "m3", "70.742"]),
    ("15_dongnai-qd2813-don-gian-hoa-tthc-cap-xa.md", "STT", []),
    ("16_phutho-qd103-quan-ly-de-cap-iv-v.md", "STT", []),
    ("17_bacninh-qd471-hoi-cho-trien-lam-2026.md", "STT", []),
    ("18_gialai-qd48-trang-cap-hoc-sinh-dtnt.md", "Số TT", []),
    ("20_langson-qd2487-tthc-quy-trinh-noi-bo.md", "Số TT", ["B10", "Xem xét Dự thảo Công văn, trình Lãnh đạo Sở", "1,5 ngày"]),
    ("21_quangninh-qd96-phong-chay-chua-chay-rung.md", "Cấp cháy", []),
    ("25_hatinh-qd3005-tthc-giam-dinh.md", "TT", []),
    ("26_quangtri-qd2715-tthc-dien-luc.md", "STT", ["Cấp giấy phép hoạt động phát điện", "14 ngày làm việc"]),
    ("28_bnv-qd1378-tthc-noi-bo-to-chuc-bien-che.md", "STT", []),
]


@needs_extra
@pytest.mark.parametrize(("name", "first_header", "row"), TABLE_ROWS, ids=[f"{t[0][:2]}-{i}" for i, t in enumerate(TABLE_ROWS)])
def test_tables_are_read_as_row_units_with_their_header(name: str, first_header: str, row: list[str]) -> None:
    tables = [c for c in extra_chunks(name) if c.kind == "table"]
    opened = [c for c in tables if first_header in c.text.split("\n")[0].split("\t") or any(
        line.split("\t")[0] == first_header for line in c.text.split("\n")[:8]
    )]
    assert opened, f"no table chunk opens with the header cell {first_header!r}"
    assert all(c.text.count("\n") >= 1 for c in opened)  # header and at least one row
    if row:
        lines = [line for c in opened for line in c.text.split("\n")]
        assert any(all(cell in line for cell in row) and "\t" in line for line in lines), row


def test_annex_table_with_title_unit_line_header_rows_and_group_rows() -> None:
    """"Mẫu biểu số 03" and its capitals title make the section; the unit line goes with the
    table; two header rows and the column numbers are the header; "I | THU NỘI ĐỊA" is a row."""
    text = (
        "Nơi nhận:\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\n"
        "Mẫu biểu số 03\n\nDỰ TOÁN THU NGÂN SÁCH NHÀ NƯỚC NĂM 2026\n\nĐơn vị: Triệu đồng\n\n"
        "STT\tNội dung\tDự toán năm 2025\tƯớc thực hiện năm 2025\tSo sánh (%)\n"
        "\t\t\t\tDự toán\tCùng kỳ\n"
        "(1)\t(2)\t(3)\t(4)\t(5)\t(6)\n"
        "I\tTHU NỘI ĐỊA\t10.052.700\t11.080.000\t110,2\t108,4\n"
        "1\tThu từ doanh nghiệp nhà nước\t1.200.000\t1.310.000\t109,2\t104,0\n"
    )
    blocks = parse_blocks(text)
    heading = next(b for b in blocks if b.kind == "heading")
    table = next(b for b in blocks if b.kind == "table")
    assert heading.heading == "Mẫu biểu số 03 DỰ TOÁN THU NGÂN SÁCH NHÀ NƯỚC NĂM 2026"
    assert table.header_rows == 3 and len(table.rows) == 5
    chunks = chunk_document(text, DocumentMeta(doc_id="m", source="m"), stub_tokens, max_tokens=60)
    pieces = [c for c in chunks if c.kind == "table"]
    assert pieces[0].text.split("\n")[:2] == ["Mẫu biểu số 03", "DỰ TOÁN THU NGÂN SÁCH NHÀ NƯỚC NĂM 2026"]
    assert "Đơn vị: Triệu đồng" in pieces[0].text.split("\n")
    assert all(c.section_path == [heading.heading] for c in pieces)
    rows = [line for c in pieces for line in c.text.split("\n")]
    assert "I\tTHU NỘI ĐỊA\t10.052.700\t11.080.000\t110,2\t108,4" in rows
    # every piece opens with the three header rows
    assert all("STT\tNội dung\tDự toán năm 2025" in c.text and "(1)\t(2)\t(3)" in c.text for c in pieces)


def test_pdf_page_furniture() -> None:
    """Pages as the PDF reader joins them (blank line between pages, none inside): the running
    header and the page numbers go, a number that is a table cell at the foot of a page stays."""
    sectors = ["nông nghiệp", "công nghiệp", "thương mại", "du lịch", "giáo dục", "y tế", "giao thông", "xây dựng"]


    def body(k: int) -> str:  # each page its own sentences
        return "".join(
            f"Tình hình ngành {sector} của tỉnh trong năm qua tiếp tục phát triển ổn định, các chỉ tiêu chủ yếu\n"
            f"của ngành {sector} đạt và vượt kế hoạch đề ra.\n"
            for sector in sectors[k:] + sectors[:k]
        )

    pages = [
        "Ủy ban nhân dân tỉnh – Báo cáo số 12/BC-UBND\n"
        + ("" if k == 1 else f"- {k} -\n")
        + body(k)
        + ("Số xã đạt chuẩn\n104" if k == 2 else "")
        for k in range(1, 5)
    ]
    text = "\n\n".join(pages)
    layout = normalize_layout(text)
    check_map(layout)
    assert "Báo cáo số 12/BC-UBND" not in layout.text and not re.search(r"- \d -", layout.text)
    assert layout.text.count("Tình hình ngành") == 32 and "\n104" in layout.text
    assert {why for _, _, why in layout.dropped} == {"page furniture"}
