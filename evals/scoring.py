"""Scoring: pure functions from retrieved passages and answers to metrics.

Follows the reference reading in ``evals/sets/README.md``:

* evidence is matched on the cleaned form of both sides (NFC, ``<b>``/``</b>``/``**`` and the
  other report markup removed, whitespace — tabs included — collapsed), as a plain substring;
* answer facts are matched token by token (see :func:`fact_present`): numbers whole and as
  written (tolerant of spacing and of an unambiguous thousands separator), words after
  NFC + lower case + one tone-mark style.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from baocao.lang.normalize import collapse_ws, nfc, normalize_tone_marks, strip_markup

KS = (1, 3, 5, 10)
RANK_CUTOFF = 10  # for mrr@10 and ndcg@10

HIT_KEYS = [f"hit@{k}" for k in KS]
EVIDENCE_RECALL_KEYS = [f"evidence_recall@{k}" for k in KS]
DOC_HIT_KEYS = [f"doc_hit@{k}" for k in KS]
RETRIEVAL_KEYS = HIT_KEYS + EVIDENCE_RECALL_KEYS + DOC_HIT_KEYS + ["mrr@10", "ndcg@10"]
ANSWER_KEYS = ["fact_recall", "citation_precision"]
ABSTENTION_KEYS = [
    "abstention_precision",
    "abstention_recall",
    "false_abstention_rate",
    "abstention_accuracy",  # share of questions where abstaining (or not) was right
]
RETRIEVAL_LATENCY_KEYS = ["latency_retrieval_p50_ms", "latency_retrieval_p95_ms"]
ANSWER_LATENCY_KEYS = ["latency_answer_p50_ms", "latency_answer_p95_ms"]
# Metrics where a smaller value is better (compare and floors need the direction).
LOWER_IS_BETTER = {"false_abstention_rate", *RETRIEVAL_LATENCY_KEYS, *ANSWER_LATENCY_KEYS}


# --------------------------------------------------------------------------- evidence


_BOLD = re.compile(r"</?b>|\*\*", re.IGNORECASE)
# What ingest turns into layout rather than text: the stars of an italic span that a line break
# or a stray space splits ("của* *Chính phủ", "*Căn cứ …" whose closing star is lines below; the
# layout step drops them, strip_markup sees no pair), and the pipes of a markdown table row, read
# into tab-separated cells. Evidence quoted from the file keeps them; on both sides they go
# (clean_for_match).


def clean_for_match(text: str) -> str:
    """NFC, markup removed (``<b>``, ``</b>``, ``**`` and the rest of ``strip_markup``), stray
    italic stars and table pipes dropped, whitespace collapsed."""
    text = _BOLD.sub("", nfc(text))
    # The chunker strips markup with the same function, so both sides end up alike.
    text = strip_markup(text)
    return collapse_ws(text.replace("*", "").replace("|", " "))


def evidence_found(evidence: str, passage_text: str) -> bool:
    """True when the cleaned evidence string lies inside the cleaned passage."""
    needle = clean_for_match(evidence)
    return bool(needle) and needle in clean_for_match(passage_text)


# --------------------------------------------------------------------------- retrieval


@dataclass(frozen=True)
class Passage:
    """One retrieved passage, as scoring sees it."""

    text: str
    source: str = ""  # file name of the document it comes from
    chunk_id: str = ""


@dataclass
class RetrievalScores:
    """Per-question retrieval metrics and the ranks (1-based) behind them."""

    metrics: dict[str, float]
    evidence_ranks: list[int | None]  # first rank holding each evidence string
    relevant_ranks: list[int]  # ranks whose passage holds any evidence string
    doc_ranks: list[int]  # ranks whose passage comes from a file in ``docs``

    @property
    def first_hit_rank(self) -> int | None:
        return self.relevant_ranks[0] if self.relevant_ranks else None

    @property
    def doc_hit_rank(self) -> int | None:
        return self.doc_ranks[0] if self.doc_ranks else None


def retrieval_scores(
    passages: Sequence[Passage], evidence: Sequence[str], docs: Sequence[str]
) -> RetrievalScores:
    """hit@k, evidence_recall@k, doc_hit@k (k = 1, 3, 5, 10), mrr@10 and ndcg@10.

    ``passages`` is the ranked list, best first. A passage is relevant when it contains an
    evidence string.
    """
    needles = [clean_for_match(e) for e in evidence]
    cleaned = [clean_for_match(p.text) for p in passages]
    found = [[bool(n) and n in text for n in needles] for text in cleaned]  # [passage][evidence]

    evidence_ranks: list[int | None] = []
    for j in range(len(needles)):
        ranks = [i + 1 for i in range(len(passages)) if found[i][j]]
        evidence_ranks.append(ranks[0] if ranks else None)
    relevant_ranks = [i + 1 for i in range(len(passages)) if any(found[i])]
    doc_set = set(docs)
    doc_ranks = [i + 1 for i, p in enumerate(passages) if p.source in doc_set]

    metrics: dict[str, float] = {}
    for k in KS:
        metrics[f"hit@{k}"] = float(any(r <= k for r in relevant_ranks))
    for k in KS:
        n_found = sum(1 for r in evidence_ranks if r is not None and r <= k)
        metrics[f"evidence_recall@{k}"] = n_found / len(needles) if needles else 0.0
    for k in KS:
        metrics[f"doc_hit@{k}"] = float(any(r <= k for r in doc_ranks))
    first = relevant_ranks[0] if relevant_ranks else None
    metrics["mrr@10"] = 1.0 / first if first is not None and first <= RANK_CUTOFF else 0.0
    metrics["ndcg@10"] = _ndcg(relevant_ranks, n_ideal=min(len(needles), RANK_CUTOFF))
    return RetrievalScores(metrics, evidence_ranks, relevant_ranks, doc_ranks)


def _ndcg(relevant_ranks: Sequence[int], n_ideal: int) -> float:
    if n_ideal == 0:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 1) for r in relevant_ranks if r <= RANK_CUTOFF)
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, n_ideal + 1))
    # Several passages may hold the same evidence string (overlapping chunks), so DCG can
    # exceed the ideal built from the number of evidence strings: cap at 1.
    return min(1.0, dcg / idcg)


# --------------------------------------------------------------------------- answer facts

# A number stays whole: digits with inner separators, e.g. "14.543,21", "29/38", "03/01/2023".
_NUMBER = r"\d+(?:[.,/]\d+)*"
_FACT_TOKEN = re.compile(rf"{_NUMBER}|[^\W\d_]+|%", re.UNICODE)
_SPACED_SLASH = re.compile(r"(?<=\d)\s*/\s*(?=\d)")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")


def _canonical_number(token: str) -> str:
    """Drop '.' thousands separators where unambiguous: '1.646' -> '1646', '14.543,21' -> '14543,21'.

    Only the Vietnamese convention ('.' groups of three, ',' decimals) is undone; '1,646' or
    '1.5' stay as written because they could mean something else.
    """
    parts = []
    for part in token.split("/"):
        integer, comma, decimals = part.partition(",")
        if "," in decimals:  # "1,234,567": not the Vietnamese style, keep
            parts.append(part)
            continue
        if _THOUSANDS.fullmatch(integer):
            integer = integer.replace(".", "")
        parts.append(integer + comma + decimals)
    return "/".join(parts)


def fact_tokens(text: str) -> list[str]:
    """Tokens for fact matching: whole numbers (canonical), words (lower case, one tone style), '%'.

    Other punctuation is dropped, so '6,39 %' and '6,39%' give the same tokens, and so do
    'Thương mại - Du lịch' and 'Thương mại – Du lịch'.
    """
    text = strip_markup(nfc(text))
    # Superscript footnote markers ("đồng⁷") would glue onto words or numbers.
    text = "".join(" " if unicodedata.category(ch) == "No" else ch for ch in text)
    text = normalize_tone_marks(text).lower()
    text = _SPACED_SLASH.sub("/", text)
    tokens = []
    for token in _FACT_TOKEN.findall(text):
        tokens.append(_canonical_number(token) if token[0].isdigit() else token)
    return tokens


def _contains_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def fact_present(fact: str, answer_text: str) -> bool:
    """True when the fact's tokens appear, contiguous and whole, in the answer.

    Numbers must match a whole number of the answer: '8,8%' is not in '18,8%', '14.543' is not
    in '14.543,21'. Words are compared after NFC, lower case and tone-mark normalisation
    (diacritics still count: 'dat' is not 'đạt').
    """
    needle = fact_tokens(fact)
    if not needle:  # a fact made only of punctuation: fall back to the cleaned string
        cleaned = clean_for_match(fact)
        return bool(cleaned) and cleaned in clean_for_match(answer_text)
    return _contains_run(fact_tokens(answer_text), needle)


def facts_missing(facts: Sequence[str], answer_text: str) -> list[str]:
    return [f for f in facts if not fact_present(f, answer_text)]


def fact_recall(facts: Sequence[str], answer_text: str) -> float | None:
    """Share of ``facts`` present in the answer; None when there are no facts."""
    if not facts:
        return None
    return 1.0 - len(facts_missing(facts, answer_text)) / len(facts)


# --------------------------------------------------------------------------- citations, abstention


def citation_precision(cited_texts: Sequence[str], evidence: Sequence[str]) -> float | None:
    """Share of cited passages that contain an evidence string; None when nothing is cited."""
    if not cited_texts:
        return None
    good = sum(1 for text in cited_texts if any(evidence_found(e, text) for e in evidence))
    return good / len(cited_texts)


def abstention_correct(answerable: bool, abstained: bool) -> bool:
    """Unanswerable questions must be declined, answerable ones must not."""
    return abstained != answerable


def abstention_metrics(items: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """From ``(answerable, abstained)`` pairs: precision, recall, false-abstention rate, accuracy.

    None where the denominator is empty (no abstentions, no unanswerable or no answerable questions).
    """
    pairs = list(items)
    abstained = [a for a in pairs if a[1]]
    unanswerable = [a for a in pairs if not a[0]]
    answerable = [a for a in pairs if a[0]]
    right_declines = sum(1 for ans, abst in pairs if abst and not ans)
    return {
        "abstention_precision": _ratio(right_declines, len(abstained)),
        "abstention_recall": _ratio(right_declines, len(unanswerable)),
        "false_abstention_rate": _ratio(sum(1 for _, abst in answerable if abst), len(answerable)),
        "abstention_accuracy": _ratio(sum(1 for a, b in pairs if abstention_correct(a, b)), len(pairs)),
    }


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


# --------------------------------------------------------------------------- aggregation


@dataclass
class ScoredQuestion:
    """What aggregation needs from one question."""

    lang: str
    type: str
    answerable: bool
    metrics: dict[str, float | None] = field(default_factory=dict)  # per-question values, None = n/a
    abstained: bool | None = None  # None in a retrieval-only run
    latency_retrieval_ms: float | None = None
    latency_answer_ms: float | None = None
    # LLM mode (None when the question was not put to an LLM): the model's answer kept the citation
    # rules (cited, and only passages that exist); the answer shown is the extractive fallback
    llm_rules_kept: bool | None = None
    llm_fell_back: bool | None = None


def mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile_or_none(values: Iterable[float | None], q: float) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.percentile(present, q)) if present else None


def aggregate(items: Sequence[ScoredQuestion], *, with_answers: bool) -> dict[str, float | int | None]:
    """Means over the questions where each metric applies, plus abstention and latency figures."""
    out: dict[str, float | int | None] = {"n": len(items), "n_answerable": sum(1 for i in items if i.answerable)}
    for key in RETRIEVAL_KEYS:
        out[key] = mean_or_none(i.metrics.get(key) for i in items if i.answerable)
    if with_answers:
        for key in ANSWER_KEYS:
            out[key] = mean_or_none(i.metrics.get(key) for i in items if i.answerable)
        out.update(abstention_metrics((i.answerable, bool(i.abstained)) for i in items if i.abstained is not None))
    out["latency_retrieval_p50_ms"] = percentile_or_none((i.latency_retrieval_ms for i in items), 50)
    out["latency_retrieval_p95_ms"] = percentile_or_none((i.latency_retrieval_ms for i in items), 95)
    if with_answers:
        out["latency_answer_p50_ms"] = percentile_or_none((i.latency_answer_ms for i in items), 50)
        out["latency_answer_p95_ms"] = percentile_or_none((i.latency_answer_ms for i in items), 95)
    llm = [i for i in items if i.llm_rules_kept is not None]
    if llm:
        out["n_llm"] = len(llm)
        out["llm_rules_kept"] = sum(1 for i in llm if i.llm_rules_kept) / len(llm)
        out["llm_fallback"] = sum(1 for i in llm if i.llm_fell_back) / len(llm)
    return out


LANG_ORDER = ["vi", "vi-noaccent", "en"]
TYPE_ORDER = ["factoid", "list", "table", "footnote", "paraphrase", "abbreviation", "cross", "target", "unanswerable"]


def ordered_groups(values: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """Known groups in the README's order, then new ones alphabetically."""
    seen = set(values)
    return [v for v in preferred if v in seen] + sorted(seen - set(preferred))


def aggregate_groups(items: Sequence[ScoredQuestion], *, with_answers: bool) -> dict[str, object]:
    """``{"overall": {...}, "by_lang": {lang: {...}}, "by_type": {type: {...}}}``."""
    return {
        "overall": aggregate(items, with_answers=with_answers),
        "by_lang": {
            lang: aggregate([i for i in items if i.lang == lang], with_answers=with_answers)
            for lang in ordered_groups((i.lang for i in items), LANG_ORDER)
        },
        "by_type": {
            typ: aggregate([i for i in items if i.type == typ], with_answers=with_answers)
            for typ in ordered_groups((i.type for i in items), TYPE_ORDER)
        },
    }
