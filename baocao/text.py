"""Vietnamese text normalisation shared by ingest (what is indexed) and retrieval (queries).

The original text is never changed: these functions produce the *search* form.
"""
from __future__ import annotations

import re
import unicodedata

_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng

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


# Numbers stay whole: "29/38", "1.484", "8,8", "6,39%", "14.543,21", "02/2023", "3422/BC-UBND".
_TOKEN = re.compile(
    r"\d+(?:[.,/]\d+)*%?"  # numbers with separators, fractions, dates
    r"|[^\W\d_]+(?:[-/][^\W\d_]+)*",  # words (syllables), hyphen/slash compounds like BC-UBND
    re.UNICODE,
)


def tokenize(text: str) -> list[str]:
    """Lower-cased syllables and whole numbers of the search form."""
    return [t.lower() for t in _TOKEN.findall(normalize_tone_marks(nfc(text)))]


def folded_tokens(text: str) -> list[str]:
    return [fold_accents(t) for t in tokenize(text)]
