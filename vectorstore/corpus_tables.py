"""What the corpus snapshot learns from the chunks, kept per document so it can change a document at a time.

A :class:`DocumentTables` is one document's share of the corpus tables: the accented forms of
its syllables and syllable pairs (the vocabulary that restores diacritics), its term statistics
(chunk frequencies, vocabulary, adjacent pairs) and the abbreviations it defines. It is made
once, when the document is indexed, from the same clause tokens as the lexical fields.
:class:`CorpusTables` is the sum over the live documents; ``with_changes`` returns a new sum
with some documents' old shares taken out and new ones put in, leaving the old one untouched
(searches still running on the previous snapshot keep reading it). The sum does not keep the
documents' shares (it is persisted, and read by every new reader): whoever takes a document
out passes its old share, read from the document's index entry before it is replaced.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from baocao.lang.abbreviations import learn_abbreviations
from baocao.lang.restore import COMMON_PHRASE_COUNT, FormCounter, Vocabulary
from baocao.lang.tables import word_list
from baocao.lang.tokens import clause_tokens
from baocao.models import Chunk
from vectorstore.term_stats import TermStats, packed_pairs, packed_tokens

# folded syllable (or "a_b" pair) -> accented form -> count; plain dicts, which unpickle several
# times faster than Counters (a reader opening the index reads every document's tables)
FormCounts = dict[str, dict[str, int]]


@dataclass
class DocumentTables:
    doc_id: str
    chunks: int = 0
    unigrams: FormCounts = field(default_factory=dict)
    bigrams: FormCounts = field(default_factory=dict)
    df: dict[bool, dict[str, int]] = field(default_factory=lambda: {False: {}, True: {}})
    tokens: dict[bool, set[str]] = field(default_factory=lambda: {False: set(), True: set()})
    pairs: set[tuple[str, str]] = field(default_factory=set)
    abbreviations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, doc_id: str, bodies: list[list[list[str]]], texts: list[str]) -> DocumentTables:
        """From the clause tokens of each chunk's body (in position order) and the chunks' texts."""
        forms = FormCounter()
        stats = TermStats()
        for clauses in bodies:
            forms.add(clauses)
            stats.add(doc_id, clauses)
        return cls(
            doc_id=doc_id,
            chunks=len(bodies),
            unigrams={k: dict(v) for k, v in forms.unigrams.items()},
            bigrams={k: dict(v) for k, v in forms.bigrams.items()},
            df={accents: dict(stats.df[accents]) for accents in (False, True)},
            tokens={accents: stats.doc_tokens[accents].get(doc_id, set()) for accents in (False, True)},
            pairs=stats.doc_pairs.get(doc_id, set()),
            abbreviations=learn_abbreviations(texts),
        )

    @classmethod
    def of_chunks(cls, doc_id: str, chunks: list[Chunk]) -> DocumentTables:
        texts = [c.search_text or c.text for c in chunks]
        return cls.build(doc_id, [clause_tokens(t) for t in texts], texts)


@dataclass
class CorpusTables:
    """The tables of a set of documents (see the module docstring)."""

    doc_abbreviations: dict[str, dict[str, str]] = field(default_factory=dict)  # one entry per document summed
    unigrams: FormCounts = field(default_factory=dict)
    bigrams: FormCounts = field(default_factory=dict)
    stats: TermStats = field(default_factory=TermStats)

    @classmethod
    def of(cls, tables: Iterable[DocumentTables]) -> CorpusTables:
        return cls().with_changes(removed=[], added=list(tables))

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.doc_abbreviations

    def with_changes(self, removed: list[DocumentTables], added: list[DocumentTables]) -> CorpusTables:
        """A new sum: the shares ``removed`` (documents taken out, and the old versions of those
        re-added) subtracted, ``added`` put in. A document already in the sum can be added again
        only with its old share in ``removed``.

        Dictionaries are copied one level deep and a counter is copied before it changes, so
        ``self`` stays as it was."""
        out = {t.doc_id for t in removed}
        missing = sorted(t.doc_id for t in added if t.doc_id in self and t.doc_id not in out)
        if missing:
            raise ValueError(f"replacing {missing} needs their old shares")
        abbreviations = dict(self.doc_abbreviations)
        unigrams, bigrams = dict(self.unigrams), dict(self.bigrams)
        stats = TermStats()
        stats.n = self.stats.n
        stats.df = {accents: dict(self.stats.df[accents]) for accents in (False, True)}
        stats.doc_tokens = {accents: packed_tokens(self.stats.doc_tokens[accents]) for accents in (False, True)}
        stats.doc_pairs = packed_pairs(self.stats.doc_pairs)
        copied: set[tuple[int, str]] | None = set() if self.doc_abbreviations else None  # None: every counter is new, ours
        for old in removed:
            if abbreviations.pop(old.doc_id, None) is None:
                continue  # not in this sum
            _merge(unigrams, old.unigrams, -1, copied, 0)
            _merge(bigrams, old.bigrams, -1, copied, 1)
            stats.n -= old.chunks
            for accents in (False, True):
                df = stats.df[accents]
                for token, count in old.df[accents].items():
                    left = df.get(token, 0) - count
                    if left > 0:
                        df[token] = left
                    else:
                        df.pop(token, None)
                stats.doc_tokens[accents].pop(old.doc_id, None)
            stats.doc_pairs.pop(old.doc_id, None)
        for new in added:
            abbreviations[new.doc_id] = new.abbreviations
            _merge(unigrams, new.unigrams, 1, copied, 0)
            _merge(bigrams, new.bigrams, 1, copied, 1)
            stats.n += new.chunks
            for accents in (False, True):
                df = stats.df[accents]
                for token, count in new.df[accents].items():
                    df[token] = df.get(token, 0) + count
                stats.doc_tokens[accents][new.doc_id] = new.tokens[accents]
            stats.doc_pairs[new.doc_id] = new.pairs
        return CorpusTables(abbreviations, unigrams, bigrams, stats)

    def abbreviations(self) -> dict[str, str]:
        """The first definition of each abbreviation, reading the documents in id order."""
        found: dict[str, str] = {}
        for doc_id in sorted(self.doc_abbreviations):
            for abbreviation, expansion in self.doc_abbreviations[doc_id].items():
                found.setdefault(abbreviation, expansion)
        return found

    def vocabulary(self) -> Vocabulary:
        """The most frequent accented form of each folded syllable and pair, the common phrases
        counted in (ties go to the form that sorts first, so the result does not depend on the
        order documents came in)."""
        phrases = _common_phrases()
        return Vocabulary(
            unigrams=_best_forms(self.unigrams, phrases.unigrams),
            bigrams=_best_forms(self.bigrams, phrases.bigrams),
            folded_counts={k: sum(c.values()) for k, c in self.unigrams.items()},
        )


def _merge(into: FormCounts, part: FormCounts, sign: int, copied: set[tuple[int, str]] | None, which: int) -> None:
    if copied is None and sign > 0:  # summing from nothing: no earlier sum shares these counters
        for key, forms in part.items():
            current = into.get(key)
            if current is None:
                into[key] = dict(forms)
            else:
                for form, count in forms.items():
                    current[form] = current.get(form, 0) + count
        return
    copied = set() if copied is None else copied
    for key, forms in part.items():
        mark = (which, key)
        current = into.get(key)
        if current is None:
            if sign > 0:
                into[key] = dict(forms)
                copied.add(mark)
            continue
        if mark not in copied:
            current = into[key] = dict(current)
            copied.add(mark)
        for form, count in forms.items():
            left = current.get(form, 0) + sign * count
            if left > 0:
                current[form] = left
            else:
                current.pop(form, None)
        if not current:
            del into[key]


def _best_forms(counts: FormCounts, extra: dict[str, Counter[str]]) -> dict[str, tuple[str, int]]:
    best: dict[str, tuple[str, int]] = {}
    for key in counts.keys() | extra.keys():
        forms = counts.get(key, {})
        if key in extra:
            forms = dict(forms)
            for form, count in extra[key].items():
                forms[form] = forms.get(form, 0) + count
        if forms:
            form, count = min(forms.items(), key=lambda item: (-item[1], item[0]))
            best[key] = (form, count)
    return best


_PHRASES: list[FormCounter] = []


def _common_phrases() -> FormCounter:
    if not _PHRASES:
        counter = FormCounter()
        for phrase in word_list("common_phrases.txt"):
            counter.add(clause_tokens(phrase), COMMON_PHRASE_COUNT)
        _PHRASES.append(counter)
    return _PHRASES[0]
