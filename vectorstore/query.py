"""Query understanding: language, locality, period and document type; abbreviations; English.

Everything found here is a *soft* signal for ranking (a wrong guess must not hide the
answer); hard filters come only from the caller's explicit ``Filters``.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from baocao.text import fold_accents, has_diacritics, nfc, normalize_tone_marks

if TYPE_CHECKING:
    from vectorstore.lexical import Vocabulary
    from vectorstore.store import DocumentRecord

DATA_DIR = Path(__file__).resolve().parent / "data"
ABBREVIATIONS_FILE = DATA_DIR / "abbreviations.tsv"
GLOSSARY_FILE = DATA_DIR / "glossary_en_vi.tsv"
# Optional user files: the env var names one file; data_dir/<same name> is read too.
ABBREVIATIONS_ENV = "BAOCAO_ABBREVIATIONS"
GLOSSARY_ENV = "BAOCAO_GLOSSARY"

Lang = Literal["vi", "vi-noaccent", "en"]

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+(?:[.,/]\d+)*", re.UNICODE)


def words_of(text: str) -> list[str]:
    return _WORD.findall(normalize_tone_marks(nfc(text)))


def folded_words(text: str) -> list[str]:
    return [fold_accents(w) for w in words_of(text)]


# --------------------------------------------------------------------------- language

# Function words that are not Vietnamese syllables (typed with or without accents), so two of
# them are strong evidence of English. Words like "to", "an", "do", "in" are left out.
_ENGLISH_MARKERS = {
    "the", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did", "does",
    "was", "were", "is", "are", "been", "being", "has", "have", "had", "of", "and", "for", "with",
    "from", "by", "about", "between", "into", "during", "according", "than", "that", "this",
    "these", "those", "there", "their", "its", "it", "any", "many", "much", "would",
    "should", "could", "will", "city", "town", "province", "district", "ward", "commune", "plan",
    "report", "year", "share", "value", "rate", "number", "people", "reach", "reached", "estimated",
    "total", "percentage", "percent", "budget", "public", "investment",
}


def detect_language(text: str) -> Lang:
    words = [w.lower() for w in words_of(text) if not w[0].isdigit()]
    if not words:
        return "vi"
    english = sum(1 for w in words if w in _ENGLISH_MARKERS)
    if english >= 2 and english / len(words) >= 0.15:
        return "en"
    accented = sum(1 for w in words if has_diacritics(w))
    # Vietnamese typed without accents: almost no syllable carries a mark.
    return "vi" if accented / len(words) >= 0.15 else "vi-noaccent"


# --------------------------------------------------------------------------- term tables


def read_table(path: Path) -> list[tuple[str, list[str]]]:
    """``key<TAB>value|value`` lines; '#' starts a comment line."""
    rows: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "\t" not in line:
            continue
        key, values = line.split("\t", 1)
        alternatives = [nfc(v.strip()) for v in values.split("|") if v.strip()]
        if key.strip() and alternatives:
            rows.append((nfc(key.strip()), alternatives))
    return rows


def user_table_paths(env_var: str, file_name: str, data_dir: Path | None) -> list[Path]:
    paths: list[Path] = []
    if data_dir is not None and (data_dir / file_name).is_file():
        paths.append(data_dir / file_name)
    named = os.environ.get(env_var, "")
    if named and Path(named).is_file():
        paths.append(Path(named))
    return paths


@dataclass
class Expansion:
    """A query phrase and the other ways the reports write it."""

    found: str  # as it appears in the query
    alternatives: list[str]
    source: Literal["abbreviation", "glossary"]


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
                words = tuple(folded_words(expansion))
                if _letter_count(abbreviation) >= 3 and words:  # short ones are too ambiguous backwards
                    self.by_expansion.setdefault(words, [])
                    if abbreviation not in self.by_expansion[words]:
                        self.by_expansion[words].append(abbreviation)
        self._longest_expansion = max((len(k) for k in self.by_expansion), default=0)

    @classmethod
    def load(cls, extra_paths: Iterable[Path] = (), learned: dict[str, str] | None = None) -> Abbreviations:
        table: dict[str, list[str]] = {}
        for path in [ABBREVIATIONS_FILE, *extra_paths]:
            for key, values in read_table(path):
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
        raw_words = words_of(query)
        for word in raw_words:
            key = _abbreviation_key(word)
            if key not in self.expansions or _letter_count(word) < 2:
                continue
            if not word.isupper() and all(looks_like_syllable(part) for part in re.split(r"[-&]", key) if part):
                continue
            found.append(Expansion(word, list(self.expansions[key]), "abbreviation"))
        # Every expanded phrase, nested ones too: "chương trình mục tiêu quốc gia" gives CTMTQG and MTQG.
        folded = [fold_accents(w) for w in raw_words]
        for i in range(len(folded)):
            for size in range(min(self._longest_expansion, len(folded) - i), 1, -1):
                abbreviations = self.by_expansion.get(tuple(folded[i : i + size]))
                if abbreviations:
                    found.append(Expansion(" ".join(raw_words[i : i + size]), abbreviations, "abbreviation"))
        return found


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


# English words are looked up in their base form; these are the candidate base forms.
def english_base_forms(word: str) -> list[str]:
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
    """English phrase -> Vietnamese equivalents; longest phrase first."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.entries: dict[tuple[str, ...], list[str]] = {}
        for phrase, translations in table.items():
            key = tuple(w.lower() for w in re.findall(r"[\w'’-]+", phrase))
            if key:
                known = self.entries.setdefault(key, [])
                known.extend(t for t in translations if t not in known)
        self._longest = max((len(k) for k in self.entries), default=0)

    @classmethod
    def load(cls, extra_paths: Iterable[Path] = ()) -> Glossary:
        table: dict[str, list[str]] = {}
        for path in [GLOSSARY_FILE, *extra_paths]:
            for key, values in read_table(path):
                table.setdefault(key.lower(), [])
                table[key.lower()].extend(v for v in values if v not in table[key.lower()])
        return cls(table)

    def translate(self, text: str) -> tuple[list[Expansion], list[str]]:
        """(translated phrases, words left untranslated) of an English query."""
        words = re.findall(r"[\w'’-]+", nfc(text))
        forms = [english_base_forms(w) for w in words]
        found: list[Expansion] = []
        untranslated: list[str] = []
        i = 0
        while i < len(words):
            match = self._longest_match(forms, i)
            if match:
                size, translations = match
                found.append(Expansion(" ".join(words[i : i + size]), translations, "glossary"))
                i += size
            else:
                untranslated.append(words[i])
                i += 1
        return found, untranslated

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


@lru_cache(maxsize=8)
def _load_glossary(extra: tuple[Path, ...]) -> Glossary:
    return Glossary.load(extra)


def load_glossary(data_dir: Path | None = None) -> Glossary:
    return _load_glossary(tuple(user_table_paths(GLOSSARY_ENV, GLOSSARY_FILE.name, data_dir)))


def load_abbreviations(data_dir: Path | None = None, learned: dict[str, str] | None = None) -> Abbreviations:
    extra = user_table_paths(ABBREVIATIONS_ENV, ABBREVIATIONS_FILE.name, data_dir)
    return Abbreviations.load(extra, learned)


# --------------------------------------------------------------------------- question words

# Question phrases carry no content to match (and unaccented, "bao nhieu" meets "báo cáo"),
# so the lexical query leaves them out; a "why" question looks for causes instead.
QUESTION_PHRASES: dict[tuple[str, ...], str] = {
    ("la", "bao", "nhieu"): "",
    ("bao", "nhieu"): "",
    ("la", "gi"): "",
    ("la", "nhung", "gi"): "",
    ("nhung", "gi"): "",
    ("nhu", "the", "nao"): "",
    ("the", "nao"): "",
    ("ra", "sao"): "",
    ("vi", "sao"): "nguyên nhân",
    ("tai", "sao"): "nguyên nhân",
    ("do", "dau"): "nguyên nhân",
    ("o", "dau"): "",
    ("khi", "nao"): "",
    ("bao", "gio"): "",
    ("nao",): "",
    ("gi",): "",
}
_QUESTION_LONGEST = max(len(k) for k in QUESTION_PHRASES)
_WORD_SPAN = re.compile(r"[^\W\d_]+", re.UNICODE)


def remove_question_words(text: str) -> tuple[str, list[str]]:
    """(text without question phrases, what they ask for): 'vì sao ... chậm' -> ('... chậm', ['nguyên nhân'])."""
    spans = [(m.start(), m.end(), fold_accents(m.group())) for m in _WORD_SPAN.finditer(text)]
    cuts: list[tuple[int, int]] = []
    hints: list[str] = []
    i = 0
    while i < len(spans):
        for size in range(min(_QUESTION_LONGEST, len(spans) - i), 0, -1):
            phrase = tuple(w for _, _, w in spans[i : i + size])
            if phrase in QUESTION_PHRASES:
                cuts.append((spans[i][0], spans[i + size - 1][1]))
                if QUESTION_PHRASES[phrase]:
                    hints.append(QUESTION_PHRASES[phrase])
                i += size - 1
                break
        i += 1
    for start, end in reversed(cuts):
        text = text[:start] + " ; " + text[end:]  # a clause break: no bigram across the gap
    return text, hints


# --------------------------------------------------------------------------- known values

_LEVEL_WORDS = {
    "tỉnh": ["tinh", "province"],
    "thành phố": ["thanh pho", "tp", "city"],
    "thị xã": ["thi xa", "tx", "town"],
    "huyện": ["huyen", "district"],
    "quận": ["quan", "district"],
    "phường": ["phuong", "ward", "p"],
    "xã": ["xa", "commune"],
    "thị trấn": ["thi tran", "tt", "town"],
}


@dataclass
class Locality:
    name: str  # "Hương Trà", "Phường 2"
    level: str = ""  # "thị xã"
    parent: str = ""  # "thành phố Tây Ninh"
    doc_ids: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.level} {self.name}".strip() if self.level and not self.name.lower().startswith(self.level) else self.name


@dataclass
class KnownValues:
    """The localities, years and document types present in the store."""

    localities: list[Locality] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    doc_types: set[str] = field(default_factory=set)

    @classmethod
    def from_documents(cls, records: Iterable[DocumentRecord]) -> KnownValues:
        by_name: dict[tuple[str, str], Locality] = {}
        years: set[int] = set()
        doc_types: set[str] = set()
        for record in records:
            meta = record.meta
            if meta.locality:
                key = (fold_accents(meta.locality), fold_accents(meta.parent_locality))
                locality = by_name.setdefault(key, Locality(meta.locality, meta.locality_level, meta.parent_locality))
                locality.doc_ids.add(meta.doc_id)
            for year in (meta.period_year, meta.plan_year, meta.issued_year):
                if year:
                    years.add(year)
            if meta.doc_type:
                doc_types.add(meta.doc_type)
        return cls(list(by_name.values()), years, doc_types)


# --------------------------------------------------------------------------- parsing


@dataclass
class Period:
    year: int = 0
    month: int = 0
    quarter: int = 0
    half: int = 0  # 1 = first six months

    def __bool__(self) -> bool:
        return bool(self.year or self.month or self.quarter or self.half)

    def text(self) -> str:
        parts = []
        if self.month:
            parts.append(f"tháng {self.month}")
        if self.quarter:
            parts.append(f"quý {self.quarter}")
        if self.half:
            parts.append("6 tháng đầu năm")
        if self.year:
            parts.append(f"năm {self.year}")
        return " ".join(parts)


@dataclass
class QueryInfo:
    text: str
    lang: Lang
    localities: list[Locality] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    period: Period = field(default_factory=Period)
    doc_types: list[str] = field(default_factory=list)
    expansions: list[Expansion] = field(default_factory=list)  # abbreviations and translations
    untranslated: list[str] = field(default_factory=list)  # English words with no glossary entry
    kept_words: list[str] = field(default_factory=list)  # Vietnamese names and numbers of an English query
    restored: str = ""  # the query with diacritics restored (vi-noaccent only)

    @property
    def locality_names(self) -> list[str]:
        return [loc.name for loc in self.localities]

    def to_dict(self) -> dict[str, object]:
        return {
            "lang": self.lang,
            "localities": [loc.label for loc in self.localities],
            "years": self.years,
            "period": self.period.text(),
            "doc_types": self.doc_types,
            "expansions": {e.found: e.alternatives for e in self.expansions},
            "restored": self.restored,
        }


_MONTHS_EN = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_YEAR = re.compile(r"(?<![\d.,/])(19\d{2}|20\d{2})(?![\d.,])")
_MONTH_VI = re.compile(r"\bthang\s+0?(1[0-2]|[1-9])(?:\s*(?:/|-|nam|\s)\s*(\d{4}))?\b")
_MONTH_SLASH = re.compile(r"(?<![\d/])0?(1[0-2]|[1-9])/(\d{4})(?![\d/])")
_MONTH_EN = re.compile(r"\b(" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\b\.?\s*(\d{4})?", re.I)
_QUARTER_VI = re.compile(r"\bquy\s+(iv|iii|ii|i|[1-4])\b")
_QUARTER_EN = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b|\bq([1-4])\b", re.I)
_HALF = re.compile(r"\b6\s+thang\s+dau\s+nam\b|\bfirst\s+(?:half|six\s+months)\b")
_QUARTER_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

_DOC_TYPES = {
    "Báo cáo": ["bao cao", "report"],
    "Kế hoạch": ["ke hoach", "plan"],
    "Tờ trình": ["to trinh", "proposal", "submission"],
    "Quyết định": ["quyet dinh", "decision"],
    "Công văn": ["cong van", "official letter"],
    "Nghị quyết": ["nghi quyet", "resolution"],
}


def parse_period(text: str) -> tuple[list[int], Period]:
    folded = fold_accents(nfc(text))
    years = [int(y) for y in _YEAR.findall(folded)]
    period = Period()
    month_match = _MONTH_VI.search(folded)
    if month_match:
        period.month = int(month_match.group(1))
        if month_match.group(2):
            period.year = int(month_match.group(2))
    else:
        slash = _MONTH_SLASH.search(folded)
        if slash:
            period.month, period.year = int(slash.group(1)), int(slash.group(2))
        else:
            english = _MONTH_EN.search(folded)
            if english and not (english.group(1).lower() == "may" and not english.group(2)):
                period.month = _MONTHS_EN[english.group(1).lower()]
                if english.group(2):
                    period.year = int(english.group(2))
    quarter = _QUARTER_VI.search(folded)
    if quarter:
        value = quarter.group(1)
        period.quarter = _ROMAN.get(value, 0) or int(value)
    else:
        english_quarter = _QUARTER_EN.search(folded)
        if english_quarter:
            period.quarter = _QUARTER_WORDS.get((english_quarter.group(1) or "").lower(), 0) or int(english_quarter.group(2) or 0)
    if _HALF.search(folded):
        period.half = 1
    if not period.year and years:
        period.year = years[0]
    if period.year and period.year not in years:
        years.append(period.year)  # "2/2023": the year sits inside a month
    return list(dict.fromkeys(years)), period


def _name_variants(locality: Locality) -> list[tuple[list[str], bool]]:
    """(folded words, needs a level word before it) for matching a locality in a query."""
    name_words = folded_words(locality.name)
    level_folded = fold_accents(locality.level)
    if name_words and " ".join(name_words[: len(level_folded.split())]) == level_folded and level_folded:
        bare = name_words[len(level_folded.split()) :]  # "Phường 2" -> ["2"]
    else:
        bare = name_words
    variants: list[tuple[list[str], bool]] = []
    # A bare name that is a number or one short word ("2", "An") needs its level word.
    needs_level = not bare or all(w.isdigit() for w in bare) or (len(bare) == 1 and len(bare[0]) <= 3)
    if bare:
        variants.append((bare, needs_level))
    return variants


def _level_words(level: str) -> list[list[str]]:
    return [w.split() for w in _LEVEL_WORDS.get(level.lower(), [fold_accents(level)])] if level else []


def find_localities(text: str, known: KnownValues) -> list[Locality]:
    words = folded_words(re.sub(r"['’]s\b", "", text).replace(".", " "))
    matched: list[Locality] = []
    for locality in known.localities:
        for name, needs_level in _name_variants(locality):
            for start in _occurrences(words, name):
                if needs_level and not _preceded_by_level(words, start, locality.level):
                    continue
                matched.append(locality)
                break
            if matched and matched[-1] is locality:
                break
    # "Phường 2, thành phố Tây Ninh" names Phường 2; Tây Ninh only qualifies it.
    specific = [
        loc
        for loc in matched
        if not any(
            other is not loc and fold_accents(_strip_level(other.parent)) == fold_accents(loc.name) for other in matched
        )
    ]
    return specific or matched


def _strip_level(name: str) -> str:
    folded = fold_accents(name)
    for level, variants in _LEVEL_WORDS.items():
        for prefix in [fold_accents(level), *variants]:
            if folded.startswith(prefix + " "):
                return name[len(prefix) + 1 :]
    return name


def _occurrences(words: list[str], name: list[str]) -> list[int]:
    size = len(name)
    return [i for i in range(len(words) - size + 1) if words[i : i + size] == name]


def _preceded_by_level(words: list[str], start: int, level: str) -> bool:
    for level_words in _level_words(level):
        size = len(level_words)
        if start >= size and words[start - size : start] == level_words:
            return True
    return False


def find_doc_types(text: str) -> list[str]:
    folded = " " + " ".join(folded_words(text)) + " "
    return [name for name, variants in _DOC_TYPES.items() if any(f" {v} " in folded for v in variants)]


def parse_query(
    text: str,
    known: KnownValues,
    *,
    abbreviations: Abbreviations | None = None,
    glossary: Glossary | None = None,
    vocabulary: Vocabulary | None = None,
) -> QueryInfo:
    """What the query is about: language, localities, period, document type, term expansions."""
    lang = detect_language(text)
    years, period = parse_period(text)
    info = QueryInfo(
        text=text,
        lang=lang,
        localities=find_localities(text, known),
        years=years,
        period=period,
        doc_types=find_doc_types(text),
    )
    if lang == "vi-noaccent" and vocabulary is not None:
        info.restored = vocabulary.restore(text)
    if lang == "en" and glossary is not None:
        translations, info.untranslated = glossary.translate(text)
        info.expansions.extend(translations)
        kept = vietnamese_words(info.untranslated, vocabulary)
        info.kept_words = vocabulary.restore(" ".join(kept)).split() if vocabulary is not None else kept
    if abbreviations is not None:
        info.expansions.extend(abbreviations.expand(info.restored or text))
    return info


_ENGLISH_SHORT_WORDS = {"in", "to", "do", "an", "a", "on", "at", "as", "or", "be", "so", "no", "not", "up", "out", "all"}


def vietnamese_words(words: list[str], vocabulary: Vocabulary | None) -> list[str]:
    """The words of an English query that are Vietnamese: names, numbers, accented words.

    "Hai Duong" typed without accents counts when the corpus knows its syllables.
    """
    kept = []
    for word in words:
        word = re.sub(r"['’]s$", "", word)
        folded = fold_accents(word)
        if word[:1].isdigit() or has_diacritics(word):
            kept.append(word)
        elif (
            word[:1].isupper()
            and folded not in _ENGLISH_SHORT_WORDS
            and folded not in _ENGLISH_MARKERS
            and vocabulary is not None
            and vocabulary.knows(folded)
        ):
            kept.append(word)
    return kept
