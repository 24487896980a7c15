"""Follow-up questions without an LLM: carry the previous turn's locality, period and topic by rule.

- a follow-up that names a new locality replaces the locality ("còn Hải Dương thì sao?");
- one that names only a new year replaces the year ("and in 2024?");
- a short follow-up with its own topic but no place or year keeps the previous place and year
  ("chỉ tiêu nào đạt?");
- a short follow-up without a topic inherits the previous question's topic.
A long question that names its own place or topic is a new question and carries nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.question import EN_STOPWORDS, LEVEL_WORDS, VI_STOPWORDS, Lang, detect_language, find_localities
from assistant.units import years_in
from baocao.text import fold_accents, folded_tokens, nfc


@dataclass
class Turn:
    """One exchange of a conversation, as the next question needs it."""

    question: str  # as the user typed it
    answer: str = ""  # the answer text
    standalone: str = ""  # the question as it was answered (follow-up resolved)
    localities: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    topic: str = ""  # the question's topic words (without place, period and question words)
    lang: Lang = "vi"
    info: Any = None  # the retriever's QueryInfo for ``standalone``, when there was one

    @property
    def resolved(self) -> str:
        return self.standalone or self.question

    @classmethod
    def from_answer(cls, question: str, answer: Any) -> Turn:
        """The turn for an :class:`assistant.types.Answer` (uses the context it records)."""
        context = dict(getattr(answer, "context", {}) or {})
        return cls(
            question=question,
            answer=str(getattr(answer, "text", "")),
            standalone=str(getattr(answer, "standalone", "") or question),
            localities=list(context.get("localities", [])),
            years=[int(y) for y in context.get("years", [])],
            topic=str(context.get("topic", "")),
            lang=context.get("lang", "vi"),
        )


@dataclass
class Resolved:
    question: str  # standalone question to search and answer
    localities: list[str]
    years: list[int]
    topic: str
    lang: Lang
    carried: list[str] = field(default_factory=list)  # what came from the previous turn


_FOLLOW_UP_START = re.compile(
    r"^(?:con|the con|vay con|va|con o|the|vay|and|what about|how about|same for|and for|and in|in|for|o)\b"
)
_FOLLOW_UP_WORDS = set(
    """
    con thi sao the nao vay ra sao and what about how same for in the then thi o tai nam thang
    nhu the nao luc do do nay kia it that there those them also too
    """.split()
)
SHORT_FOLLOW_UP_WORDS = 8


def topic_words(text: str, localities: list[str]) -> str:
    """The question's topic: its words without places, years and question/follow-up words."""
    place_words = {w for loc in localities for w in folded_tokens(loc)}
    kept: list[str] = []
    for token in re.findall(r"[^\W\d_]+(?:[-/][^\W\d_]+)*", nfc(text)):
        folded = fold_accents(token)
        if folded in place_words or folded in _FOLLOW_UP_WORDS or folded in VI_STOPWORDS or folded in EN_STOPWORDS:
            continue
        if (folded,) in LEVEL_WORDS and folded != "quan":
            continue
        kept.append(token)
    return " ".join(kept)


def resolve_followup(question: str, history: list[Turn] | None, known_localities: list[str]) -> Resolved:
    question = nfc(question).strip()
    localities = find_localities(question, known_localities)
    years = sorted(years_in(question))
    lang = detect_language(question)
    topic = topic_words(question, localities)
    if not history:
        return Resolved(question, localities, years, topic, lang)
    prev = history[-1]
    words = re.findall(r"\w+", fold_accents(question))
    short = len(words) <= SHORT_FOLLOW_UP_WORDS
    cue = bool(_FOLLOW_UP_START.match(" ".join(words))) or bool(re.search(r"\bthi sao\b|\bthe nao\b|\?$", question) and short)
    if not (short or cue):
        return Resolved(question, localities, years, topic, lang)
    if not re.search(r"[^\W\d_]", question):
        lang = prev.lang  # "2024?" says nothing about the language
    carried: list[str] = []
    new_localities = localities or list(prev.localities)
    if not localities and prev.localities:
        carried.append("locality")
    new_years = years or list(prev.years)
    if not years and prev.years:
        carried.append("period")
    own_topic = _has_own_topic(topic)
    if own_topic:
        standalone = _with_place_and_period(question, localities, years, new_localities, new_years, lang)
        return Resolved(standalone, new_localities, new_years, topic, lang, carried)
    carried.append("topic")
    standalone = prev.resolved
    standalone = _replace_localities(standalone, prev.localities, new_localities, known_localities)
    standalone = _replace_years(standalone, prev.years, new_years)
    return Resolved(standalone, new_localities, new_years, prev.topic, lang, carried)


def _has_own_topic(topic: str) -> bool:
    return len(topic.split()) >= 1 and any(len(w) > 1 for w in topic.split())


def _with_place_and_period(
    question: str, own_localities: list[str], own_years: list[int], localities: list[str], years: list[int], lang: Lang
) -> str:
    extra: list[str] = []
    if localities and not own_localities:
        extra.append(", ".join(localities))
    if years and not own_years:
        extra.append(("năm " if lang != "en" else "") + ", ".join(str(y) for y in years))
    if not extra:
        return question
    body = question.rstrip(" ?")
    joiner = " in " if lang == "en" else " – "
    return f"{body}{joiner}{', '.join(extra)}?"


def _word_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), fold_accents(m.group(0))) for m in re.finditer(r"\w+", text)]


def _replace_localities(text: str, old: list[str], new: list[str], known: list[str]) -> str:
    if not new or old == new:
        return text
    named = old or find_localities(text, known)
    if not named:
        return f"{text.rstrip(' ?')} – {', '.join(new)}?"
    replacement = ", ".join(new)
    for i, name in enumerate(named):
        text = _replace_words(text, name, replacement if i == 0 else "")
    return re.sub(r"\s+,|,\s*,", ",", re.sub(r"\s{2,}", " ", text)).strip()


def _replace_words(text: str, name: str, replacement: str) -> str:
    """Replace a name written with or without diacritics, and the level word before it."""
    needle = [fold_accents(w) for w in re.findall(r"\w+", name)]
    spans = _word_spans(text)
    for i in range(len(spans) - len(needle) + 1):
        if [s[2] for s in spans[i : i + len(needle)]] == needle:
            start, end = spans[i][0], spans[i + len(needle) - 1][1]
            # "thị xã Hương Trà" -> the new name alone (its level may differ)
            before = text[:start].rstrip()
            for level in ("thành phố", "thanh pho", "thị xã", "thi xa", "huyện", "huyen", "tp.", "tp", "TP.", "TP", "tỉnh"):
                if fold_accents(before[-len(level):]).lower() == fold_accents(level).lower() and (
                    len(before) == len(level) or not before[-len(level) - 1].isalnum()
                ):
                    start = len(before) - len(level)
                    break
            return text[:start] + replacement + text[end:]
    return text


def _replace_years(text: str, old: list[int], new: list[int]) -> str:
    if not new or old == new:
        return text
    if not old:
        return f"{text.rstrip(' ?')} – năm {', '.join(str(y) for y in new)}?"
    for i, year in enumerate(old):
        text = re.sub(rf"(?<!\d){year}(?!\d)", str(new[0]) if i == 0 else str(new[min(i, len(new) - 1)]), text)
    return text
