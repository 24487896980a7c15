"""Structure parsing on the five sample reports (real, messy converted text) and small synthetic cases."""
from __future__ import annotations

from functools import cache

import pytest

from baocao.lang.normalize import collapse_ws
from baocao.settings import SAMPLE_CORPUS
from ingest.structure import Block, clean_text, parse_blocks

SAMPLES = {
    "000": "000_a38a100b2d454861.txt",  # KH Tây Ninh, ends mid-sentence
    "001": "001_4f6835b70005be68.txt",  # BC Hương Trà: markdown, <b> table with a repeated header
    "002": "002_10b12c69719b1d7b.txt",  # BC Hải Dương
    "003": "003_6d900f09c97499e9.txt",  # BC Trà Vinh: footnotes ¹…¹⁵ mid-body
    "004": "004_616d0573625243ea.txt",  # KH Phường 2 (draft)
}


@cache
def sample(key: str) -> str:
    return (SAMPLE_CORPUS / SAMPLES[key]).read_text(encoding="utf-8")


@cache
def blocks_of(key: str) -> tuple[Block, ...]:
    return tuple(parse_blocks(sample(key)))


def shown(text: str, block: Block) -> str:
    return collapse_ws(clean_text(text[block.start : block.end]))


def find(key: str, starts: str, kind: str | None = None) -> tuple[int, Block]:
    text = sample(key)
    for index, block in enumerate(blocks_of(key)):
        if shown(text, block).startswith(starts) and (kind is None or block.kind == kind):
            return index, block
    raise AssertionError(f"no block starting with {starts!r} in {key}")


# --------------------------------------------------------------------------- offsets


@pytest.mark.parametrize("key", SAMPLES)
def test_blocks_are_ordered_disjoint_and_trimmed(key: str) -> None:
    text = sample(key)
    blocks = blocks_of(key)
    assert blocks
    previous_end = 0
    for block in blocks:
        assert previous_end <= block.start < block.end <= len(text)
        previous_end = block.end
        if block.kind != "table":  # table rows keep their leading/trailing tabs (empty cells)
            assert text[block.start : block.end] == text[block.start : block.end].strip()


@pytest.mark.parametrize("key", SAMPLES)
def test_every_non_blank_line_is_in_a_block(key: str) -> None:
    text = sample(key)
    covered = [False] * len(text)
    for block in blocks_of(key):
        for i in range(block.start, block.end):
            covered[i] = True
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert missing == []


# --------------------------------------------------------------------------- preamble / closing


def test_preamble_is_the_title_block() -> None:
    for key, expected_end in [
        ("000", "Khắc phục những hạn chế, khuyết điểm năm 2022"),
        ("001", "(Báo cáo của UBND thị xã tại Kỳ họp thứ 07, HĐND thị xã Khóa VII)"),
        ("002", "Công tác chính quyền năm 2023 và nhiệm vụ năm 2024"),
        ("003", "Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội tháng 02/2023"),
        ("004", "Phát triển Kinh tế - Xã hội và những giải pháp, nhiệm vụ chủ yếu năm 2024"),
    ]:
        first = blocks_of(key)[0]
        assert first.kind == "preamble", key
        assert shown(sample(key), first).endswith(expected_end), key
        assert blocks_of(key)[1].kind == "paragraph", key  # the body starts right after
    assert shown(sample("001"), blocks_of("001")[0]).startswith("Số: 3422 /BC-UBND Hương Trà, ngày 14 tháng 11 năm 2023 BÁO CÁO")


@pytest.mark.parametrize("key", ["001", "002", "003", "004"])
def test_closing_runs_from_noi_nhan_to_the_end(key: str) -> None:
    text = sample(key)
    index, block = find(key, "Nơi nhận")
    assert block.kind == "closing"
    rest = blocks_of(key)[index:]
    assert all(b.kind == "closing" for b in rest)
    closing_text = " ".join(shown(text, b) for b in rest)
    assert "TM. ỦY BAN NHÂN DÂN" in closing_text and "CHỦ TỊCH" in closing_text
    assert "Lưu: VT." in closing_text
    assert blocks_of(key)[index - 1].kind != "closing"


def test_signer_name_is_closing() -> None:
    assert blocks_of("002")[-1].kind == "closing"
    assert shown(sample("002"), blocks_of("002")[-1]) == "Trần Hồ Đăng"
    assert shown(sample("003"), blocks_of("003")[-1]) == "Nguyễn Văn Tâm"


def test_document_ending_mid_sentence() -> None:
    last = blocks_of("000")[-1]
    assert last.kind == "list_item"
    assert sample("000")[last.end - 16 : last.end] == "còn chưa sâu rộng,"[-16:]


# --------------------------------------------------------------------------- headings


def test_heading_paths_follow_numbering_not_markdown_depth() -> None:
    # 001 marks "I." with ####, "1." with #####, "2." with ##, "II." with ###: numbering wins.
    _, h = find("001", "1.2. Về chỉ đạo điều hành các lĩnh vực", "heading")
    assert h.level == 3
    assert h.path == [
        "II. Hạn chế, khuyết điểm và nguyên nhân",
        "1. Hạn chế, khuyết điểm",
        "1.2. Về chỉ đạo điều hành các lĩnh vực",
    ]
    _, h = find("001", "2. Công tác lãnh đạo", "heading")
    assert h.level == 2 and h.path[0].startswith("I. Kết quả thực hiện chương trình công tác")
    _, h = find("001", "III. Nhiệm vụ, giải pháp", "heading")
    assert h.level == 1 and h.path == ["III. Nhiệm vụ, giải pháp công tác chỉ đạo điều hành năm 2024"]


def test_nested_list_restart_and_unnumbered_subheadings() -> None:
    # "2.5." > "Tại TTHCC thị xã:" > "1. Kết quả…" — a "1." restarting under 2.5 nests, it does not
    # replace "2. Công tác lãnh đạo…"; the next bold subheading replaces "Tại TTHCC thị xã".
    base = [
        "I. Kết quả thực hiện chương trình công tác và Quy chế làm việc của UBND",
        "2. Công tác lãnh đạo, chỉ đạo các mặt công tác của địa phương trong năm",
        "2.5. Thụ lý hồ sơ một cửa, thủ tục hành chính",
    ]
    _, h = find("001", "1. Kết quả giải quyết hồ sơ", "heading")
    assert h.path == [*base, "Tại TTHCC thị xã", "1. Kết quả giải quyết hồ sơ"]
    _, h = find("001", "Đối với các xã, phường", "heading")
    assert h.path == [*base, "Đối với các xã, phường"]
    _, h = find("001", "2.6. Về đánh giá", "heading")
    assert h.path == [*base[:2], "2.6. Về đánh giá tình hình thực hiện các nhiệm vụ do UBND tỉnh giao"]


def test_heading_text_is_clean_and_truncated() -> None:
    _, h = find("001", "2.3. Phát triển đô thị", "heading")
    assert "*" not in h.heading and "#" not in h.heading
    assert len(h.heading) <= 120 and h.heading.endswith("…")
    _, h = find("001", "* Nguyên nhân của những khuyết điểm", "heading")
    assert h.heading == "Nguyên nhân của những khuyết điểm, tồn tại"


def test_bold_lead_in_and_label_lines_give_heading_plus_paragraph() -> None:
    text = sample("001")
    index, h = find("001", "2.1. Về Kinh tế tăng trưởng", "heading")
    body = blocks_of("001")[index + 1]
    assert text[h.start : h.end].endswith(":**")
    assert body.kind == "paragraph" and shown(text, body).startswith("Giá trị sản xuất các ngành kinh tế")
    text = sample("004")
    index, h = find("004", "2.1. Về Quản lý đất đai và môi trường", "heading")
    assert h.heading == "2.1. Về Quản lý đất đai và môi trường"
    assert shown(text, blocks_of("004")[index + 1]).startswith("Kiểm tra và quản lý chặt chẽ quỹ đất công")
    assert blocks_of("004")[index + 1].path[-1] == "2.1. Về Quản lý đất đai và môi trường"


def test_list_items_and_numbered_prose_are_not_headings() -> None:
    assert find("000", "* Nguyên nhân:")[1].kind == "list_item"
    assert find("000", "- + Khách quan")[1].kind == "list_item"
    assert find("004", "- Thu ngân sách đạt và vượt kế hoạch")[1].kind == "list_item"
    # numbered items that are sentences of prose
    assert find("003", "1. Tập trung thực hiện quyết liệt")[1].kind == "list_item"
    assert find("002", "2. Tiếp tục đổi mới, nâng cao chất lượng")[1].kind == "list_item"
    # short numbered titles are headings
    _, h = find("002", "4. Xây dựng và giữ mối quan hệ với sở, ngành cấp Tỉnh")
    assert h.kind == "heading" and h.level == 2
    _, h = find("004", "11. Trưởng 4 khu phố")
    assert h.kind == "heading" and h.path[0] == "II. Để đạt các chỉ tiêu cần thực hiện một số nhiệm vụ và giải pháp sau"


def test_numbered_line_cut_by_a_page_break_is_prose() -> None:
    # "4. Tăng cường thanh tra, … trong" + (page break) + "đó nhấn mạnh …"
    index, item = find("002", "4. Tăng cường thanh tra, kiểm tra")
    assert item.kind == "list_item"
    continuation = blocks_of("002")[index + 1]
    assert shown(sample("002"), continuation).startswith("đó nhấn mạnh đến vai trò tham mưu")
    assert continuation.continues == index and continuation.kind == "list_item"


# --------------------------------------------------------------------------- tables


def test_table_with_header_repeated_after_a_page_break() -> None:
    text = sample("001")
    tables = [b for b in blocks_of("001") if b.kind == "table"]
    assert len(tables) == 1
    table = tables[0]
    assert len(table.rows) == 25 and table.header_rows == 2
    assert table.repeated_header == [17, 18]
    rows = [text[s:e] for s, e in table.rows]
    assert rows[0] == "Chỉ tiêu chủ yếu\tĐVT\tNăm 2023\t\tSo sánh"
    assert rows[1] == "\t\tKế hoạch\tƯớc TH cả năm\t"
    assert rows[17] == rows[0] and rows[18] == rows[1]
    assert rows[2] == "<b>A. Về kinh tế</b>\t\t\t\t"  # a group row, not a header
    assert rows[3] == "1. Tốc độ tăng trưởng (GTSX)\t%\t14,5-15,5\t8,8\t<b>Không đạt</b>"
    for s, e in table.rows:  # every row is a whole line
        assert text[s - 1] == "\n" and text[e : e + 1] in ("\n", "")


def test_table_section_path() -> None:
    table = next(b for b in blocks_of("001") if b.kind == "table")
    assert table.path[-1] == "2. Công tác lãnh đạo, chỉ đạo các mặt công tác của địa phương trong năm"


# --------------------------------------------------------------------------- footnotes and page breaks


def test_footnotes_and_their_citations() -> None:
    text = sample("003")
    footnotes = {b.marker: b for b in blocks_of("003") if b.kind == "footnote" and b.continues < 0}
    assert sorted(footnotes, key=int) == [str(n) for n in range(1, 16)]
    assert shown(text, footnotes["1"]).startswith("¹ Tăng chủ yếu ở giá trị sản xuất")
    cited = {m for b in blocks_of("003") for m, _ in b.cites}
    assert cited == set(footnotes)
    _, citing = find("003", "Giá trị sản xuất công nghiệp-tiểu thủ công nghiệp")
    assert citing.marker == "1" and text[citing.cites[0][1]] == "¹"
    _, citing = find("003", "- Điều động và bổ nhiệm")
    assert citing.marker == "13,14,15"


def test_square_metres_are_not_footnote_markers() -> None:
    _, block = find("003", "- Thực hiện công tác cấp giấy chứng nhận quyền sử dụng đất")
    assert "m²" in sample("003")[block.start : block.end]
    assert block.cites == []


def test_paragraph_split_by_footnotes_at_a_page_break() -> None:
    # "…19/19 tiêu chí nông thôn mới nâng" + footnotes ²…⁵ + "cao; đối với Bộ tiêu chí…"
    index, head = find("003", "- Công tác phát triển nông thôn")
    _, rest = find("003", "cao; đối với Bộ tiêu chí nông thôn mới")
    assert rest.continues == index and rest.kind == "list_item"
    between = [b.kind for b in blocks_of("003") if head.end <= b.start < rest.start]
    assert between == ["footnote"] * 4
    index, _head = find("001", "Về đầu tư xây dựng cơ bản")
    _, rest = find("001", "90% kế hoạch vốn")
    assert rest.continues == index


def test_footnote_split_by_a_page_break() -> None:
    # footnote ¹² ends "…người dân, doanh" and resumes "nghiệp phải xuất trình…" a page later
    index, _head = find("003", "¹² Kết quả 10 phường, xã")
    _, rest = find("003", "nghiệp phải xuất trình giấy tờ")
    assert rest.kind == "footnote" and rest.continues == index and rest.marker == "12"


# --------------------------------------------------------------------------- synthetic


def test_markdown_only_headings_nest_by_hash_count() -> None:
    text = "# A\n\ntext a\n\n### A1\n\ntext\n\n## B\n\ntext b\n\n### B1\n\nx\n\n# C\n\ny\n"
    paths = [b.path for b in parse_blocks(text) if b.kind == "heading"]
    assert paths == [["A"], ["A", "A1"], ["A", "B"], ["A", "B", "B1"], ["C"]]


def test_roman_dash_letters_and_parenthesised_footnotes() -> None:
    text = "I- Mở đầu\r\n\r\nNội dung một(1) ở đây.\r\n\r\na) Mục a\r\n\r\nChữ.\r\n\r\nb) Mục b\r\n\r\n(1) Chú thích một.\r\n"
    blocks = parse_blocks(text)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "heading", "paragraph", "heading", "footnote"]
    assert blocks[2].path == ["I- Mở đầu", "a) Mục a"] and blocks[4].path == ["I- Mở đầu", "b) Mục b"]
    assert blocks[1].cites and blocks[1].marker == "1" and blocks[5].marker == "1"
    assert all("\r" not in text[b.start : b.end] for b in blocks)


def test_parenthesised_numbers_without_citation_are_list_items() -> None:
    text = "Các nhiệm vụ:\n\n(1) Thực hiện tốt công tác.\n\n(2) Tăng cường kiểm tra.\n"
    assert [b.kind for b in parse_blocks(text)] == ["paragraph", "paragraph", "paragraph"]


def test_numbers_starting_a_line_are_not_numbering() -> None:
    text = "1. Kết quả\n\nĐã giải ngân được\n\n2.5 tỷ đồng, đạt 90%.\n\n2023 là năm bản lề.\n"
    blocks = parse_blocks(text)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "paragraph", "paragraph"]
    assert blocks[2].continues == 1  # "2.5 tỷ đồng" resumes the sentence cut by a page break


def test_appendix_after_the_signature_is_content_again() -> None:
    text = (
        "I. Kết quả\n\nĐạt kế hoạch.\n\nNơi nhận:\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\n"
        "PHỤ LỤC\n\nChỉ tiêu\tĐVT\tKết quả\nThu ngân sách\tTỷ đồng\t151\n"
    )
    assert [b.kind for b in parse_blocks(text)] == ["heading", "paragraph", "closing", "closing", "paragraph", "table"]


def test_empty_text() -> None:
    assert parse_blocks("") == []
    assert parse_blocks(" \n\n\t\n") == []
