"""Files in, a consistent store out: read → metadata → chunk → embed → store, per document.

Incremental and idempotent: each document's content hash (raw bytes + user metadata + the
pipeline version) decides whether it is new, updated or unchanged. A failure in one file
never stops the others and never leaves part of a document in the store.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from baocao.llm_tokens import count_llm_tokens
from baocao.models import DocumentMeta, DocumentRecord, ParsedDocument
from baocao.protocols import ChunkStore, Embedder
from baocao.settings import Settings
from ingest.chunker import chunk_document
from ingest.lock import ingest_lock
from ingest.metadata import apply_overrides, extract_metadata, find_sidecar_overrides
from ingest.readers import SUPPORTED_EXTENSIONS, ReadError, TextLimits, read_data
from ingest.targets import extract_targets
from ingest.walker import FOLDER_NOTE_REASON, Found, UnsafeFileError, read_bounded, walk

# Bump when reading, metadata or chunking change in a way that should re-index documents.
PIPELINE_VERSION = "6"  # 2: chunks carry their layout; 3: layout normalisation (ingest.layout), metadata from crawled layouts, tone-mark fix; 4: target records (ingest.targets); 5: a title from the opening lines of a text without a header block (law articles), in every chunk's context; a text-only document that fits in one chunk is one chunk; 6: enumerated lines ending with ';' are list items, not headings

Status = Literal["new", "updated", "unchanged", "failed", "removed", "skipped"]
STATUSES: tuple[Status, ...] = ("new", "updated", "unchanged", "removed", "skipped", "failed")


def printable(text: str) -> str:
    """``text`` on one line: control characters (a newline in a file name) written as escapes."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


@dataclass
class FileResult:
    path: str
    status: Status
    doc_id: str = ""
    chunks: int = 0
    reason: str = ""

    def line(self) -> str:
        path, reason = printable(self.path), printable(self.reason)
        if self.status == "failed":
            return f"FAILED     {path}: {reason}"
        extra = f" ({self.chunks} chunks)" if self.chunks else ""
        note = f" — {reason}" if reason else ""
        return f"{self.status:<10} {path}{extra}{note}"


@dataclass
class IngestSummary:
    results: list[FileResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "chunk": 0.0, "embed": 0.0, "store": 0.0})
    elapsed: float = 0.0
    repaired: int = 0  # chunks an interrupted run left behind, removed before this one
    notes: list[str] = field(default_factory=list)  # lines about the run itself (waiting for a lock, a repair)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.results if r.status in ("new", "updated"))

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0

    def text(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in STATUSES if s != "skipped" or self.count(s)]
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())
        return (
            f"Documents: {', '.join(parts)}. Chunks written: {self.chunks_written}. "
            f"Time: {self.elapsed:.1f}s ({timing})."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [r.__dict__ for r in self.results],
            "counts": {s: self.count(s) for s in STATUSES},
            "chunks_written": self.chunks_written,
            "repaired_chunks": self.repaired,
            "notes": self.notes,
            "timings": self.timings,
            "elapsed": self.elapsed,
        }


def discover_files(
    paths: list[Path], follow_symlinks_outside: bool = False
) -> tuple[list[Found], list[FileResult]]:
    """The files under ``paths`` (``ingest.walker``) and one result for every entry not read.

    A path given directly that cannot be read (missing, a FIFO, a device, an empty folder) is a
    failure; an entry skipped inside a folder (a link out of it, a loop, a FIFO) is "skipped".
    """
    walked = walk(paths, follow_symlinks_outside=follow_symlinks_outside)
    given = {str(Path(p)) for p in paths}
    problems = [
        FileResult(s.path, "failed" if s.path in given else "skipped", reason=s.reason) for s in walked.skipped
    ]
    return walked.files, problems


def document_key(found: Found, key_prefix: str = "") -> str:
    """The source key a file is known by: its path relative to the folder given (its name for a
    file given directly), under ``key_prefix`` when one is set (``baocao ingest --key-prefix``)."""
    prefix = key_prefix.strip().strip("/")
    return f"{prefix}/{found.rel}" if prefix else found.rel


class Identities:
    """Which stored document a file is, so that a name clash across folders never replaces a document.

    A file already stored (same resolved path) keeps its id. Otherwise its source key is the id,
    unless that id belongs to another file that still exists: then the id is the folder's name +
    the key, else the key + a hash of the resolved path, and the result says so. A stored
    document whose file is gone is taken to have moved: a file with its key replaces it.
    """

    def __init__(self, known: dict[str, DocumentRecord]) -> None:
        self.owner = {doc_id: r.meta.path for doc_id, r in known.items()}
        self.by_path = {r.meta.path: doc_id for doc_id, r in known.items() if r.meta.path}

    def assign(self, found: Found, key_prefix: str = "") -> tuple[str, str]:
        """(doc_id, note): the note is '' unless the id is not the plain source key."""
        resolved = str(found.path.resolve())
        if resolved in self.by_path:
            return self.by_path[resolved], ""
        key = document_key(found, key_prefix)
        digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        folder = found.root.resolve().name
        candidates = [key, *([f"{folder}/{key}"] if folder else []), f"{key}#{digest}"]
        for candidate in dict.fromkeys(candidates):
            owner = self.owner.get(candidate)
            if owner is None or owner == resolved or not _exists(owner):
                self.owner[candidate] = resolved
                self.by_path[resolved] = candidate
                if candidate == key:
                    return candidate, ""
                return candidate, f"stored as '{candidate}': '{key}' is already {self.owner_of(key)}"
        raise ValueError(f"no free document id for {key}")  # unreachable: the hashed id is unique per path

    def owner_of(self, doc_id: str) -> str:
        return self.owner.get(doc_id, "")


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except OSError:
        return False


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return path


def content_hash(data: bytes, overrides: dict[str, Any]) -> str:
    digest = hashlib.sha256(data)
    digest.update(json.dumps(overrides, sort_keys=True, ensure_ascii=False).encode())
    digest.update(PIPELINE_VERSION.encode())
    return digest.hexdigest()


def parse_file(
    file: Path, doc_id: str, data: bytes, overrides: dict[str, Any], embedder: Embedder, settings: Settings,
    timings: dict[str, float],
) -> ParsedDocument:
    """Read, extract metadata, chunk. Raises ReadError / ValueError with a user-facing reason."""
    started = time.perf_counter()
    raw = read_data(data, file.suffix, TextLimits(settings.max_line_chars))
    meta = extract_metadata(raw.text, file.name)
    meta.doc_id, meta.source, meta.path = doc_id, file.name, str(file.resolve())
    meta.content_hash = content_hash(data, overrides)
    if overrides:
        meta = apply_overrides(meta, overrides)
    timings["read"] += time.perf_counter() - started

    started = time.perf_counter()
    chunks = chunk_document(
        raw.text, meta, embedder.count_tokens, max_tokens=settings.chunk_max_tokens, count_llm_tokens=count_llm_tokens
    )
    if not chunks:
        raise ReadError("no text content after parsing")
    warnings = list(raw.warnings)
    top = settings.max_chunks_per_doc
    if top > 0 and len(chunks) > top:
        warnings.append(f"cut to its first {top} of {len(chunks)} chunks (BAOCAO_MAX_CHUNKS_PER_DOC)")
        chunks = chunks[:top]
    targets = extract_targets(chunks, meta)
    timings["chunk"] += time.perf_counter() - started
    return ParsedDocument(meta=meta, original_text=raw.text, chunks=chunks, encoding=raw.encoding,
                          source_format=raw.source_format, warnings=warnings,
                          targets=targets)


def write_document(
    file: Path, doc_id: str, data: bytes, overrides: dict[str, Any], store: ChunkStore, embedder: Embedder,
    settings: Settings, timings: dict[str, float],
) -> ParsedDocument:
    """Read, chunk, embed and write one document as its live version (``store.replace_document``:
    all of its new chunks or none). The one write path of the single-process ingest and of the
    queue's workers (``ingest.queue``)."""
    parsed = parse_file(file, doc_id, data, overrides, embedder, settings, timings)
    started = time.perf_counter()
    vectors = embedder.embed_passages([c.embed_text for c in parsed.chunks])
    timings["embed"] += time.perf_counter() - started
    started = time.perf_counter()
    store.replace_document(parsed, vectors)
    timings["store"] += time.perf_counter() - started
    return parsed


def ingest_paths(
    paths: list[Path],
    store: ChunkStore,
    embedder: Embedder,
    settings: Settings,
    *,
    prune: bool = False,
    cli_overrides: dict[str, Any] | None = None,
    progress: bool = True,
    on_file: Callable[[FileResult], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    key_prefix: str = "",
) -> IngestSummary:
    """Ingest ``paths`` into ``store``, one ingest per data folder at a time (``ingest.lock``).

    Raises ingest.lock.IngestLockedError when another ingest holds the folder past
    ``settings.ingest_lock_wait_s``.
    """
    summary = IngestSummary()
    started_all = time.perf_counter()

    def note(line: str) -> None:
        summary.notes.append(line)
        if on_note is not None:
            on_note(line)

    with ingest_lock(settings.data_dir, settings.ingest_lock_wait_s, note):
        _ingest_locked(paths, store, embedder, settings, summary, prune, cli_overrides or {}, progress, on_file,
                       key_prefix)
    if summary.repaired:
        note(f"store repaired: removed {summary.repaired} chunks left by an interrupted run")
    summary.elapsed = time.perf_counter() - started_all
    return summary


def _ingest_locked(
    paths: list[Path], store: ChunkStore, embedder: Embedder, settings: Settings, summary: IngestSummary,
    prune: bool, cli_overrides: dict[str, Any], progress: bool, on_file: Callable[[FileResult], None] | None,
    key_prefix: str,
) -> None:
    summary.repaired = store.repair()  # finish any interrupted replacement before looking at hashes
    files, problems = discover_files(paths, settings.follow_symlinks_outside)
    summary.results.extend(problems)
    if on_file:
        for problem in problems:
            on_file(problem)
    known = {r.meta.doc_id: r for r in store.documents()}
    hashes_seen: dict[str, str] = {r.meta.content_hash: r.meta.doc_id for r in known.values()}
    identities = Identities(known)
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    seen: set[str] = set()

    bar = tqdm(files, desc="Ingesting", unit="file", disable=not progress)
    for found in bar:
        bar.set_postfix_str(printable(found.path.name[:40]))
        doc_id, id_note = identities.assign(found, key_prefix)
        seen.add(doc_id)
        result = _ingest_one(
            found.path, doc_id, store, embedder, settings, known, hashes_seen, max_bytes, cli_overrides,
            summary.timings,
        )
        if id_note and result.status != "failed":
            result.reason = f"{id_note}; {result.reason}" if result.reason else id_note
        summary.results.append(result)
        if on_file and progress:
            with tqdm.external_write_mode(file=bar.fp):  # the bar steps off its line while the report's line is printed
                on_file(result)
        elif on_file:
            on_file(result)

    if prune:
        # A folder's README stored by an earlier version is no report either: it goes too.
        notes = {_resolved(p.path) for p in problems if p.reason == FOLDER_NOTE_REASON}
        for doc_id, record in known.items():
            if doc_id in seen:
                continue
            if not _exists(record.meta.path):
                store.delete_document(doc_id)
                summary.results.append(FileResult(record.meta.path or doc_id, "removed", doc_id, reason="file is gone"))
            elif record.meta.path and _resolved(record.meta.path) in notes:
                store.delete_document(doc_id)
                summary.results.append(FileResult(record.meta.path, "removed", doc_id, reason=FOLDER_NOTE_REASON))


def _ingest_one(
    file: Path, doc_id: str, store: ChunkStore, embedder: Embedder, settings: Settings, known: dict[str, Any],
    hashes_seen: dict[str, str], max_bytes: int, cli_overrides: dict[str, Any], timings: dict[str, float],
) -> FileResult:
    label = str(file)
    if file.suffix.lower() not in SUPPORTED_EXTENSIONS:
        return FileResult(label, "failed", doc_id, reason=f"unsupported file type '{file.suffix or '(none)'}'")
    try:
        data = read_bounded(file, max_bytes)
        overrides = {**find_sidecar_overrides(file), **cli_overrides}
    except UnsafeFileError as exc:
        return FileResult(label, "failed", doc_id, reason=str(exc))
    except (OSError, ValueError) as exc:
        return FileResult(label, "failed", doc_id, reason=str(exc))

    digest = content_hash(data, overrides)
    previous = known.get(doc_id)
    if previous is not None and previous.meta.content_hash == digest:
        hashes_seen[digest] = doc_id
        return FileResult(label, "unchanged", doc_id, previous.chunk_count)
    twin = hashes_seen.get(digest)
    if twin is not None and twin != doc_id:
        return FileResult(label, "failed", doc_id, reason=f"duplicate of {twin} (same content); not ingested twice")

    try:
        parsed = write_document(file, doc_id, data, overrides, store, embedder, settings, timings)
    except (ReadError, ValueError, UnicodeError) as exc:
        return FileResult(label, "failed", doc_id, reason=str(exc))
    except Exception as exc:  # keep going with the other files; the store is untouched for this one
        return FileResult(label, "failed", doc_id, reason=f"{type(exc).__name__}: {exc}")

    hashes_seen[digest] = doc_id
    return FileResult(label, "updated" if previous else "new", doc_id, len(parsed.chunks), "; ".join(parsed.warnings))


def describe(meta: DocumentMeta) -> str:
    return meta.short_title or meta.title or meta.source
