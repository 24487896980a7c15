"""The lexical leg: :class:`BM25Index`, a :class:`baocao.protocols.LexicalIndex` over chunks.

Each chunk is analysed into three fields, each scored with its own BM25 statistics:

- ``exact``: lower-cased syllables with their diacritics, and whole numbers ("29/38", "1.484");
- ``folded``: the same syllables without diacritics ("huong", "tra"), so a query typed without
  accents meets the text, plus the parts of slashed numbers ("02/2023" -> "2", "2023");
- ``bigram``: pairs of adjacent folded syllables ("huong_tra"): most Vietnamese words have two
  syllables, so a bigram is close to a word and far more specific than either syllable.

The index is one sparse matrix (terms x chunks) of precomputed BM25 weights, so a query is a
weighted sum of a few rows. It is built from the live chunks of one store revision, as part of
the corpus snapshot (:mod:`vectorstore.snapshot`), which persists it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from baocao.lang.normalize import fold_syllable
from baocao.lang.tokens import clause_tokens, is_number, syllable_parts
from baocao.models import Chunk
from baocao.protocols import Filters, LexicalField, LexicalMatch, QueryTerm

FIELDS: tuple[LexicalField, ...] = ("exact", "folded", "bigram")
_PREFIX = {"exact": "e:", "folded": "f:", "bigram": "b:"}
BM25_K1 = 1.2
BM25_B = 0.6
# Document context: each chunk also earns ``DOC_WEIGHT`` x the BM25 score of its whole document
# (all its chunks as one text, idf over documents), and a query term's chunk-level weight is
# scaled by how specific the term is inside its own document (``within_document_factor``), so
# the words that name a document ("phòng cháy chữa cháy rừng" in every chunk of a fire plan)
# pick the document and the rest of the query picks the passage in it.
DOC_WEIGHT = 0.0
SPREAD_POWER = 0.0


@dataclass
class Analyzed:
    """The three fields of one text."""

    exact: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    bigram: list[str] = field(default_factory=list)

    def field_terms(self, name: LexicalField) -> list[str]:
        return {"exact": self.exact, "folded": self.folded, "bigram": self.bigram}[name]


def analyze(text: str) -> Analyzed:
    return analyze_clauses(clause_tokens(text))


def analyze_clauses(clauses: list[list[str]]) -> Analyzed:
    result = Analyzed()
    for clause in clauses:
        sequence: list[str] = []  # folded syllables in order, for bigrams
        for token in clause:
            parts = syllable_parts(token)
            result.exact.append(token)
            if len(parts) > 1:
                result.exact.extend(parts)
                result.folded.append(fold_syllable(token))
            for part in parts:
                folded = fold_syllable(part)
                result.folded.append(folded)
                sequence.append(folded)
            if is_number(token) and "/" in token:
                result.folded.extend(token.split("/"))
        result.bigram.extend(f"{a}_{b}" for a, b in zip(sequence, sequence[1:]))
    return result


def chunk_heading(chunk: Chunk) -> str:
    """Indexed with the chunk's text: its section path and its document's short title."""
    short_title = chunk.meta.short_title if chunk.meta else ""
    return "\n".join(part for part in (chunk.section, short_title) if part)


# --------------------------------------------------------------------------- the index


def describe_matches(terms: list[QueryTerm]) -> list[str]:
    """Matched terms as a reader would say them: adjacent pairs joined into phrases, phrases first."""
    phrases: list[tuple[int, int, list[str]]] = []  # (start, end, words)
    for term in sorted((t for t in terms if t.field == "bigram"), key=lambda t: t.position):
        first, second = (term.label.split(" ", 1) + [""])[:2]
        if phrases and phrases[-1][1] == term.position:
            start, _, words = phrases[-1]
            phrases[-1] = (start, term.position + 1, words + [second])
        elif not phrases or phrases[-1][1] < term.position:
            phrases.append((term.position, term.position + 1, [first, second]))
    covered = {p for start, end, _ in phrases for p in range(start, end + 1)}
    singles: dict[int, QueryTerm] = {}  # one label per query position, the exact form first
    for term in sorted((t for t in terms if t.field != "bigram"), key=lambda t: (t.position, t.field != "exact")):
        if term.position not in covered:
            singles.setdefault(term.position, term)
    labels = [" ".join(words) for _, _, words in sorted(phrases, key=lambda p: -len(p[2]))]
    labels += [t.label for _, t in sorted(singles.items())]
    return list(dict.fromkeys(labels))


@dataclass
class BM25Index:
    """BM25 over three analyses of each chunk (see the module docstring)."""

    revision: str  # of the store whose live chunks it indexes
    chunk_ids: list[str]
    chunk_doc: np.ndarray  # index into doc_ids, per chunk
    chunk_kind: list[str]
    doc_ids: list[str]
    doc_meta: list[dict[str, Any]]  # flat DocumentMeta per document (for filters)
    vocab: dict[str, int]  # prefixed term -> row of ``weights``
    weights: sparse.csr_matrix  # (terms, chunks) BM25 weights
    doc_weights: sparse.csr_matrix | None = None  # (terms, documents) BM25 weights of whole documents
    doc_weight: float = DOC_WEIGHT

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    # ----- building ----------------------------------------------------------------------
    @classmethod
    def build(
        cls, chunks: list[Chunk], revision: str, *, k1: float = BM25_K1, b: float = BM25_B,
        doc_weight: float = DOC_WEIGHT, spread_power: float = SPREAD_POWER,
        observe: Callable[[Chunk, list[list[str]]], None] | None = None,
    ) -> BM25Index:
        """The index of ``chunks``; ``observe`` sees each chunk's clause tokens as they are made
        (the corpus snapshot learns its vocabulary from them without tokenising twice)."""
        doc_ids: list[str] = []
        doc_meta: list[dict[str, Any]] = []
        doc_index: dict[str, int] = {}
        chunk_doc = np.zeros(len(chunks), dtype=np.int32)
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        lengths = {name: np.zeros(len(chunks), dtype=np.float32) for name in FIELDS}
        term_field: list[LexicalField] = []
        heading_clauses: dict[str, list[list[str]]] = {}  # chunks of one section share a heading
        for col, chunk in enumerate(chunks):
            if chunk.doc_id not in doc_index:
                doc_index[chunk.doc_id] = len(doc_ids)
                doc_ids.append(chunk.doc_id)
                doc_meta.append(chunk.meta.to_dict() if chunk.meta else {"doc_id": chunk.doc_id})
            chunk_doc[col] = doc_index[chunk.doc_id]
            body = clause_tokens(chunk.search_text or chunk.text)
            if observe is not None:
                observe(chunk, body)
            heading = chunk_heading(chunk)
            if heading not in heading_clauses:
                heading_clauses[heading] = clause_tokens(heading)
            analyzed = analyze_clauses(body + heading_clauses[heading])
            for name in FIELDS:
                terms = analyzed.field_terms(name)
                lengths[name][col] = len(terms)
                for term, count in Counter(terms).items():
                    key = _PREFIX[name] + term
                    row = vocab.get(key)
                    if row is None:
                        row = vocab[key] = len(vocab)
                        term_field.append(name)
                    rows.append(row)
                    cols.append(col)
                    tfs.append(count)
        row_array, col_array = np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32)
        tf_array = np.asarray(tfs, dtype=np.float32)
        weights = _bm25_weights(row_array, col_array, tf_array, term_field, lengths, len(vocab), len(chunks), k1, b)
        doc_weights = None
        if doc_weight > 0 or spread_power > 0:
            doc_of_entry = chunk_doc[col_array]
            doc_weights, spread = _document_weights(
                row_array, doc_of_entry, tf_array, term_field, lengths, chunk_doc, len(vocab), len(doc_ids), k1, b
            )
            if spread_power > 0:
                chunks_per_doc = np.bincount(chunk_doc, minlength=len(doc_ids)).astype(np.float32)
                held = np.asarray(spread[row_array, doc_of_entry]).ravel()
                factor = within_document_factor(held, chunks_per_doc[doc_of_entry])
                weights = _scaled(weights, row_array, col_array, factor**spread_power)
        return cls(
            revision=revision,
            chunk_ids=[c.chunk_id for c in chunks],
            chunk_doc=chunk_doc,
            chunk_kind=[c.kind for c in chunks],
            doc_ids=doc_ids,
            doc_meta=doc_meta,
            vocab=vocab,
            weights=weights,
            doc_weights=doc_weights if doc_weight > 0 else None,
            doc_weight=doc_weight,
        )

    # ----- searching ---------------------------------------------------------------------
    def search(self, terms: list[QueryTerm], k: int, filters: Filters | None = None) -> list[LexicalMatch]:
        """Top ``k`` chunks by the weighted sum of their BM25 weights for ``terms``, among those
        that pass the hard ``filters`` (values as stored)."""
        mask = self.filter_mask(filters)
        known = [(self.vocab[_PREFIX[t.field] + t.term], t) for t in terms if _PREFIX[t.field] + t.term in self.vocab]
        if not known or self.size == 0:
            return []
        rows = self.weights[[row for row, _ in known]]
        query_weights = np.asarray([t.weight for _, t in known], dtype=np.float32)
        scores = np.asarray(rows.T @ query_weights).ravel()
        if self.doc_weights is not None and self.doc_weight > 0:
            doc_scores = np.asarray(self.doc_weights[[row for row, _ in known]].T @ query_weights).ravel()
            scores = scores + self.doc_weight * doc_scores[self.chunk_doc] * (scores > 0)

        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if candidates.size == 0:
            return []
        if candidates.size > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        matches: list[LexicalMatch] = []
        sub = rows[:, order].tocsc()  # only the winners' columns: which query terms each holds
        for position, col in enumerate(order):
            found = sub.indices[sub.indptr[position] : sub.indptr[position + 1]]
            labels = describe_matches([known[i][1] for i in found])
            matches.append(LexicalMatch(self.chunk_ids[col], float(scores[col]), labels))
        return matches

    def filter_mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean mask of chunks that satisfy hard ``filters`` (None when nothing is filtered)."""
        if not filters:
            return None
        doc_ok = np.ones(len(self.doc_ids), dtype=bool)
        chunk_ok = np.ones(self.size, dtype=bool)
        for key, wanted in filters.items():
            values = set(wanted) if isinstance(wanted, (list, tuple, set)) else {wanted}
            if key == "kind":
                chunk_ok &= np.fromiter((kind in values for kind in self.chunk_kind), dtype=bool, count=self.size)
            elif key == "doc_id":
                doc_ok &= np.fromiter((d in values for d in self.doc_ids), dtype=bool, count=len(self.doc_ids))
            else:
                doc_ok &= np.fromiter(
                    (md.get(key) in values for md in self.doc_meta), dtype=bool, count=len(self.doc_ids)
                )
        return chunk_ok & doc_ok[self.chunk_doc]

    def term_document_frequency(self, field_name: LexicalField, term: str) -> int:
        row = self.vocab.get(_PREFIX[field_name] + term)
        if row is None:
            return 0
        return int(self.weights.indptr[row + 1] - self.weights.indptr[row])

    def has_term(self, field_name: LexicalField, term: str) -> bool:
        return _PREFIX[field_name] + term in self.vocab

    def document_frequencies(self, doc_id: str, terms: list[QueryTerm]) -> tuple[int, list[int]]:
        if doc_id not in self.doc_ids:
            return 0, [0] * len(terms)
        in_document = self.chunk_doc == self.doc_ids.index(doc_id)
        counts = []
        for term in terms:
            row = self.vocab.get(_PREFIX[term.field] + term.term)
            if row is None:
                counts.append(0)
                continue
            columns = self.weights.indices[self.weights.indptr[row] : self.weights.indptr[row + 1]]
            counts.append(int(in_document[columns].sum()))
        return int(in_document.sum()), counts


def within_document_factor(chunks_with_term: np.ndarray, chunks_in_document: np.ndarray) -> np.ndarray:
    """How well a term tells one chunk of its document from the others, in (0, 1]: its idf over
    the document's own chunks relative to that of a term found in one chunk only (1 for a
    one-chunk document, near 0 for a term in every chunk of a long one)."""
    n = chunks_in_document
    idf = np.log1p((n - chunks_with_term + 0.5) / (chunks_with_term + 0.5))
    best = np.log1p((n - 0.5) / 1.5)
    return np.where(n <= 1, 1.0, idf / np.maximum(best, 1e-6)).astype(np.float32)


def _scaled(matrix: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray, factor: np.ndarray) -> sparse.csr_matrix:
    scale = sparse.csr_matrix((factor.astype(np.float32), (rows, cols)), shape=matrix.shape)
    return matrix.multiply(scale).tocsr()


def _document_weights(
    rows: np.ndarray, docs: np.ndarray, tfs: np.ndarray, term_field: list[LexicalField],
    lengths: dict[LexicalField, np.ndarray], chunk_doc: np.ndarray, n_terms: int, n_docs: int, k1: float, b: float,
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """BM25 weights of whole documents (terms x documents), and per (term, document) the number
    of the document's chunks that hold the term."""
    spread = sparse.csr_matrix((np.ones_like(tfs), (rows, docs)), shape=(n_terms, n_docs))
    spread.sum_duplicates()
    summed = sparse.csr_matrix((tfs, (rows, docs)), shape=(n_terms, n_docs))
    summed.sum_duplicates()
    coo = summed.tocoo()
    doc_lengths = {name: np.bincount(chunk_doc, weights=lengths[name], minlength=n_docs).astype(np.float32) for name in FIELDS}
    weights = _bm25_weights(
        coo.row.astype(np.int32), coo.col.astype(np.int32), coo.data.astype(np.float32), term_field, doc_lengths,
        n_terms, n_docs, k1, b,
    )
    return weights, spread


def _bm25_weights(
    rows: np.ndarray, cols: np.ndarray, tfs: np.ndarray, term_field: list[LexicalField],
    lengths: dict[LexicalField, np.ndarray], n_terms: int, n_chunks: int, k1: float, b: float,
) -> sparse.csr_matrix:
    if n_terms == 0:
        return sparse.csr_matrix((0, n_chunks), dtype=np.float32)
    df = np.bincount(rows, minlength=n_terms).astype(np.float32)
    idf = np.log1p((n_chunks - df + 0.5) / (df + 0.5)).astype(np.float32)
    field_of_term = np.asarray([FIELDS.index(f) for f in term_field], dtype=np.int8)
    length_by_field = np.stack([lengths[name] for name in FIELDS])  # (fields, chunks)
    average = np.maximum(length_by_field.mean(axis=1, keepdims=True), 1.0)
    relative_length = (length_by_field / average)[field_of_term[rows], cols]
    data = idf[rows] * tfs * (k1 + 1) / (tfs + k1 * (1 - b + b * relative_length))
    matrix = sparse.csr_matrix((data.astype(np.float32), (rows, cols)), shape=(n_terms, n_chunks))
    matrix.sum_duplicates()
    return matrix
