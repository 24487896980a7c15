"""The lexical leg: BM25 over chunks, beside the vector store.

Each chunk is analysed into three fields, each scored with its own BM25 statistics:

- ``exact``: lower-cased syllables with their diacritics, and whole numbers ("29/38", "1.484");
- ``folded``: the same syllables without diacritics ("huong", "tra"), so a query typed without
  accents meets the text, plus the parts of slashed numbers ("02/2023" -> "2", "2023");
- ``bigram``: pairs of adjacent folded syllables ("huong_tra"): most Vietnamese words have two
  syllables, so a bigram is close to a word and far more specific than either syllable.

The index is one sparse matrix (terms x chunks) of precomputed BM25 weights, so a query is a
weighted sum of a few rows. It is persisted under ``data_dir/lexical/<collection>.pkl`` with a
fingerprint of the store's live generations, and rebuilt from ``store.all_chunks()`` when the
store has changed. The same pass learns the corpus vocabulary used to restore diacritics to
queries typed without them, and abbreviations that the reports define in parentheses.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from baocao.models import Chunk
from baocao.text import fold_accents, nfc, normalize_tone_marks, strip_markup, tokenize

if TYPE_CHECKING:
    from vectorstore.store import ChunkStore, DocumentRecord

FORMAT_VERSION = 4  # bump when the analysis or the pickled layout changes
FIELDS = ("exact", "folded", "bigram")
_PREFIX = {"exact": "e:", "folded": "f:", "bigram": "b:"}
BM25_K1 = 1.2
BM25_B = 0.6

# Text is cut into clauses at punctuation that ends a phrase, so bigrams never join two
# clauses ("Hương Trà, ngày 14" gives no "tra_ngay"). Dots and commas inside numbers stay.
_CLAUSE_BREAK = re.compile(r"[;:!?\n\t()\[\]{}\"“”…|]|[.,](?=\s|$)|\s[-–—+]\s")
_NUMBER = re.compile(r"^\d")
# A syllable ending in a lone "y" after consonants is written with "i" as well: tỷ/tỉ, lý/lí.
_FINAL_Y = re.compile(r"^([bcdghklmnpqrstvx]+)y$")


# --------------------------------------------------------------------------- analysis


def normalize_number(token: str) -> str:
    """'6,39%' -> '6,39'; '02/2023' -> '2/2023'; '03/01/2023' -> '3/1/2023'; '0,60' stays."""
    token = token.rstrip("%")
    parts = token.split("/")
    return "/".join(p.lstrip("0") or "0" if len(p) > 1 and p.isdigit() else p for p in parts)


@lru_cache(maxsize=500_000)  # a corpus has few distinct syllables and folding is the hot spot of indexing
def fold_syllable(token: str) -> str:
    """Accent-folded form used for matching: 'Tỷ' -> 'ti', 'Hương' -> 'huong'."""
    folded = fold_accents(token)
    return _FINAL_Y.sub(r"\1i", folded)


def clause_tokens(text: str) -> list[list[str]]:
    """Lower-cased tokens of the search form, grouped by clause; numbers normalised."""
    form = normalize_tone_marks(nfc(strip_markup(text)))
    clauses: list[list[str]] = []
    for clause in _CLAUSE_BREAK.split(form):
        tokens = [normalize_number(t) if _NUMBER.match(t) else t for t in tokenize(clause)]
        if tokens:
            clauses.append(tokens)
    return clauses


@dataclass
class Analyzed:
    """The three fields of one text."""

    exact: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    bigram: list[str] = field(default_factory=list)

    def field_terms(self, name: str) -> list[str]:
        return getattr(self, name)


@lru_cache(maxsize=200_000)
def syllable_parts(token: str) -> tuple[str, ...]:
    """Hyphen/slash compounds are also matched by their parts: 'nghiệp-xây' -> nghiệp, xây."""
    if _NUMBER.match(token) or ("-" not in token and "/" not in token):
        return (token,)
    pieces = tuple(p for p in re.split(r"[-/]", token) if p)
    return pieces or (token,)


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
            if _NUMBER.match(token) and "/" in token:
                result.folded.extend(token.split("/"))
        result.bigram.extend(f"{a}_{b}" for a, b in zip(sequence, sequence[1:]))
    return result


def chunk_heading(chunk: Chunk) -> str:
    """Indexed with the chunk's text: its section path and its document's short title."""
    short_title = chunk.meta.short_title if chunk.meta else ""
    return "\n".join(part for part in (chunk.section, short_title) if part)


# --------------------------------------------------------------------------- vocabulary


COMMON_PHRASES_FILE = Path(__file__).resolve().parent / "data" / "vi_common_phrases.txt"
COMMON_PHRASE_COUNT = 3  # weight of a common phrase next to the corpus's own counts


@dataclass
class Vocabulary:
    """Accented forms of folded syllables and syllable pairs, with how often each was seen."""

    unigrams: dict[str, tuple[str, int]] = field(default_factory=dict)  # folded -> (form, count)
    bigrams: dict[str, tuple[str, int]] = field(default_factory=dict)  # "a_b" -> ("á b", count)
    folded_counts: dict[str, int] = field(default_factory=dict)

    def knows(self, folded_syllable: str) -> bool:
        return folded_syllable in self.folded_counts

    def restore(self, text: str) -> str:
        """Put diacritics back on a query typed without them, from the corpus's own usage.

        Each unaccented word takes the form voted for by the syllable pairs it is part of
        (with its left and right neighbours, weighted by how often the corpus writes each
        pair), else its own most frequent form. Words the corpus never saw (numbers, names,
        English words) and words typed with diacritics stay as typed.
        """
        tokens = re.findall(r"\w+(?:[.,/]\w+)*|\W+", nfc(text))
        words = [i for i, t in enumerate(tokens) if re.match(r"\w", t)]
        restored = list(tokens)
        for j, i in enumerate(words):
            word = tokens[i]
            if _has_marks(word) or _NUMBER.match(word):
                continue
            votes: Counter[str] = Counter()
            if j > 0 and self._adjacent(tokens, words[j - 1], i):
                pair = self.bigrams.get(f"{fold_syllable(tokens[words[j - 1]])}_{fold_syllable(word)}")
                if pair:
                    votes[pair[0].split(" ")[1]] += pair[1]
            if j + 1 < len(words) and self._adjacent(tokens, i, words[j + 1]):
                pair = self.bigrams.get(f"{fold_syllable(word)}_{fold_syllable(tokens[words[j + 1]])}")
                if pair:
                    votes[pair[0].split(" ")[0]] += pair[1]
            if votes:
                restored[i] = _same_case(word, votes.most_common(1)[0][0])
            elif fold_syllable(word) in self.unigrams:
                restored[i] = _same_case(word, self.unigrams[fold_syllable(word)][0])
        return "".join(restored)

    @staticmethod
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
            words = [t if not _NUMBER.match(t) and "-" not in t and "/" not in t else "" for t in clause]
            for word in words:
                if word:
                    self.unigrams[fold_syllable(word)][word] += weight
            for a, b in zip(words, words[1:]):
                if a and b:
                    self.bigrams[f"{fold_syllable(a)}_{fold_syllable(b)}"][f"{a} {b}"] += weight

    def vocabulary(self) -> Vocabulary:
        corpus_syllables = {k: sum(c.values()) for k, c in self.unigrams.items()}
        for phrase in common_phrases():
            self.add(clause_tokens(phrase), COMMON_PHRASE_COUNT)
        return Vocabulary(
            unigrams={k: c.most_common(1)[0] for k, c in self.unigrams.items()},
            bigrams={k: c.most_common(1)[0] for k, c in self.bigrams.items()},
            folded_counts=corpus_syllables,
        )


def common_phrases() -> list[str]:
    lines = COMMON_PHRASES_FILE.read_text(encoding="utf-8").splitlines()
    return [nfc(line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def learn_vocabulary(texts: Iterable[str]) -> Vocabulary:
    counter = FormCounter()
    for text in texts:
        counter.add(clause_tokens(text))
    return counter.vocabulary()


# "Trung tâm Văn hóa - Thể thao - Học tập cộng đồng (TTVH-TT-HTCĐ)": an abbreviation defined
# in the text, checked by the initials of the words before it.
_DEFINED_ABBREVIATION = re.compile(r"\(([A-ZĐ][A-ZĐa-z&.\-]{1,18})\)")
_CONNECTORS = {"và", "&"}


def learn_abbreviations(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation -> expansion, for those the corpus defines as 'words (ABBR)'."""
    found: dict[str, str] = {}
    for text in texts:
        form = normalize_tone_marks(nfc(strip_markup(text)))
        for match in _DEFINED_ABBREVIATION.finditer(form):
            abbreviation = match.group(1)
            letters = [c for c in fold_accents(abbreviation) if c.isalpha()]
            if len(letters) < 2 or sum(1 for c in abbreviation if c.isupper()) < 2:
                continue
            before = re.findall(r"[^\W\d_]+", form[max(0, match.start() - 200) : match.start()])
            expansion = _match_initials(before, letters)
            if expansion:
                found.setdefault(abbreviation, expansion)
    return found


def _match_initials(words: list[str], letters: list[str]) -> str | None:
    """The shortest run of trailing words whose initials spell ``letters`` (connectors may be skipped)."""
    taken: list[str] = []
    want = list(letters)
    for word in reversed(words):
        if not want:
            break
        initial = fold_accents(word)[:1]
        if initial == want[-1]:
            taken.append(word)
            want.pop()
        elif word.lower() in _CONNECTORS and taken:
            taken.append(word)
        else:
            return None
    if want:
        return None
    return " ".join(reversed(taken)).lower()


# --------------------------------------------------------------------------- the index


@dataclass
class LexicalMatch:
    chunk_id: str
    score: float
    matched: list[str]  # query terms (as the user typed or as expanded) found in the chunk


@dataclass
class QueryTerm:
    """One weighted term of a lexical query; ``label`` is what ``why`` shows for it."""

    field: str
    term: str
    weight: float
    label: str
    position: int = 0  # of its (first) syllable in the query, to join matched pairs into phrases


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
class LexicalIndex:
    fingerprint: str
    chunk_ids: list[str]
    chunk_doc: np.ndarray  # index into doc_ids, per chunk
    chunk_kind: list[str]
    doc_ids: list[str]
    doc_meta: list[dict[str, Any]]  # flat DocumentMeta per document (for filters)
    vocab: dict[str, int]  # prefixed term -> row of ``weights``
    weights: sparse.csr_matrix  # (terms, chunks) BM25 weights
    vocabulary: Vocabulary
    defined_abbreviations: dict[str, str]
    built_at: float = 0.0
    format_version: int = FORMAT_VERSION

    @property
    def size(self) -> int:
        return len(self.chunk_ids)

    # ----- building ----------------------------------------------------------------------
    @classmethod
    def build(cls, chunks: list[Chunk], fingerprint: str, k1: float = BM25_K1, b: float = BM25_B) -> LexicalIndex:
        doc_ids: list[str] = []
        doc_meta: list[dict[str, Any]] = []
        doc_index: dict[str, int] = {}
        chunk_doc = np.zeros(len(chunks), dtype=np.int32)
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        lengths = {name: np.zeros(len(chunks), dtype=np.float32) for name in FIELDS}
        term_field: list[str] = []
        texts: list[str] = []
        forms = FormCounter()
        heading_clauses: dict[str, list[list[str]]] = {}  # chunks of one section share a heading
        for col, chunk in enumerate(chunks):
            if chunk.doc_id not in doc_index:
                doc_index[chunk.doc_id] = len(doc_ids)
                doc_ids.append(chunk.doc_id)
                doc_meta.append(chunk.meta.to_dict() if chunk.meta else {"doc_id": chunk.doc_id})
            chunk_doc[col] = doc_index[chunk.doc_id]
            body = clause_tokens(chunk.search_text or chunk.text)
            forms.add(body)
            texts.append(chunk.search_text or chunk.text)
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
        weights = _bm25_weights(
            np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32),
            np.asarray(tfs, dtype=np.float32), term_field, lengths, len(vocab), len(chunks), k1, b,
        )
        return cls(
            fingerprint=fingerprint,
            chunk_ids=[c.chunk_id for c in chunks],
            chunk_doc=chunk_doc,
            chunk_kind=[c.kind for c in chunks],
            doc_ids=doc_ids,
            doc_meta=doc_meta,
            vocab=vocab,
            weights=weights,
            vocabulary=forms.vocabulary(),
            defined_abbreviations=learn_abbreviations(texts),
            built_at=time.time(),
        )

    # ----- searching ---------------------------------------------------------------------
    def search(self, terms: list[QueryTerm], k: int, mask: np.ndarray | None = None) -> list[LexicalMatch]:
        """Top ``k`` chunks by the weighted sum of their BM25 weights for ``terms``."""
        known = [(self.vocab[_PREFIX[t.field] + t.term], t) for t in terms if _PREFIX[t.field] + t.term in self.vocab]
        if not known or self.size == 0:
            return []
        rows = self.weights[[row for row, _ in known]]
        query_weights = np.asarray([t.weight for _, t in known], dtype=np.float32)
        scores = np.asarray(rows.T @ query_weights).ravel()

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

    def doc_meta_by_id(self) -> dict[str, dict[str, Any]]:
        cached = self.__dict__.get("_doc_meta_by_id")
        if cached is None:
            cached = self.__dict__["_doc_meta_by_id"] = dict(zip(self.doc_ids, self.doc_meta))
        return cached

    def filter_mask(self, filters: dict[str, Any] | None, allowed_chunk_ids: set[str] | None = None) -> np.ndarray | None:
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

    def term_document_frequency(self, field_name: str, term: str) -> int:
        row = self.vocab.get(_PREFIX[field_name] + term)
        if row is None:
            return 0
        return int(self.weights.indptr[row + 1] - self.weights.indptr[row])

    def has_term(self, field_name: str, term: str) -> bool:
        return _PREFIX[field_name] + term in self.vocab


def _bm25_weights(
    rows: np.ndarray, cols: np.ndarray, tfs: np.ndarray, term_field: list[str],
    lengths: dict[str, np.ndarray], n_terms: int, n_chunks: int, k1: float, b: float,
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


# --------------------------------------------------------------------------- persistence


def store_fingerprint(records: list[DocumentRecord]) -> str:
    """Changes whenever a document is added, replaced or removed, or its metadata is edited."""
    payload = json.dumps(
        sorted((r.meta.doc_id, r.generation, r.meta.to_dict()) for r in records), ensure_ascii=False, default=str
    )
    return hashlib.sha256(f"v{FORMAT_VERSION}:{payload}".encode()).hexdigest()[:16]


def index_path(store: ChunkStore) -> Path:
    return store.settings.data_dir / "lexical" / f"{store.name}.pkl"


def load_index(path: Path) -> LexicalIndex | None:
    try:
        with path.open("rb") as handle:
            index = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if not isinstance(index, LexicalIndex) or index.format_version != FORMAT_VERSION:
        return None
    return index


def save_index(index: LexicalIndex, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")  # two processes may build at once
    with partial.open("wb") as handle:
        pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)  # atomic: a reader never sees half a file


def load_or_build(store: ChunkStore, records: list[DocumentRecord] | None = None) -> LexicalIndex:
    """The persisted index when it matches the store's documents, else a fresh one (saved).

    Call it after an ingest to have the index ready before the first search.
    """
    fingerprint = store_fingerprint(records if records is not None else store.documents())
    path = index_path(store)
    index = load_index(path)
    if index is not None and index.fingerprint == fingerprint:
        return index
    index = LexicalIndex.build(store.all_chunks(), fingerprint)
    save_index(index, path)
    return index


class LexicalIndexCache:
    """Keeps the index in step with the store; checks the store at most every ``check_every_s``."""

    def __init__(self, store: ChunkStore, check_every_s: float = 2.0) -> None:
        self.store = store
        self.check_every_s = check_every_s
        self._index: LexicalIndex | None = None
        self._checked_at = 0.0
        self._revision = ""
        self._live: dict[str, str] = {}

    def current(self) -> LexicalIndex:
        now = time.monotonic()
        if self._index is None or now - self._checked_at >= self.check_every_s:
            revision = self.store.revision()  # read before the records: a commit in between shows next time
            if self._index is None or not revision or revision != self._revision:
                records = self.store.documents()
                self._live = {r.meta.doc_id: r.generation for r in records}
                if self._index is None or self._index.fingerprint != store_fingerprint(records):
                    self._index = load_or_build(self.store, records)
                self._revision = revision
            self._checked_at = now
        return self._index

    def live_generations(self) -> dict[str, str]:
        self.current()
        return self._live


@dataclass
class Agreement:
    """How the persisted lexical index compares with the store's live chunks."""

    missing: list[str]  # live in the store, absent from the index
    extra: list[str]  # in the index, no longer live in the store
    index_found: bool = True
    fingerprint_matches: bool = True

    @property
    def ok(self) -> bool:
        return self.index_found and not self.missing and not self.extra

    def text(self) -> str:
        if not self.index_found:
            return "no lexical index on disk (it is built at the first search)"
        if self.ok:
            return "lexical index agrees with the store"
        return f"lexical index disagrees with the store: {len(self.missing)} missing, {len(self.extra)} extra chunks"


def check_agreement(store: ChunkStore, index: LexicalIndex | None = None) -> Agreement:
    """Compare the (persisted) lexical index with the store's live chunk ids."""
    if index is None:
        index = load_index(index_path(store))
    live_ids = {c.chunk_id for c in store.all_chunks()}
    if index is None:
        return Agreement(missing=sorted(live_ids), extra=[], index_found=False, fingerprint_matches=False)
    indexed = set(index.chunk_ids)
    return Agreement(
        missing=sorted(live_ids - indexed),
        extra=sorted(indexed - live_ids),
        fingerprint_matches=index.fingerprint == store_fingerprint(store.documents()),
    )

