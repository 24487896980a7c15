"""Chunk layout units from the real sample reports: spans exact, table rows with headers, lists, footnotes."""
from __future__ import annotations

from baocao.lang.normalize import strip_markup
from baocao.lang.numbers import has_number
from baocao.lang.periods import years_in
from baocao.settings import SAMPLE_CORPUS
from ingest.units import split_sentences, split_units


def _text(name: str) -> str:
    return strip_markup((SAMPLE_CORPUS / name).read_text(encoding="utf-8"))


HUONG_TRA = _text("001_4f6835b70005be68.txt")
TAY_NINH = _text("000_a38a100b2d454861.txt")
TRA_VINH = _text("003_6d900f09c97499e9.txt")


def test_every_unit_quotes_its_exact_span() -> None:
    for text in (HUONG_TRA, TAY_NINH, TRA_VINH):
        units = split_units(text)
        assert len(units) > 20
        for unit in units:
            assert unit.text.strip() and text[unit.start : unit.end].strip()


def test_table_rows_carry_their_column_headers() -> None:
    rows = [u for u in split_units(HUONG_TRA) if u.kind == "row"]
    income = next(u for u in rows if u.label.startswith("Thu nhập bình quân đầu người"))
    assert income.text == "2. Thu nhập bình quân đầu người (Tr.đồng/người): Kế hoạch 50-52; Ước TH cả năm 51,5; So sánh: Đạt"
    assert income.cells == {"Kế hoạch": "50-52", "Ước TH cả năm": "51,5", "So sánh": "Đạt"}
    assert "Năm 2023" in income.context  # the spanning header gives the year
    schools = next(u for u in rows if u.label.startswith("Tỷ lệ trường đạt chuẩn quốc gia"))
    assert schools.status == "Không đạt"
    assert "31/38 (81,6%)" in schools.text and "29/38 (76,3%)" in schools.text
    land = next(u for u in rows if "thu tiền sử dụng đất" in u.label)
    assert land.parent == "Tổng thu ngân sách NN"
    assert land.text.startswith("Tổng thu ngân sách NN – Trong đó thu tiền sử dụng đất (Tỷ đồng): Kế hoạch 120")
    assert [u.label for u in rows if u.status == "Không đạt"] == [
        "Tốc độ tăng trưởng (GTSX)", "Tổng thu ngân sách NN", "Tỷ lệ trường đạt chuẩn quốc gia"]


def test_list_items_share_a_block_after_their_heading() -> None:
    units = split_units(TAY_NINH)
    at = next(i for i, u in enumerate(units) if u.kind == "heading" and u.text.startswith("Nguyên nhân"))
    items = units[at + 1 : at + 5]
    assert [u.kind for u in items] == ["item"] * 4
    assert len({u.block for u in items}) == 1
    assert items[2].text == "Giá nguyên liệu, vật liệu đầu vào tăng cao"
    assert all(u.context == "Nguyên nhân" for u in items)


def test_footnotes_and_the_marks_that_point_to_them() -> None:
    units = split_units(TRA_VINH)
    note = next(u for u in units if u.kind == "footnote" and u.footnote == "2")
    assert note.text.startswith("Nguyên nhân do nhu cầu mua sắm")
    citing = next(u for u in units if "2.156,711 tỷ đồng" in u.text)
    assert citing.marks == ["2"]


def test_sentences_do_not_break_inside_numbers_or_abbreviations() -> None:
    text = "TP. Tây Ninh đạt 1.097 tỷ đồng, tăng 5,14%. Giá trị 2.156,711 tỷ đồng. Xong."
    spans = split_sentences(text, 0)
    assert [text[s:e] for s, e in spans] == ["TP. Tây Ninh đạt 1.097 tỷ đồng, tăng 5,14%.", "Giá trị 2.156,711 tỷ đồng.", "Xong."]


def test_years_and_figures() -> None:
    assert years_in("giai đoạn 2021-2025 và năm 2030") == {2021, 2022, 2023, 2024, 2025, 2030}
    assert years_in("ngày 03/01/2023") == set()  # a date is not the period a unit speaks of
    assert has_number("đạt 94,34% so kế hoạch năm 2022")
    assert not has_number("1. Năm 2022 là năm bản lề")
    assert not has_number("kế hoạch 05 năm 2021-2025", durations=False)


def test_sentences_starting_with_vietnamese_capitals_are_split() -> None:
    text = "Theo quy định của UBND tỉnh. Đến cuối năm 2023 có thêm xã Bình Thành. Ủy ban đã họp."
    assert [text[s:e] for s, e in split_sentences(text, 0)] == [
        "Theo quy định của UBND tỉnh.", "Đến cuối năm 2023 có thêm xã Bình Thành.", "Ủy ban đã họp."]


def test_stored_chunks_carry_their_layout(sample_store) -> None:
    chunks = sample_store.all_chunks()
    assert all(c.layout for c in chunks)
    for chunk in chunks:
        for unit in chunk.layout:
            assert 0 <= unit.start < unit.end <= len(chunk.text)
            assert unit.text.strip()
    tables = [c for c in chunks if c.kind == "table"]
    assert tables and all(any(u.kind == "row" for u in c.layout) for c in tables)
    income = next(u for c in tables for u in c.layout if u.label.startswith("Thu nhập bình quân đầu người"))
    assert income.cells == {"Kế hoạch": "50-52", "Ước TH cả năm": "51,5", "So sánh": "Đạt"}


def test_table_header_rows_come_from_the_structure_parser() -> None:
    text = "STT\tNội dung\tKết quả\nA\tDòng tiêu đề thứ hai\tB\n1\tThu ngân sách\t12"
    guessed = split_units(text)
    told = split_units(text, header_rows=1)
    assert [u.label for u in guessed if u.kind == "row"] == ["1"]  # guessed: both first rows look like headers
    assert [u.label for u in told if u.kind == "row"] == ["A", "1"]


ENUMERATED = """Điều 12. Xử lý hộ kinh doanh vi phạm

1. Hộ kinh doanh vi phạm quy định về vệ sinh môi trường lần đầu thì bị nhắc nhở bằng văn bản.

2. Hộ kinh doanh vi phạm thuộc một trong các trường hợp sau đây thì bị tạm dừng kinh doanh từ 07 ngày đến 15 ngày:

a) Tái phạm trong thời hạn 06 tháng;

b) Bán thực phẩm không rõ nguồn gốc;

c) Cản trở người thi hành công vụ.

3. Ban quản lý chợ lập biên bản trong thời hạn 03 ngày làm việc."""


def test_enumerated_lines_ending_with_a_semicolon_are_one_list_under_what_introduces_it() -> None:
    units = split_units(ENUMERATED)
    items = [u for u in units if u.kind == "item"]
    assert [u.text[:2] for u in items] == ["a)", "b)", "c)"]  # the "." of the last one ends the list
    assert len({u.block for u in items}) == 1
    assert all(u.context.startswith("2. Hộ kinh doanh vi phạm thuộc một trong các trường hợp") for u in items)
    kinds = {u.text[:2]: u.kind for u in units}
    assert kinds["2."] == "heading" and kinds["1."] == "sentence" and kinds["3."] == "sentence"
