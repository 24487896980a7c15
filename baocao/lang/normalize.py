"""Normal forms of Vietnamese text: NFC, one tone-mark style, markup stripped, accents folded.

The original text is never changed: these functions produce the forms that are indexed,
embedded and compared. Two syllables that differ only by an ending "y"/"i" after consonants
("tỷ"/"tỉ", "lý"/"lí", "kỹ"/"kĩ") are one syllable for matching: :func:`fold_syllable` and
:func:`canonical_syllable` are the one place that folds them.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# "oà" -> "òa", "uỷ" -> "ủy", "oẻ" -> "ỏe" at the end of a syllable (traditional placement,
# the more common one in these reports). With a final consonant both styles agree ("hoàn").
# A combining mark after the tone ("hoặc", "luận": a breve or circumflex follows in NFD) means
# the vowel is not the last letter of the syllable.
_OLD_STYLE_TAIL = re.compile(r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?![\w\u0300-\u036f])")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalize_tone_marks(text: str) -> str:
    """One tone-mark placement: hoà/hòa -> hòa, uỷ/ủy -> ủy (NFC in, NFC out)."""
    decomposed = unicodedata.normalize("NFD", text)
    # In NFD the tone mark follows the base letter (after any circumflex/horn/breve).
    moved = _OLD_STYLE_TAIL.sub(lambda m: m.group(1) + m.group(3) + m.group(2), decomposed)
    return unicodedata.normalize("NFC", moved)


_MARKUP = re.compile(r"</?(?:b|i|u|strong|em|br|sup|sub)\s*/?>|\*\*|__", re.IGNORECASE)
_HEADING_HASHES = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)
_ITALIC_STARS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


def strip_markup(text: str) -> str:
    """Remove the markup the reports carry (<b>, **bold**, *italic*, # headings); keep tabs/newlines."""
    text = _MARKUP.sub("", text)
    text = _HEADING_HASHES.sub("", text)
    text = _ITALIC_STARS.sub(r"\1", text)
    return text


def collapse_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def search_form(text: str) -> str:
    """The normalised form that is embedded and indexed: NFC, one tone style, no markup."""
    return normalize_tone_marks(nfc(strip_markup(text)))


def fold_accents(text: str) -> str:
    """'Hương Trà' -> 'huong tra' (lower case, no diacritics, đ -> d)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "d")


def has_diacritics(text: str) -> bool:
    return fold_accents(text) != text.lower()


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = fold_accents(ch)
    return folded if len(folded) == 1 else ch


def fold_same_length(text: str) -> str:
    """Accent-folded, lower-cased copy of ``text`` with the same length, so that a match on the
    folded copy slices the properly spelt words out of the original."""
    return "".join(_fold_char(ch) for ch in text)


# A syllable ending in a lone "y" after consonants is written with "i" as well: tỷ/tỉ, lý/lí, kỹ/kĩ.
_FINAL_Y = re.compile(r"^([bcdghklmnpqrstvx]+)y$")
_FINAL_Y_TONED = re.compile(r"^([bcdghklmnpqrstvx]+)([yýỳỷỹỵ])$")
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


@lru_cache(maxsize=500_000)  # a corpus has few distinct syllables and folding is the hot spot of indexing
def fold_syllable(token: str) -> str:
    """Accent-folded matching form of one syllable: 'Tỷ' -> 'ti', 'Hương' -> 'huong'."""
    return _FINAL_Y.sub(r"\1i", fold_accents(token))


@lru_cache(maxsize=500_000)
def canonical_syllable(token: str) -> str:
    """Lower-cased matching form with the marks kept: 'Tỷ' -> 'tỉ', 'kỹ' -> 'kĩ'."""
    lowered = token.lower()
    match = _FINAL_Y_TONED.match(lowered)
    return match.group(1) + match.group(2).translate(_Y_TO_I) if match else lowered
