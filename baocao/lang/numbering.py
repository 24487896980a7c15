"""How Vietnamese documents number their headings: "I." (roman), "1." (arabic), "1.2." / "1.2.3."
(decimal), "a)" (letter), and the depth each style conventionally has."""
from __future__ import annotations

import re
from dataclasses import dataclass

from baocao.lang.periods import roman_value

ROMAN_NUMBER = re.compile(r"^([IVX]{1,5})\s*[.\-–)]\s*(?=\S)")
_DECIMAL = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s+(?=\D)")
_ARABIC = re.compile(r"^(\d{1,2})[.)]\s+(?=\D)")
_VIETNAMESE_LETTERS = "abcdđefghijklmnopqrstuvwxyz"
_LETTER = re.compile(r"^([a-zđ])\)\s+(?=\S)")
_NOMINAL_RANK = {"roman": 1, "arabic": 2, "dec2": 3, "dec3": 4, "dec4": 5, "letter": 5}


@dataclass
class Numbering:
    style: str  # roman | arabic | dec2 | dec3 | letter | plain | md1..md6 | bold
    ordinal: int  # 0 when unnumbered


def numbering(clean: str) -> Numbering | None:
    """The numbering a line starts with ("II. ", "2.3 ", "b) "), if any."""
    found = _numbering_match(clean)
    return found[0] if found else None


def without_numbering(clean: str) -> str:
    """The line after its numbering ("5. Sở Xây dựng" → "Sở Xây dựng"); the line itself when unnumbered."""
    found = _numbering_match(clean)
    return clean[found[1] :] if found else clean


def _numbering_match(clean: str) -> tuple[Numbering, int] | None:
    """The numbering a line starts with and where what it numbers begins."""
    m = ROMAN_NUMBER.match(clean)
    if m and roman_value(m.group(1)):
        return Numbering("roman", roman_value(m.group(1))), m.end()
    m = _DECIMAL.match(clean)
    if m and _title_starts(clean[m.end() :]):
        numbers = m.group(1).split(".")
        return Numbering(f"dec{min(len(numbers), 4)}", int(numbers[-1])), m.end()
    m = _ARABIC.match(clean)
    if m and _title_starts(clean[m.end() :]):
        return Numbering("arabic", int(m.group(1))), m.end()
    m = _LETTER.match(clean)
    if m:
        return Numbering("letter", _VIETNAMESE_LETTERS.index(m.group(1)) + 1), m.end()
    return None


def rank(style: Numbering) -> int:
    """Conventional depth of a heading style: numbering schemes, or the number of "#"; 0 if none."""
    if style.style.startswith("md"):
        return int(style.style[2:])
    return _NOMINAL_RANK.get(style.style, 0)


def heading_rank(line: str) -> int:
    """The depth of a heading line by its numbering ("I." 1, "1." 2, "1.1." 3, …); 0 when unnumbered."""
    found = numbering(line.lstrip("*#-+• "))
    return rank(found) if found is not None else 0


def _title_starts(rest: str) -> bool:
    """What follows "1." / "2.3" starts like a title or item (upper case), not "2.5 tỷ đồng…"."""
    rest = rest.lstrip("*\"“'‘( ")
    return bool(rest) and (rest[0].isupper() or rest[0].isdigit())
