"""Saving uploaded files safely and ingesting them (no Streamlit here: tested directly).

Rules: only the allowed types, not empty, at most ``settings.max_file_mb``; saved only under
``settings.data_dir / "uploads"`` with a cleaned name (no folders, no path traversal); a name
already used by a *different* file (on disk or as a document id in the store) gets a suffix
instead of overwriting it. The pipeline replaces a document all-or-nothing, so a failed
upload cannot damage what is stored; its saved file is removed again.
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baocao.protocols import ChunkStore
from baocao.settings import Settings
from ui.i18n import reason_text, t
from vectorstore.retriever import SearchStack

ALLOWED_SUFFIXES = (".docx", ".pdf", ".txt", ".md", ".html", ".htm")
MAX_NAME_CHARS = 120

ProgressFn = Callable[[int, int, str], None]  # (files done, total, current file name)


@dataclass
class UploadResult:
    name: str  # as uploaded
    status: str  # new | updated | unchanged | failed
    reason: str = ""
    saved_as: str = ""  # path under data_dir/uploads ("" when rejected or removed)
    doc_id: str = ""
    chunks: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def uploads_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "uploads"


def safe_filename(name: str) -> str:
    """The file-name part of ``name`` with only harmless characters (Vietnamese letters kept)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    name = re.sub(r"[^\w.\-() ]+", "_", name)
    name = re.sub(r"\s+", " ", name).strip(" ._")
    stem, suffix = os.path.splitext(name)
    stem = stem.strip(" ._") or "upload"
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix or ""):
        stem, suffix = (stem + suffix).strip(" ._") or "upload", ""
    return stem[:MAX_NAME_CHARS] + suffix.lower()


def check_upload(name: str, data: bytes, max_mb: float, lang: str = "vi") -> str:
    """Why this upload is refused (in ``lang``), or "" when it may be saved."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(s.lstrip(".") for s in ALLOWED_SUFFIXES)
        return t("r_type", lang, suffix=suffix or "—", allowed=allowed)
    if not data:
        return t("r_empty", lang)
    size_mb = len(data) / 1024 / 1024
    if size_mb > max_mb:
        return t("r_too_big", lang, size=f"{size_mb:.1f}", limit=f"{max_mb:g}")
    return ""


def choose_path(folder: Path, name: str, data: bytes, taken_ids: dict[str, str]) -> tuple[Path, bool]:
    """(where to save, whether that file already holds these very bytes).

    ``taken_ids`` maps document ids in the store to their file path: a document ingested
    from elsewhere under the same name must not be replaced by this upload.
    """
    stem, suffix = os.path.splitext(name)
    for i in range(0, 10_000):
        candidate = folder / (f"{stem}-{i}{suffix}" if i else name)
        owner = taken_ids.get(candidate.name)
        if owner is not None and Path(owner) != candidate:
            continue  # the name is a document id of another file
        if not candidate.exists():
            return candidate, False
        if candidate.is_file() and candidate.read_bytes() == data:
            return candidate, True
    raise OSError(f"no free file name for {name}")


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(data)
    os.replace(partial, path)


def _taken_ids(store: ChunkStore) -> dict[str, str]:
    return {r.meta.doc_id: r.meta.path for r in store.documents()}


def save_and_ingest(
    files: list[tuple[str, bytes]],
    stack: SearchStack,
    *,
    on_progress: ProgressFn | None = None,
    lang: str = "vi",
    ingest: Callable[..., Any] | None = None,
) -> list[UploadResult]:
    """Validate, save and ingest each file; one result per file, in order."""
    if ingest is None:
        from ingest.pipeline import ingest_paths

        ingest = ingest_paths
    folder = uploads_dir(stack.settings)
    results: list[UploadResult] = []
    total = len(files)
    for index, (raw_name, data) in enumerate(files):
        if on_progress:
            on_progress(index, total, raw_name)
        results.append(_save_and_ingest_one(raw_name, data, folder, stack, lang, ingest))
    if on_progress:
        on_progress(total, total, "")
    return results


def _save_and_ingest_one(
    raw_name: str, data: bytes, folder: Path, stack: SearchStack, lang: str, ingest: Callable[..., Any]
) -> UploadResult:
    settings, store = stack.settings, stack.store
    name = safe_filename(raw_name)
    problem = check_upload(name, data, settings.max_file_mb, lang)
    if problem:
        return UploadResult(raw_name, "failed", problem)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path, existed = choose_path(folder, name, data, _taken_ids(store))
        if not existed:
            _write(path, data)
    except OSError as exc:
        return UploadResult(raw_name, "failed", t("r_other", lang, detail=f"{type(exc).__name__}: {exc}"))
    try:
        summary = ingest([path], store, stack.embedder, settings, progress=False)
        result = next((r for r in summary.results if Path(r.path) == path), None)
    except Exception as exc:
        result = None
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "no result from the pipeline" if result is None else result.reason
    if result is None or result.status == "failed":
        if not existed:
            path.unlink(missing_ok=True)
        return UploadResult(raw_name, "failed", reason_text(reason, lang))
    note = reason_text(result.reason, lang) if result.reason else ""
    return UploadResult(raw_name, result.status, note, str(path), result.doc_id, result.chunks)
