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
from baocao.models import DocumentMeta, ParsedDocument
from baocao.protocols import ChunkStore, Embedder
from baocao.settings import Settings
from ingest.chunker import chunk_document
from ingest.metadata import apply_overrides, extract_metadata, find_sidecar_overrides
from ingest.readers import SUPPORTED_EXTENSIONS, ReadError, read_file
from ingest.targets import extract_targets

# Bump when reading, metadata or chunking change in a way that should re-index documents.
PIPELINE_VERSION = "4"  # 2: chunks carry their layout; 3: layout normalisation (ingest.layout), metadata from crawled layouts, tone-mark fix; 4: target records (ingest.targets)

Status = Literal["new", "updated", "unchanged", "failed", "removed"]
SIDECAR_SUFFIXES = (".meta.json",)
SIDECAR_NAMES = {"metadata.json"}


@dataclass
class FileResult:
    path: str
    status: Status
    doc_id: str = ""
    chunks: int = 0
    reason: str = ""

    def line(self) -> str:
        if self.status == "failed":
            return f"FAILED     {self.path}: {self.reason}"
        extra = f" ({self.chunks} chunks)" if self.chunks else ""
        note = f" — {self.reason}" if self.reason else ""
        return f"{self.status:<10} {self.path}{extra}{note}"


@dataclass
class IngestSummary:
    results: list[FileResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "chunk": 0.0, "embed": 0.0, "store": 0.0})
    elapsed: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.results if r.status in ("new", "updated"))

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0

    def text(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("new", "updated", "unchanged", "removed", "failed")]
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())
        return (
            f"Documents: {', '.join(parts)}. Chunks written: {self.chunks_written}. "
            f"Time: {self.elapsed:.1f}s ({timing})."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [r.__dict__ for r in self.results],
            "counts": {s: self.count(s) for s in ("new", "updated", "unchanged", "removed", "failed")},
            "chunks_written": self.chunks_written,
            "timings": self.timings,
            "elapsed": self.elapsed,
        }


def discover_files(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[FileResult]]:
    """(file, doc_id) for every file under ``paths``; missing paths become failures.

    The doc_id is the file's path relative to the folder given (its name for a file given
    directly), so re-ingesting the same folder finds the same documents.
    """
    found: list[tuple[Path, str]] = []
    missing: list[FileResult] = []
    for root in paths:
        if not root.exists():
            missing.append(FileResult(str(root), "failed", reason="path not found"))
        elif root.is_dir():
            for file in sorted(root.rglob("*")):
                rel = file.relative_to(root)
                if file.is_file() and not _is_ignored(rel):
                    found.append((file, rel.as_posix()))
        else:
            found.append((root, root.name))
    return found, missing


def _is_ignored(rel: Path) -> bool:
    if any(part.startswith(".") for part in rel.parts):
        return True
    return rel.name in SIDECAR_NAMES or rel.name.endswith(SIDECAR_SUFFIXES)


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
    raw = read_file(file, max_bytes=int(settings.max_file_mb * 1024 * 1024))
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
    targets = extract_targets(chunks, meta)
    timings["chunk"] += time.perf_counter() - started
    return ParsedDocument(
        meta=meta, original_text=raw.text, chunks=chunks, encoding=raw.encoding, source_format=raw.source_format,
        targets=targets,
    )


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
) -> IngestSummary:
    summary = IngestSummary()
    started_all = time.perf_counter()
    repaired = store.repair()  # finish any interrupted replacement before looking at hashes
    files, missing = discover_files(paths)
    summary.results.extend(missing)
    known = {r.meta.doc_id: r for r in store.documents()}
    hashes_seen: dict[str, str] = {r.meta.content_hash: r.meta.doc_id for r in known.values()}
    max_bytes = int(settings.max_file_mb * 1024 * 1024)

    bar = tqdm(files, desc="Ingesting", unit="file", disable=not progress)
    for file, doc_id in bar:
        bar.set_postfix_str(file.name[:40])
        result = _ingest_one(
            file, doc_id, store, embedder, settings, known, hashes_seen, max_bytes, cli_overrides or {}, summary.timings
        )
        summary.results.append(result)
        if on_file:
            on_file(result)

    if prune:
        seen = {doc_id for _, doc_id in files}
        for doc_id, record in known.items():
            if doc_id not in seen and not Path(record.meta.path).exists():
                store.delete_document(doc_id)
                summary.results.append(FileResult(record.meta.path or doc_id, "removed", doc_id, reason="file is gone"))
    if repaired:
        summary.results.append(
            FileResult("(store)", "updated", reason=f"removed {repaired} chunks left by an interrupted run")
        )
    summary.elapsed = time.perf_counter() - started_all
    return summary


def _ingest_one(
    file: Path, doc_id: str, store: ChunkStore, embedder: Embedder, settings: Settings, known: dict[str, Any],
    hashes_seen: dict[str, str], max_bytes: int, cli_overrides: dict[str, Any], timings: dict[str, float],
) -> FileResult:
    label = str(file)
    if file.suffix.lower() not in SUPPORTED_EXTENSIONS:
        return FileResult(label, "failed", doc_id, reason=f"unsupported file type '{file.suffix or '(none)'}'")
    try:
        size = file.stat().st_size
        if size > max_bytes:
            return FileResult(
                label, "failed", doc_id,
                reason=f"file is {size / 1024 / 1024:.1f} MB, over the {settings.max_file_mb:g} MB limit",
            )
        data = file.read_bytes()
        overrides = {**find_sidecar_overrides(file), **cli_overrides}
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
        parsed = parse_file(file, doc_id, data, overrides, embedder, settings, timings)
        started = time.perf_counter()
        vectors = embedder.embed_passages([c.embed_text for c in parsed.chunks])
        timings["embed"] += time.perf_counter() - started
        started = time.perf_counter()
        store.replace_document(parsed, vectors)
        timings["store"] += time.perf_counter() - started
    except (ReadError, ValueError, UnicodeError) as exc:
        return FileResult(label, "failed", doc_id, reason=str(exc))
    except Exception as exc:  # keep going with the other files; the store is untouched for this one
        return FileResult(label, "failed", doc_id, reason=f"{type(exc).__name__}: {exc}")

    hashes_seen[digest] = doc_id
    return FileResult(label, "updated" if previous else "new", doc_id, len(parsed.chunks))


def describe(meta: DocumentMeta) -> str:
    return meta.short_title or meta.title or meta.source
