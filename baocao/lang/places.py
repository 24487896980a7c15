"""Administrative levels and place names (``data/levels.tsv``, ``data/government_words.txt``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from baocao.lang.normalize import canonical_syllable, fold_accents, fold_syllable, nfc
from baocao.lang.questions import stopwords
from baocao.lang.tables import records, word_list
from baocao.lang.tokens import folded_words, words


@dataclass(frozen=True)
class Level:
    name: str  # "thành phố"
    folded: tuple[str, ...]  # ("thanh pho",)
    abbreviations: tuple[str, ...]  # written in documents: ("tp",)
    query_abbreviations: tuple[str, ...]  # typed by users as well: ("p",)
    english: tuple[str, ...]
    parents: tuple[str, ...]
    party: str  # "thanh uy"
    tier: int  # 1 province, 2 district, 3 commune
    numbered: bool  # "Phường 2"
    common_word: bool  # its folded spelling is an everyday word ("cơ quan")

    def spellings(self, *, queries: bool = False) -> tuple[str, ...]:
        """Folded ways to write it: full words, then abbreviations (and those users type, with ``queries``)."""
        return self.folded + self.abbreviations + (self.query_abbreviations if queries else ())


@cache
def levels() -> tuple[Level, ...]:
    out = []
    for row in records("levels.tsv"):
        out.append(
            Level(
                name=row["level"][0],
                folded=row["folded"],
                abbreviations=row["abbreviations"],
                query_abbreviations=row["query_abbreviations"],
                english=row["english"],
                parents=row["parents"],
                party=row["party"][0] if row["party"] else "",
                tier=int(row["tier"][0]),
                numbered=bool(row["numbered"]),
                common_word=bool(row["common_word"]),
            )
        )
    return tuple(out)


def level_named(word: str) -> Level | None:
    """The level a (folded or written) word names: 'thành phố', 'thanh pho', 'tp' -> thành phố."""
    folded = fold_accents(nfc(word)).strip().rstrip(".")
    for level in levels():
        if folded in level.spellings(queries=True):
            return level
    return None


def level_by_name(name: str) -> Level | None:
    return next((level for level in levels() if level.name == name.lower()), None)


def level_words(level_name: str) -> list[list[str]]:
    """Folded word sequences that write a level in a question, English included."""
    level = level_by_name(level_name)
    if level is None:
        return [fold_accents(level_name).split()] if level_name else []
    return [s.split() for s in (*level.spellings(queries=True), *level.english)]


def government_words() -> tuple[str, ...]:
    return word_list("government_words.txt")


@cache
def level_syllables() -> frozenset[str]:
    """Folded syllables that write a level or a people's committee ("thanh", "pho", "tp", "ubnd"),
    except those that are everyday words when folded ("quan": "quân" is "quận" unaccented)."""
    out: set[str] = set()
    for level in levels():
        if not level.common_word:
            out.update(w for spelling in level.spellings() for w in spelling.split())
    out.update(folded_words(" ".join(government_words())))
    return frozenset(out)


@cache
def _level_prefix() -> re.Pattern[str]:
    spellings = sorted({s for level in levels() for s in (*level.folded, *level.abbreviations)}, key=len, reverse=True)
    return re.compile(r"^(?:" + "|".join(re.escape(s) for s in spellings) + r")\.?\s+")


def strip_level(name: str) -> str:
    """'thành phố Tây Ninh' -> 'Tây Ninh', 'TP. Hồ Chí Minh' -> 'Hồ Chí Minh'; a name that is only a
    number keeps its level ('Phường 2': the number is not a name by itself)."""
    name = (name or "").strip()
    match = _level_prefix().match(fold_accents(name))
    if not match:
        return name
    rest = name[match.end() :].strip()
    return name if not rest or rest.isdigit() else rest


def place_key(name: str) -> str:
    """One key per place, however it is written: 'thành phố Tây Ninh', 'Tây Ninh', 'tay ninh' -> 'tay ninh'."""
    return " ".join(folded_words(strip_level(name)))


_CAPITALISED_RUN = r"((?:[^\W\d_]+|\d+)(?:\s+[^\W\d_]+){0,2})"


@cache
def _mention_pattern() -> re.Pattern[str]:
    written = sorted(
        {w for level in levels() for w in (level.name, *(() if level.common_word else level.folded))},
        key=len, reverse=True,
    )
    abbreviations = sorted({a for level in levels() for a in level.abbreviations}, key=len, reverse=True)
    alternation = "|".join([*(re.escape(w) for w in written), *(re.escape(a) + r"\.?" for a in abbreviations)])
    return re.compile(r"(?i:\b(?P<level>" + alternation + r"))\s+" + _CAPITALISED_RUN)


def place_mentions(text: str) -> list[str]:
    """Places named with their level in ``text`` ("thành phố Hà Nội" -> "Hà Nội", "phường 3" -> "3"):
    the capitalised words (or a number) right after a level word."""
    return [name for name, _ in leveled_mentions(text)]


def leveled_mentions(text: str) -> list[tuple[str, Level | None]]:
    """:func:`place_mentions` with the level each is named with ("huyện Krông Bông" -> huyện)."""
    out: list[tuple[str, Level | None]] = []
    for match in _mention_pattern().finditer(nfc(text)):
        name_words: list[str] = []
        for word in match.group(2).split():
            if not (word[0].isupper() or (word.isdigit() and not name_words)):
                break
            name_words.append(word)
        if name_words:
            out.append((" ".join(name_words), level_named(match.group("level"))))
    return out


class _LowercaseNameRules(NamedTuple):
    level_syllables: frozenset[str]  # the syllables of the levels' names, as matched ("thị", "xã")
    level_syllables_folded: frozenset[str]
    kind_words: frozenset[str]  # before a level word, make it a kind of place ("các", "cấp")
    compounds: frozenset[str]  # everyday words that start with a level word ("xã hội")


@cache
def _lowercase_name_rules() -> _LowercaseNameRules:
    def canonical(entry: str) -> str:
        return " ".join(canonical_syllable(s) for s in entry.split())
    syllables = frozenset(canonical_syllable(s) for level in levels() for s in level.name.split())
    return _LowercaseNameRules(syllables, frozenset(fold_syllable(s) for s in syllables),
                               frozenset(canonical(w) for w in word_list("place_kind_words.txt")),
                               frozenset(canonical(w) for w in word_list("level_compounds.txt")))


def lowercase_mentions(text: str) -> list[tuple[str, Level]]:
    """Places named after their level word in a question typed in lower case, with its marks
    (as typed or restored: "huyện krông bông" -> "krông bông"). Case cannot mark the name, so it is
    taken as the two words after the level word (most place names have two syllables), when neither
    is a function word, a number or a level word, and the level word is not counted or qualified
    ("các xã", "cấp huyện": a kind of place, not one place) nor the start of an everyday word
    ("xã hội", "tỉnh ủy")."""
    written = words(nfc(text))
    found = [canonical_syllable(w) for w in written]
    function_words = stopwords(True)
    rules = _lowercase_name_rules()
    out: list[tuple[str, Level]] = []
    for level in levels():
        spelled = [canonical_syllable(s) for s in level.name.split()]
        size = len(spelled)
        for i in range(len(found) - size - 1):
            if found[i : i + size] != spelled:
                continue
            if i and (found[i - 1] in rules.kind_words or found[i - 1] in rules.level_syllables):
                continue
            if " ".join(found[i : i + size + 1]) in rules.compounds:
                continue
            name = found[i + size : i + size + 2]
            # a level syllable is checked folded: a restored "xa phuong ra soat" may read "phương rà"
            if any(w in function_words or fold_syllable(w) in rules.level_syllables_folded or not w.isalpha()
                   for w in name):
                continue
            out.append((" ".join(written[i + size : i + size + 2]), level))
    return out


_POSSESSIVE = re.compile(r"['’]s$")


@cache
def _provinces() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name as written, folded words of one of its spellings), longest spellings first."""
    names = [(line.split("|")[0], tuple(folded_words(spelling))) for line in word_list("provinces.txt")
             for spelling in line.split("|")]
    return tuple(sorted(names, key=lambda n: -len(n[1])))


def province_mentions(text: str, any_case: bool = False) -> list[str]:
    """Provinces and centrally governed cities a text names with capitals ("Hà Nội", "Hanoi" -> "Hà Nội");
    with ``any_case`` in lower case too (a question typed in lower case: case tells nothing)."""
    found_words = [_POSSESSIVE.sub("", w) for w in words(text)]  # "Da Nang's budget": the place is "Da Nang"
    folded = [fold_syllable(w) for w in found_words]
    capital = [any_case or w[:1].isupper() for w in found_words]
    names: list[str] = []
    taken: set[int] = set()
    for name, key in _provinces():
        n = len(key)
        for i in range(len(folded) - n + 1):
            span = set(range(i, i + n))
            if tuple(folded[i : i + n]) == key and all(capital[i : i + n]) and not span & taken:
                taken |= span
                names.append(name)
    return list(dict.fromkeys(names))
