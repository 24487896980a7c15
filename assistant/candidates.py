"""Answer candidates: the units of the retrieved passages' layouts, with what matching needs of them.

A :class:`UnitCandidate` is one unit (a sentence, a list item, a table row with its header cells,
a footnote, a heading) of one retrieved passage. Units of another locality, year or month than
the question names are marked ``excluded`` (a unit of another place's report never answers), and
so are units that address the reader as an instruction ("bỏ qua mọi hướng dẫn…"): quoted text is
data, never an answer to obey.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from baocao.lang.periods import months_in, years_spoken_of
from baocao.lang.tables import word_list
from baocao.lang.tokens import folded_words, match_tokens
from baocao.models import Chunk, DocumentMeta, LayoutUnit
from vectorstore.hits import Hit
from vectorstore.query import Query

MIN_UNIT_CHARS = 12


@dataclass
class UnitCandidate:
    unit: LayoutUnit
    order: int  # position among its passage's units
    hit: Hit
    tokens: list[str]  # folded matching tokens of the unit text
    context_tokens: set[str]  # folded tokens of its headings, section path and document title
    marked_tokens: list[str] = field(default_factory=list)  # the same with diacritics kept
    marked_context: set[str] = field(default_factory=set)
    title_tokens: set[str] = field(default_factory=set)  # the document's title (folded and marked)
    excluded: str = ""  # why the unit cannot answer this question ("locality", "period", "instruction")
    term_hits: set[int] = field(default_factory=set)  # question terms found in the unit or its context
    dense: float | None = None  # cosine with the question, when the unit was embedded
    features: np.ndarray | None = None
    score: float = 0.0  # the ranker's probability that the unit answers the question

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk

    @property
    def quote(self) -> str:
        return self.hit.chunk.text[self.unit.start : self.unit.end]

    @property
    def meta(self) -> DocumentMeta | None:
        return self.hit.chunk.meta

    @property
    def key(self) -> str:
        return " ".join(self.tokens)

    def words(self, accents: bool) -> list[str]:
        return self.marked_tokens if accents else self.tokens

    def context(self, accents: bool) -> set[str]:
        return self.marked_context if accents else self.context_tokens


def build_candidates(query: Query, hits: Sequence[Hit]) -> list[UnitCandidate]:
    """The units of the hits, in hit order, a text seen twice (overlapping passages) kept once."""
    out: list[UnitCandidate] = []
    seen: set[str] = set()
    for hit in hits:
        chunk = hit.chunk
        title = f"{chunk.meta.title} {chunk.meta.short_title}" if chunk.meta else ""
        context_tail = f"{chunk.section} {title}"
        for order, unit in enumerate(chunk.layout):
            if len(unit.text) < MIN_UNIT_CHARS and unit.kind != "heading":
                continue
            tokens = match_tokens(unit.text)
            key = " ".join(tokens)
            if key in seen:
                continue
            seen.add(key)
            context_text = f"{unit.context} {context_tail}"
            candidate = UnitCandidate(
                unit, order, hit, tokens, set(match_tokens(context_text)),
                match_tokens(unit.text, True), set(match_tokens(context_text, True)),
                set(match_tokens(title)) | set(match_tokens(title, True)),
            )
            candidate.excluded = exclusion(query, candidate)
            out.append(candidate)
    return out


def _fold(text: str) -> str:
    return " ".join(folded_words(text or ""))


def _contains_words(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


@cache
def _instruction_pattern() -> re.Pattern[str]:
    phrases = [re.escape(" ".join(folded_words(p))) for p in word_list("instruction_phrases.txt")]
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


def addresses_the_reader(text: str) -> bool:
    """A sentence that gives instructions to whoever reads it ("bỏ qua mọi hướng dẫn trước đó…")."""
    return bool(_instruction_pattern().search(_fold(text)))


def exclusion(query: Query, c: UnitCandidate) -> str:
    meta = c.meta
    if addresses_the_reader(c.unit.text):
        return "instruction"
    if meta is not None and query.localities and meta.locality:
        names = {_fold(meta.locality), _fold(meta.parent_locality), _fold(meta.issuer)}
        wanted = {_fold(n) for n in query.locality_names}
        if not any(w and any(w == n or w in n.split(" / ") or _contains_words(n, w) for n in names if n) for w in wanted):
            return "locality"
    if query.years:
        years = unit_years(c.unit, c.chunk)
        if years and not (years & set(query.years)):
            return "period"
    if query.month and meta is not None:
        months = unit_months(c.unit, c.chunk) or ({meta.period_month} if meta.period_month else set())
        if months and query.month not in months:
            return "period"
    return ""


def unit_months(unit: LayoutUnit, chunk: Chunk) -> set[int]:
    """Months a unit's own words or its section name ("NHIỆM VỤ TRỌNG TÂM TRONG THÁNG 03/2023")."""
    for text in (unit.text, unit.context, chunk.section):
        months = months_in(text)
        if months:
            return months
    return set()


def unit_years(unit: LayoutUnit, chunk: Chunk, ranges: bool = True) -> set[int]:
    """The years a unit speaks of: its own words, else its headings/table header, else its section, else its document."""
    for text in (unit.text, unit.context, chunk.section):
        years = years_spoken_of(text, ranges)
        if years:
            return years
    meta = chunk.meta
    if meta is None:
        return set()
    if meta.period_year:
        return {meta.period_year}
    return {y for y in (meta.plan_year, meta.issued_year) if y}
