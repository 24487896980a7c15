"""Tokens of Vietnamese text: syllables, whole numbers, clauses.

Numbers stay whole ("29/38", "1.484", "8,8", "6,39%", "14.543,21", "02/2023") and so do
compounds joined by a hyphen, slash or apostrophe ("BC-UBND", "nghiệp-xây", "city's");
:func:`syllable_parts` gives a compound's parts.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from baocao.lang.normalize import canonical_syllable, fold_syllable, nfc, normalize_tone_marks, strip_markup

_TOKEN = re.compile(
    r"\d+(?:[.,/]\d+)*%?"  # numbers with separators, fractions, dates
    r"|[^\W\d_]+(?:[-/'’][^\W\d_]+)*",  # words (syllables), compounds like BC-UBND
    re.UNICODE,
)
_NUMBER_START = re.compile(r"^\d")
# Text is cut into clauses at punctuation that ends a phrase, so word pairs never join two
# clauses ("Hương Trà, ngày 14" gives no "trà ngày"). Dots and commas inside numbers stay.
_CLAUSE_BREAK = re.compile(r"[;:!?\n\t()\[\]{}\"“”…|]|[.,](?=\s|$)|\s[-–—+]\s")
_COMPOUND_SPLIT = re.compile(r"[-/'’]")


def is_number(token: str) -> bool:
    return bool(_NUMBER_START.match(token))


def word_matches(text: str) -> Iterator[re.Match[str]]:
    """The syllables and numbers of ``text`` with their positions (``text`` as given, not normalised)."""
    return _TOKEN.finditer(text)


def words(text: str) -> list[str]:
    """Syllables and numbers as written (case kept), in one tone-mark style."""
    return _TOKEN.findall(normalize_tone_marks(nfc(text)))


def tokenize(text: str) -> list[str]:
    """Lower-cased syllables and whole numbers."""
    return [t.lower() for t in words(text)]


def folded_words(text: str) -> list[str]:
    """Lower-cased, accent-folded syllables and numbers ('Hương Trà 2023' -> huong, tra, 2023)."""
    return [fold_syllable(t) if not is_number(t) else t for t in tokenize(text)]


def normalize_number(token: str) -> str:
    """'6,39%' -> '6,39'; '02/2023' -> '2/2023'; '03/01/2023' -> '3/1/2023'; '0,60' stays."""
    token = token.rstrip("%")
    parts = token.split("/")
    return "/".join(p.lstrip("0") or "0" if len(p) > 1 and p.isdigit() else p for p in parts)


def clause_tokens(text: str) -> list[list[str]]:
    """Lower-cased tokens of the search form, grouped by clause; numbers normalised."""
    form = normalize_tone_marks(nfc(strip_markup(text)))
    clauses: list[list[str]] = []
    for clause in _CLAUSE_BREAK.split(form):
        tokens = [normalize_number(t) if is_number(t) else t for t in tokenize(clause)]
        if tokens:
            clauses.append(tokens)
    return clauses


@lru_cache(maxsize=200_000)
def syllable_parts(token: str) -> tuple[str, ...]:
    """Compounds are also matched by their parts: 'nghiệp-xây' -> nghiệp, xây."""
    if is_number(token) or not _COMPOUND_SPLIT.search(token):
        return (token,)
    pieces = tuple(p for p in _COMPOUND_SPLIT.split(token) if p)
    return pieces or (token,)


def match_tokens(text: str, accents: bool = False) -> list[str]:
    """Tokens for comparing a question with a passage: lower case, compounds split into their
    syllables ("công nghiệp-xây dựng" matches "công nghiệp – xây dựng"), numbers whole, and each
    syllable in its matching form (accent-folded unless ``accents``)."""
    out: list[str] = []
    for token in tokenize(text):
        if is_number(token):
            out.append(token)
            continue
        for part in syllable_parts(token):
            out.append(canonical_syllable(part) if accents else fold_syllable(part))
    return out


def content_words(text: str, accents: bool = False) -> list[str]:
    """:func:`match_tokens` without the numbers."""
    return [t for t in match_tokens(text, accents) if not is_number(t)]
