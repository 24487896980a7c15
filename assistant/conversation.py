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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from baocao.lang.detect import Lang, detect_language
from baocao.lang.normalize import fold_accents, fold_syllable, nfc
from baocao.lang.periods import years_in
from baocao.lang.places import level_syllables, levels
from baocao.lang.questions import english_stopwords, followup_words, opens_followup, stopwords
from baocao.lang.tokens import folded_words

# The store's places a text names, as the store spells them (vectorstore.query.find_localities).
PlaceFinder = Callable[[str], list[str]]


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


SHORT_FOLLOW_UP_WORDS = 8
# Folded level words that may stand before a place name ("thị xã Hương Trà", "TP. Hải Dương"), longest first.
_LEVEL_PREFIXES = sorted(
    {p for level in levels() for s in (*level.folded, *level.abbreviations) for p in (s, s + ".")}, key=len, reverse=True
)


def topic_words(text: str, localities: list[str]) -> str:
    """The question's topic: its words without places, years and question/follow-up words."""
    place_words = {w for loc in localities for w in folded_words(loc)}
    ignored = followup_words() | stopwords(False) | english_stopwords()
    kept: list[str] = []
    for token in re.findall(r"[^\W\d_]+(?:[-/][^\W\d_]+)*", nfc(text)):
        folded = fold_syllable(token)
        if folded in place_words or folded in ignored or fold_accents(token) in ignored:
            continue
        if folded in level_syllables():
            continue
        kept.append(token)
    return " ".join(kept)


def resolve_followup(question: str, history: list[Turn] | None, find_places: PlaceFinder) -> Resolved:
    question = nfc(question).strip()
    localities = find_places(question)
    years = sorted(years_in(question))
    lang = detect_language(question)
    topic = topic_words(question, localities)
    if not history:
        return Resolved(question, localities, years, topic, lang)
    prev = history[-1]
    words = re.findall(r"\w+", fold_accents(question))
    short = len(words) <= SHORT_FOLLOW_UP_WORDS
    cue = opens_followup(question) or bool(re.search(r"\bthi sao\b|\bthe nao\b|\?$", question) and short)
    if not (short or cue):
        return Resolved(question, localities, years, topic, lang)
    if not re.search(r"[^\W\d_]", question):
        lang = prev.lang  # "2024?" says nothing about the language
    elif lang == "vi-noaccent" and _mostly_english(words):
        lang = "en"  # "and in 2024?": too short for the detector; its words are English ones
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
    standalone = _replace_localities(standalone, prev.localities, new_localities, find_places)
    standalone = _replace_years(standalone, prev.years, new_years)
    return Resolved(standalone, new_localities, new_years, prev.topic, lang, carried)


def _mostly_english(words: list[str]) -> bool:
    letters = [w for w in words if not w.isdigit()]
    return bool(letters) and sum(1 for w in letters if w in english_stopwords()) * 2 >= len(letters)


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


def _replace_localities(text: str, old: list[str], new: list[str], find_places: PlaceFinder) -> str:
    if not new or old == new:
        return text
    named = old or find_places(text)
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
            for level in _LEVEL_PREFIXES:
                if fold_accents(before[-len(level):]) == level and (
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
