"""Keeping the on-disk lexical index (:mod:`vectorstore.tantivy_lexical`) in step with the store.

The store's registry is the truth: a document is live at one generation. The index records,
per document, the generation it holds. Writers through :class:`vectorstore.indexed_store.IndexedStore`
index each document right after its store commit; whatever a crash, another writer or an older
version of the project left out of step is found by comparing the two (``repair``) when a
reader opens a new revision or an ingest starts, and only the documents that differ are
(re)indexed, from their chunks in the store.
"""
from __future__ import annotations

from pathlib import Path

from baocao.models import DocumentRecord, chunk_id
from baocao.protocols import ChunkStore
from baocao.settings import Settings
from vectorstore.corpus_tables import CorpusTables, DocumentTables
from vectorstore.tantivy_lexical import AnalysedDocument, LexicalDisk, Searchers, TantivyLexicalIndex

REPAIR_BATCH = 20  # documents per commit when many are (re)indexed at once


def lexical_dir(settings: Settings) -> Path:
    return settings.data_dir / "lexical" / f"{settings.collection}.tantivy"


_DISKS: dict[Path, LexicalDisk] = {}


def open_disk(settings: Settings) -> LexicalDisk:
    """The index of the configured collection, opened once per process and shared."""
    path = lexical_dir(settings).resolve()
    if path not in _DISKS:
        _DISKS[path] = LexicalDisk(path)
    return _DISKS[path]


def analyse_live(store: ChunkStore, record: DocumentRecord) -> AnalysedDocument:
    doc_id, generation = record.meta.doc_id, record.generation
    chunks = store.get_chunks([chunk_id(doc_id, generation, p) for p in range(record.chunk_count)])
    return AnalysedDocument.of(doc_id, generation, chunks)


def repair(disk: LexicalDisk, store: ChunkStore, records: list[DocumentRecord] | None = None) -> int:
    """Make the index hold exactly the store's live generations; return how many documents changed."""
    records = store.documents() if records is None else records
    markers = disk.markers(disk.searcher())
    stale = [r for r in records if markers.get(r.meta.doc_id) != r.generation]
    live = {r.meta.doc_id for r in records}
    extra = [doc_id for doc_id in markers if doc_id not in live]
    if extra:
        disk.write([], extra)
    for start in range(0, len(stale), REPAIR_BATCH):
        disk.write([analyse_live(store, r) for r in stale[start : start + REPAIR_BATCH]])
    return len(stale) + len(extra)


def mend_document(disk: LexicalDisk, store: ChunkStore, record: DocumentRecord) -> bool:
    """Index ``record``'s live generation when the index holds another (a writer that died
    between the store's commit and the index's); True when it wrote."""
    if disk.markers(disk.searcher()).get(record.meta.doc_id) == record.generation:
        return False
    disk.write([analyse_live(store, record)])
    return True


class IncrementalCorpus:
    """One process's view of the index and of the corpus tables, moved forward by the documents
    that changed since the last view (the tables of a document come from its index entry). The
    first view loads the persisted sum (:meth:`LexicalDisk.load_sums`) when it matches the
    index's markers, and otherwise sums every document and persists the result.

    Moving a sum forward takes a changed document's old share out: the view keeps the shares it
    has read (every document's after summing them, the changed ones after a move). When one is
    not known (a view that started from the persisted sum, and a document it has not read since
    changed), the persisted sum of the new markers is loaded instead, or every document summed."""

    def __init__(self, disk: LexicalDisk) -> None:
        self.disk = disk
        self.tables: CorpusTables | None = None
        self.markers: dict[str, str] = {}
        self.shares: dict[str, DocumentTables] = {}  # the documents' shares this view has read, at self.markers

    def view(self, store: ChunkStore, records: list[DocumentRecord], revision: str) -> tuple[TantivyLexicalIndex, CorpusTables]:
        live = {r.meta.doc_id: r.generation for r in records}
        searcher = self.disk.searcher()
        markers = self.disk.markers(searcher)
        if markers != live:
            repair(self.disk, store, records)
            searcher = self.disk.searcher()
            markers = self.disk.markers(searcher)
        if self.tables is None:
            tables = self.disk.load_sums(markers) or self._sum_all(searcher, markers)
        else:
            changed = {d for d in self.markers.keys() | markers.keys() if self.markers.get(d) != markers.get(d)}
            old_ids = [d for d in changed if d in self.markers]
            if all(d in self.shares for d in old_ids):
                new = self.disk.tables(searcher, [d for d in changed if d in markers])
                tables = self.tables.with_changes([self.shares.pop(d) for d in old_ids], new)
                self.shares.update({t.doc_id: t for t in new})
            else:
                for doc_id in changed:
                    self.shares.pop(doc_id, None)
                tables = self.disk.load_sums(markers) or self._sum_all(searcher, markers)
        self.tables, self.markers = tables, markers
        doc_meta = {r.meta.doc_id: r.meta.to_dict() for r in records}
        return TantivyLexicalIndex(self.disk, searcher, revision, doc_meta), tables

    def _sum_all(self, searcher: Searchers, markers: dict[str, str]) -> CorpusTables:
        """No persisted sum for ``markers`` (none yet, or left stale by a crash): sum every document, keep the sum."""
        shares = self.disk.tables(searcher)
        self.shares = {t.doc_id: t for t in shares}
        tables = CorpusTables.of(shares)
        self.disk.save_sums(markers, tables)
        return tables
