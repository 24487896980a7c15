"""Term statistics of the corpus: how many chunks hold each syllable, and each document's vocabulary."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, Generic, TypeVar

from baocao.lang.normalize import canonical_syllable, fold_syllable, has_diacritics
from baocao.lang.tokens import is_number, match_tokens, normalize_number, syllable_parts


class TermStats:
    """Document frequencies of syllables over the chunks (term weights), and each document's
    vocabulary (is a question term anywhere in the document?), for folded syllables and for
    syllables with their marks (questions typed with diacritics).

    How many documents hold each folded syllable (:meth:`document_share`) is counted once, at the
    first call, and kept until :meth:`add` changes the statistics. A snapshot's statistics are not
    changed once read (:meth:`vectorstore.corpus_tables.CorpusTables.with_changes` builds new ones
    and fills ``doc_tokens`` before anyone reads them)."""

    _document_counts: dict[str, int] | None = None  # folded syllable -> documents holding it (None: not counted yet)
    _folded_pairs: dict[str, set[tuple[str, str]]] | None = None  # doc_id -> its pairs folded (filled as asked)

    def __init__(self) -> None:
        self.df: dict[bool, dict[str, int]] = {False: {}, True: {}}
        self.doc_tokens: dict[bool, MutableMapping[str, set[str]]] = {False: {}, True: {}}
        self.doc_pairs: MutableMapping[str, set[tuple[str, str]]] = {}  # adjacent syllables as written, per document
        self.n = 0

    def add(self, doc_id: str, clauses: list[list[str]]) -> None:
        self.n += 1
        self._document_counts = None
        self._folded_pairs = None
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

    def document_share(self, token: str) -> float:
        """Share of the documents whose text holds ``token`` (folded): near 1 for the boilerplate
        every plan repeats ("căn cứ", "tổ chức thực hiện"), small for the words that name one."""
        documents = self.doc_tokens[False]
        if not documents:
            return 0.0
        if self._document_counts is None:
            counts: dict[str, int] = {}
            for doc_id in documents:
                for held in documents[doc_id]:
                    counts[held] = counts.get(held, 0) + 1
            self._document_counts = counts
        return self._document_counts.get(token, 0) / len(documents)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_document_counts", None)  # derived: counted again after loading
        state.pop("_folded_pairs", None)
        return state

    def in_document(self, doc_id: str, form: tuple[str, ...], accents: bool = False) -> bool | None:
        """None when the document's vocabulary is unknown."""
        tokens = self.doc_tokens[accents].get(doc_id)
        if tokens is None:
            return None
        return all(w in tokens for w in form)

    def writes(self, doc_id: str, form: tuple[str, ...], accents: bool = False) -> bool | None:
        """Does the document write ``form`` (matching syllables) with its syllables side by side?
        "thất nghiệp" is not written by a text with "thất thu" and "nông nghiệp" only. None when
        the document's vocabulary is unknown."""
        tokens = self.doc_tokens[accents].get(doc_id)
        if tokens is None:
            return None
        if not all(w in tokens for w in form):
            return False
        if len(form) < 2:
            return True
        if accents:
            written = self.doc_pairs.get(doc_id, set())
        else:
            if self._folded_pairs is None:
                self._folded_pairs = {}
            if doc_id not in self._folded_pairs:
                self._folded_pairs[doc_id] = {(fold_syllable(a), fold_syllable(b)) for a, b in self.doc_pairs.get(doc_id, set())}
            written = self._folded_pairs[doc_id]
        return set(zip(form, form[1:])) <= written

    def mentions(self, name: str) -> bool:
        """Does some document write ``name``, its words side by side (a commune inside a town's
        report)? "Hà Nội" is not mentioned by a text with "Hà" and "nội dung" apart; a name typed
        without diacritics ("Xa Thinh Minh" in an English question) is matched folded. True when
        nothing is known (no statistics: do not claim a place is missing)."""
        writing = self.mentioning(name)
        return writing is None or bool(writing)

    def mentioning(self, name: str) -> set[str] | None:
        """The documents that write ``name`` (as :meth:`mentions` reads it); None when nothing is known."""
        accents = has_diacritics(name)
        sequence = _syllable_sequence([normalize_number(t) if is_number(t) else t for t in match_tokens(name, True)])
        if not accents:
            sequence = [fold_syllable(s) for s in sequence]
        if self.n == 0 or not sequence:
            return None
        return {doc_id for doc_id in self.doc_tokens[accents] if self.writes(doc_id, tuple(sequence), accents)}


def _syllable_sequence(clause: list[str]) -> list[str]:
    return [token if is_number(token) else canonical_syllable(part)
            for token in clause for part in ([token] if is_number(token) else syllable_parts(token))]


Item = TypeVar("Item")


class PackedSets(MutableMapping[str, set[Item]], Generic[Item]):
    """doc_id -> a set, each entry kept as one packed string until it is read (then both kept).

    The corpus tables hold every document's vocabulary and pairs; a reader that loads them from
    disk unpickles one string per document instead of millions of small objects, and unpacks a
    document's set when a question asks about it. Pickled packed; ``copy`` shares the entries.
    The sets are not changed once stored (a changed document is stored again)."""

    def __init__(self, pack: Callable[[set[Item]], str], unpack: Callable[[str], set[Item]],
                 items: Mapping[str, set[Item]] | None = None) -> None:
        self._pack, self._unpack = pack, unpack
        self._packed: dict[str, str] = {}
        self._sets: dict[str, set[Item]] = {}
        for key, value in (items or {}).items():
            self[key] = value

    def __getitem__(self, key: str) -> set[Item]:
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = self._unpack(self._packed[key])
        return found

    def __setitem__(self, key: str, value: set[Item]) -> None:
        self._sets[key] = value
        self._packed.pop(key, None)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._sets.pop(key, None)
        self._packed.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._sets or key in self._packed

    def __iter__(self) -> Iterator[str]:
        return iter(self._sets.keys() | self._packed.keys())

    def __len__(self) -> int:
        return len(self._sets.keys() | self._packed.keys())

    def copy(self) -> PackedSets[Item]:
        copied = PackedSets(self._pack, self._unpack)
        copied._packed, copied._sets = dict(self._packed), dict(self._sets)
        return copied

    def __getstate__(self) -> dict[str, Any]:
        for key, value in self._sets.items():
            if key not in self._packed:
                self._packed[key] = self._pack(value)
        return {"pack": self._pack, "unpack": self._unpack, "packed": self._packed}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._pack, self._unpack = state["pack"], state["unpack"]
        self._packed, self._sets = state["packed"], {}


def pack_tokens(tokens: set[str]) -> str:
    return "\n".join(tokens)


def unpack_tokens(text: str) -> set[str]:
    return set(text.split("\n")) if text else set()


def pack_pairs(pairs: set[tuple[str, str]]) -> str:
    return "\n".join(f"{a}\t{b}" for a, b in pairs)


def unpack_pairs(text: str) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for line in text.split("\n") if text else []:
        a, _, b = line.partition("\t")
        pairs.add((a, b))
    return pairs


def packed_tokens(mapping: MutableMapping[str, set[str]]) -> PackedSets[str]:
    """A copy of ``mapping`` as packed sets (sharing the entries of one that already is)."""
    return mapping.copy() if isinstance(mapping, PackedSets) else PackedSets(pack_tokens, unpack_tokens, mapping)


def packed_pairs(mapping: MutableMapping[str, set[tuple[str, str]]]) -> PackedSets[tuple[str, str]]:
    return mapping.copy() if isinstance(mapping, PackedSets) else PackedSets(pack_pairs, unpack_pairs, mapping)
