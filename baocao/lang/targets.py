"""How reports write targets and figures (chỉ tiêu): the words of ``data/target_terms.tsv``, the
canonical indicators of ``data/target_glossary.tsv``, and the values of a plan or a result as
written ("14,5-15,5", ">1.650", "31/38 (81,6%)", "dưới 1%", "95% trở lên") read into numbers, and the
status a result has against its plan (direction-, range- and bound-aware).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from baocao.lang.normalize import fold_same_length, nfc
from baocao.lang.tables import read_pairs, records, word_list

_FINAL_Y = re.compile(r"\b([bcdghklmnpqrstvx]+)y\b")


def fold(text: str) -> str:
    """Lower-cased, accent-folded, final y/i folded, of the same length as ``text`` (so that a
    match on the folded copy slices the original)."""
    return _FINAL_Y.sub(lambda m: m.group(1) + "i", fold_same_length(nfc(text)))


def lower(text: str) -> str:
    """Lower-cased with the accents kept (NFC), of the same length: for words that folding would
    confuse ("đạt" reached / "đất" land both fold to "dat")."""
    nfc_text = nfc(text)
    lowered = nfc_text.lower()
    return lowered if len(lowered) == len(nfc_text) else "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in nfc_text)


# roles matched on the accent-kept lower-case form (see :func:`lower`)
ACCENTED_ROLES = frozenset({"result_verb", "missed", "met", "quota"})

ROLES = (
    "col_pct_prev", "col_pct_plan", "col_status", "col_result", "col_plan", "col_unit", "col_label",
    "estimate", "settlement", "plan_ref", "prev_ref", "lower_bound", "upper_bound", "lower_after",
    "missed", "met", "result_verb", "down", "reduction", "neutral", "tally_nouns", "aggregate", "goal",
    "plan_amount", "quota", "target_verb", "partial_period",
)


@cache
def terms(role: str) -> tuple[str, ...]:
    """The folded phrases of ``role``, longest first."""
    if role not in ROLES:
        raise KeyError(role)
    found: list[str] = []
    form = lower if role in ACCENTED_ROLES else fold
    for row in records("target_terms.tsv"):
        if row["role"] and row["role"][0] == role:
            found.extend(form(p) for p in row["phrases"])
    return tuple(sorted(set(found), key=len, reverse=True))


def _phrase_regex(phrase: str) -> str:
    body = re.escape(phrase).replace(r"\ ", r"\s+")
    if phrase[:1].isalnum():
        body = r"(?<![\w])" + body
    if phrase[-1:].isalnum():
        body += r"(?![\w])"
    return body


@cache
def pattern(role: str) -> re.Pattern[str]:
    """A regex (on folded text) matching any phrase of ``role``."""
    plain = [p for p in terms(role) if not (p.startswith("^") and p.endswith("$"))]
    return re.compile("|".join(_phrase_regex(p) for p in plain) or r"(?!x)x")


def form_for(role: str, text: str) -> str:
    """``text`` in the form ``role``'s phrases are matched on."""
    return lower(text) if role in ACCENTED_ROLES else fold(text)


def has_term(role: str, text: str) -> bool:
    return bool(pattern(role).search(form_for(role, text)))


def whole_terms(role: str) -> frozenset[str]:
    """The phrases of ``role`` written ``^…$``: they match a whole value only."""
    return frozenset(p[1:-1] for p in terms(role) if p.startswith("^") and p.endswith("$"))


# ----------------------------------------------------------------------------- glossary


@cache
def _shipped_glossary() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((row["canonical"][0], row["wordings"]) for row in records("target_glossary.tsv") if row["canonical"])


def glossary(extra: tuple[Path, ...] = ()) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(canonical, folded wordings) pairs: the user's own files (same format) first, then the shipped table."""
    rows: list[tuple[str, tuple[str, ...]]] = []
    for path in extra:
        rows.extend((key, tuple(values)) for key, values in read_pairs(path) if key != "canonical")
    rows.extend(_shipped_glossary())
    return tuple((nfc(c), tuple(sorted((fold(w) for w in ws), key=len, reverse=True))) for c, ws in rows)


def canonical_indicator(indicator: str, table: tuple[tuple[str, tuple[str, ...]], ...] | None = None) -> str:
    """The canonical name of an indicator as written: the glossary entry with the longest wording
    the indicator holds; else the indicator itself, lower-cased and without its number."""
    folded = " " + re.sub(r"\s+", " ", fold(indicator)) + " "
    best, best_len = "", 0
    for canonical, wordings in table if table is not None else glossary():
        for wording in wordings:
            if len(wording) > best_len and re.search(_phrase_regex(wording), folded):
                best, best_len = canonical, len(wording)
    return best or re.sub(r"\s+", " ", indicator).strip().lower()


# ----------------------------------------------------------------------------- values

_NUM = r"\d+(?:[.,]\d+)*"
_NUM_RE = re.compile(_NUM)
_RANGE = re.compile(rf"(?:tu\s+)?({_NUM})\s*%?\s*(?:-|–|den|toi)\s*({_NUM})")
_RATIO = re.compile(rf"({_NUM})\s*/\s*({_NUM})")


def to_number(text: str) -> float | None:
    """'1.700' -> 1700; '14,5' -> 14.5; '125.491,05' -> 125491.05; '99,90' -> 99.9 (dot thousands, comma decimals)."""
    m = _NUM_RE.search(text)
    if not m:
        return None
    token = m.group(0)
    if "," in token:
        whole, _, decimals = token.rpartition(",")
        whole = whole.replace(".", "").replace(",", "")
        try:
            return float(f"{whole or '0'}.{decimals}")
        except ValueError:
            return None
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", token):
        return float(token.replace(".", ""))
    try:
        return float(token)
    except ValueError:
        return None


@dataclass(frozen=True)
class Value:
    """A plan or a result read: ``low``/``high`` bound the value (equal for a number; None when open)."""

    text: str
    low: float | None
    high: float | None
    kind: str  # number | range | lower | upper | ratio | words | none

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "range", "lower", "upper", "ratio")


def read_value(text: str) -> Value:
    raw = text.strip()
    folded = fold(raw)
    if not raw or raw in ("-", "–", "x"):
        return Value(raw, None, None, "none")
    ratio = _RATIO.search(folded)
    if ratio:
        n = to_number(ratio.group(1))
        return Value(raw, n, n, "ratio")
    rng = _RANGE.search(folded)
    if rng and not folded.strip().startswith("-"):
        lo, hi = to_number(rng.group(1)), to_number(rng.group(2))
        if lo is not None and hi is not None and lo <= hi:
            return Value(raw, lo, hi, "range")
    number = to_number(folded)
    if number is None:
        return Value(raw, None, None, "words")
    before = folded[: _NUM_RE.search(folded).start()]  # type: ignore[union-attr]
    if pattern("lower_bound").search(before) or pattern("lower_after").search(folded):
        return Value(raw, number, None, "lower")
    if pattern("upper_bound").search(before):
        return Value(raw, None, number, "upper")
    return Value(raw, number, number, "number")


def compare(plan: Value, result: Value, direction: str) -> str:
    """'met' / 'missed' of a result against its plan, or '' when they cannot be compared.

    More is better ("up"): a result at or above the plan's low end is met (a range's inside counts,
    a bound ">70" is met by ">70"). Less is better ("down"): at or below the plan's high end."""
    if not plan.numeric or not result.numeric or direction not in ("up", "down"):
        return ""
    if direction == "up":
        need = plan.low if plan.low is not None else plan.high
        got = result.low if result.low is not None else result.high
        if need is None or got is None:
            return ""
        return "met" if got >= need else "missed"
    need = plan.high if plan.high is not None else plan.low
    got = result.high if result.high is not None else result.low
    if need is None or got is None:
        return ""
    return "met" if got <= need else "missed"


def percent_status(percent: str, direction: str) -> str:
    """A stated % of plan: at or over 100 is met for "up" (under 100 for "down")."""
    value = to_number(percent)
    if value is None or direction not in ("up", "down"):
        return ""
    if direction == "up":
        return "met" if value >= 100 else "missed"
    return "met" if value <= 100 else "missed"


def direction_of(indicator: str, plan: str = "") -> str:
    """'up' (more is better), 'down' (less is better) or '' (qualitative or neutral)."""
    folded_plan = re.sub(r"\s+", " ", fold(plan)).strip(" .")
    if folded_plan in whole_terms("neutral") or has_term("neutral", indicator) or has_term("neutral", plan):
        return ""
    if has_term("down", indicator) and not has_term("reduction", indicator):
        return "down"
    return "up"


# ----------------------------------------------------------------------------- questions

QUESTION_SHAPES = ("topic", "missed", "met", "all_met", "pending", "count", "count_targets", "compare", "trend")


@cache
def _question_patterns(accents: bool = False) -> dict[str, re.Pattern[str]]:
    by_shape: dict[str, list[str]] = {}
    for row in records("target_questions.tsv"):
        shape = row["shape"][0]
        if shape not in QUESTION_SHAPES:
            raise ValueError(f"target_questions.tsv: unknown shape {shape!r}")
        by_shape.setdefault(shape, []).extend(_phrase_regex(_words_form(p, accents)) for p in row["phrases"])
    return {shape: re.compile("|".join(sorted(ps, key=len, reverse=True))) for shape, ps in by_shape.items()}


def _words_form(text: str, accents: bool = False) -> str:
    return " ".join(re.findall(r"[^\W_]+", lower(text) if accents else fold(text)))


def question_shapes(question: str) -> set[str]:
    """The target-question shapes a question's words ask for (``data/target_questions.tsv``): on
    folded words for a question typed without diacritics, with the accents kept for one typed with
    them (folded, "đất" land reads as "đạt" met)."""
    accents = fold(question) != lower(question)
    words = _words_form(question, accents)
    return {shape for shape, pat in _question_patterns(accents).items() if pat.search(words)}


@cache
def _target_question_words() -> frozenset[str]:
    phrases = [p for row in records("target_questions.tsv") for p in row["phrases"]]
    return frozenset(w for p in [*phrases, *word_list("target_question_words.txt")] for w in _words_form(p).split())


def off_target_words(words: list[str]) -> list[str]:
    """The words of a question's content terms that neither ask about targets nor shape the
    question (``target_questions.tsv``, ``target_question_words.txt``), folded: a question about
    targets that holds one asks about a particular thing."""
    known = _target_question_words()
    return [w for w in (_words_form(word) for word in words) if w and any(x not in known for x in w.split())]


def indicators_named(question: str, table: tuple[tuple[str, tuple[str, ...]], ...] | None = None) -> list[str]:
    """Canonical indicators whose wording the question holds (longest wordings first, no overlaps)."""
    words = " " + _words_form(question) + " "
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    pairs = sorted(
        ((w, c) for c, ws in (table if table is not None else glossary()) for w in ws),
        key=lambda p: len(p[0]), reverse=True,
    )
    for wording, canonical in pairs:
        m = re.search(_phrase_regex(_words_form(wording)), words)
        if m and all(m.end() <= s or m.start() >= e for s, e in taken):
            taken.append((m.start(), m.end()))
            if canonical not in found:
                found.append(canonical)
    return found
