"""Metadata from documents as crawlers save them: flattened header blocks, split lines, typos,
Chairman vs committee, ministries; and a checked table for the 31 files of ``../shared/corpus-extra``
(skipped when that folder is not beside the project)."""
from __future__ import annotations

from pathlib import Path

import pytest

from baocao.settings import PROJECT_ROOT
from ingest.metadata import extract_metadata

EXTRA = PROJECT_ROOT.parent / "shared" / "corpus-extra"


def header(issuer: str, number: str, date: str, *, authority: str = "", body: str = "") -> str:
    """A print-view header as the crawler writes it: one cell per line, "|" between cells."""
    return (
        f"|\n{issuer}\n-------\n|\n**CỘNG HÒA XÃ HỘI\nCHỦ NGHĨA VIỆT NAM**\nĐộc lập - Tự do - Hạnh phúc\n"
        f"---------------\n|\n|\n{number}\n|\n{date}\n|\n\n** **\n\n**QUYẾT ĐỊNH**\n\n"
        "VỀ VIỆC BAN HÀNH KẾ HOẠCH PHÁT TRIỂN DU LỊCH TỈNH\nSƠN LA NĂM 2026\n\n"
        f"{authority}\n\n*Căn cứ Luật Tổ chức chính\nquyền địa phương ngày 16 tháng 6 năm 2025;*\n\n"
        f"{body or 'Ủy ban nhân dân tỉnh Sơn La ban hành Kế hoạch phát triển du lịch tỉnh Sơn La.'}\n"
    )


def test_flattened_header_with_split_lines() -> None:
    text = header("**ỦY BAN NHÂN\nDÂN **\nTỈNH SƠN LA", "Số:\n2954/QĐ-UBND", "*Sơn La, ngày 20\ntháng 11 năm 2025*")
    meta = extract_metadata(text, "x.md")
    assert (meta.issuer, meta.locality, meta.locality_level) == ("UBND tỉnh Sơn La", "Sơn La", "tỉnh")
    assert (meta.doc_number, meta.doc_type, meta.date_issued) == ("2954/QĐ-UBND", "Quyết định", "2025-11-20")
    # capitals subject over two lines; names spelt as the body spells them
    assert meta.title == "Quyết định ban hành Kế hoạch phát triển du lịch tỉnh Sơn La năm 2026"


@pytest.mark.parametrize(
    ("number", "date", "expected"),
    [
        ("Số:10988/QĐ-UBND", "*Hà Nội, ngày 24 tháng 11năm 2025*", ("10988/QĐ-UBND", "2025-11-24")),
        ("Số: 12/QĐ-UBND", "*Huế , ngày 05 tháng12 năm 2025*", ("12/QĐ-UBND", "2025-12-05")),
        ("Số:\n2820/QĐ-UBND", "*Thành phố Hồ\nChí Minh, ngày 19 tháng 11 năm 2025*", ("2820/QĐ-UBND", "2025-11-19")),
    ],
)
def test_number_and_date_typos(number: str, date: str, expected: tuple[str, str]) -> None:
    meta = extract_metadata(header("**ỦY BAN NHÂN DÂN**\nTỈNH SƠN LA", number, date), "x.md")
    assert (meta.doc_number, meta.date_issued) == expected


def test_chairman_issues_when_the_authority_line_says_so() -> None:
    text = header(
        "**ỦY BAN NHÂN DÂN**\nTỈNH SƠN LA", "Số: 1/QĐ-UBND", "*Sơn La, ngày 2 tháng 1 năm 2026*",
        authority="**CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH SƠN LA**",
    )
    assert extract_metadata(text, "x.md").issuer == "Chủ tịch UBND tỉnh Sơn La"
    misprint = header("**CHỦ TỊCH NHÂN DÂN **\nTHÀNH PHỐ HUẾ", "Số: 123/2025/QĐ-CTUBND", "*Huế, ngày 24 tháng 11 năm 2025*")
    meta = extract_metadata(misprint, "x.md")
    assert (meta.issuer, meta.parent_locality) == ("Chủ tịch UBND thành phố Huế", "")  # Huế has no province above it


def test_ministry_header() -> None:
    text = (
        "|\n**BỘ NỘI VỤ**\n--------\n|\n**CỘNG HÒA XÃ\nHỘI CHỦ NGHĨA VIỆT NAM**\nĐộc lập - Tự do - Hạnh phúc\n|\n|\n"
        "Số:10988/BNV-CQĐP\n*V/v tuyên truyền chủ trương, chính sách của Đảng, Nhà nước.*\n|\n"
        "*Hà Nội, ngày 21 tháng 11 năm 2025*\n|\n"
        "Bộ Nội vụ trân trọng đề nghị các cơ quan báo chí của Trung ương chỉ đạo các cơ quan thông tấn\n"
        "định hướng thông tin đúng về chủ trương của Đảng.\n"
    )
    meta = extract_metadata(text, "x.md")
    assert (meta.issuer, meta.locality, meta.doc_type) == ("Bộ Nội vụ", "", "Công văn")
    assert meta.title == "Công văn về việc tuyên truyền chủ trương, chính sách của Đảng, Nhà nước"


def test_a_web_page_has_no_issuer() -> None:
    text = (
        "# Ba Đình (quận)\n\n**Ba Đình** là một quận cũ nằm ở trung tâm thuộc thành phố Hà Nội.\n\n"
        "Quận Ba Đình có 13 phường.\n"
    )
    meta = extract_metadata(text, "x.md")
    assert (meta.issuer, meta.doc_number, meta.title) == ("", "", "Ba Đình (quận)")


# --------------------------------------------------------------------------- the crawled corpus

# file prefix: issuer, locality level, locality, number, date, type, start of the title
EXPECTED = {
    "01": ("UBND tỉnh Sơn La", "tỉnh", "Sơn La", "2954/QĐ-UBND", "2025-11-20", "Quyết định",
           "Quyết định ban hành Kế hoạch xuất khẩu sản phẩm hàng hóa tỉnh Sơn La giai đoạn 2026 - 2030"),
    "02": ("UBND tỉnh Nghệ An", "tỉnh", "Nghệ An", "980/KH-UBND", "2025-11-18", "Kế hoạch",
           "Kế hoạch thực hiện Quyết định số 1899/QĐ-TTg ngày 04/9/2025 của Thủ tướng Chính phủ"),
    "03": ("UBND tỉnh Đồng Tháp", "tỉnh", "Đồng Tháp", "556/KH-UBND", "2025-11-19", "Kế hoạch",
           "Kế hoạch thực hiện Nghị quyết số 48/NQ-CP ngày 03/4/2023 của Chính phủ"),
    "04": ("UBND thành phố Hồ Chí Minh", "thành phố", "Hồ Chí Minh", "2820/QĐ-UBND", "2025-11-19", "Quyết định",
           "Quyết định ban hành Kế hoạch triển khai Quyết định số 06/QĐ-TTg"),
    "05": ("Chủ tịch UBND tỉnh Quảng Ngãi", "tỉnh", "Quảng Ngãi", "1627/QĐ-UBND", "2025-11-21", "Quyết định",
           "Quyết định ban hành kế hoạch kiểm kê tài sản công"),
    "06": ("UBND thành phố Cần Thơ", "thành phố", "Cần Thơ", "09/CT-UBND", "2025-11-18", "Chỉ thị",
           "Chỉ thị về tăng cường công tác quản lý, bảo vệ tài nguyên nước dưới đất"),
    "07": ("UBND tỉnh Quảng Trị", "tỉnh", "Quảng Trị", "06/CT-UBND", "2025-11-25", "Chỉ thị",
           "Chỉ thị tăng cường xử lý chồng lấn, lấn chiếm rừng và đất lâm nghiệp"),
    "08": ("HĐND tỉnh Vĩnh Long", "tỉnh", "Vĩnh Long", "22/2025/NQ-HĐND", "2025-11-18", "Nghị quyết",
           "Nghị quyết quy định nội dung, mức chi để tổ chức các kỳ thi, cuộc thi, hội thi"),
    "09": ("HĐND thành phố Huế", "thành phố", "Huế", "36/2025/NQ-HĐND", "2025-11-18", "Nghị quyết",
           "Nghị quyết quy định về chính sách học phí, hỗ trợ học phí"),
    "10": ("HĐND thành phố Hà Nội", "thành phố", "Hà Nội", "82/2025/NQ-HĐND", "2025-11-27", "Nghị quyết",
           "Nghị quyết quy định nội dung chi, mức chi, thời gian hỗ trợ kinh phí"),
    "11": ("HĐND thành phố Hà Nội", "thành phố", "Hà Nội", "73/2025/NQ-HĐND", "2025-11-27", "Nghị quyết",
           "Nghị quyết quy định cơ chế, chính sách, biện pháp ưu đãi, hỗ trợ thu hút"),
    "12": ("UBND thành phố Hải Phòng", "thành phố", "Hải Phòng", "212/2025/QĐ-UBND", "2025-11-18", "Quyết định",
           "Quyết định ban hành Quy định về tiêu chí đánh giá, xếp loại chất lượng"),
    "13": ("UBND tỉnh Cao Bằng", "tỉnh", "Cao Bằng", "2003/QĐ-UBND", "2025-11-25", "Quyết định",
           "Quyết định phê duyệt danh sách xã, phường miền núi"),
    "14": ("UBND tỉnh Đồng Nai", "tỉnh", "Đồng Nai", "62/2025/QĐ-UBND", "2025-11-17", "Quyết định",
           "Quyết định ban hành Bảng giá tính thuế tài nguyên"),
    "15": ("Chủ tịch UBND tỉnh Đồng Nai", "tỉnh", "Đồng Nai", "2813/QĐ-UBND", "2025-11-20", "Quyết định",
           "Quyết định thông qua phương án đơn giản hóa thủ tục hành chính cấp xã"),
    "16": ("UBND tỉnh Phú Thọ", "tỉnh", "Phú Thọ", "103/2025/QĐ-UBND", "2025-11-20", "Quyết định",
           "Quyết định quy định về quản lý các tuyến đê và hành lang bảo vệ"),
    "17": ("UBND tỉnh Bắc Ninh", "tỉnh", "Bắc Ninh", "471/QĐ-UBND", "2025-11-28", "Quyết định",
           "Quyết định phê duyệt Danh mục địa điểm tổ chức hội chợ, triển lãm thương mại"),
    "18": ("UBND tỉnh Gia Lai", "tỉnh", "Gia Lai", "48/2025/QĐ-UBND", "2025-11-25", "Quyết định",
           "Quyết định quy định cụ thể danh mục trang cấp đồ dùng cá nhân"),
    "19": ("UBND thành phố Hồ Chí Minh", "thành phố", "Hồ Chí Minh", "4240/UBND-VX", "2025-11-28", "Công văn",
           "Công văn về việc khẩn trương hoàn thành cập nhật, đồng bộ cơ sở dữ liệu cán bộ, công chức, viên chức"),
    "20": ("Chủ tịch UBND tỉnh Lạng Sơn", "tỉnh", "Lạng Sơn", "2487/QĐ-UBND", "2025-11-19", "Quyết định",
           "Quyết định công bố danh mục thủ tục hành mới ban hành, bị bãi bỏ"),  # "hành mới": as printed
    "21": ("UBND tỉnh Quảng Ninh", "tỉnh", "Quảng Ninh", "96/2025/QĐ-UBND", "2025-11-19", "Quyết định",
           "Quyết định quy định về phòng cháy, chữa cháy rừng trên địa bàn tỉnh Quảng Ninh"),
    "22": ("Chủ tịch UBND tỉnh Thanh Hóa", "tỉnh", "Thanh Hóa", "3617/QĐ-UBND", "2025-11-20", "Quyết định",
           "Quyết định ủy quyền cho Chánh Văn phòng Ủy ban nhân dân tỉnh công bố thủ tục hành chính"),
    "23": ("UBND thành phố Đà Nẵng", "thành phố", "Đà Nẵng", "2641/QĐ-UBND", "2025-11-18", "Quyết định",
           "Quyết định ban hành quy định chức năng, nhiệm vụ, quyền hạn và cơ cấu tổ chức"),
    "24": ("Chủ tịch UBND thành phố Huế", "thành phố", "Huế", "123/2025/QĐ-CTUBND", "2025-11-24", "Quyết định",
           "Quyết định phân cấp thẩm quyền quyết định xác lập quyền sở hữu toàn dân"),
    "25": ("Chủ tịch UBND tỉnh Hà Tĩnh", "tỉnh", "Hà Tĩnh", "3005/QĐ-UBND", "2025-12-01", "Quyết định",
           "Quyết định công bố danh mục và Quy trình nội bộ thủ tục hành chính sửa đổi, bổ sung lĩnh vực giám định"),
    "26": ("Chủ tịch UBND tỉnh Quảng Trị", "tỉnh", "Quảng Trị", "2715/QĐ-UBND", "2025-11-19", "Quyết định",
           "Quyết định công bố danh mục thủ tục hành chính được ban hành mới hoặc bị bãi bỏ trong lĩnh vực điện lực"),
    # the Government Office writes about one province; the Ministry of Home Affairs for the whole country
    "27": ("Văn phòng Chính phủ", "tỉnh", "Phú Thọ", "636/TB-VPCP", "2025-11-24", "Thông báo",
           "Thông báo kết luận của phó Thủ tướng Chính phủ Bùi Thanh Sơn tại buổi làm việc với lãnh đạo tỉnh Phú Thọ"),
    "28": ("Bộ Nội vụ", "", "", "1378/QĐ-BNV", "2025-11-25", "Quyết định",
           "Quyết định công bố thủ tục hành chính nội bộ giữa các cơ quan hành chính nhà nước"),
    "29": ("Bộ Nội vụ", "", "", "10988/BNV-CQĐP", "2025-11-21", "Công văn",
           "Công văn về việc tuyên truyền chủ trương, chính sách của Đảng, Nhà nước"),
    "30": ("", "", "", "", "", "",
           "Điều 47 Luật Đất đai 2024 quy định cá nhân sử dụng đất NN"),
    "31": ("", "quận", "Ba Đình", "", "", "", "Ba Đình (quận)"),
}


def _extra(prefix: str) -> Path:
    found = sorted(EXTRA.glob(f"{prefix}_*.md"))
    if not found:
        pytest.skip(f"no corpus-extra beside the project ({EXTRA})")
    return found[0]


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_metadata_of_the_crawled_documents(prefix: str) -> None:
    path = _extra(prefix)
    meta = extract_metadata(path.read_text(encoding="utf-8"), path.name)
    issuer, level, locality, number, date, doc_type, title = EXPECTED[prefix]
    got = (meta.issuer, meta.locality_level, meta.locality, meta.doc_number, meta.date_issued, meta.doc_type)
    assert got == (issuer, level, locality, number, date, doc_type)
    assert meta.title.startswith(title), meta.title
    if date:
        assert (meta.issued_year, meta.issued_month, meta.issued_day) == tuple(int(p) for p in date.split("-"))


def test_tone_mark_normalisation_leaves_hoac_and_luan_alone() -> None:
    """Old-style "hoà" -> "hòa", but "hoặc", "luận" (a breve/circumflex after the tone in NFD) stay as written."""
    from baocao.lang.normalize import normalize_tone_marks

    assert [normalize_tone_marks(w) for w in ("hoà", "uỷ", "HOÁ", "hoặc", "HOẶC", "luận", "kết luận")] == [
        "hòa", "ủy", "HÓA", "hoặc", "HOẶC", "luận", "kết luận",
    ]


def test_a_text_without_header_block_takes_its_opening_lines_as_title() -> None:
    text = (
        "Bộ luật Hình sự (văn bản hợp nhất số 01/VBHN-VPQH) – Điều 316\n\nTội phá thai trái phép\n\n"
        "1. Người nào thực hiện việc phá thai trái phép cho người khác thì bị phạt tù từ 01 năm đến 03 năm.\n"
    )
    meta = extract_metadata(text, "274_blhs.txt")
    assert meta.title == "Bộ luật Hình sự (văn bản hợp nhất số 01/VBHN-VPQH) – Điều 316 – Tội phá thai trái phép"
    assert meta.short_title == meta.title  # no type, number or place: the title, not the file name
    # A first line that is a sentence is no title: nothing is made up.
    prose = extract_metadata("Người lao động có quyền nghỉ việc. Công ty phải trả lương.\n\nHết.\n", "note.txt")
    assert (prose.title, prose.short_title) == ("", "note.txt")
