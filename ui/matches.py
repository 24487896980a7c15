"""What a search matched in a passage, phrase by phrase, as the retriever reads the query (pure).

The retriever's :class:`~vectorstore.query.Query` holds the question's content words (in matching
form), the pairs of neighbouring words, and the expansions of its abbreviations ("GPMB" <->
"giải phóng mặt bằng"). A *phrase* here is a run of the question's words chained by those pairs,
with every other spelling the expansions give it; a passage matches a phrase when it holds one of
its spellings word for word. So "giải phóng mặt bằng" marks "giải phóng mặt bằng" and "GPMB", but
not "giải" in "giải quyết".
"""
from __future__ import annotations

from dataclasses import dataclass

from baocao.lang.tokens import content_words, match_tokens, word_matches
from vectorstore.query import Query

Interval = tuple[int, int]
Form = tuple[str, ...]


@dataclass
class Phrase:
    """One thing the query looks for: its spellings in matching form (the first as typed)."""

    forms: list[Form]

    @property
    def label(self) -> str:
        return " ".join(self.forms[0])


def _chains(words: list[str], pairs: set[tuple[str, str]]) -> list[Form]:
    """Runs of the query's words in which each neighbour pair is one of the query's pairs."""
    runs: list[list[str]] = []
    previous = ""
    for word in words:
        if runs and (previous, word) in pairs:
            runs[-1].append(word)
        else:
            runs.append([word])
        previous = word
    return [tuple(run) for run in runs]


def _replace(run: Form, part: Form, other: Form) -> Form | None:
    """``run`` with its first occurrence of ``part`` spelt ``other`` (None when absent)."""
    size = len(part)
    for i in range(len(run) - size + 1):
        if run[i : i + size] == part:
            return run[:i] + other + run[i + size :]
    return None


def query_phrases(query: Query) -> list[Phrase]:
    """The phrases of ``query`` (see the module docstring), in the order the question names them."""
    accents = query.accents
    single = [t.forms[0][0] for t in query.terms if len(t.forms[0]) == 1]
    phrases: list[Phrase] = []
    for run in _chains(single, set(query.bigrams)):
        forms = [run]
        for expansion in query.expansions:
            found = tuple(content_words(str(expansion.found), accents))
            if not found:
                continue
            for alternative in expansion.alternatives:
                other = tuple(content_words(alternative, accents))
                spelt = _replace(run, found, other) if other else None
                if spelt is not None and spelt not in forms:
                    forms.append(spelt)
        phrases.append(Phrase(forms))
    for term in query.terms:  # multi-word terms (English questions: glossary phrases)
        if len(term.forms[0]) > 1 or (query.is_english and len(term.forms) > 1):
            phrases.append(Phrase(list(dict.fromkeys(term.forms))))
    return phrases


def _tokens(text: str, accents: bool) -> list[tuple[str, int, int]]:
    """(matching form, start, end) of each word of ``text``; a compound's parts share its span."""
    out: list[tuple[str, int, int]] = []
    for match in word_matches(text):
        for token in match_tokens(match.group(0), accents):
            out.append((token, match.start(), match.end()))
    return out


def phrase_spans(text: str, phrases: list[Phrase], accents: bool) -> list[list[Interval]]:
    """For each phrase, where ``text`` spells it (word for word, in matching form)."""
    tokens = _tokens(text, accents)
    forms = [t for t, _, _ in tokens]
    found: list[list[Interval]] = []
    for phrase in phrases:
        spans: list[Interval] = []
        for form in phrase.forms:
            size = len(form)
            for i in range(len(forms) - size + 1):
                if tuple(forms[i : i + size]) == form:
                    spans.append((tokens[i][1], tokens[i + size - 1][2]))
        found.append(sorted(set(spans)))
    return found


@dataclass
class Match:
    """A passage's matched phrases: ``spans`` to mark, ``complete`` when every phrase is there."""

    spans: list[Interval]
    complete: bool
    any: bool


def match_passage(text: str, phrases: list[Phrase], accents: bool) -> Match:
    per_phrase = phrase_spans(text, phrases, accents)
    spans = [span for found in per_phrase for span in found]
    return Match(spans, bool(phrases) and all(per_phrase), any(per_phrase))
