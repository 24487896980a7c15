"""The lexical leg on disk: a tantivy index, changed a document at a time.

:class:`TantivyLexicalIndex` implements :class:`baocao.protocols.LexicalIndex` over one tantivy
searcher. The index holds, per document, one entry per chunk with the three analyses of
:mod:`vectorstore.lexical` (``exact``, ``folded``, ``bigram``) fed as pre-tokenised text (the
terms joined by spaces, read by tantivy's whitespace tokenizer: tantivy never re-analyses
them), a *marker* entry naming the document's indexed generation, and a *tables* entry with
its :class:`~vectorstore.corpus_tables.DocumentTables` (those two in an index of their own,
so they do not count in the chunks' statistics). A document's chunks are replaced in one tantivy
commit, so a searcher sees all of a document's old chunks or all of its new ones.

Beside the two indexes, ``corpus-tables.pkl`` holds the sum of the live documents' tables
(:class:`PersistedSums`: only the sums, not each document's share), keyed by the markers it
reflects, so a new reader loads one file instead of reading and summing every document's
tables. Each write moves it forward by the documents it changed (their old share, read from
their ``tables`` entries before the commit replaces them, out; the new one in), after the index
commits and under the same writer locks; a sum whose key does not match the index's markers (a crash between the
commit and the file, a damaged file) is not used: the reader sums the documents and rewrites it.

Scores are tantivy's BM25 (k1 1.2, b 0.75) per field, weighted by each query term's weight,
summed: the same shape as the in-memory :class:`~vectorstore.lexical.BM25Index`.
"""
from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy

from baocao.lang.tokens import clause_tokens
from baocao.models import Chunk
from baocao.protocols import Filters, LexicalField, LexicalMatch, QueryTerm
from vectorstore.corpus_tables import CorpusTables, DocumentTables
from vectorstore.lexical import FIELDS, analyze_clauses, chunk_heading, describe_matches

INDEX_FORMAT = 2  # bump when the schema or the analysis changes: the index is rebuilt
WRITER_HEAP = 50_000_000
FORMAT_FILE = "baocao-format"
LOCK_WAIT_S = 120.0  # how long a writer waits for another process's writer to finish
SUMS_FILE = "corpus-tables.pkl"
SUMS_FORMAT = 2  # bump when CorpusTables' pickled layout changes


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("entry", tokenizer_name="raw", index_option="basic")  # chunk | marker | tables
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("generation", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    for name in FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="whitespace", index_option="freq")
    builder.add_bytes_field("tables", stored=True)
    return builder.build()


@dataclass
class AnalysedChunk:
    chunk_id: str
    kind: str
    fields: dict[LexicalField, str]  # terms joined by spaces


@dataclass
class AnalysedDocument:
    """A document's entries, ready to write: made in one pass over its chunks."""

    doc_id: str
    generation: str
    chunks: list[AnalysedChunk] = field(default_factory=list)
    tables: DocumentTables | None = None

    @classmethod
    def of(cls, doc_id: str, generation: str, chunks: list[Chunk]) -> AnalysedDocument:
        ordered = sorted(chunks, key=lambda c: c.position)
        bodies: list[list[list[str]]] = []
        texts: list[str] = []
        analysed: list[AnalysedChunk] = []
        headings: dict[str, list[list[str]]] = {}
        for chunk in ordered:
            text = chunk.search_text or chunk.text
            body = clause_tokens(text)
            heading = chunk_heading(chunk)
            if heading not in headings:
                headings[heading] = clause_tokens(heading)
            terms = analyze_clauses(body + headings[heading])
            analysed.append(AnalysedChunk(
                chunk.chunk_id, chunk.kind, {name: " ".join(terms.field_terms(name)) for name in FIELDS},
            ))
            bodies.append(body)
            texts.append(text)
        return cls(doc_id, generation, analysed, DocumentTables.build(doc_id, bodies, texts))


@dataclass(frozen=True)
class PersistedSums:
    """The corpus tables summed over the documents, and the markers (doc_id -> generation) they reflect."""

    markers: dict[str, str]
    tables: CorpusTables
    format_version: int = SUMS_FORMAT


@dataclass(frozen=True)
class Searchers:
    """One commit of each of the two indexes: the chunks, and the documents' markers and tables."""

    chunks: tantivy.Searcher
    docs: tantivy.Searcher


class LexicalDisk:
    """The tantivy indexes of one collection, under ``path``: ``chunks/`` (what is searched) and
    ``docs/`` (a marker and the tables per document, kept apart so they do not count in the
    chunks' BM25 statistics). Written by any process, a document per commit (chunks first,
    then its marker), read through searchers that each see one commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.chunks = _open(path / "chunks")
        self.docs = _open(path / "docs")
        self.schema = self.chunks.schema
        self.sums_path = path / SUMS_FILE
        self._sums: PersistedSums | None = None  # the last sum this process read or wrote

    def searcher(self) -> Searchers:
        self.docs.reload()
        self.chunks.reload()
        return Searchers(self.chunks.searcher(), self.docs.searcher())

    # ----- reading ---------------------------------------------------------------------
    def markers(self, searchers: Searchers) -> dict[str, str]:
        """doc_id -> the generation indexed for it."""
        return {doc["doc_id"][0]: doc["generation"][0] for doc in _entries(searchers.docs, "marker")}

    def tables(self, searchers: Searchers, doc_ids: Iterable[str] | None = None) -> list[DocumentTables]:
        wanted = None if doc_ids is None else sorted(set(doc_ids))
        if wanted == []:
            return []
        return [pickle.loads(doc["tables"][0]) for doc in _entries(searchers.docs, "tables", wanted)]

    def chunk_ids(self, searchers: Searchers) -> list[str]:
        return [doc["chunk_id"][0] for doc in _entries(searchers.chunks, "chunk")]

    # ----- the summed tables ---------------------------------------------------------------
    def load_sums(self, markers: dict[str, str]) -> CorpusTables | None:
        """The persisted sum when it reflects exactly ``markers``; None when it is missing, stale or damaged."""
        if self._sums is None or self._sums.markers != markers:
            self._sums = _read_sums(self.sums_path)
        if self._sums is None or self._sums.markers != markers:
            return None
        return self._sums.tables

    def save_sums(self, markers: dict[str, str], tables: CorpusTables) -> None:
        """Replace the persisted sum atomically (a reader sees the old file or the new one)."""
        sums = PersistedSums(dict(markers), tables)
        partial = self.sums_path.with_name(f"{SUMS_FILE}.{os.getpid()}.tmp")
        with partial.open("wb") as out:
            pickle.dump(sums, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, self.sums_path)
        self._sums = sums

    def _move_sums(self, before: dict[str, str], current: CorpusTables | None, old: list[DocumentTables],
                   added: list[AnalysedDocument]) -> None:
        """After a write: move the sum that reflected ``before`` by the documents written (``old``:
        the shares they had before it); drop it when there is none (the next reader sums the documents)."""
        new_tables = [d.tables for d in added if d.tables is not None]
        if current is None or len(new_tables) != len(added):
            self._sums = None
            self.sums_path.unlink(missing_ok=True)
            return
        gone = {t.doc_id for t in old}
        after = {doc_id: generation for doc_id, generation in before.items() if doc_id not in gone}
        after.update({d.doc_id: d.generation for d in added})
        self.save_sums(after, current.with_changes(old, new_tables))

    # ----- writing ---------------------------------------------------------------------
    def write(self, added: list[AnalysedDocument], removed: Iterable[str] = ()) -> None:
        """Replace the entries of the ``added`` documents and drop those of ``removed``: the
        chunks in one commit, then the markers and tables in one commit."""
        rewritten = {d.doc_id for d in added}
        dropped = [doc_id for doc_id in removed if doc_id not in rewritten]
        gone = [*dropped, *rewritten]
        chunk_entries: list[tantivy.Document] = []
        doc_entries: list[tantivy.Document] = []
        for document in added:
            for chunk in document.chunks:
                entry = tantivy.Document(
                    entry="chunk", doc_id=document.doc_id, generation=document.generation,
                    chunk_id=chunk.chunk_id, kind=chunk.kind,
                )
                for name, text in chunk.fields.items():
                    entry.add_text(name, text)
                chunk_entries.append(entry)
            doc_entries.append(tantivy.Document(entry="marker", doc_id=document.doc_id, generation=document.generation))
            tables = tantivy.Document(entry="tables", doc_id=document.doc_id, generation=document.generation)
            tables.add_bytes("tables", pickle.dumps(document.tables, protocol=pickle.HIGHEST_PROTOCOL))
            doc_entries.append(tables)
        chunks_writer = acquire_writer(self.chunks)  # always the chunks' lock first, then the documents'
        try:
            docs_writer = acquire_writer(self.docs)
            try:
                searchers = self.searcher()
                before = self.markers(searchers)  # under both locks: no other writer moves them
                current = self.load_sums(before)
                old_ids = [doc_id for doc_id in gone if doc_id in before]
                old = [] if current is None else self.tables(searchers, old_ids)
                if len(old) != len(old_ids):  # a marker without its tables: the sum cannot be moved
                    current = None
                for writer, entries in ((chunks_writer, chunk_entries), (docs_writer, doc_entries)):
                    for doc_id in gone:
                        writer.delete_documents_by_term("doc_id", doc_id)
                    for entry in entries:
                        writer.add_document(entry)
                    writer.commit()
                self._move_sums(before, current, old, added)
            finally:
                docs_writer.wait_merging_threads()  # releases its lock
        finally:
            chunks_writer.wait_merging_threads()


def _read_sums(path: Path) -> PersistedSums | None:
    try:
        with path.open("rb") as source:
            sums = pickle.load(source)
    except FileNotFoundError:
        return None
    except Exception:  # a damaged file (any unpickling error): the reader sums the documents again
        return None
    if not isinstance(sums, PersistedSums) or sums.format_version != SUMS_FORMAT:
        return None
    return sums


def _open(path: Path) -> tantivy.Index:
    path.mkdir(parents=True, exist_ok=True)
    marker = path / FORMAT_FILE
    if tantivy.Index.exists(str(path)) and marker.exists() and marker.read_text() == str(INDEX_FORMAT):
        return tantivy.Index.open(str(path))
    return _recreate(path, build_schema())


def acquire_writer(index: tantivy.Index) -> tantivy.IndexWriter:
    """The index's one writer; another process holding it is waited for."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            return index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as exc:
            if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _entries(searcher: tantivy.Searcher, entry: str, doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
    schema = build_schema()
    query = tantivy.Query.term_query(schema, "entry", entry)
    if doc_ids is not None:
        query = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, query),
            (tantivy.Occur.Must, tantivy.Query.term_set_query(schema, "doc_id", doc_ids)),
        ])
    total = count(searcher, query)
    if total == 0:
        return []
    hits = searcher.search(query, limit=total, count=False).hits
    return [searcher.doc(address).to_dict() for _, address in hits]


def count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many entries match ``query`` (the bindings' type stubs lack ``SearchResult.count``)."""
    result = searcher.search(query, limit=1, count=True)
    return int(result.count or 0)  # type: ignore[attr-defined]


def _recreate(path: Path, schema: tantivy.Schema) -> tantivy.Index:
    for file in path.iterdir():
        if file.is_file():
            file.unlink()
    index = tantivy.Index(schema, path=str(path))
    (path / FORMAT_FILE).write_text(str(INDEX_FORMAT))
    return index


class TantivyLexicalIndex:
    """A :class:`baocao.protocols.LexicalIndex` over one searcher of a :class:`LexicalDisk`."""

    def __init__(self, disk: LexicalDisk, searchers: Searchers, revision: str, doc_meta: dict[str, dict[str, Any]]) -> None:
        self.disk = disk
        self.schema = disk.schema
        self.searchers = searchers
        self.searcher = searchers.chunks
        self.revision = revision
        self.doc_meta = doc_meta  # doc_id -> flat DocumentMeta of the live documents (for filters)
        self._size = count(self.searcher, tantivy.Query.term_query(self.schema, "entry", "chunk"))

    @property
    def size(self) -> int:
        return self._size

    @property
    def chunk_ids(self) -> list[str]:
        return self.disk.chunk_ids(self.searchers)

    def has_term(self, field: LexicalField, term: str) -> bool:
        return bool(term) and self.searcher.doc_freq(field, term) > 0

    def term_document_frequency(self, field_name: LexicalField, term: str) -> int:
        return int(self.searcher.doc_freq(field_name, term)) if term else 0

    def document_frequencies(self, doc_id: str, terms: list[QueryTerm]) -> tuple[int, list[int]]:
        chunks_of_document = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "entry", "chunk")),
            (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "doc_id", doc_id)),
        ])
        counts = [
            count(self.searcher, tantivy.Query.boolean_query([
                (tantivy.Occur.Must, chunks_of_document),
                (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, t.field, t.term)),
            ])) if t.term else 0
            for t in terms
        ]
        return count(self.searcher, chunks_of_document), counts

    def search(self, terms: list[QueryTerm], k: int, filters: Filters | None = None) -> list[LexicalMatch]:
        """Top ``k`` chunks by the weighted sum of their BM25 scores for ``terms``, among those
        that pass the hard ``filters`` (values as stored)."""
        known = [t for t in terms if t.term and t.weight > 0 and self.has_term(t.field, t.term)]
        if not known or self.size == 0:
            return []
        should = [
            (tantivy.Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, t.field, t.term), t.weight))
            for t in known
        ]
        musts = [(tantivy.Occur.Must, tantivy.Query.boolean_query(should))]
        restrictions = self._restrictions(filters)
        if restrictions is None:
            return []
        musts += [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in restrictions]
        hits = self.searcher.search(tantivy.Query.boolean_query(musts), limit=k, count=False).hits
        matches: list[LexicalMatch] = []
        for score, address in hits:
            if score <= 0:
                continue
            stored = self.searcher.doc(address).to_dict()
            present = {name: set(stored[name][0].split()) if stored.get(name) else set() for name in FIELDS}
            labels = describe_matches([t for t in known if t.term in present[t.field]])
            matches.append(LexicalMatch(stored["chunk_id"][0], float(score), labels))
        return matches

    def _restrictions(self, filters: Filters | None) -> list[tantivy.Query] | None:
        """Queries a chunk must match for ``filters``; None when no chunk can."""
        queries = [tantivy.Query.term_query(self.schema, "entry", "chunk")]
        allowed: set[str] | None = None
        for key, wanted in (filters or {}).items():
            values = set(wanted) if isinstance(wanted, (list, tuple, set)) else {wanted}
            if key == "kind":
                queries.append(tantivy.Query.term_set_query(self.schema, "kind", sorted(str(v) for v in values)))
                continue
            if key == "doc_id":
                passing = {str(v) for v in values}
            else:
                passing = {doc_id for doc_id, md in self.doc_meta.items() if md.get(key) in values}
            allowed = passing if allowed is None else allowed & passing
        if allowed is not None:
            if not allowed:
                return None
            queries.append(tantivy.Query.term_set_query(self.schema, "doc_id", sorted(allowed)))
        return queries
