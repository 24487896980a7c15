"""A question read once: :class:`Query`, made by :class:`QueryAnalyser` against the corpus snapshot.

The one reading of a question serves both the retriever (language, places, period, document
type, term expansions, the restored form of an unaccented question) and the answerer (content
terms in matching form, figures asked about, the shape of answer asked for, measures, what the
question sets aside, its parts). Everything found here is a *soft* signal for ranking (a wrong
guess must not hide the answer); hard filters come only from the caller's explicit ``Filters``.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from baocao.lang.abbreviations import Abbreviations, Expansion
from baocao.lang.detect import Lang, detect_language, english_markers
from baocao.lang.doctypes import doc_types_named
from baocao.lang.glossary import Glossary
from baocao.lang.normalize import fold_accents, fold_syllable, has_diacritics, nfc
from baocao.lang.periods import Period, parse_period, years_in
from baocao.lang.places import (
    Level,
    government_words,
    level_by_name,
    level_words,
    leveled_mentions,
    levels,
    lowercase_mentions,
    place_key,
    province_mentions,
    strip_level,
)
from baocao.lang.questions import (
    Measure,
    answer_shapes,
    asks_to_define,
    doc_frame_words,
    english_short_words,
    english_stopwords,
    excluded_clauses,
    folded_question,
    is_question_phrase,
    measures_asked,
    names_by_number,
    split_parts,
    stopwords,
)
from baocao.lang.restore import Vocabulary, written_casing
from baocao.lang.tokens import content_words, folded_words, match_tokens
from vectorstore.snapshot import CorpusSnapshot, KnownValues, Locality, SnapshotCache


@dataclass
class Term:
    """A content term of the question: present in a text when any of its forms is (matching syllables)."""

    forms: list[tuple[str, ...]]
    label: str = ""


@dataclass
class Query:
    text: str  # as answered (a follow-up already resolved)
    lang: Lang
    restored: str = ""  # the question with diacritics restored (vi-noaccent only)
    localities: list[Locality] = field(default_factory=list)  # places of the store it names
    unknown_places: list[str] = field(default_factory=list)  # places it names that no loaded report covers
    years: list[int] = field(default_factory=list)
    period: Period = field(default_factory=Period)
    doc_types: list[str] = field(default_factory=list)
    expansions: list[Expansion] = field(default_factory=list)  # abbreviations and translations
    untranslated: list[str] = field(default_factory=list)  # English words with no glossary entry
    kept_words: list[str] = field(default_factory=list)  # Vietnamese names and numbers of an English query
    terms: list[Term] = field(default_factory=list)  # content terms, in matching form
    bigrams: list[tuple[str, str]] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # figures it names (not years, months, place numbers)
    shapes: set[str] = field(default_factory=set)  # what kind of answer it asks for (baocao.lang.questions)
    measures: list[Measure] = field(default_factory=list)  # "bao nhiêu người"
    definitions: list[tuple[str, list[str]]] = field(default_factory=list)  # abbreviation asked about -> expansions
    excluded: list[Term] = field(default_factory=list)  # terms it sets aside ("apart from X")
    parts: list[str] = field(default_factory=list)  # sub-questions of a compound question

    @property
    def reading(self) -> str:
        """The text its terms, shapes and measures are read from: the restored form of a question
        typed without diacritics (so it is read as its accented twin is), else the text."""
        return self.restored or self.text

    @property
    def accents(self) -> bool:
        """Terms keep their diacritics (matched against the reports' marked text): typed with them,
        or restored from the corpus's vocabulary; folded only when typed without them and not restored."""
        return self.lang != "vi-noaccent" or bool(self.restored)

    @property
    def is_english(self) -> bool:
        return self.lang == "en"

    @property
    def month(self) -> int:
        return self.period.month

    @property
    def locality_names(self) -> list[str]:
        return [loc.name for loc in self.localities]

    @property
    def status(self) -> str:
        """'missed' / 'met' when it asks which targets were missed or met, else ''."""
        if "status" not in self.shapes:
            return ""
        if "missed" in self.shapes:
            return "missed"
        return "met" if "met" in self.shapes else ""

    def asks(self, shape: str) -> bool:
        return shape in self.shapes

    @property
    def wants_list(self) -> bool:
        return bool({"list", "docs"} & self.shapes) or self.status != ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "localities": [loc.label for loc in self.localities],
            "unknown_places": self.unknown_places,
            "years": self.years,
            "period": self.period.text(),
            "doc_types": self.doc_types,
            "expansions": {e.found: e.alternatives for e in self.expansions},
            "restored": self.restored,
            "shapes": sorted(self.shapes),
            "terms": [t.label for t in self.terms],
        }


# --------------------------------------------------------------------------- localities


def _name_variants(locality: Locality) -> list[tuple[list[str], bool]]:
    """(folded words, needs a level word before it) for matching a locality in a query."""
    name_words = folded_words(locality.name)
    level_folded = fold_accents(locality.level)
    if name_words and level_folded and " ".join(name_words[: len(level_folded.split())]) == level_folded:
        bare = name_words[len(level_folded.split()) :]  # "Phường 2" -> ["2"]
    else:
        bare = name_words
    # A bare name that is a number or one short word ("2", "An") needs its level word.
    needs_level = not bare or all(w.isdigit() for w in bare) or (len(bare) == 1 and len(bare[0]) <= 3)
    return [(bare, needs_level)] if bare else []


def _occurrences(words: list[str], name: list[str]) -> list[int]:
    size = len(name)
    return [i for i in range(len(words) - size + 1) if words[i : i + size] == name]


def _preceded_by_level(words: list[str], start: int, level: str) -> bool:
    for spelled in level_words(level):
        size = len(spelled)
        if start >= size and words[start - size : start] == spelled:
            return True
    return False


def find_localities(text: str, known: KnownValues) -> list[Locality]:
    """The store's localities a text names, with or without diacritics, in English too."""
    found_words = folded_words(re.sub(r"['’]s\b", "", text).replace(".", " "))
    matched: list[Locality] = []
    for locality in known.localities:
        for name, needs_level in _name_variants(locality):
            if any(not needs_level or _preceded_by_level(found_words, start, locality.level)
                   for start in _occurrences(found_words, name)):
                matched.append(locality)
                break
    # "Phường 2, thành phố Tây Ninh" names Phường 2; Tây Ninh only qualifies it.
    specific = [
        loc for loc in matched
        if not any(other is not loc and place_key(other.parent) == place_key(loc.name) for other in matched)
    ]
    return specific or matched


def _is_known_place(name: str, known: KnownValues, named: list[Locality]) -> bool:
    """A report's locality, or the parent of one the question names ("Phường 2, thành phố Tây Ninh":
    Tây Ninh qualifies Phường 2). A parent named alone is asked about itself: a commune's report
    does not cover its district ("thu ngân sách huyện Đồng Phú" over xã Tân Lập's report)."""
    key = place_key(name)
    names = {place_key(loc.name) for loc in known.localities} | {place_key(loc.parent) for loc in named if loc.parent}
    return any(key == k or key.startswith(k + " ") or k.endswith(" " + key) or k.startswith(key + " ") for k in names if k)


# --------------------------------------------------------------------------- the analyser


_FIGURE = re.compile(r"(?<![\w-])\d+(?:[.,/]\d+)*%?")
_BARE_YEAR = re.compile(r"(?:19|20)\d{2}")
_MONTH_YEAR = re.compile(r"\d{1,2}/(?:19|20)\d{2}")


class QueryAnalyser:
    """Reads questions against the current corpus snapshot (its places, vocabulary, abbreviations)."""

    def __init__(self, snapshots: SnapshotCache) -> None:
        self.snapshots = snapshots

    def analyse(self, text: str) -> Query:
        snapshot = self.snapshots.current()
        return read_query(text, snapshot, self.snapshots.abbreviations(), self.snapshots.glossary)

    def localities(self, text: str) -> list[Locality]:
        return find_localities(text, self.snapshots.current().known)


def read_query(
    text: str, snapshot: CorpusSnapshot | None, abbreviations: Abbreviations | None, glossary: Glossary | None
) -> Query:
    """The :class:`Query` of ``text``; without a snapshot (an empty store) only what the words say."""
    text = nfc(text).strip()
    known = snapshot.known if snapshot is not None else KnownValues()
    vocabulary = snapshot.vocabulary if snapshot is not None else None
    lang = detect_language(text)
    years, period = parse_period(text)
    years = list(dict.fromkeys([*years, *sorted(years_in(text))]))
    query = Query(text=text, lang=lang, years=years, period=period, localities=find_localities(text, known),
                  doc_types=doc_types_named(text))
    uncased = _uncased(text)
    provinces = province_mentions(text, any_case=uncased)
    if lang == "vi-noaccent" and vocabulary is not None:
        # cased as written: the dense leg embeds it, and e5 reads "hải dương" and "Hải Dương" apart
        names = [n for loc in query.localities for n in (loc.name, loc.parent) if n]
        names += provinces  # "ha noi" is Hà Nội, not "hạ nội"
        query.restored = written_casing(vocabulary.restore(text), names)
    if lang == "en" and glossary is not None:
        translations, query.untranslated = glossary.translate(text)
        query.expansions.extend(translations)
        kept = vietnamese_words(query.untranslated, vocabulary)
        query.kept_words = vocabulary.restore(" ".join(kept)).split() if vocabulary is not None else kept
    reading = query.reading
    if abbreviations is not None:
        query.expansions.extend(abbreviations.expand(reading))
    lowercase = lowercase_mentions(reading) if uncased and lang != "en" else []
    query.unknown_places = _unknown_places(text, known, snapshot, query.localities, provinces, lowercase)
    query.shapes = answer_shapes(reading)
    _read_terms(query)
    folded = folded_question(text)
    query.numbers = [
        n for n in _FIGURE.findall(text)
        if not _BARE_YEAR.fullmatch(n) and not _MONTH_YEAR.fullmatch(n) and not names_by_number(n, folded)
        and not (query.month and n.lstrip("0") == str(query.month) and re.search(rf"\bthang 0?{n}\b", folded))
    ]
    if lang != "en":
        query.measures = measures_asked(reading, query.accents)
    for expansion in query.expansions:
        found = str(expansion.found)
        if expansion.source == "abbreviation" and _looks_abbreviated(found) and asks_to_define(text, found):
            if found not in [d[0] for d in query.definitions]:
                query.definitions.append((found, [str(a) for a in expansion.alternatives]))
    query.excluded = _excluded_terms(reading, query.terms)
    query.parts = split_parts(reading)
    return query


def _unknown_places(text: str, known: KnownValues, snapshot: CorpusSnapshot | None,
                    localities: list[Locality], provinces: list[str],
                    lowercase: Sequence[tuple[str, Level]] = ()) -> list[str]:
    """Places the question names (with their level, "huyện Krông Bông", or a province, "Hà Nội")
    that no loaded report covers: not a report's locality (nor the parent of one the question
    names, :func:`_is_known_place`), and written by no report of its own level or above (a commune
    inside a town's report, a province a provincial decision names — "tỉnh Trà Vinh cũ", "cao tốc
    Tuyên Quang - Hà Giang" — are covered; a province only its districts' reports name in passing,
    "sâm Lai Châu", or a district only its communes' reports name, is not). ``provinces``: those
    :func:`province_mentions` found in it; ``lowercase``: the places :func:`lowercase_mentions`
    read in it when it is typed in lower case (matched folded: a name no report writes has no marks
    to restore; shown title-cased, with its marks only when typed with them)."""
    if snapshot is None or not known.localities:
        return []
    named: dict[str, int] = {}  # name -> the tier it is named at (1 province … 3 commune; 0 unknown)
    for name, level in leveled_mentions(text):
        named[name] = min(named.get(name, 9), level.tier if level else 0)
    for name in provinces:
        # "xã Hòa Bình" is a commune of that name, not the province; "TP Hà Nội" is the province's peer
        if named.get(name, 0) < 3:
            named[name] = 1
    matched_as: dict[str, str] = {}  # a lower-case name -> the form it is matched in (folded)
    named_keys = {place_key(n) for n in named}
    for name, level in lowercase:
        title = " ".join(w.capitalize() for w in (name if has_diacritics(text) else fold_accents(name)).split())
        if place_key(title) not in named_keys:
            named_keys.add(place_key(title))
            named[title] = level.tier
            matched_as[title] = fold_accents(title)
    tiers = _document_tiers(known)
    keys: set[str] = set()
    unknown = []
    for name, tier in named.items():
        key = place_key(name)
        if key in keys or _is_known_place(name, known, localities):
            continue
        writing = snapshot.stats.mentioning(matched_as.get(name, name))
        if writing is None or any(not tier or not tiers.get(d) or tiers[d] <= tier for d in writing):
            continue
        keys.add(key)
        unknown.append(name)
    return unknown


def _uncased(text: str) -> bool:
    """Typed with no capital letter past its first (which phone keyboards capitalise): case tells
    no name from a word."""
    letters = [ch for ch in text if ch.isalpha()]
    return not any(ch.isupper() for ch in letters[1:])


def _document_tiers(known: KnownValues) -> dict[str, int]:
    """doc id -> the tier of the place it is a report of (documents of no known level are left out)."""
    tiers: dict[str, int] = {}
    for locality in known.localities:
        level = level_by_name(locality.level)
        if level is not None:
            for doc_id in locality.doc_ids:
                tiers[doc_id] = level.tier
    return tiers


def _looks_abbreviated(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and sum(1 for c in letters if c.isupper()) >= 2


@dataclass
class _Words:
    """The question's syllables in order, blanked where they carry no topic."""

    ordered: list[str]


def _level_terms(accents: bool) -> set[tuple[str, ...]]:
    """Words that name a level of government: the locality itself is matched separately."""
    out: set[tuple[str, ...]] = set()
    for level in levels():
        for spelling in (level.name, *level.folded, *level.abbreviations):
            form = tuple(content_words(spelling, accents))
            out.add(form)
            out.update((w,) for w in form)
    out.update(tuple(content_words(w, accents)) for w in government_words())
    return out


def _read_terms(query: Query) -> None:
    """The question's content terms and word pairs, in the form passages are matched in."""
    text, accents = query.reading, query.accents
    locality_words = {w for loc in query.localities for w in content_words(loc.name)}
    terms: list[Term] = []
    ordered: list[str] = []
    if query.is_english:
        names = _vietnamese_names(text)
        for word in re.findall(r"[a-z][a-z'-]*", fold_accents(text)):
            ordered.append(word if word in names and word not in english_stopwords() else "")
        for expansion in query.expansions:
            forms = [f for f in (tuple(content_words(alt, accents)) for alt in expansion.alternatives) if f]
            if forms:
                terms.append(Term(forms, str(expansion.found)))
        firsts = {t.forms[0] for t in terms}
        for word in ordered:
            if word and (word,) not in firsts:
                terms.append(Term([(word,)], word))
                firsts.add((word,))
    else:
        words = _without_question_phrases(content_words(text, accents))
        ordered = ["" if not w or w in stopwords(accents) else w for w in words]
        seen: set[tuple[str, ...]] = set()
        for expansion in query.expansions:
            key = tuple(content_words(str(expansion.found), accents))
            if len(key) == 1:
                forms = [key] + [f for f in (tuple(content_words(alt, accents)) for alt in expansion.alternatives) if f]
                terms.append(Term(forms, key[0]))
                seen.add(key)
        for word in ordered:
            if word and (word,) not in seen:
                seen.add((word,))
                terms.append(Term([(word,)], word))
    if query.asks("docs"):  # "which reports mention X": the topic is X, not the word "report"
        frame = doc_frame_words()
        terms = [t for t in terms if not all(set(_folded(f)) <= frame for f in t.forms)]
    level_terms = _level_terms(accents)
    terms = [
        t for t in terms
        if not all(set(_folded(f)) <= locality_words or f in level_terms or is_question_phrase(_folded(f)) for f in t.forms)
    ]
    bigrams: list[tuple[str, str]] = []
    for a, b in zip(ordered, ordered[1:]):
        if a and b and fold_syllable(a) not in locality_words and fold_syllable(b) not in locality_words \
                and (a, b) not in bigrams:
            bigrams.append((a, b))
    query.terms, query.bigrams = terms, bigrams


def _folded(form: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fold_syllable(w) for w in form)


def _without_question_phrases(words: list[str]) -> list[str]:
    """The words with question phrases ("bao nhiêu", "thế nào", ...) blanked out, positions kept."""
    folded = [fold_syllable(w) for w in words]
    out = list(words)
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            if size > 1 and is_question_phrase(tuple(folded[i : i + size])):
                out[i : i + size] = [""] * size
    return out


def _vietnamese_names(text: str) -> set[str]:
    """Folded words of capitalised runs in an English question ("Hương Trà" -> huong, tra)."""
    names: set[str] = set()
    for run in re.findall(r"(?:\b[^\W\d_][\w]*(?:\s+|$)){1,4}", text):
        capitalised = [w for w in run.split() if w[0].isupper()]
        if capitalised and (has_diacritics(run) or len(capitalised) > 1):
            names.update(content_words(" ".join(capitalised)))
    return names


def _excluded_terms(text: str, terms: list[Term]) -> list[Term]:
    """Terms named only in an 'apart from ...' clause of the question (units about them are not the answer)."""
    excluded: list[Term] = []
    for clause, rest in excluded_clauses(text):
        clause_words = set(content_words(clause))
        rest_words = set(content_words(rest))
        for term in terms:
            term_words = {w for f in term.forms for w in _folded(f)}
            if term_words & clause_words and not term_words & rest_words:
                excluded.append(term)
        if not [t for t in terms if t in excluded]:
            # An English clause: the terms are the clause's translations.
            for term in terms:
                if term.label and fold_accents(term.label) in clause:
                    excluded.append(term)
    return excluded


def vietnamese_words(words: list[str], vocabulary: Vocabulary | None) -> list[str]:
    """The words of an English query that are Vietnamese: names, numbers, accented words.

    "Hai Duong" typed without accents counts when the corpus knows its syllables.
    """
    kept = []
    short, markers = english_short_words(), english_markers()
    for word in words:
        word = re.sub(r"['’]s$", "", word)
        folded = fold_accents(word)
        if word[:1].isdigit() or has_diacritics(word):
            kept.append(word)
        elif (
            word[:1].isupper() and folded not in short and folded not in markers
            and vocabulary is not None and vocabulary.knows(folded)
        ):
            kept.append(word)
    return kept


def place_names_of(query: Query) -> set[str]:
    """Folded words of the places a query names (left out of its topic)."""
    return {w for loc in query.localities for w in match_tokens(strip_level(loc.name))}
