"""Amounts as the reports write them, and the computed comparison of one figure per place."""
from __future__ import annotations

import pytest

from baocao.lang.numbers import amounts, format_amount


@pytest.mark.parametrize("text, expected", [
    ("Tổng thu ngân sách ước đạt 527,191 tỷ đồng, đạt 95% dự toán", [(527.191e9, "đồng"), (95.0, "%")]),
    ("thu ngân sách 1.484 tỷ 750 triệu đồng", [(1484.75e9, "đồng")]),
    ("tốc độ tăng trưởng 8,8%", [(8.8, "%")]),
    ("giải quyết việc làm cho 1.250 lao động", [(1250.0, "lao động")]),
    ("29/38 trường đạt chuẩn; năm 2023", []),  # a ratio and a year are not amounts
])
def test_amounts_are_read_with_their_units(text: str, expected: list[tuple[float, str]]) -> None:
    found = amounts(text)
    assert [unit for _, unit in found] == [unit for _, unit in expected]
    assert [round(value, 3) for value, _ in found] == [round(value, 3) for value, _ in expected]


def test_amounts_are_written_back_in_vietnamese_style() -> None:
    assert format_amount(1484.75e9 - 527.191e9, "đồng") == "957,559 tỷ đồng"
    assert format_amount(2.5, "%") == "2,5%"
    assert format_amount(1250.0, "hộ") == "1.250 hộ"
    assert format_amount(350e6, "đồng") == "350 triệu đồng"


def _statement(text: str, locality: str):  # type: ignore[no-untyped-def]
    from assistant.candidates import UnitCandidate
    from assistant.extractive import Statement
    from baocao.models import Chunk, DocumentMeta, LayoutUnit
    from vectorstore.hits import Hit

    meta = DocumentMeta(doc_id=locality, source=f"{locality}.txt", locality=locality)
    chunk = Chunk(f"{locality}:0", locality, 0, "text", text, text, text, meta=meta)
    unit = LayoutUnit("sentence", 0, len(text), text)
    return Statement(text, UnitCandidate(unit, 0, Hit(chunk, 1.0, 1), [], set()), locality)


def _localities_result(statements, asks):  # type: ignore[no-untyped-def]
    from assistant.extractive import ExtractiveResult

    return ExtractiveResult(statements, False, kind="localities", asks=asks)


def test_one_figure_per_place_gets_a_computed_comparison() -> None:
    from assistant.compose import comparison_text

    result = _localities_result([
        _statement("Tổng thu ngân sách nhà nước ước thực hiện 527,191 tỷ đồng, đạt 96,79% dự toán.", "Hương Trà"),
        _statement("Tổng thu ngân sách nhà nước ước đạt 1.484 tỷ 750 triệu đồng, bằng 122% dự toán.", "Hải Dương"),
    ], {"number"})
    assert comparison_text(result, "vi") == "(tính từ các số liệu trích dẫn trên) Hải Dương cao hơn Hương Trà 957,559 tỷ đồng."
    assert comparison_text(result, "en").startswith("(computed from the figures quoted above) Hải Dương is higher")
    shares = _localities_result([
        _statement("Tỷ lệ hộ nghèo giảm còn 0,97%.", "Hải Dương"),
        _statement("Tỷ lệ hộ nghèo còn 2,5%.", "Hương Trà"),
    ], {"number", "percent"})
    assert comparison_text(shares, "vi").endswith("Hương Trà cao hơn Hải Dương 1,53 điểm phần trăm.")


def test_no_comparison_when_the_figures_are_not_alike() -> None:
    from assistant.compose import comparison_text

    mixed = _localities_result([
        _statement("Giải quyết việc làm cho 1.250 lao động.", "Hương Trà"),
        _statement("Tổng thu ngân sách ước đạt 850 tỷ đồng.", "Hải Dương"),
    ], {"number"})
    assert comparison_text(mixed, "vi") == ""
    one_place = _localities_result([_statement("Thu ngân sách 850 tỷ đồng.", "Hải Dương")], {"number"})
    assert comparison_text(one_place, "vi") == ""


def test_the_short_answer_is_the_figure_clause_that_names_the_measure_asked_about() -> None:
    from assistant.compose import short_answer
    from assistant.extractive import ExtractiveResult
    from baocao.lang.tokens import match_tokens

    sentence = "Trong năm 2023, có 412 lao động được đào tạo nghề, tỷ lệ hộ nghèo còn 2,1%, thu nhập bình quân 61 triệu đồng."
    poverty = [[tuple(match_tokens("hộ nghèo"))], [tuple(match_tokens("tỷ lệ"))]]  # the terms of "poverty rate"
    asked = ExtractiveResult([_statement(sentence, "Phường 9")], False, asks={"number"}, term_forms=poverty)
    assert short_answer(asked)[0] == "tỷ lệ hộ nghèo còn 2,1%"
    unnamed = ExtractiveResult([_statement(sentence, "Phường 9")], False, asks={"number"})
    assert short_answer(unnamed)[0] == "có 412 lao động được đào tạo nghề"  # no term named: the first figure
    income = [[tuple(match_tokens("thu nhập"))]]
    percent = ExtractiveResult([_statement(sentence, "Phường 9")], False, asks={"number", "percent"}, term_forms=income)
    assert short_answer(percent)[0] == "tỷ lệ hộ nghèo còn 2,1%"  # a percentage asked for comes first
