"""What a question's words say beyond its topic: question phrases, stopwords, the shape of the answer
it asks for, the measure it counts in, what it sets aside, its parts, targets met or missed.

Every word list is a data file (``data/``); the functions here only apply them.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from baocao.lang.normalize import canonical_syllable, fold_accents, fold_syllable, nfc, normalize_tone_marks
from baocao.lang.tables import records, word_list, word_set
from baocao.lang.tokens import folded_words, is_number, words

ANSWER_SHAPES = (
    "number", "percent", "list", "cause", "remedy", "reference", "date", "docs", "person", "yesno",
    "status", "missed", "met", "next_period",
)


# --------------------------------------------------------------------------- word lists


@cache
def stopwords(accents: bool) -> frozenset[str]:
    """Function words in matching form: folded, or with their marks (``accents``)."""
    if accents:
        return frozenset(canonical_syllable(w) for w in word_list("stopwords_vi.txt"))
    return frozenset(fold_syllable(w) for w in word_list("stopwords_vi_folded.txt"))


def english_stopwords() -> frozenset[str]:
    return word_set("stopwords_en.txt")


def english_short_words() -> frozenset[str]:
    return word_set("english_short_words.txt")


@cache
def _folded_list(name: str) -> frozenset[str]:
    return frozenset(" ".join(fold_syllable(w) for w in entry.split()) for entry in word_list(name))


def generic_words() -> frozenset[str]:
    """Words that say what kind of figure is asked ("tỷ lệ", "số lượng"), folded."""
    return _folded_list("generic_words.txt")


def doc_frame_words() -> frozenset[str]:
    return _folded_list("doc_frame_words.txt")


def followup_words() -> frozenset[str]:
    return _folded_list("followup_words.txt")


def cause_words() -> tuple[str, ...]:
    return word_list("cause_words.txt")


def remedy_words() -> tuple[str, ...]:
    """Words that open a remedy or a task ("giải pháp", "khắc phục"), as written."""
    return word_list("remedy_words.txt")


@cache
def cause_cues() -> re.Pattern[str]:
    """A cause word in lower-cased text, accent-sensitive: "do" (because) is not "đô"/"độ"."""
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in cause_words()) + r")\b")


@cache
def remedy_starts() -> tuple[tuple[str, ...], ...]:
    """The remedy words, folded: what a remedy unit starts with or its heading holds."""
    return tuple(tuple(folded_words(w)) for w in remedy_words())


# --------------------------------------------------------------------------- cues


def _cue_regex(cue: str) -> str:
    anchored = cue.startswith("^")
    parts = [" ".join(fold_syllable(w) for w in piece.split()) for piece in cue.lstrip("^").split("…")]
    body = r"\b.*\b".join(re.escape(p.strip()) for p in parts if p.strip())
    return (r"^" if anchored else r"\b") + body + r"\b"


@cache
def _shape_patterns() -> dict[str, re.Pattern[str]]:
    by_shape: dict[str, list[str]] = {}
    for row in records("answer_cues.tsv"):
        by_shape.setdefault(row["shape"][0], []).append(_cue_regex(row["cue"][0]))
    unknown = set(by_shape) - set(ANSWER_SHAPES)
    if unknown:
        raise ValueError(f"answer_cues.tsv: unknown shapes {sorted(unknown)}")
    return {shape: re.compile("|".join(cues)) for shape, cues in by_shape.items()}


def folded_question(text: str) -> str:
    """The question's words, folded and y/i-folded, joined by spaces: what cues are matched on."""
    return " ".join(folded_words(text))


def answer_shapes(text: str) -> set[str]:
    """The shapes of answer a question's phrases ask for (see ``data/answer_cues.tsv``)."""
    folded = folded_question(text)
    patterns = _shape_patterns()
    shapes = {shape for shape, pattern in patterns.items() if pattern.search(folded)}
    if {"list", "date"} <= shapes and not patterns["list"].search(patterns["date"].sub(" ", folded)):
        shapes.discard("list")  # "các xã phải lập tổ kiểm kê trước ngày nào": the "nào" asks the date, not which ones
    if "%" in text:
        shapes.add("percent")
    return shapes


@cache
def _meaning_cues() -> tuple[re.Pattern[str], tuple[tuple[str, ...], ...]]:
    rows = records("meaning_cues.tsv")
    asks = [_cue_regex(r["cue"][0]) for r in rows if r["role"][0] == "question"]
    copulas = tuple(tuple(folded_words(r["cue"][0])) for r in rows if r["role"][0] == "copula")
    return re.compile("|".join(asks)), copulas


def asks_meaning(text: str) -> bool:
    """"Tập quán là gì?", "What is meant by …": the question asks what something is (data/meaning_cues.tsv)."""
    return bool(_meaning_cues()[0].search(folded_question(text)))


def copula_at(words: Sequence[str]) -> int:
    """Where the first copula ("là", "được hiểu là") starts in folded words, or -1."""
    copulas = _meaning_cues()[1]
    for i in range(len(words)):
        if any(tuple(words[i : i + len(c)]) == c for c in copulas):
            return i
    return -1


def speaks_of_share(text: str) -> bool:
    """The text names a share ("tỷ lệ", "phần trăm", "proportion"): the words that make a question ask a percent."""
    return bool(_shape_patterns()["percent"].search(folded_question(text)))


def matching_words(text: str, accents: bool) -> list[str]:
    """The words a cue list is matched on: with their marks (one spelling) or folded."""
    return [canonical_syllable(w) for w in words(text)] if accents else folded_words(text)


def phrase_regex(cues: Sequence[str], accents: bool) -> str:
    """A regex source matching any of ``cues`` as whole words of :func:`matching_words` joined by
    spaces; "…" in a cue stands for any words in between ("ai … ký")."""
    def form(piece: str) -> str:
        return " ".join(matching_words(piece, accents))

    bodies = [r"\b.*\b".join(re.escape(form(p)) for p in cue.split("…") if p.strip()) for cue in cues]
    return r"(?:^| )(?:" + "|".join(sorted(bodies, key=len, reverse=True)) + r")(?: |$)"


@cache
def _count_pattern() -> re.Pattern[str]:
    return re.compile(phrase_regex(word_list("count_words.txt"), accents=False))


def asks_count(text: str) -> bool:
    """The question asks how many of something ("dân số", "how many", "population"), not a share of
    it: its words name a count (``data/count_words.txt``) and none names a share."""
    folded = folded_question(text)
    return bool(_count_pattern().search(folded)) and not speaks_of_share(text)


@cache
def question_phrases() -> dict[tuple[str, ...], str]:
    """Folded question phrase -> what it looks for instead ("vì sao" -> "nguyên nhân"), or ""."""
    return {
        tuple(fold_syllable(w) for w in row["phrase"][0].split()): (row["hint"][0] if row["hint"] else "")
        for row in records("question_phrases.tsv")
    }


_WORD_SPAN = re.compile(r"[^\W\d_]+", re.UNICODE)


def question_phrase_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, hint) of each question phrase in ``text``, longest first at each place."""
    phrases = question_phrases()
    longest = max((len(k) for k in phrases), default=0)
    spans = [(m.start(), m.end(), fold_syllable(m.group())) for m in _WORD_SPAN.finditer(text)]
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(spans):
        for size in range(min(longest, len(spans) - i), 0, -1):
            phrase = tuple(w for _, _, w in spans[i : i + size])
            if phrase in phrases:
                found.append((spans[i][0], spans[i + size - 1][1], phrases[phrase]))
                i += size - 1
                break
        i += 1
    return found


def remove_question_words(text: str) -> tuple[str, list[str]]:
    """(text without question phrases, what they ask for): 'vì sao ... chậm' -> ('... chậm', ['nguyên nhân']).

    A removed phrase leaves a clause break, so no word pair forms across the gap."""
    found = question_phrase_spans(text)
    for start, end, _ in reversed(found):
        text = text[:start] + " ; " + text[end:]
    return text, [hint for _, _, hint in found if hint]


def is_question_phrase(folded: tuple[str, ...]) -> bool:
    return folded in question_phrases()


# --------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class Measure:
    key: str  # folded: "nguoi", "du an"
    forms: tuple[tuple[str, ...], ...]  # how a passage may write it, in matching form


@cache
def _measure_table() -> dict[str, tuple[str, tuple[str, ...], bool]]:
    """folded measure -> (as written, also-written forms, compound)."""
    table = {}
    for row in records("measures.tsv"):
        written = row["measure"][0]
        table[" ".join(fold_syllable(w) for w in written.split())] = (written, row["also"], bool(row["compound"]))
    return table


def measure_stopwords() -> frozenset[str]:
    return _folded_list("measure_stopwords.txt")


_HOW_MANY = re.compile(r"\bbao nhi[eê]u[ \t]+(\w+)(?:[ \t]+(\w+))?")


def measures_asked(text: str, accents: bool) -> list[Measure]:
    """'bao nhiêu người' -> the measure 'người' and the words a passage may use for it."""
    marked = " ".join(canonical_syllable(w) for w in normalize_tone_marks(nfc(text)).lower().split(" "))
    table = _measure_table()
    found: list[Measure] = []
    for match in _HOW_MANY.finditer(marked):
        first, second = match.group(1), match.group(2) or ""
        folded_first = fold_syllable(first)
        if folded_first in measure_stopwords() or first.isdigit():
            continue
        folded_two = " ".join(fold_syllable(w) for w in f"{first} {second}".split())
        entry = table.get(folded_two)
        compound = entry is not None and (entry[2] or " " in folded_two)
        key_marked, key_folded = (f"{first} {second}".strip(), folded_two) if compound else (first, folded_first)
        also = table.get(key_folded, ("", (), False))[1]
        options = [key_marked, *also]
        if accents:
            forms = tuple(tuple(canonical_syllable(w) for w in o.split()) for o in options)
        else:
            forms = tuple(tuple(fold_syllable(w) if w != "%" else w for w in o.split()) for o in options)
        found.append(Measure(key_folded, forms))
    return found


# --------------------------------------------------------------------------- clauses of a question


@cache
def _exclusion_pattern() -> re.Pattern[str]:
    cues = sorted((" ".join(fold_syllable(w) for w in c.split()) for c in word_list("exclusion_words.txt")), key=len, reverse=True)
    alternation = "|".join(re.escape(c) for c in cues)
    return re.compile(r"(?:^|[\s,;(])(?:" + alternation + r")\s+([^,;:()?]+)")


def excluded_clauses(text: str) -> list[tuple[str, str]]:
    """(clause the question sets aside, the rest of the question), folded: "Ngoài ảnh hưởng của dịch, …"."""
    folded = " ".join(fold_syllable(w) if not is_number(w) else w for w in re.findall(r"\S+", fold_accents(nfc(text))))
    out = []
    for match in _exclusion_pattern().finditer(folded):
        out.append((match.group(1), folded[: match.start(1)] + " " + folded[match.end(1) :]))
    return out


@cache
def _definition_cues() -> dict[str, list[str]]:
    sides: dict[str, list[str]] = {"after": [], "before": []}
    for row in records("definition_cues.tsv"):
        sides[row["side"][0]].append(re.escape(row["cue"][0]))
    return sides


def asks_to_define(text: str, abbreviation: str) -> bool:
    """'GPMB là viết tắt của gì', 'What does GPMB stand for', 'GPMB nghĩa là gì'."""
    folded = fold_accents(text)
    key = re.escape(fold_accents(abbreviation))
    cues = _definition_cues()
    after = "|".join(cues["after"])
    before = "|".join(cues["before"])
    return bool(
        re.search(rf"{key}\W+(?:\w+\W+){{0,2}}(?:{after})\b", folded)
        or re.search(rf"\b(?:{before})\W+(?:\w+\W+){{0,2}}{key}", folded)
    )


@cache
def _question_word_pattern() -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in word_list("question_words.txt")) + r")\b")


def split_parts(text: str) -> list[str]:
    """The sub-questions of a compound question ('..., và bao nhiêu ...?'); [] for a simple one."""
    folded = fold_accents(nfc(text))
    asks = _question_word_pattern()
    cuts = [m.start() for m in re.finditer(r",\s*(?:va|and)\s+|;\s+|\?\s+(?=\w)", folded)]
    cuts += [m.start() for m in re.finditer(r"\s(?:va|and)\s", folded)
             if asks.search(folded[: m.start()]) and asks.search(folded[m.end():])]
    if not cuts:
        return []
    parts: list[str] = []
    start = 0
    for cut in sorted(set(cuts)):
        parts.append(text[start:cut])
        start = cut
    parts.append(text[start:])
    parts = [re.sub(r"^[\s,;?]*(?:và|va|and)?\s*", "", p).strip(" ,;?") for p in parts]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) >= 2 else []


@cache
def _followup_start() -> re.Pattern[str]:
    starts = sorted(word_list("followup_starts.txt"), key=len, reverse=True)
    return re.compile(r"^(?:" + "|".join(re.escape(s) for s in starts) + r")\b")


def opens_followup(text: str) -> bool:
    """'còn Hải Dương thì sao?', 'and in 2024?': words that open a follow-up."""
    return bool(_followup_start().match(" ".join(re.findall(r"\w+", fold_accents(text)))))


@cache
def _numbered_name_pattern() -> str:
    return "|".join(re.escape(w) for w in sorted(word_list("numbered_name_words.txt"), key=len, reverse=True))


def names_by_number(number: str, folded_text: str) -> bool:
    """'2' in 'tháng 2', 'Phường 2', 'khóa 3' names something: it is not a figure to find."""
    return bool(re.search(rf"\b(?:{_numbered_name_pattern()}) 0?{re.escape(number)}\b", folded_text))


_SECTOR = re.compile(r"\b(?:nganh|linh vuc)\s+(\w+(?:\s\w+)?)")


def sectors(folded: str) -> set[str]:
    """The sectors a text names after 'ngành' / 'lĩnh vực' (first two syllables, e.g. 'nong nghiep')."""
    out = set()
    for match in _SECTOR.finditer(folded):
        kept = [w for w in match.group(1).split() if w not in stopwords(False)]
        if kept:
            out.add(" ".join(kept[:2]))
    return out


# --------------------------------------------------------------------------- targets met or missed


@cache
def _status_phrases(where: str) -> tuple[tuple[str, str], ...]:
    """(folded phrase, status) said in a table cell or in prose, longest first."""
    rows = [
        (" ".join(fold_syllable(w) for w in row["phrase"][0].split()), row["status"][0])
        for row in records("status_words.tsv")
        if where in row["where"]
    ]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def cell_status(value: str) -> str:
    """'met' / 'missed' for a table's evaluation cell ("Đạt", "Không đạt", "Vượt"), else ''."""
    folded = folded_question(value)
    for phrase, status in _status_phrases("cell"):
        if folded == phrase or folded.startswith(phrase + " "):
            return status
    return ""


def statuses_in_text(text: str) -> set[str]:
    """The statuses prose states: "đạt và vượt 10/10 chỉ tiêu" -> {'met'}."""
    folded = " " + folded_question(text) + " "
    return {status for phrase, status in _status_phrases("text") if f" {phrase} " in folded}
