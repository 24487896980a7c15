"""Abbreviations: the shipped table (``data/abbreviations.tsv``), users' own tables, and those a corpus
defines itself ("Trung tâm Văn hóa - Thể thao (TTVH-TT)")."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from baocao.lang.normalize import fold_accents, fold_syllable, nfc, normalize_tone_marks, strip_markup
from baocao.lang.tables import data_file, read_pairs
from baocao.lang.tokens import folded_words, words

ABBREVIATIONS_FILE = data_file("abbreviations.tsv")


@dataclass
class Expansion:
    """A query phrase and the other ways the reports write it."""

    found: str  # as it appears in the query
    alternatives: list[str]
    source: Literal["abbreviation", "glossary"]


_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"[aeiouy]{1,3}"
    r"(?:ch|nh|ng|[cmnpt])?$"
)


def looks_like_syllable(folded: str) -> bool:
    """Could this (accent-folded) word be a Vietnamese syllable? 'tra' yes, 'ubnd' no."""
    return bool(_SYLLABLE.match(folded.lower()))


def _abbreviation_key(text: str) -> str:
    return fold_accents(text).replace(".", "").replace(" ", "")


def _letter_count(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


class Abbreviations:
    """Abbreviation <-> expansion, both ways; keys compared folded and case-insensitively."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.expansions: dict[str, list[str]] = {}  # folded abbreviation -> expansions
        self.display: dict[str, str] = {}  # folded abbreviation -> as written in the table
        self.by_expansion: dict[tuple[str, ...], list[str]] = {}  # folded expansion words -> abbreviations
        for abbreviation, expansions in table.items():
            key = _abbreviation_key(abbreviation)
            known = self.expansions.setdefault(key, [])
            known.extend(e for e in expansions if e not in known)
            self.display.setdefault(key, abbreviation)
            for expansion in expansions:
                folded = tuple(folded_words(expansion))
                if _letter_count(abbreviation) >= 3 and folded:  # short ones are too ambiguous backwards
                    self.by_expansion.setdefault(folded, [])
                    if abbreviation not in self.by_expansion[folded]:
                        self.by_expansion[folded].append(abbreviation)
        self._longest_expansion = max((len(k) for k in self.by_expansion), default=0)

    @classmethod
    def load(cls, extra_paths: Iterable[Path] = (), learned: dict[str, str] | None = None) -> Abbreviations:
        table: dict[str, list[str]] = {}
        for path in [ABBREVIATIONS_FILE, *extra_paths]:
            for key, values in read_pairs(path):
                table.setdefault(key, [])
                table[key].extend(v for v in values if v not in table[key])
        for key, value in (learned or {}).items():
            table.setdefault(key, [])
            if value not in table[key]:
                table[key].append(value)
        return cls(table)

    def expand(self, query: str) -> list[Expansion]:
        """Expansions of the abbreviations in ``query`` and abbreviations of its expanded phrases.

        A word that could be an ordinary syllable ("to", "an", "tu") is read as an
        abbreviation only when typed in capitals; "tp", "ubnd", "gpmb" are read either way.
        """
        found: list[Expansion] = []
        raw_words = words(query)
        for word in raw_words:
            key = _abbreviation_key(word)
            if key not in self.expansions or _letter_count(word) < 2:
                continue
            if not word.isupper() and all(looks_like_syllable(part) for part in re.split(r"[-&]", key) if part):
                continue
            found.append(Expansion(word, list(self.expansions[key]), "abbreviation"))
        # Every expanded phrase, nested ones too: "chương trình mục tiêu quốc gia" gives CTMTQG and MTQG.
        folded = [fold_syllable(w) for w in raw_words]
        for i in range(len(folded)):
            for size in range(min(self._longest_expansion, len(folded) - i), 1, -1):
                abbreviations = self.by_expansion.get(tuple(folded[i : i + size]))
                if abbreviations:
                    found.append(Expansion(" ".join(raw_words[i : i + size]), abbreviations, "abbreviation"))
        return found


# "Trung tâm Văn hóa - Thể thao - Học tập cộng đồng (TTVH-TT-HTCĐ)": an abbreviation defined
# in the text, checked by the initials of the words before it.
_DEFINED_ABBREVIATION = re.compile(r"\(([A-ZĐ][A-ZĐa-z&.\-]{1,18})\)")
_CONNECTORS = {"và", "&"}


def learn_abbreviations(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation -> expansion, for those the corpus defines as 'words (ABBR)'."""
    found: dict[str, str] = {}
    for text in texts:
        form = normalize_tone_marks(nfc(strip_markup(text)))
        for match in _DEFINED_ABBREVIATION.finditer(form):
            abbreviation = match.group(1)
            letters = [c for c in fold_accents(abbreviation) if c.isalpha()]
            if len(letters) < 2 or sum(1 for c in abbreviation if c.isupper()) < 2:
                continue
            before = re.findall(r"[^\W\d_]+", form[max(0, match.start() - 200) : match.start()])
            expansion = _match_initials(before, letters)
            if expansion:
                found.setdefault(abbreviation, expansion)
    return found


def _match_initials(words_before: list[str], letters: list[str]) -> str | None:
    """The shortest run of trailing words whose initials spell ``letters`` (connectors may be skipped)."""
    taken: list[str] = []
    want = list(letters)
    for word in reversed(words_before):
        if not want:
            break
        initial = fold_accents(word)[:1]
        if initial == want[-1]:
            taken.append(word)
            want.pop()
        elif word.lower() in _CONNECTORS and taken:
            taken.append(word)
        else:
            return None
    if want:
        return None
    return " ".join(reversed(taken)).lower()
