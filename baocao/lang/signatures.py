"""The signature block of an administrative document: in whose capacity it was signed, and by whom.

A document ends with its recipients ("Nơi nhận:") and a signature block: the body the signer acts
for and the signer's title, in capitals ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), then, where the file
keeps it, the signer's name ("Trần Hồ Đăng"). Files saved without the name keep only the title.
Title words are in ``data/signer_titles.txt``; the cues of a question asking who signed in
``data/signer_cues.txt``.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from baocao.lang.normalize import has_diacritics
from baocao.lang.questions import matching_words, phrase_regex
from baocao.lang.tables import word_list
from baocao.lang.tokens import folded_words

NAME_REACH = 3  # lines after the last title line where the name may stand (a seal or a blank line between)
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_A-Z]*$")  # "Trần", "Đăng": a capital, then small letters


@dataclass(frozen=True)
class Signature:
    title: str  # "TM. ỦY BAN NHÂN DÂN – CHỦ TỊCH": the block's title lines
    name: str  # "Trần Hồ Đăng"; "" when the block gives only the title
    name_line: int  # index of the name's line among the lines given; -1 without a name


@cache
def _titles() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(folded_words(t)) for t in word_list("signer_titles.txt"))


def _plain(line: str) -> str:
    return line.replace("*", "").replace("_", " ").strip()


def _is_title_line(line: str) -> bool:
    text = _plain(line)
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return False
    folded = tuple(folded_words(text))
    return any(folded[: len(t)] == t for t in _titles())


def is_personal_name(line: str) -> bool:
    """"Trần Hồ Đăng": two to six words, each a capital and then small letters."""
    parts = _plain(line).split()
    return 2 <= len(parts) <= 6 and all(_NAME_WORD.match(p) and p[0].isupper() for p in parts)


def signature_of(lines: Sequence[str]) -> Signature | None:
    """The signature in a closing block's lines, in reading order; None when no line names a title."""
    titles = [i for i, line in enumerate(lines) if _is_title_line(line)]
    if not titles:
        return None
    last = titles[-1]
    first = last
    while first - 1 in titles:
        first -= 1
    title = " – ".join(_plain(lines[i]) for i in range(first, last + 1))
    for i in range(last + 1, min(len(lines), last + 1 + NAME_REACH)):
        if is_personal_name(lines[i]):
            return Signature(title, _plain(lines[i]), i)
    return Signature(title, "", -1)


@cache
def _signer_patterns() -> dict[bool, re.Pattern[str]]:
    cues = word_list("signer_cues.txt")
    # "ký kết" is to conclude (a contract, an agreement), not to sign a document
    return {accents: re.compile(phrase_regex(cues, accents) + r"(?!kết|ket)") for accents in (True, False)}


def asks_signer(text: str) -> bool:
    """The question asks who signed a document ("Ai ký …?", "Who signed …?"); with its diacritics
    when it has them ("ký" is not "kỳ")."""
    accents = has_diacritics(text)
    return bool(_signer_patterns()[accents].search(" ".join(matching_words(text, accents))))
