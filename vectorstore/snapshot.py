"""One view of the corpus per store revision, shared by the retriever, the assistant and the UI.

A :class:`CorpusSnapshot` holds what is known about the store's live documents at one revision:
their records and metadata, the localities they cover, the lexical index, the vocabulary that
restores diacritics, the abbreviations the reports define, and term statistics. It is built in
one pass over the live chunks and persisted under ``data_dir/lexical/<collection>.pkl``;
:class:`SnapshotCache` hands out the current one, keyed only on ``store.revision()`` (a
millisecond to read), so an ingest in another process shows at the next question.
"""
from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baocao.lang.abbreviations import Abbreviations, learn_abbreviations
from baocao.lang.glossary import Glossary
from baocao.lang.normalize import fold_accents, nfc
from baocao.lang.restore import FormCounter, Vocabulary
from baocao.models import Chunk, DocumentMeta, DocumentRecord
from baocao.protocols import ChunkStore, Filters, LexicalIndex
from baocao.settings import Settings
from vectorstore.corpus_tables import CorpusTables
from vectorstore.lexical import BM25Index
from vectorstore.lexical_sync import IncrementalCorpus, lexical_dir, open_disk
from vectorstore.term_stats import TermStats

SNAPSHOT_FORMAT = 2  # bump when the analysis or the pickled layout changes
INT_FIELDS = {"period_year", "period_month", "plan_year", "issued_year", "issued_month", "issued_day", "position"}
BOOL_FIELDS = {"is_draft"}


# --------------------------------------------------------------------------- localities


@dataclass
class Locality:
    name: str  # "Hương Trà", "Phường 2"
    level: str = ""  # "thị xã"
    parent: str = ""  # "thành phố Tây Ninh"
    doc_ids: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        if self.level and not self.name.lower().startswith(self.level):
            return f"{self.level} {self.name}"
        return self.name


@dataclass
class KnownValues:
    """The localities, years and document types present in the store."""

    localities: list[Locality] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    doc_types: set[str] = field(default_factory=set)

    @classmethod
    def from_documents(cls, records: Iterable[DocumentRecord]) -> KnownValues:
        by_name: dict[tuple[str, str], Locality] = {}
        years: set[int] = set()
        doc_types: set[str] = set()
        for record in records:
            meta = record.meta
            if meta.locality:
                key = (fold_accents(meta.locality), fold_accents(meta.parent_locality))
                locality = by_name.setdefault(key, Locality(meta.locality, meta.locality_level, meta.parent_locality))
                locality.doc_ids.add(meta.doc_id)
            for year in (meta.period_year, meta.plan_year, meta.issued_year):
                if year:
                    years.add(year)
            if meta.doc_type:
                doc_types.add(meta.doc_type)
        return cls(list(by_name.values()), years, doc_types)


# --------------------------------------------------------------------------- the snapshot


@dataclass
class CorpusSnapshot:
    revision: str
    records: list[DocumentRecord]
    lexical: LexicalIndex  # BM25Index (rebuilt per revision) or TantivyLexicalIndex (on disk, per document)
    vocabulary: Vocabulary
    learned_abbreviations: dict[str, str]
    stats: TermStats
    format_version: int = SNAPSHOT_FORMAT

    @classmethod
    def build(cls, store: ChunkStore, revision: str | None = None) -> CorpusSnapshot:
        """Read the store's live documents and chunks once and learn everything from them."""
        revision = store.revision() if revision is None else revision  # read first: a later commit shows next time
        return cls.from_chunks(store.documents(), store.all_chunks(), revision)

    @classmethod
    def from_chunks(cls, records: list[DocumentRecord], chunks: list[Chunk], revision: str) -> CorpusSnapshot:
        forms = FormCounter()
        stats = TermStats()

        def observe(chunk: Chunk, clauses: list[list[str]]) -> None:
            forms.add(clauses)
            stats.add(chunk.doc_id, clauses)

        lexical = BM25Index.build(chunks, revision, observe=observe)
        learned = learn_abbreviations(c.search_text or c.text for c in chunks)
        return cls(revision, records, lexical, forms.vocabulary(), learned, stats)

    @classmethod
    def from_tables(cls, records: list[DocumentRecord], lexical: LexicalIndex, tables: CorpusTables, revision: str) -> CorpusSnapshot:
        """Over an index kept on disk and the corpus tables summed per document (nothing re-read)."""
        return cls(revision, records, lexical, tables.vocabulary(), tables.abbreviations(), tables.stats)

    # ----- derived views (cheap, not persisted) -----------------------------------------
    @property
    def known(self) -> KnownValues:
        return self._derived("known", lambda: KnownValues.from_documents(self.records))

    @property
    def live(self) -> dict[str, str]:
        """doc_id -> live generation."""
        return self._derived("live", lambda: {r.meta.doc_id: r.generation for r in self.records})

    @property
    def meta_by_id(self) -> dict[str, DocumentMeta]:
        return self._derived("meta_by_id", lambda: {r.meta.doc_id: r.meta for r in self.records})

    def _derived(self, name: str, make: Any) -> Any:
        cache = self.__dict__.setdefault("_views", {})
        if name not in cache:
            cache[name] = make()
        return cache[name]

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_views"}

    def normalize_filters(self, filters: Filters | None) -> Filters | None:
        """Hard filters with types as stored (years as int) and values spelled as the store spells them."""
        if not filters:
            return None
        spellings: dict[str, dict[str, Any]] = {}
        for record in self.records:
            for key, value in record.meta.to_dict().items():
                if isinstance(value, str) and value:
                    spellings.setdefault(key, {})[fold_accents(value).strip()] = value
        normalized: Filters = {}
        for key, wanted in filters.items():
            if wanted is None or wanted == "" or wanted == []:
                continue
            values = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
            fixed = [_coerce(key, v, spellings.get(key, {})) for v in values]
            normalized[key] = fixed if len(fixed) > 1 else fixed[0]
        return normalized or None


def _coerce(key: str, value: Any, spellings: dict[str, Any]) -> Any:
    if key in INT_FIELDS:
        return int(value)
    if key in BOOL_FIELDS:
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(value, str):
        return spellings.get(fold_accents(nfc(value)).strip(), nfc(value))
    return value


# --------------------------------------------------------------------------- persistence and the cache


def snapshot_path(settings: Settings) -> Path:
    return settings.data_dir / "lexical" / f"{settings.collection}.pkl"


def load_snapshot(path: Path) -> CorpusSnapshot | None:
    try:
        with path.open("rb") as handle:
            snapshot = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    if not isinstance(snapshot, CorpusSnapshot) or snapshot.format_version != SNAPSHOT_FORMAT:
        return None
    return snapshot


def save_snapshot(snapshot: CorpusSnapshot, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # two writers may build at once
    with partial.open("wb") as handle:
        pickle.dump(snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)  # atomic: a reader never sees half a file


class SnapshotCache:
    """The current :class:`CorpusSnapshot` of a store, with the term tables that go with it."""

    def __init__(self, store: ChunkStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.glossary = Glossary.load(settings.user_tables("glossary_en_vi.tsv", settings.glossary))
        self._snapshot: CorpusSnapshot | None = None
        self._abbreviations: Abbreviations | None = None
        self._corpus: IncrementalCorpus | None = None  # the on-disk index's view, opened at the first use
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return snapshot_path(self.settings)

    def current(self) -> CorpusSnapshot:
        revision = self.store.revision()
        with self._lock:
            if self._snapshot is None or self._snapshot.revision != revision:
                if self.settings.lexical_index == "bm25":
                    self._snapshot = self._whole(revision)
                else:
                    self._snapshot = self._incremental(revision)
                self._abbreviations = None
            return self._snapshot

    def _whole(self, revision: str) -> CorpusSnapshot:
        """The in-memory BM25 snapshot: loaded when persisted at this revision, else rebuilt whole."""
        persisted = load_snapshot(self.path)
        if persisted is not None and persisted.revision == revision:
            return persisted
        snapshot = CorpusSnapshot.build(self.store, revision)
        save_snapshot(snapshot, self.path)
        return snapshot

    def _incremental(self, revision: str) -> CorpusSnapshot:
        """Over the on-disk index: only the documents changed since the last view are read."""
        if self._corpus is None:
            self._corpus = IncrementalCorpus(open_disk(self.settings))
        records = self.store.documents()
        lexical, tables = self._corpus.view(self.store, records, revision)
        return CorpusSnapshot.from_tables(records, lexical, tables, revision)

    def abbreviations(self) -> Abbreviations:
        snapshot = self.current()
        with self._lock:
            if self._abbreviations is None:
                extra = self.settings.user_tables("abbreviations.tsv", self.settings.abbreviations)
                self._abbreviations = Abbreviations.load(extra, snapshot.learned_abbreviations)
            return self._abbreviations


@dataclass
class Agreement:
    """How the persisted lexical index compares with the store's live chunks."""

    missing: list[str]  # live in the store, absent from the index
    extra: list[str]  # in the index, no longer live in the store
    index_found: bool = True
    revision_matches: bool = True

    @property
    def ok(self) -> bool:
        return self.index_found and not self.missing and not self.extra

    def text(self) -> str:
        if not self.index_found:
            return "no lexical index on disk (it is built at the first search)"
        if self.ok:
            return "lexical index agrees with the store"
        return f"lexical index disagrees with the store: {len(self.missing)} missing, {len(self.extra)} extra chunks"


def check_agreement(store: ChunkStore, settings: Settings) -> Agreement:
    """Compare the persisted lexical index with the store's live chunk ids."""
    live_ids = {c.chunk_id for c in store.all_chunks()}
    if settings.lexical_index == "bm25":
        snapshot = load_snapshot(snapshot_path(settings))
        if snapshot is None:
            return Agreement(missing=sorted(live_ids), extra=[], index_found=False, revision_matches=False)
        indexed = set(snapshot.lexical.chunk_ids) if isinstance(snapshot.lexical, BM25Index) else set()
        revision_matches = snapshot.revision == store.revision()
    else:
        if not (lexical_dir(settings) / "chunks" / "meta.json").exists():
            return Agreement(missing=sorted(live_ids), extra=[], index_found=False, revision_matches=False)
        disk = open_disk(settings)
        searcher = disk.searcher()
        indexed = set(disk.chunk_ids(searcher))
        live = {r.meta.doc_id: r.generation for r in store.documents()}
        revision_matches = disk.markers(searcher) == live
    return Agreement(missing=sorted(live_ids - indexed), extra=sorted(indexed - live_ids), revision_matches=revision_matches)
