"""Figures in Vietnamese text: numbers as written ("1.484", "8,8", "6,39%", "29/38"), dates, document numbers."""
from __future__ import annotations

import re
from functools import cache

from baocao.lang.normalize import fold_accents
from baocao.lang.tables import word_list

NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")
_BARE_YEAR = re.compile(r"(?:19|20)\d{2}")
_ENUMERATOR = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)*\.?|[a-zđ]\)|[IVX]+\.)[ \t]+", re.IGNORECASE)
_DURATION_AFTER = re.compile(r"\s*(?:năm|tháng|ngày)\b", re.IGNORECASE)
_FIGURE = re.compile(r"\d+(?:[.,/]\d+)*(?:\s*%)?")
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b|\bngay \d{1,2} thang \d{1,2}\b|\bthang \d{1,2}/(?:19|20)\d{2}\b")
# "ngày 08 tháng 10 năm 2024", "tháng 12 năm 2024" (folded): a date written in words
_DATE_WORDS = re.compile(r"\b(?:ngay \d{1,2} )?thang \d{1,2}(?: nam (?:19|20)\d{2})?\b")
# "1 triệu", "5 tỷ" (folded): one digit with a scale is a figure
_SCALED_DIGIT = re.compile(r"(?<![\d.,])\d(?= (?:trieu|ty|ti|nghin|ngan)\b)")
# 828-CV/TU, 42/NQ-HĐND, 3422/BC-UBND
_REFERENCE = re.compile(r"\b\d+(?:/\d{4})?[/-][A-ZĐ][A-ZĐa-zđ]*(?:[-/][A-ZĐ][A-ZĐa-zđ]*)+")


def has_number(text: str, durations: bool = True) -> bool:
    """A figure other than a bare year or a list enumerator (nor, with ``durations=False``,
    a span of time such as "05 năm")."""
    body = _ENUMERATOR.sub("", text)
    for match in NUMBER.finditer(body):
        if _BARE_YEAR.fullmatch(match.group(0)):
            continue
        if not durations and _DURATION_AFTER.match(body[match.end() :]):
            continue
        return True
    return False


def figures(text: str) -> set[str]:
    """The figures of a text as written ("1%" is not "1"); one-digit numbers ("lớp 1") and years left out."""
    found = set()
    for match in _FIGURE.finditer(text):
        figure = match.group(0).replace(" ", "")
        if _BARE_YEAR.fullmatch(figure) or re.fullmatch(r"\d", figure):
            continue
        found.add(figure)
    return found


def stated_figures(text: str) -> set[str]:
    """The figures a text states as a measure: :func:`figures` with document numbers ("512/BC-UBND")
    and dates ("ngày 08 tháng 10", "31/12/2023") left out — a header block states none."""
    folded = fold_accents(_REFERENCE.sub(" ", text))  # digits and "%" are kept as written
    body = _DATE_WORDS.sub(" ", _DATE.sub(" ", folded))
    return figures(body) | {m.group(0) for m in _SCALED_DIGIT.finditer(body)}


def only_percentages(text: str) -> bool:
    """Every figure in the text is a share ("99,90%", a "(%)" column)."""
    found = figures(text)
    return bool(found) and (all(f.endswith("%") for f in found) or "(%)" in text)


@cache
def _relative_date() -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in word_list("relative_dates.txt")) + r")\b")


def has_date(text: str) -> bool:
    """A date in figures ("31/5/2026", "ngày 15 tháng 01") or set by an event ("kể từ ngày ký",
    ``data/relative_dates.txt``)."""
    folded = fold_accents(text)
    return bool(_DATE.search(folded) or _relative_date().search(folded))


def has_document_reference(text: str) -> bool:
    return bool(_REFERENCE.search(text))


# An amount as Vietnamese reports write it: "527,191 tỷ đồng", "1.484 tỷ 750 triệu đồng", "8,8%".
_AMOUNT = re.compile(
    r"(?<![\d.,/])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?\s*(%|tỷ|triệu|nghìn|ngàn)?"
    r"(?:\s+(\d{1,3})\s+(triệu))?(?:\s*(đồng|USD|ha|người|hộ|lao động))?"
)
_SCALE = {"tỷ": 1e9, "triệu": 1e6, "nghìn": 1e3, "ngàn": 1e3}


def amounts(text: str) -> list[tuple[float, str]]:
    """The amounts a text states with a unit, as (value in the unit's base, unit): "527,191 tỷ
    đồng" is (527191000000.0, "đồng"), "8,8%" is (8.8, "%"); bare numbers, years and ratios left out."""
    found: list[tuple[float, str]] = []
    for m in _AMOUNT.finditer(text):
        whole, decimals, scale, extra, extra_scale, unit = m.groups()
        if text[m.end(1) : m.end(1) + 1] == "/" or (scale is None and unit is None):
            continue
        value = float(whole.replace(".", "") + (f".{decimals}" if decimals else ""))
        if scale == "%":
            found.append((value, "%"))
            continue
        value *= _SCALE.get(scale or "", 1.0)
        if extra and extra_scale:
            value += float(extra) * _SCALE[extra_scale]
        found.append((value, unit or scale or ""))
    return found


def format_amount(value: float, unit: str) -> str:
    """An amount written as the reports write it: "957,559 tỷ đồng", "2,5%", "1.250 người"."""
    if unit == "%":
        return _vietnamese(value, 2) + "%"
    if unit == "đồng" and abs(value) >= 1e9:
        return f"{_vietnamese(value / 1e9, 3)} tỷ đồng"
    if unit == "đồng" and abs(value) >= 1e6:
        return f"{_vietnamese(value / 1e6, 3)} triệu đồng"
    return f"{_vietnamese(value, 2)} {unit}".strip()


def _vietnamese(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
