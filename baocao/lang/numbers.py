"""Figures in Vietnamese text: numbers as written ("1.484", "8,8", "6,39%", "29/38"), dates, document numbers."""
from __future__ import annotations

import re

from baocao.lang.normalize import fold_accents

NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")
_BARE_YEAR = re.compile(r"(?:19|20)\d{2}")
_ENUMERATOR = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)*\.?|[a-zđ]\)|[IVX]+\.)[ \t]+", re.IGNORECASE)
_DURATION_AFTER = re.compile(r"\s*(?:năm|tháng|ngày)\b", re.IGNORECASE)
_FIGURE = re.compile(r"\d+(?:[.,/]\d+)*(?:\s*%)?")
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b|\bngay \d{1,2} thang \d{1,2}\b|\bthang \d{1,2}/(?:19|20)\d{2}\b")
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


def has_date(text: str) -> bool:
    return bool(_DATE.search(fold_accents(text)))


def has_document_reference(text: str) -> bool:
    return bool(_REFERENCE.search(text))
