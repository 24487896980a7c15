"""English terms of local government -> the Vietnamese the reports use (``data/glossary_en_vi.tsv``)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from baocao.lang.abbreviations import Expansion
from baocao.lang.normalize import nfc
from baocao.lang.tables import data_file, read_pairs, records
from baocao.lang.tokens import folded_words

GLOSSARY_FILE = data_file("glossary_en_vi.tsv")
_ENGLISH_WORD = re.compile(r"[\w'’-]+")


def english_base_forms(word: str) -> list[str]:
    """Candidate base forms of an English word: 'planned' -> plan, 'sidewalks' -> sidewalk."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    forms = [word]
    if len(word) > 3:
        if word.endswith("ies"):
            forms.append(word[:-3] + "y")
        if word.endswith("es"):
            forms.append(word[:-2])
        if word.endswith("s") and not word.endswith("ss"):
            forms.append(word[:-1])
        if word.endswith("ied"):
            forms.append(word[:-3] + "y")
        if word.endswith("ed"):
            forms += [word[:-2], word[:-1]]
            if len(word) > 5 and word[-3] == word[-4]:
                forms.append(word[:-3])  # planned -> plan
        if word.endswith("ing"):
            forms += [word[:-3], word[:-3] + "e"]
            if len(word) > 6 and word[-4] == word[-5]:
                forms.append(word[:-4])
    return list(dict.fromkeys(forms))


class Glossary:
    """English phrase -> Vietnamese equivalents; the longest phrase at a place wins."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.entries: dict[tuple[str, ...], list[str]] = {}
        for phrase, translations in table.items():
            key = tuple(w.lower() for w in _ENGLISH_WORD.findall(phrase))
            if key:
                known = self.entries.setdefault(key, [])
                known.extend(t for t in translations if t not in known)
        self._longest = max((len(k) for k in self.entries), default=0)

    @classmethod
    def load(cls, extra_paths: Iterable[Path] = ()) -> Glossary:
        table: dict[str, list[str]] = {}
        for path in [GLOSSARY_FILE, *extra_paths]:
            for key, values in read_pairs(path):
                entry = table.setdefault(key.lower(), [])
                entry.extend(v for v in values if v not in entry)
        return cls(table)

    def translate(self, text: str) -> tuple[list[Expansion], list[str]]:
        """(translated phrases, words left untranslated) of an English query."""
        found_words = [part for word in _ENGLISH_WORD.findall(nfc(text)) for part in self._split(word)]
        forms = [english_base_forms(w) for w in found_words]
        found: list[Expansion] = []
        untranslated: list[str] = []
        i = 0
        while i < len(found_words):
            match = self._longest_match(forms, i)
            if match:
                size, translations = match
                found.append(Expansion(" ".join(found_words[i : i + size]), translations, "glossary"))
                i += size
            else:
                untranslated.append(found_words[i])
                i += 1
        return found, untranslated

    def _split(self, word: str) -> list[str]:
        """'commune-level' -> commune, level, unless the glossary has the hyphenated word itself."""
        parts = [part for part in word.split("-") if part]
        if len(parts) < 2 or any((form,) in self.entries for form in english_base_forms(word)):
            return [word]
        return parts

    def _longest_match(self, forms: list[list[str]], start: int) -> tuple[int, list[str]] | None:
        for size in range(min(self._longest, len(forms) - start), 0, -1):
            for key in _phrase_keys(forms[start : start + size]):
                translations = self.entries.get(key)
                if translations:
                    return size, translations
        return None


def _phrase_keys(forms: list[list[str]]) -> Iterable[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [()]
    for options in forms:
        keys = [k + (o,) for k in keys for o in options]
        if len(keys) > 64:
            keys = keys[:64]
    return keys


@cache
def _figure_terms() -> tuple[tuple[str, str], ...]:
    rows = [(" ".join(folded_words(row["term"][0])), row["english"][0]) for row in records("figure_terms_en.tsv")]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def english_figure_term(vietnamese: str) -> str:
    """'Ước TH cả năm' -> 'estimate (cả năm)', 'Kế hoạch' -> 'plan', 'Không đạt' -> 'not met'; '' when unknown."""
    folded = " ".join(folded_words(vietnamese))
    for key, english in _figure_terms():
        if folded == key:
            return english
        if folded.startswith(key + " "):
            rest = vietnamese.split(maxsplit=len(key.split()))[-1]
            return f"{english} ({rest})"
    return ""
