"""Term statistics of the corpus: how many chunks hold each syllable, and each document's vocabulary."""
from __future__ import annotations

import math

from baocao.lang.normalize import canonical_syllable, fold_syllable
from baocao.lang.tokens import is_number, match_tokens, normalize_number, syllable_parts


class TermStats:
    """Document frequencies of syllables over the chunks (term weights), and each document's
    vocabulary (is a question term anywhere in the document?), for folded syllables and for
    syllables with their marks (questions typed with diacritics)."""

    def __init__(self) -> None:
        self.df: dict[bool, dict[str, int]] = {False: {}, True: {}}
        self.doc_tokens: dict[bool, dict[str, set[str]]] = {False: {}, True: {}}
        self.doc_pairs: dict[str, set[tuple[str, str]]] = {}  # adjacent syllables as written, per document
        self.n = 0

    def add(self, doc_id: str, clauses: list[list[str]]) -> None:
        self.n += 1
        numbers = {token for clause in clauses for token in clause if is_number(token)}
        syllables = [part for clause in clauses for token in clause if not is_number(token) for part in syllable_parts(token)]
        for accents, fold in ((False, fold_syllable), (True, canonical_syllable)):
            tokens = {fold(s) for s in syllables} | numbers
            self.doc_tokens[accents].setdefault(doc_id, set()).update(tokens)
            df = self.df[accents]
            for token in tokens:
                df[token] = df.get(token, 0) + 1
        pairs = self.doc_pairs.setdefault(doc_id, set())
        for clause in clauses:
            sequence = _syllable_sequence(clause)
            pairs.update(zip(sequence, sequence[1:]))

    def idf(self, token: str, accents: bool = False) -> float:
        if self.n == 0:
            return 1.0
        return math.log((self.n + 1) / (self.df[accents].get(token, 0) + 0.5))

    def known(self, token: str, accents: bool = False) -> bool:
        return self.n == 0 or token in self.df[accents]

    def in_document(self, doc_id: str, form: tuple[str, ...], accents: bool = False) -> bool | None:
        """None when the document's vocabulary is unknown."""
        tokens = self.doc_tokens[accents].get(doc_id)
        if tokens is None:
            return None
        return all(w in tokens for w in form)

    def mentions(self, name: str) -> bool:
        """Does some document write ``name``, its words side by side (a commune inside a town's
        report)? "Hà Nội" is not mentioned by a text with "Hà" and "nội dung" apart. True when
        nothing is known (no statistics: do not claim a place is missing)."""
        sequence = _syllable_sequence([normalize_number(t) if is_number(t) else t for t in match_tokens(name, True)])
        if self.n == 0 or not sequence:
            return True
        pairs = set(zip(sequence, sequence[1:]))
        return any(
            all(w in tokens for w in sequence) and pairs <= self.doc_pairs.get(doc_id, set())
            for doc_id, tokens in self.doc_tokens[True].items()
        )


def _syllable_sequence(clause: list[str]) -> list[str]:
    return [token if is_number(token) else canonical_syllable(part)
            for token in clause for part in ([token] if is_number(token) else syllable_parts(token))]
