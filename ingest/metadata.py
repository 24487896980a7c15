"""Document-level metadata: who issued a report, where, when, what it covers, and user overrides.

The reports follow the Vietnamese administrative-document layout (Nghị định 30/2020/NĐ-CP):
an optional header block ("ỦY BAN NHÂN DÂN / HUYỆN ABC"), a number line ("Số: 12/TTr-UBND"),
a place-and-date line ("ABC, ngày 05 tháng 3 năm 2024"), a type line ("TỜ TRÌNH") with the
subject under it, then the body. In the sample files the header block is usually missing, so
the locality is inferred from the date line and from how the body names the issuing body.

All matching is done on an accent-folded copy of the text that has exactly the same length as
the working text, so a regex match on the folded copy slices the properly spelt words out of
the working text. That makes the rules work on text typed without diacritics as well.

Period and plan year (what the document covers vs. the year whose tasks it sets out):

* Reports ("Báo cáo … năm 2023 và nhiệm vụ năm 2024"): the first time expression of the
  subject that is not in a "nhiệm vụ / phương hướng / kế hoạch …" clause is the period; the
  first one in such a clause gives ``plan_year``. Without one, a body heading such as
  "III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2024" gives ``plan_year``.
* Plans (Kế hoạch, Chương trình, Đề án, Phương án): the subject's time is both the period and
  the plan year ("Kế hoạch … năm 2024" → 2024 / 2024). When that year is *before* the issue
  year the plan looks back: "Kế hoạch khắc phục hạn chế, khuyết điểm năm 2022" issued in 2023
  covers 2022 (period "2022") but its actions are carried out in 2023, so ``plan_year`` is the
  issue year.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from baocao.lang.doctypes import doc_types
from baocao.lang.normalize import collapse_ws, fold_accents, fold_same_length, nfc, normalize_tone_marks, strip_markup
from baocao.lang.periods import roman_value
from baocao.lang.places import levels
from baocao.lang.sentences import has_sentence_break
from baocao.lang.tables import word_list
from baocao.models import DocumentMeta
from ingest.layout import normalize_layout

LEVELS = tuple(level.name for level in levels())

# Folded spelling (or abbreviation) of an administrative level -> canonical spelling.
_LEVEL_NAMES = {spelling: level.name for level in levels() for spelling in (*level.folded, *level.abbreviations)}
# Party committees name the level of the place they belong to: "Thành ủy Tây Ninh".
_PARTY_COMMITTEES = {level.party: level.name for level in levels() if level.party}
# Levels one step up, used to find the parent locality.
_PARENT_LEVELS = {level.name: level.parents for level in levels()}
_LOWER_LEVELS = {level.name for level in levels() if level.tier == 3}
_NUMBERED_LEVELS = {level.name for level in levels() if level.numbered}  # "Phường 2", "Quận 1"

# Folded title-line word -> document type.
_TYPE_TITLES = {title: t.name for t in doc_types() for title in t.title}
# Type code in the document symbol ("BC" in "3422/BC-UBND"), folded and upper-cased.
_TYPE_CODES = {code: t.name for t in doc_types() for code in t.codes}
# Issuing bodies that open a symbol with no type code: "123/UBND-VP" is a công văn.
_ISSUER_CODES = {"UBND", "HDND"}
_PLAN_TYPES = {t.name for t in doc_types() if t.plan}
_PLAN_KEYWORDS = (
    "nhiem vu", "phuong huong", "ke hoach", "giai phap", "muc tieu", "dinh huong", "chuong trinh", "du kien",
)
# Pipeline-managed fields: a sidecar may not set them.
_MANAGED_FIELDS = {"doc_id", "source", "path", "content_hash"}
_DATE_ISO = re.compile(r"^\d{4}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")


# ---------------------------------------------------------------- text preparation


def _latin_letters(upper: bool) -> str:
    codes = [*range(0x41, 0x250), *range(0x1E00, 0x1F00)]
    return "".join(ch for ch in map(chr, codes) if ch.isalpha() and (ch.isupper() if upper else ch.islower()))


_UP = _latin_letters(upper=True)
_LOW = _latin_letters(upper=False)
_SYLLABLE = rf"[{_UP}](?:[{_UP}]+|[{_LOW}]*)(?!\w)"
_PROPER_NAME = re.compile(rf"\d{{1,2}}(?![\w/])|{_SYLLABLE}(?: +{_SYLLABLE}){{0,3}}")
# Capitalised words that follow a level word but are not part of a place name ("HĐND thị xã Khóa VII").
_NAME_STOPWORDS = {"khóa", "khoá", "lần", "nhiệm", "về", "và", "tại", "trong", "của"}


def _prepare(text: str) -> str:
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"\\([*#_\\])", r"\1", text)  # markdown escapes: "\*"
    return normalize_tone_marks(strip_markup(text))


@dataclass
class _Doc:
    text: str
    folded: str
    lines: list[str]
    folded_lines: list[str]
    head: list[int]  # indices of the non-blank lines before the body
    accents: bool  # False for text typed without diacritics
    raw_lines: list[str] = field(default_factory=list)  # before markup was stripped


_ROMAN_HEADING = re.compile(r"^\s*[ivx]{1,4}\s*[.:)\-]\s+\S")


def _make_doc(text: str) -> _Doc:
    prepared = _prepare(text)
    lines = prepared.split("\n")
    folded_lines = [fold_same_length(line) for line in lines]
    head: list[int] = []
    for i, folded in enumerate(folded_lines):
        if not folded.strip():
            continue
        if _ROMAN_HEADING.match(folded) or len(head) >= 25:
            break
        head.append(i)
    folded = "\n".join(folded_lines)
    letters = sum(ch.isalpha() for ch in prepared)
    changed = sum(a != b.lower() for a, b in zip(folded, prepared, strict=True) if b.isalpha())
    # Vietnamese prose has a diacritic on a good share of its letters; 1% means "typed with accents".
    raw_lines = nfc(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(raw_lines) != len(lines):
        raw_lines = lines
    return _Doc(prepared, folded, lines, folded_lines, head, changed > 0.01 * letters, raw_lines)


def _cells(line: str) -> list[tuple[int, int]]:
    """(start, end) of the cells of a header line; tables come through as tabs or wide gaps."""
    spans: list[tuple[int, int]] = []
    start = 0
    for gap in re.finditer(r"\t+| {3,}", line):
        spans.append((start, gap.start()))
        start = gap.end()
    spans.append((start, len(line)))
    result = []
    for s, e in spans:
        chunk = line[s:e]
        stripped = chunk.strip()
        if stripped:
            offset = s + len(chunk) - len(chunk.lstrip())
            result.append((offset, offset + len(stripped)))
    return result


def _head_cells(doc: _Doc, before: int | None = None, to_line_end: bool = False) -> list[tuple[str, str]]:
    """(working, folded) cells of the head lines, optionally only lines before index ``before``.

    With ``to_line_end`` each cell runs on to the end of its line, for patterns whose blanks are
    wide gaps themselves ("Số:        /KH-UBND", "ngày     tháng     năm 2024").
    """
    out: list[tuple[str, str]] = []
    for i in doc.head:
        if before is not None and i >= before:
            break
        line, folded = doc.lines[i], doc.folded_lines[i]
        for s, e in _cells(line):
            end = len(line.rstrip()) if to_line_end else e
            out.append((line[s:end], folded[s:end]))
    return out


# ---------------------------------------------------------------- number, date, type, draft

_NUMBER_LINE = re.compile(
    r"^so\s*[:.]?[\s._…]*(?P<num>\d+[a-z]?)?\s*(?P<sym>(?:/\s*[\w.\-]+)+)"
)


@dataclass
class _Number:
    number: str = ""  # "3422/BC-UBND", "" when the number is blank
    symbol: str = ""  # "BC-UBND"


def _find_number(doc: _Doc) -> _Number:
    for cell, folded in _head_cells(doc, to_line_end=True):
        m = _NUMBER_LINE.match(folded)
        if not m or not re.search(r"[a-z]", m.group("sym")):
            continue
        symbol = re.sub(r"\s+", "", cell[m.start("sym") : m.end("sym")]).lstrip("/")
        symbol = symbol.rstrip(".-")
        number = cell[m.start("num") : m.end("num")] if m.group("num") else ""
        return _Number(f"{number}/{symbol}" if number else "", symbol)
    return _Number()


def _type_from_symbol(symbol: str, has_number: bool) -> str:
    if not symbol:
        return ""
    last = symbol.split("/")[-1]
    code = fold_accents(last.split("-")[0]).upper()
    if code in _TYPE_CODES:
        return _TYPE_CODES[code]
    if code in _ISSUER_CODES and has_number:
        return "Công văn"
    return ""


def _organ_from_symbol(symbol: str) -> str:
    parts = symbol.split("/")[-1].split("-")
    codes = [fold_accents(p).upper() for p in parts]
    if "HDND" in codes:
        return "HĐND"
    return "UBND"


# The place stays inside its cell: no tab or wide gap ("HUYỆN ABC<tab>ABC, ngày …").
_PLACE_DATE = re.compile(
    r"^(?P<place>[^\W\d](?:(?! {3})[^,;:()\n\t]){0,60}?)\s*,\s*(?=ngay\b|\d{1,2}\s*[/.\-]\s*\d)"
)
_DATE_WORDS = re.compile(
    r"ngay[\s._…]*(?P<d>\d{1,2})?[\s._…]*thang[\s._…]*(?P<m>\d{1,2})?[\s._…]*nam[\s._…]*(?P<y>\d{4})"
)
_DATE_NUMERIC = re.compile(r"(?:ngay\s*)?(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})")


@dataclass
class _DateLine:
    place: str = ""  # "Hương Trà", "TP. Tây Ninh", "Phường 2"
    year: int = 0
    month: int = 0
    day: int = 0


def _parse_date_at(folded: str, pos: int) -> tuple[int, int, int] | None:
    m = _DATE_WORDS.match(folded, pos) or _DATE_NUMERIC.match(folded, pos)
    if not m:
        return None
    year = int(m.group("y"))
    month = int(m.group("m")) if m.group("m") else 0
    day = int(m.group("d")) if m.group("d") else 0
    if not 1900 <= year <= 2100:
        return None
    if not 1 <= month <= 12:
        month, day = 0, 0
    if not 1 <= day <= 31:
        day = 0
    return year, month, day


def _find_date(doc: _Doc) -> _DateLine:
    for cell, folded in _head_cells(doc, to_line_end=True):
        place_match = _PLACE_DATE.match(folded)
        if place_match:
            parsed = _parse_date_at(folded, place_match.end())
            if parsed:
                return _DateLine(collapse_ws(cell[: place_match.end("place")]), *parsed)
        elif folded.startswith("ngay"):
            parsed = _parse_date_at(folded, 0)
            if parsed:
                return _DateLine("", *parsed)
    return _DateLine()


def _format_date(year: int, month: int, day: int) -> str:
    if not year:
        return ""
    if not month:
        return f"{year:04d}"
    if not day:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


_DRAFT_CELL = re.compile(r"^\(?\s*du thao\b")
_DRAFT_INLINE = re.compile(r"\(\s*du thao[^)]{0,20}\)")


def _is_draft(doc: _Doc) -> bool:
    for _, folded in _head_cells(doc):
        if (_DRAFT_CELL.match(folded) and len(folded) < 40) or _DRAFT_INLINE.search(folded):
            return True
    return False


_TYPE_ALTERNATION = "|".join(sorted(map(re.escape, _TYPE_TITLES), key=len, reverse=True))
_TYPE_LINE = re.compile(rf"^(?:du thao[\s:.\-]*)?(?P<type>{_TYPE_ALTERNATION})(?![\w])(?P<rest>.*)$")
_SUBJECT_PREFIX = re.compile(r"^(?:v/v|ve viec)\s*[:.\-]?\s*")
_BODY_START = re.compile(r"^(?:can cu\b|kinh gui\b|kinh trinh\b|\(|[ivx]{1,4}\s*[.)]|\d+\s*[.)]|[-+*•])")


@dataclass
class _Title:
    doc_type: str = ""
    subject: str = ""  # as written, markup stripped, "V/v" removed
    has_vv: bool = False  # the subject was written "V/v …" / "Về việc …"
    line: int = -1


def _clean_subject(text: str) -> tuple[str, bool]:
    text = collapse_ws(text).strip(" *#_:")
    prefix = _SUBJECT_PREFIX.match(fold_same_length(text))
    if prefix:
        text = text[prefix.end() :]
    text = re.sub(r"\s*(?:\./\.|\.)$", "", text).strip()
    return text, prefix is not None


def _collect_subject(doc: _Doc, start: int, first: str) -> str:
    """The subject paragraph: ``first`` (rest of the type line) and/or the lines after it."""
    parts = [first] if first else []
    i = start
    if not parts:  # the subject sits below the type line, possibly after blank lines
        while i < len(doc.lines) and not doc.lines[i].strip():
            i += 1
    while i < len(doc.lines) and doc.lines[i].strip() and len(parts) < 4:
        folded = doc.folded_lines[i].strip()
        type_line = _TYPE_LINE.match(folded)
        if _BODY_START.match(folded) or (type_line and not type_line.group("rest").strip(" :.-")):
            break
        parts.append(doc.lines[i].strip())
        i += 1
    subject = " ".join(parts)
    return subject if len(subject) <= 300 else ""


def _find_title(doc: _Doc) -> _Title:
    for i in doc.head:
        line, folded = doc.lines[i].strip(), doc.folded_lines[i].strip()
        m = _TYPE_LINE.match(folded)
        if not m:
            continue
        rest = m.group("rest").strip(" :.-")
        if rest and not line[m.start("type") : m.end("type")].isupper():
            continue  # "Báo cáo của …" in running text, not a title line
        first = line[len(line) - len(m.group("rest")) :].strip(" :.-") if rest else ""
        if rest and _DRAFT_INLINE.fullmatch(m.group("rest").strip()):
            first = ""
        subject, has_vv = _clean_subject(_collect_subject(doc, i + 1, first))
        return _Title(_TYPE_TITLES[m.group("type")], subject, has_vv, i)
    # Công văn: no type line, the subject is a "V/v …" line under the number.
    for cell, folded in _head_cells(doc):
        if _SUBJECT_PREFIX.match(folded):
            subject, _ = _clean_subject(cell)
            return _Title("", subject, True)
    # A page that is not an administrative document: its "# " heading.
    for i in doc.head[:3]:
        if doc.raw_lines[i].startswith("# "):
            return _Title("", collapse_ws(doc.lines[i]), False)
    return _Title()


OPENING_TITLE_CHARS = 300
_LIST_START = re.compile(r"^(?:\(|[ivx]{1,4}\s*[.)]|\d+\s*[.)]|[-+*•])")


def _opening_title(doc: _Doc) -> str:
    """For a text with no header block, type line or "# " heading (a law article, a note): its
    first one or two lines when they read as a title (short, capitalised, at least two words, no
    sentence end, no number or date line, no list item such as "1." or "- "), joined by " – "
    ("Bộ luật Hình sự … – Điều 316 – Tội phá thai trái phép")."""
    parts: list[str] = []
    for i in doc.head[:2]:
        line = collapse_ws(doc.lines[i])
        if len(line) > OPENING_TITLE_CHARS or line.endswith((".", ";", ":", ",")) or has_sentence_break(line):
            break
        folded = doc.folded_lines[i].strip()
        words = _WORD.findall(line)
        if (
            _ROMAN_HEADING.match(folded) or _LIST_START.match(folded) or _NUMBER_LINE.match(folded) or _DATE_WORDS.search(folded) or _DATE_NUMERIC.search(folded)
        ):
            break
        if len(words) < 2 or not line[0].isupper():
            break
        parts.append(line)
    return " – ".join(parts)


# Acronyms kept upper-case when an all-caps subject is turned into sentence case.
_ACRONYMS = {"UBND", "HĐND", "MTTQ", "KT-XH", "KTXH", "QP-AN", "ANTT", "CCHC", "NTM", "TP", "GPMB", "ATGT"}


_WORD = re.compile(r"[^\W_][\w/.\-]*[^\W_]|[^\W_]")
# Onset, vowels, coda of a Vietnamese syllable, accents folded: what is not one is an abbreviation.
_SYLLABLE_SHAPE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]+(?:ch|ng|nh|[cmnpt])?")


@dataclass
class _CaseHints:
    """How the body spells words, alone and after the word before them ("tỉnh Sơn La")."""

    pairs: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    words: dict[str, Counter[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: _Doc, subject: str) -> _CaseHints:
        """Hints for the words of ``subject`` only (the body is read once, the rest skipped)."""
        hints = cls()
        vocabulary = {w.lower() for w in _WORD.findall(subject)}
        for line in doc.lines:
            if line.isupper():
                continue
            for m in _WORD.finditer(line):
                word = m.group()
                if word.lower() not in vocabulary:
                    continue
                before = line[: m.start()].rstrip()
                hints.words.setdefault(word.lower(), Counter())[word] += 1
                if not before or before[-1] in ".:;!?(-–\"“":
                    continue  # a capital there says nothing about the word
                previous = before.split()[-1].strip(",\"”'")
                hints.pairs.setdefault((previous.lower(), word.lower()), Counter())[word] += 1
        return hints

    def spell(self, previous: str, word: str) -> str:
        """``word`` (written in capitals) as the body writes it after ``previous``; lower case
        when the body does not capitalise it there. Abbreviations stay in capitals."""
        core = word.strip(",.;:()")
        low = word.lower()
        if any(ch.isdigit() for ch in word) or "/" in word:
            seen = self.words.get(low)
            return seen.most_common(1)[0][0] if seen else word
        if core in _ACRONYMS or (len(core) >= 2 and not _SYLLABLE_SHAPE.fullmatch(fold_accents(core))):
            return word  # "TTHC", "UBND", "CSDL": not a Vietnamese syllable
        if not previous:
            return low
        pairs: dict[str, int] = self.pairs.get((previous.lower().strip(",.;:()"), low)) or {}
        seen = Counter({w: n for w, n in pairs.items() if len(w) == 1 or not w.isupper()})  # capitals say nothing
        capitalised = [w for w in seen if w[:1].isupper()]
        if capitalised and sum(seen[w] for w in capitalised) * 2 > sum(seen.values()):
            return max(capitalised, key=lambda w: seen[w])
        return low


def _subject_for_title(subject: str, doc: _Doc | None = None) -> str:
    letters = [ch for ch in subject if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        if doc is not None:
            hints = _CaseHints.of(doc, subject)
            words = subject.split()
            spelt = [hints.spell(words[k - 1] if k else "", w) for k, w in enumerate(words)]
            return " ".join(spelt)
        return " ".join(w if w.strip(",.;:()") in _ACRONYMS else w.lower() for w in subject.split())
    first = subject.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower():
        return subject[0].lower() + subject[1:]
    return subject


def _make_title(doc_type: str, subject: str, has_vv: bool, doc: _Doc | None = None) -> str:
    """The title from the type and the subject; a capitals subject is spelt as ``doc``'s body spells its words."""
    if not subject:
        return doc_type
    if not doc_type:
        return subject[0].upper() + subject[1:]
    if has_vv and doc_type == "Công văn":
        return f"Công văn về việc {_subject_for_title(subject, doc)}"
    return f"{doc_type} {_subject_for_title(subject, doc)}"


# ---------------------------------------------------------------- locality

_LEVEL_WORD = re.compile(
    r"(?<![\w.])(?:(?P<party>tinh uy|thanh uy|thi uy|huyen uy|quan uy)"
    r"|(?P<level>thanh pho|thi xa|thi tran|huyen|quan|phuong|xa|tinh)"
    r"|(?P<abbr>tp|tx)(?=[\s.]))(?P<sep>\.? *)"
)
_ORGAN_BEFORE = re.compile(r"(?:ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan)[ \t.]*$")
_HEADER_UNIT = re.compile(
    r"^(?P<organ>uy ban nhan dan|ubnd|hoi dong nhan dan|hdnd)?\s*"
    r"(?P<level>thanh pho|thi xa|thi tran|huyen|quan|phuong|xa|tinh|tp\.?|tx\.?)\s+(?P<name>\S.*)$"
)
_PLACE_LEVEL = re.compile(
    r"^(?P<level>tp\.\s*|tp\s+|thanh pho\s+|tx\.\s*|tx\s+|thi xa\s+|huyen\s+|quan\s+|phuong\s+|xa\s+"
    r"|thi tran\s+|tinh\s+)"
)


def _name_key(name: str) -> str:
    return collapse_ws(fold_accents(name))


# Proper spelling of each folded level word; text typed without diacritics is accepted as is.
_SPELLINGS = {
    "thanh pho": "thành phố", "thi xa": "thị xã", "thi tran": "thị trấn", "huyen": "huyện", "quan": "quận",
    "phuong": "phường", "xa": "xã", "tinh": "tỉnh", "tp": "tp", "tx": "tx",
    "tinh uy": "tỉnh ủy", "thanh uy": "thành ủy", "thi uy": "thị ủy", "huyen uy": "huyện ủy", "quan uy": "quận ủy",
}


def _spelled_as(word: str, folded_key: str, accents: bool) -> bool:
    """Whether ``word`` is the level word ``folded_key``; bare letters only count in text typed without accents."""
    low = collapse_ws(word.lower())
    return low == _SPELLINGS[folded_key] or (not accents and low == folded_key)


@dataclass
class _Mentions:
    """How the text names administrative units: "thành phố Tây Ninh", "UBND thị xã", "Thành ủy Tây Ninh"."""

    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (level, name key) -> count
    organ_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # preceded by UBND/HĐND
    bare: Counter[str] = field(default_factory=Counter)  # "UBND thị xã" with no name -> level
    spellings: dict[str, Counter[str]] = field(default_factory=dict)  # name key -> spellings seen
    first_seen: dict[tuple[str, str], int] = field(default_factory=dict)

    def score(self, pair: tuple[str, str]) -> int:
        return self.pairs[pair] + 2 * self.organ_pairs[pair] + self.bare[pair[0]]

    def spelling(self, key: str) -> str:
        seen = self.spellings.get(key)
        if not seen:
            return ""
        mixed = [s for s, _ in seen.most_common() if not s.isupper()]
        return mixed[0] if mixed else seen.most_common(1)[0][0]


def _trim_name(level: str, name: str) -> str:
    words = name.split()
    if level == "xã" and words and words[0].lower() == "hội":
        return ""  # "Kinh Tế - Xã Hội": the word "society", not a commune
    for i, word in enumerate(words):
        if word.lower() in _NAME_STOPWORDS:
            return " ".join(words[:i])
    return " ".join(words)


def _scan_mentions(doc: _Doc) -> _Mentions:
    mentions = _Mentions()
    for m in _LEVEL_WORD.finditer(doc.folded):
        key = m.group("party") or m.group("level") or m.group("abbr")
        if not _spelled_as(doc.text[m.start() : m.start() + len(key)], key, doc.accents):
            continue  # "phương án", "quan tâm", "tính": same letters, different word
        level = _PARTY_COMMITTEES[key] if m.group("party") else _LEVEL_NAMES[key]
        # A dot ends the sentence after a full word ("UBND tỉnh. Đôn đốc …") but not after "TP.".
        sep_ok = m.group("sep") and ("." not in m.group("sep") or m.group("abbr"))
        name_match = _PROPER_NAME.match(doc.text, m.end()) if sep_ok else None
        name = _trim_name(level, name_match.group(0)) if name_match else ""
        if (name.isdigit() and level not in _NUMBERED_LEVELS) or (len(name) == 1 and not name.isdigit()):
            name = ""  # "báo cáo tỉnh 3 đồ án", "HĐND tỉnh I": not place names
        has_organ = bool(_ORGAN_BEFORE.search(doc.folded, max(0, m.start() - 25), m.start()))
        if not name:
            if has_organ and not m.group("party"):
                mentions.bare[level] += 1
            continue
        pair = (level, _name_key(name))
        mentions.pairs[pair] += 1
        if has_organ:
            mentions.organ_pairs[pair] += 1
        mentions.spellings.setdefault(pair[1], Counter())[name] += 1
        mentions.first_seen.setdefault(pair, m.start())
    return mentions


@dataclass
class _Unit:
    level: str = ""
    name: str = ""  # "Hương Trà"; for numbered units the bare number: "2"

    @property
    def locality(self) -> str:
        if self.name.isdigit() and self.level:
            return f"{self.level.capitalize()} {self.name}"
        return self.name

    @property
    def label(self) -> str:
        """"thị xã Hương Trà", "Phường 2"."""
        if not self.name:
            return ""
        if self.name.isdigit() or not self.level:
            return self.locality
        return f"{self.level} {self.name}"


def _best(mentions: _Mentions, candidates: list[tuple[str, str]]) -> tuple[str, str] | None:
    if not candidates:
        return None
    return max(candidates, key=lambda p: (mentions.score(p), -mentions.first_seen.get(p, 0)))


def _unit_from_pair(mentions: _Mentions, pair: tuple[str, str]) -> _Unit:
    return _Unit(pair[0], mentions.spelling(pair[1]) or pair[1])


def _header_units(doc: _Doc, before: int) -> tuple[list[_Unit], str]:
    """Units named in an upper-case header block ("ỦY BAN NHÂN DÂN / HUYỆN ABC") and the organ."""
    units: list[_Unit] = []
    organ = ""
    for cell, folded in _head_cells(doc, before):
        if cell != cell.upper():
            continue
        if folded.startswith(("uy ban nhan dan", "ubnd")):
            organ = organ or "UBND"
        elif folded.startswith(("hoi dong nhan dan", "hdnd")):
            organ = organ or "HĐND"
        m = _HEADER_UNIT.match(folded)
        key = m.group("level").rstrip(".") if m else ""
        if m and _spelled_as(cell[m.start("level") : m.start("level") + len(key)], key, doc.accents):
            units.append(_Unit(_LEVEL_NAMES[key], collapse_ws(cell[m.start("name") :])))
    return units, organ


def _proper_case(name: str, mentions: _Mentions, place: str) -> str:
    """Spelling of an upper-case header name: as in the date line, else as in the body, else title case."""
    if not name.isupper():
        return name
    key = _name_key(name)
    if place and _name_key(place) == key:
        return place
    seen = mentions.spelling(key)
    return seen if seen and not seen.isupper() else name.title()


def _split_place(place: str, accents: bool) -> _Unit:
    """"TP. Tây Ninh" -> (thành phố, Tây Ninh); "Phường 2" -> (phường, 2); "Hương Trà" -> (, Hương Trà)."""
    m = _PLACE_LEVEL.match(fold_same_length(place))
    key = m.group("level").strip(" .") if m else ""
    if m and _spelled_as(place[: len(key)], key, accents):
        return _Unit(_LEVEL_NAMES[key], place[m.end() :].strip())
    return _Unit("", place)


def _find_locality(doc: _Doc, title_line: int, place: str, mentions: _Mentions) -> tuple[_Unit, _Unit, str]:
    """(issuing unit, parent unit, organ from a header block)."""
    before = title_line if title_line >= 0 else len(doc.lines)
    header, organ = _header_units(doc, before)
    if header:
        issuer = header[-1]
        issuer = _Unit(issuer.level, _proper_case(issuer.name, mentions, _split_place(place, doc.accents).name))
        if len(header) > 1:
            parent = header[-2]
            return issuer, _Unit(parent.level, _proper_case(parent.name, mentions, "")), organ
        return issuer, _find_parent(issuer, mentions), organ

    issuer = _Unit()
    if place:
        issuer = _split_place(place, doc.accents)
        if issuer.name and not issuer.level:
            key = _name_key(issuer.name)
            best = _best(mentions, [p for p in mentions.pairs if p[1] == key])
            if best:
                issuer = _Unit(best[0], issuer.name)
            elif mentions.bare:
                issuer = _Unit(mentions.bare.most_common(1)[0][0], issuer.name)
    else:
        best = _best(mentions, list(mentions.pairs))
        if best:
            issuer = _unit_from_pair(mentions, best)
    return issuer, _find_parent(issuer, mentions), organ


_CENTRAL_CITIES = frozenset(word_list("central_cities.txt"))


def _find_parent(issuer: _Unit, mentions: _Mentions) -> _Unit:
    if not issuer.level or not issuer.name:
        return _Unit()
    if issuer.level == "thành phố" and _name_key(issuer.name) in _CENTRAL_CITIES:
        return _Unit()  # Hà Nội, Huế …: no province above them
    own = (issuer.level, _name_key(issuer.name))
    levels = _PARENT_LEVELS.get(issuer.level, ())
    best = _best(mentions, [p for p in mentions.pairs if p[0] in levels and p != own])
    return _unit_from_pair(mentions, best) if best else _Unit()


_CENTRAL_BODIES = word_list("central_bodies.txt")
# "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …" above the "Căn cứ" lines: the Chairman issues, not the
# committee; "CHỦ TỊCH NHÂN DÂN THÀNH PHỐ HUẾ" is a misprint of it seen in a header.
_CHAIRMAN = re.compile(r"^chu tich (?:uy ban nhan dan|ubnd|nhan dan)\b")


def _central_issuer(doc: _Doc, before: int) -> str:
    """"Bộ Nội vụ", "Văn phòng Chính phủ" when the header names a central body, spelt as the body spells it."""
    for cell, folded in _head_cells(doc, before):
        if cell == cell.upper() and any(folded == body or folded.startswith(body + " ") for body in _CENTRAL_BODIES) and len(cell) <= 80:
            return _body_spelling(doc, collapse_ws(cell))
    return ""


def _body_spelling(doc: _Doc, caps: str) -> str:
    key = fold_same_length(caps)
    seen: Counter[str] = Counter()
    start = doc.folded.find(key)
    while start >= 0:
        found = collapse_ws(doc.text[start : start + len(key)])
        if not found.isupper():
            seen[found] += 1
        start = doc.folded.find(key, start + 1)
    if seen:
        return seen.most_common(1)[0][0]
    return caps[:1] + caps[1:].lower()


def _issued_by_chairman(doc: _Doc, symbol: str) -> bool:
    if "CTUBND" in fold_accents(symbol).upper():
        return True
    return any(cell == cell.upper() and _CHAIRMAN.match(folded) for cell, folded in _head_cells(doc))


def _site_type(site_meta: dict[str, str]) -> str:
    """The type a site page gives in its own field ("Loại văn bản: Công văn")."""
    folded = collapse_ws(fold_accents(site_meta.get("Loại văn bản", "")))
    return _TYPE_TITLES.get(folded, "")


def _subject_unit(subject: str, mentions: _Mentions) -> _Unit:
    """The place a central body's document is about, when its subject names one ("… tỉnh Phú Thọ")."""
    if not subject:
        return _Unit()
    found = _scan_mentions(_make_doc(subject))
    best = _best(found, list(found.pairs))
    if not best:
        return _Unit()
    return _Unit(best[0], mentions.spelling(best[1]) or found.spelling(best[1]).title())


def _format_issuer(organ: str, unit: _Unit) -> str:
    return f"{organ or 'UBND'} {unit.label}" if unit.label else ""


# ---------------------------------------------------------------- period and plan year

_TIME_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("month", re.compile(r"thang\s*(?P<m>\d{1,2})\s*(?:/|-|nam)\s*(?P<y>\d{4})")),
    ("quarter", re.compile(r"quy\s*(?P<q>iv|i{1,3}|[1-4])\s*(?:/|-|nam)\s*(?P<y>\d{4})")),
    ("part", re.compile(r"(?<!\d)(?P<n>0?6|0?9|sau|chin)\s+thang\s+(?:dau\s+|cuoi\s+)?nam\s*(?P<y>\d{4})")),
    ("range", re.compile(r"(?<!\d)(?P<y>\d{4})\s*[-–]\s*(?P<y2>\d{4})(?!\d)")),
    ("year", re.compile(r"nam\s*(?P<y>\d{4})(?!\d)")),
]


@dataclass
class _Time:
    label: str  # "2023", "02/2023", "quý I/2023", "6 tháng đầu năm 2023", "2021-2025"
    year: int
    month: int
    start: int
    plan: bool = False


def _time_label(kind: str, m: re.Match[str], text: str) -> tuple[str, int]:
    year = int(m.group("y"))
    if kind == "month":
        return f"{int(m.group('m')):02d}/{year}", int(m.group("m"))
    if kind == "quarter":
        q = m.group("q")
        roman = q.upper() if roman_value(q) else ["I", "II", "III", "IV"][int(q) - 1]
        return f"quý {roman}/{year}", 0
    if kind == "part":
        return collapse_ws(text[m.start() : m.end()]).lower(), 0
    if kind == "range":
        return f"{year}-{m.group('y2')}", 0
    return str(year), 0


def _find_times(text: str) -> list[_Time]:
    """Time expressions in ``text``, in order; an expression overlapping an earlier-listed kind is dropped."""
    folded = fold_same_length(text)
    taken: list[tuple[int, int]] = []
    times: list[_Time] = []
    for kind, pattern in _TIME_PATTERNS:
        for m in pattern.finditer(folded):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            if kind == "month" and re.search(r"ngay[\s._…]*\d{0,2}[\s._…]*$", folded[: m.start()]):
                continue  # "ngày 12 tháng 3 năm 2023": a date, not a period
            if kind == "month" and not 1 <= int(m.group("m")) <= 12:
                continue
            if not 1900 <= int(m.group("y")) <= 2100:
                continue
            label, month = _time_label(kind, m, text)
            times.append(_Time(label, int(m.group("y")), month, m.start()))
            taken.append((m.start(), m.end()))
    times.sort(key=lambda t: t.start)
    for t in times:
        clause = re.split(r",|;|\bva\b|\bcung\b", folded[: t.start])[-1].strip()
        clause = re.sub(r"^(?:ve|cac|nhung|mot so)\s+", "", clause)
        t.plan = clause.startswith(_PLAN_KEYWORDS)
    return times


def _plan_year_from_headings(doc: _Doc) -> int:
    """ "III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2024" -> 2024."""
    for line, folded in zip(doc.lines, doc.folded_lines, strict=True):
        if len(folded) > 200 or not _ROMAN_HEADING.match(folded):
            continue
        if not any(k in folded for k in _PLAN_KEYWORDS) or re.search(r"ket qua|tinh hinh|danh gia", folded):
            continue
        times = _find_times(line)
        if times:
            return times[0].year
    return 0


@dataclass
class _Period:
    period: str = ""
    year: int = 0
    month: int = 0
    plan_year: int = 0


def _find_period(doc: _Doc, doc_type: str, subject: str, issued_year: int) -> _Period:
    times = _find_times(subject)
    if doc_type in _PLAN_TYPES:
        if not times:
            return _Period()
        t = times[0]
        plan_year = issued_year if issued_year and t.year < issued_year else t.year
        return _Period(t.label, t.year, t.month, plan_year)
    covered = next((t for t in times if not t.plan), None)
    planned = next((t for t in times if t.plan), None)
    shown = covered or planned
    result = _Period(shown.label, shown.year, shown.month) if shown else _Period()
    result.plan_year = planned.year if planned else _plan_year_from_headings(doc)
    return result


def _parse_period(period: str) -> tuple[int, int]:
    """"02/2023" -> (2023, 2); "2023" -> (2023, 0); "quý I/2023" -> (2023, 0)."""
    m = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{4})\s*", period)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(2)), int(m.group(1))
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", period)
    return (int(years[0]), 0) if years else (0, 0)


# ---------------------------------------------------------------- assembling


def _meta_unit(level: str, locality: str) -> _Unit:
    """Back from the stored fields to a unit: ("phường", "Phường 2") -> (phường, 2)."""
    if level and locality.lower().startswith(level + " "):
        return _Unit(level, locality[len(level) :].strip())
    return _Unit(level, locality)


def _short_title(meta: DocumentMeta) -> str:
    """"Báo cáo 3422/BC-UBND – thị xã Hương Trà – 2023"; falls back to the file name."""
    head = " ".join(p for p in (meta.doc_type, meta.doc_number) if p)
    if meta.is_draft:
        head = f"{head} (dự thảo)" if head else "Dự thảo"
    place = _meta_unit(meta.locality_level, meta.locality).label
    if place and meta.parent_locality and meta.locality_level in _LOWER_LEVELS:
        place = f"{place}, {meta.parent_locality}"
    if not head and (place or meta.period):
        head = "Văn bản"
    parts = [p for p in (head, place, meta.period) if p]
    return " – ".join(parts) if parts else (meta.title or meta.source)


def extract_metadata(text: str, source: str) -> DocumentMeta:
    """Metadata of one document from its full original text; ``doc_id``/``content_hash`` stay empty.

    Never raises on odd input: what cannot be recognised is left empty (0 for numbers).
    """
    layout = normalize_layout(text or "")
    doc = _make_doc(layout.text)
    number = _find_number(doc)
    date = _find_date(doc)
    title = _find_title(doc)
    doc_type = (
        title.doc_type
        or _type_from_symbol(number.symbol, bool(number.number))
        or ("Công văn" if title.has_vv and number.number else "")
        or _site_type(layout.site_meta)
    )
    mentions = _scan_mentions(doc)
    central = _central_issuer(doc, title.line if title.line >= 0 else len(doc.lines))
    if central:  # a ministry or the Government Office: national, or about the place its subject names
        issuer, parent, organ = _subject_unit(title.subject, mentions), _Unit(), central
    else:
        issuer, parent, organ = _find_locality(doc, title.line, date.place, mentions)
        organ = organ or (_organ_from_symbol(number.symbol) if number.symbol else "UBND")
        if organ == "UBND" and _issued_by_chairman(doc, number.symbol):
            organ = "Chủ tịch UBND"
    issuer_label = central or _format_issuer(organ, issuer)
    if not (doc_type or number.number or date.year):
        issuer_label = ""  # a web page or article: places it names are not its issuer
    period = _find_period(doc, doc_type, title.subject, date.year)
    meta = DocumentMeta(
        doc_id="",
        source=source,
        issuer=issuer_label,
        locality=issuer.locality,
        locality_level=issuer.level if issuer.name else "",
        parent_locality=parent.label,
        doc_number=number.number,
        doc_type=doc_type,
        is_draft=_is_draft(doc),
        date_issued=_format_date(date.year, date.month, date.day),
        issued_year=date.year,
        issued_month=date.month,
        issued_day=date.day,
        period=period.period,
        period_year=period.year,
        period_month=period.month,
        plan_year=period.plan_year,
        title=_make_title(doc_type, title.subject, title.has_vv, doc) or _opening_title(doc),
    )
    meta.short_title = _short_title(meta)
    return meta


# ---------------------------------------------------------------- sidecars and overrides

_FIELD_TYPES = {f.name: f.type if isinstance(f.type, str) else f.type.__name__ for f in fields(DocumentMeta)}
FOLDER_SIDECAR = "metadata.json"
SIDECAR_SUFFIX = ".meta.json"


def _check_overrides(data: Any, where: str) -> dict[str, Any]:
    """Validate one override object; raises ValueError naming the offending keys."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a JSON object of metadata fields, got {type(data).__name__}")
    unknown = sorted(k for k in data if k not in _FIELD_TYPES)
    if unknown:
        allowed = ", ".join(sorted(set(_FIELD_TYPES) - _MANAGED_FIELDS))
        raise ValueError(f"{where}: unknown metadata field(s): {', '.join(unknown)} (allowed: {allowed})")
    managed = sorted(k for k in data if k in _MANAGED_FIELDS)
    if managed:
        raise ValueError(f"{where}: field(s) {', '.join(managed)} are set by the pipeline and cannot be overridden")
    for key, value in data.items():
        expected = _FIELD_TYPES[key]
        ok = {
            "str": isinstance(value, str),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
        }.get(expected, True)
        if not ok:
            raise ValueError(f"{where}: field '{key}' must be {expected}, got {type(value).__name__} {value!r}")
    if "date_issued" in data and data["date_issued"] and not _DATE_ISO.match(data["date_issued"]):
        raise ValueError(
            f"{where}: date_issued must look like 2023-11-14, 2023-11 or 2023; got {data['date_issued']!r}"
        )
    if data.get("locality_level", "") not in ("", *LEVELS):
        raise ValueError(f"{where}: locality_level must be one of {', '.join(LEVELS)}; got {data['locality_level']!r}")
    for key, top in (("issued_month", 12), ("period_month", 12), ("issued_day", 31)):
        if key in data and not 0 <= data[key] <= top:
            raise ValueError(f"{where}: {key} must be between 0 and {top}; got {data[key]}")
    return dict(data)


_PY_TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool}
# Words a user may type for a yes/no field, beside pydantic's own (true/false, yes/no, on/off, 1/0)
_BOOL_WORDS = {"có": True, "co": True, "không": False, "khong": False}
_TYPE_HELP = {
    "int": "a whole number (e.g. 2023; 0 = unknown)",
    "bool": "one of true/false, yes/no, 1/0, có/không",
    "str": "text",
}


def _overrides_model() -> type[BaseModel]:
    """A pydantic model of the metadata a user may set (every DocumentMeta field the pipeline does not manage)."""
    user_fields: dict[str, Any] = {
        name: (_PY_TYPES[kind] | None, None) for name, kind in _FIELD_TYPES.items() if name not in _MANAGED_FIELDS
    }
    return create_model("MetaOverrides", __config__=ConfigDict(extra="forbid", str_strip_whitespace=True), **user_fields)


_OVERRIDES_MODEL = _overrides_model()


def parse_meta_options(values: list[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` strings (``baocao ingest --meta``) as typed overrides; ValueError names what is wrong.

    Each value is validated for its field's type (pydantic), then like a sidecar (date shape,
    level names, month ranges); the error lists the allowed fields or values.
    """
    allowed = ", ".join(sorted(set(_FIELD_TYPES) - _MANAGED_FIELDS))
    raw: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--meta expects FIELD=VALUE with FIELD one of {allowed}; got {item!r}")
        if key in _MANAGED_FIELDS:
            raise ValueError(f"--meta {key}: set by the pipeline, cannot be overridden (allowed: {allowed})")
        if key not in _FIELD_TYPES:
            raise ValueError(f"--meta {key}: unknown field; FIELD is one of {allowed}")
        if _FIELD_TYPES[key] == "bool":
            value = str(_BOOL_WORDS.get(value.strip().lower(), value))
        raw[key] = value
    try:
        model = _OVERRIDES_MODEL.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            kind = _FIELD_TYPES.get(name, "str")
            problems.append(f"--meta {name}={raw.get(name, '')!r}: {name} must be {_TYPE_HELP.get(kind, kind)}")
        raise ValueError("; ".join(problems)) from None
    typed = {k: v for k, v in model.model_dump().items() if k in raw}
    return _check_overrides(typed, "--meta")


def load_sidecar(path: Path) -> dict[str, Any]:
    """Read a sidecar: "X.meta.json" (field -> value) or a folder "metadata.json" (file name -> object)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read metadata sidecar ({exc})") from exc
    if path.name != FOLDER_SIDECAR:
        return _check_overrides(data, str(path))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object mapping file names to metadata objects")
    return {name: _check_overrides(entry, f"{path} [{name}]") for name, entry in data.items()}


def find_sidecar_overrides(file: Path) -> dict[str, Any]:
    """Overrides for ``file``: folder "metadata.json" entry, then "X.meta.json", then "X.txt.meta.json"."""
    file = Path(file)
    merged: dict[str, Any] = {}
    folder = file.parent / FOLDER_SIDECAR
    if folder.is_file():
        merged.update(load_sidecar(folder).get(file.name, {}))
    for name in (file.stem + SIDECAR_SUFFIX, file.name + SIDECAR_SUFFIX):
        if not _fits_file_system(name):
            continue  # a long file name has no sidecar of that name: the file system could not hold one
        candidate = file.with_name(name)
        if candidate.is_file() and candidate != file:
            merged.update(load_sidecar(candidate))
    return merged


_NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


def _fits_file_system(name: str) -> bool:
    return len(name.encode("utf-8", "surrogateescape")) <= _NAME_MAX


def apply_overrides(meta: DocumentMeta, overrides: dict[str, Any]) -> DocumentMeta:
    """A copy of ``meta`` with ``overrides`` applied; derived fields are recomputed unless overridden too.

    ``date_issued`` drives issued_year/month/day (or is rebuilt from them when only they are given);
    ``period`` drives period_year/month; issuer and short_title follow the new values.
    """
    given = _check_overrides(overrides, "metadata overrides")
    updated = replace(meta, **given)
    parts = ("issued_year", "issued_month", "issued_day")
    if "date_issued" in given:
        values = [int(p) for p in given["date_issued"].split("-")] if given["date_issued"] else []
        derived = dict(zip(parts, values + [0] * (3 - len(values)), strict=True))
        clash = [p for p in parts if p in given and given[p] != derived[p]]
        if clash:
            raise ValueError(
                f"metadata overrides: {', '.join(clash)} disagree(s) with date_issued {given['date_issued']!r}"
            )
        updated.issued_year, updated.issued_month, updated.issued_day = (derived[p] for p in parts)
    elif any(p in given for p in parts):
        updated.date_issued = _format_date(updated.issued_year, updated.issued_month, updated.issued_day)
    if "period" in given:
        year, month = _parse_period(given["period"])
        updated.period_year = given.get("period_year", year)
        updated.period_month = given.get("period_month", month)
    elif "period_year" in given or "period_month" in given:
        y, m = updated.period_year, updated.period_month
        updated.period = (f"{m:02d}/{y}" if m else str(y)) if y else ""
    unit_fields = {"locality", "locality_level"}
    if unit_fields & given.keys() and "issuer" not in given:
        old_unit = _meta_unit(meta.locality_level, meta.locality)
        organ = meta.issuer.split(" ", 1)[0] if meta.issuer else "UBND"
        if not meta.issuer or meta.issuer == _format_issuer(organ, old_unit):
            updated.issuer = _format_issuer(organ, _meta_unit(updated.locality_level, updated.locality))
    if "doc_type" in given and "title" not in given and meta.doc_type and meta.title.startswith(meta.doc_type):
        updated.title = given["doc_type"] + meta.title[len(meta.doc_type) :]
    if "short_title" not in given:
        updated.short_title = _short_title(updated)
    return updated
