"""The one sentence splitter, used by the parser, the chunker and the answer units.

A sentence ends at ``. ! ? …`` (closing markup, quotes or brackets may follow) and white
space, when what comes next (after opening markup or quotes) starts a sentence: an upper-case
letter, a digit or a bullet. Not after an abbreviation written with a dot ("TP. Tây Ninh",
"Tr. đồng", "v.v. Các", an initial "A. Nguyễn"), and not after a bare enumerator ("1. Tình
hình", "IV. Nhiệm vụ"). Python's ``str.isupper`` tells Vietnamese capitals apart, which a
regex character range cannot.
"""
from __future__ import annotations

import re
from functools import lru_cache

from baocao.lang.tables import word_set

_END = re.compile(r"[.!?…](?:\*{1,3}|</b>|[\"”’)\]])*\s+(?=(?:\*{1,3}|<b>|[\"“‘(\[])*(\S))")
_WORD_BEFORE_DOT = re.compile(r"(?:^|[\s(\"“])([^\s(\"“]+)\.(?:\*{1,3}|</b>)?$")
_ENUMERATOR_ONLY = re.compile(r"^\s*(?:[-+•*]\s*)?(?:\d+(?:\.\d+)*|[IVXLC]+|[a-zđ])[.)]\s*$", re.IGNORECASE)
_BULLETS = "-+•–"
_LEADING_MARKUP = re.compile(r"^(?:\*+|<b>)")


@lru_cache(maxsize=1)
def _dotted_abbreviations() -> frozenset[str]:
    return word_set("abbreviations_with_dot.txt", lower=True)


def _is_abbreviation(before: str) -> bool:
    match = _WORD_BEFORE_DOT.search(before)
    if not match:
        return False
    word = _LEADING_MARKUP.sub("", match.group(1))
    if len(word) == 1 and word.isalpha():
        return True  # an initial
    return word.lower() in _dotted_abbreviations() or (word.count(".") >= 1 and len(word) <= 6)


def _starts_sentence(ch: str) -> bool:
    return ch.isupper() or ch.isdigit() or ch in _BULLETS


def sentence_starts(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets (inside ``text[start:end]``) where a new sentence begins, the first one excluded."""
    end = len(text) if end is None else end
    starts: list[int] = []
    previous = start
    for match in _END.finditer(text, start, end):
        if match.end() >= end or not _starts_sentence(match.group(1)):
            continue
        before = text[previous : match.start() + 1]
        if _is_abbreviation(before) or _ENUMERATOR_ONLY.match(before):
            continue
        starts.append(match.end())
        previous = match.end()
    return starts


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, white space trimmed, empty ones dropped."""
    end = len(text) if end is None else end
    bounds = [start, *sentence_starts(text, start, end), end]
    spans: list[tuple[int, int]] = []
    for a, b in zip(bounds, bounds[1:]):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def has_sentence_break(text: str) -> bool:
    return bool(sentence_starts(text))
