"""Years, months, quarters and halves named in questions and passages; roman numerals."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from baocao.lang.normalize import fold_accents, nfc
from baocao.lang.tables import records

_ROMAN_DIGITS = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.IGNORECASE)


def roman_value(text: str) -> int:
    """'IV' -> 4, 'xvi' -> 16; 0 when ``text`` is not a roman numeral."""
    word = text.strip().lower()
    if not word or not _ROMAN.match(word):
        return 0
    total = 0
    for i, ch in enumerate(word):
        value = _ROMAN_DIGITS[ch]
        total += -value if i + 1 < len(word) and _ROMAN_DIGITS[word[i + 1]] > value else value
    return total


@cache
def english_months() -> dict[str, int]:
    return {row["name"][0]: int(row["month"][0]) for row in records("months_en.tsv")}


_YEAR_RANGE = re.compile(r"(?<![\d.,/])((?:19|20)\d{2})(?:\s*[-–]\s*((?:19|20)\d{2}))?(?![\d.,]\d)")


def years_in(text: str, ranges: bool = True) -> set[int]:
    """Years named in a text; a range "2021-2025" counts every year in it (only its ends without ``ranges``)."""
    found: set[int] = set()
    for match in _YEAR_RANGE.finditer(text):
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else start
        if ranges and 0 <= end - start <= 10:
            found.update(range(start, end + 1))
        else:
            found.update({start, end})
    return found


# "tăng 5% so với năm 2022": a year a figure is compared with is not the year the text is about.
_COMPARED_YEAR = re.compile(r"\b(?:so với|so|hơn|bằng|từ)\s+(?:cùng kỳ\s+)?(?:năm\s+)?(?:19|20)\d{2}\b", re.IGNORECASE)


def years_spoken_of(text: str, ranges: bool = True) -> set[int]:
    """The years a text is about: those it names, less those it compares with."""
    return years_in(_COMPARED_YEAR.sub(" ", text), ranges)


_MONTH_NAMED = re.compile(r"\btháng\s+0?(\d{1,2})\b|(?<![\d/])0?(\d{1,2})/(?:19|20)\d{2}\b", re.IGNORECASE)


def months_in(text: str) -> set[int]:
    """Months a passage names: 'tháng 03', '02/2023'."""
    return {int(a or b) for a, b in _MONTH_NAMED.findall(text) if 1 <= int(a or b) <= 12}


@dataclass
class Period:
    year: int = 0
    month: int = 0
    quarter: int = 0
    half: int = 0  # 1 = first six months

    def __bool__(self) -> bool:
        return bool(self.year or self.month or self.quarter or self.half)

    def text(self) -> str:
        parts = []
        if self.month:
            parts.append(f"tháng {self.month}")
        if self.quarter:
            parts.append(f"quý {self.quarter}")
        if self.half:
            parts.append("6 tháng đầu năm")
        if self.year:
            parts.append(f"năm {self.year}")
        return " ".join(parts)


_YEAR = re.compile(r"(?<![\d.,/])(19\d{2}|20\d{2})(?![\d.,])")
_MONTH_VI = re.compile(r"\bthang\s+0?(1[0-2]|[1-9])(?:\s*(?:/|-|nam|\s)\s*(\d{4}))?\b")
_MONTH_SLASH = re.compile(r"(?<![\d/])0?(1[0-2]|[1-9])/(\d{4})(?![\d/])")
_QUARTER_VI = re.compile(r"\bquy\s+(iv|iii|ii|i|[1-4])\b")
_QUARTER_EN = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b|\bq([1-4])\b", re.I)
_HALF = re.compile(r"\b6\s+thang\s+dau\s+nam\b|\bfirst\s+(?:half|six\s+months)\b")
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


@cache
def _english_month_pattern() -> re.Pattern[str]:
    names = "|".join(sorted(english_months(), key=len, reverse=True))
    return re.compile(r"\b(" + names + r")\b\.?\s*(\d{4})?", re.I)


def parse_period(text: str) -> tuple[list[int], Period]:
    """(years named, the period asked about) of a question."""
    folded = fold_accents(nfc(text))
    years = [int(y) for y in _YEAR.findall(folded)]
    period = Period()
    month_match = _MONTH_VI.search(folded)
    if month_match:
        period.month = int(month_match.group(1))
        if month_match.group(2):
            period.year = int(month_match.group(2))
    else:
        slash = _MONTH_SLASH.search(folded)
        if slash:
            period.month, period.year = int(slash.group(1)), int(slash.group(2))
        else:
            english = _english_month_pattern().search(folded)
            if english and not (english.group(1).lower() == "may" and not english.group(2)):
                period.month = english_months()[english.group(1).lower()]
                if english.group(2):
                    period.year = int(english.group(2))
    quarter = _QUARTER_VI.search(folded)
    if quarter:
        value = quarter.group(1)
        period.quarter = roman_value(value) or int(value)
    else:
        english_quarter = _QUARTER_EN.search(folded)
        if english_quarter:
            word = (english_quarter.group(1) or "").lower()
            period.quarter = _ORDINALS.get(word, 0) or int(english_quarter.group(2) or 0)
    if _HALF.search(folded):
        period.half = 1
    if not period.year and years:
        period.year = years[0]
    if period.year and period.year not in years:
        years.append(period.year)  # "2/2023": the year sits inside a month
    return list(dict.fromkeys(years)), period
