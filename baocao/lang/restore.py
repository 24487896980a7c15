"""Putting diacritics back on a question typed without them, from a corpus's own usage."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from baocao.lang.normalize import fold_accents, fold_syllable, nfc
from baocao.lang.tables import word_list
from baocao.lang.tokens import clause_tokens, is_number

COMMON_PHRASE_COUNT = 3  # weight of a common phrase (data/common_phrases.txt) next to the corpus's own counts


@dataclass
class Vocabulary:
    """Accented forms of folded syllables and syllable pairs, with how often each was seen."""

    unigrams: dict[str, tuple[str, int]] = field(default_factory=dict)  # folded -> (form, count)
    bigrams: dict[str, tuple[str, int]] = field(default_factory=dict)  # "a_b" -> ("á b", count)
    folded_counts: dict[str, int] = field(default_factory=dict)

    def knows(self, folded_syllable: str) -> bool:
        return folded_syllable in self.folded_counts

    def restore(self, text: str) -> str:
        """Put diacritics back on a query typed without them.

        Each unaccented word takes the form voted for by the syllable pairs it is part of
        (with its left and right neighbours, weighted by how often the corpus writes each
        pair), else its own most frequent form. Words the corpus never saw (numbers, names,
        English words) and words typed with diacritics stay as typed.
        """
        tokens = re.findall(r"\w+(?:[.,/]\w+)*|\W+", nfc(text))
        positions = [i for i, t in enumerate(tokens) if re.match(r"\w", t)]
        restored = list(tokens)
        for j, i in enumerate(positions):
            word = tokens[i]
            if _has_marks(word) or is_number(word):
                continue
            votes: Counter[str] = Counter()
            if j > 0 and _adjacent(tokens, positions[j - 1], i):
                pair = self.bigrams.get(f"{fold_syllable(tokens[positions[j - 1]])}_{fold_syllable(word)}")
                if pair:
                    votes[pair[0].split(" ")[1]] += pair[1]
            if j + 1 < len(positions) and _adjacent(tokens, i, positions[j + 1]):
                pair = self.bigrams.get(f"{fold_syllable(word)}_{fold_syllable(tokens[positions[j + 1]])}")
                if pair:
                    votes[pair[0].split(" ")[0]] += pair[1]
            if votes:
                restored[i] = _same_case(word, votes.most_common(1)[0][0])
            elif fold_syllable(word) in self.unigrams:
                restored[i] = _same_case(word, self.unigrams[fold_syllable(word)][0])
        return "".join(restored)


def written_casing(text: str, names: Iterable[str]) -> str:
    """A restored question cased as it would be written: its first letter a capital, and each of
    ``names`` (places the corpus knows, as it writes them) that it holds in any case or accents
    written as the name is ("hải dương" -> "Hải Dương")."""
    words = list(re.finditer(r"\w+", text))
    folded = [fold_syllable(m.group()) for m in words]
    out = list(text)
    for name in names:
        name_words = re.findall(r"\w+", name)
        key = [fold_syllable(w) for w in name_words]
        if not key:
            continue
        for start in range(len(words) - len(key) + 1):
            if folded[start : start + len(key)] == key:
                for m, written in zip(words[start : start + len(key)], name_words, strict=True):
                    if len(written) == len(m.group()):
                        out[m.start() : m.end()] = written
    cased = "".join(out)
    return cased[:1].upper() + cased[1:]


def _adjacent(tokens: list[str], left: int, right: int) -> bool:
    """Two words form a pair when only spaces lie between them (no punctuation)."""
    return right == left + 2 and tokens[left + 1].strip() == ""


def _has_marks(word: str) -> bool:
    return fold_accents(word) != word.lower()


def _same_case(typed: str, form: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    if typed[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


class FormCounter:
    """Counts the accented forms of each folded syllable and syllable pair."""

    def __init__(self) -> None:
        self.unigrams: dict[str, Counter[str]] = defaultdict(Counter)
        self.bigrams: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, clauses: list[list[str]], weight: int = 1) -> None:
        for clause in clauses:
            syllables = [t if not is_number(t) and "-" not in t and "/" not in t else "" for t in clause]
            for syllable in syllables:
                if syllable:
                    self.unigrams[fold_syllable(syllable)][syllable] += weight
            for a, b in zip(syllables, syllables[1:]):
                if a and b:
                    self.bigrams[f"{fold_syllable(a)}_{fold_syllable(b)}"][f"{a} {b}"] += weight

    def vocabulary(self) -> Vocabulary:
        corpus_syllables = {k: sum(c.values()) for k, c in self.unigrams.items()}
        for phrase in word_list("common_phrases.txt"):
            self.add(clause_tokens(phrase), COMMON_PHRASE_COUNT)
        return Vocabulary(
            unigrams={k: c.most_common(1)[0] for k, c in self.unigrams.items()},
            bigrams={k: c.most_common(1)[0] for k, c in self.bigrams.items()},
            folded_counts=corpus_syllables,
        )


def learn_vocabulary(texts: Iterable[str]) -> Vocabulary:
    counter = FormCounter()
    for text in texts:
        counter.add(clause_tokens(text))
    return counter.vocabulary()
