"""The heavy objects behind the UI (embedder, store, corpus snapshots, retriever, assistant), cached
across reruns and sessions.

Settings are read fresh on each run (cheap) and the components are cached by their JSON, so a
different ``BAOCAO_DATA_DIR`` gets its own store. Nothing else keys the caches: the retriever and
the assistant read the store's current corpus snapshot, which follows ``store.revision()``, so an
upload, an edit or a removal (from this page, another session or the CLI) shows at the next question.
"""
from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.service import Assistant
from baocao.protocols import ChunkStore
from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, Settings
from ingest.pipeline import IngestSummary
from vectorstore.retriever import Retriever, SearchStack

DEFAULT_QUESTION_SET = DEV_QUESTION_SET
_INGEST_LOCK = threading.Lock()  # one ingest of the sample corpus per process


@dataclass
class Context:
    """What every page needs."""

    settings: Settings
    stack: SearchStack
    lang: str
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self) -> ChunkStore:
        return self.stack.store


def load_settings() -> Settings:
    return Settings()


def settings_key(settings: Settings) -> str:
    return settings.model_dump_json()


def module_problem(name: str) -> str:
    """Why a part of the project cannot be imported yet ("" when it can); other pages keep working."""
    try:
        importlib.import_module(name)
    except ImportError as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


# ----------------------------------------------------------------------------- cached objects


@st.cache_resource(show_spinner=False, max_entries=4)
def _stack(key: str, _settings: Settings) -> SearchStack:
    return SearchStack.open(_settings)


def get_stack(settings: Settings) -> SearchStack:
    return _stack(settings_key(settings), settings)


@st.cache_resource(show_spinner=False, max_entries=4)
def _retriever(key: str, _stack: SearchStack) -> Retriever:
    return _stack.retriever()


def get_retriever(stack: SearchStack) -> Retriever:
    return _retriever(settings_key(stack.settings), stack)


@st.cache_resource(show_spinner=False, max_entries=4)
def _assistant(key: str, _retriever: Retriever, _settings: Settings) -> Assistant:
    return Assistant(_retriever, _settings)  # shares the page's retriever (one corpus snapshot)


def get_assistant(stack: SearchStack) -> Assistant:
    return _assistant(settings_key(stack.settings), get_retriever(stack), stack.settings)


# ----------------------------------------------------------------------------- sample corpus


def _sample_flag(settings: Settings) -> Path:
    return Path(settings.data_dir) / f".sample-ingested-{settings.collection}"


def needs_sample_corpus(store: ChunkStore, settings: Settings) -> bool:
    """True on the very first open: an empty store that never got the sample corpus."""
    return not _sample_flag(settings).exists() and not store.documents()


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLE_CORPUS.iterdir() if p.is_file() and not p.name.startswith("."))


@dataclass
class IngestProgress:
    """The first open's ingest of the sample reports, as far as it got (read by waiting sessions)."""

    total: int = 0
    done: int = 0
    running: bool = False


INGEST_PROGRESS = IngestProgress()


def log(message: str) -> None:
    """A line in the terminal that runs the app (start-up progress)."""
    print(f"[baocao] {message}", file=sys.stderr, flush=True)


def sample_ingest_running() -> bool:
    return _INGEST_LOCK.locked()


def ingest_sample_corpus(
    stack: SearchStack, on_file: Callable[[Any], None] | None = None
) -> IngestSummary | None:
    """Ingest the shipped reports once (other sessions wait for the first one); progress in the terminal."""
    from ingest.pipeline import FileResult, ingest_paths

    settings = stack.settings
    with _INGEST_LOCK:
        if stack.store.documents():
            _sample_flag(settings).touch()
            return None
        files = sample_files()
        INGEST_PROGRESS.total, INGEST_PROGRESS.done, INGEST_PROGRESS.running = len(files), 0, True
        log(f"first open: ingesting the {len(files)} sample reports into {stack.store.location} "
            "(about a minute on a quiet 2-core machine, longer when it is busy)")
        started = time.perf_counter()

        def each(result: FileResult) -> None:
            INGEST_PROGRESS.done += 1
            log(f"ingest {INGEST_PROGRESS.done}/{len(files)} ({time.perf_counter() - started:.0f} s): {result.line()}")
            if on_file is not None:
                on_file(result)

        try:
            summary = ingest_paths([SAMPLE_CORPUS], stack.store, stack.embedder, settings, progress=False, on_file=each)
        finally:
            INGEST_PROGRESS.running = False
        log(f"ingest done in {time.perf_counter() - started:.0f} s: {summary.text()}")
        if not summary.failed:
            _sample_flag(settings).parent.mkdir(parents=True, exist_ok=True)
            _sample_flag(settings).touch()
        return summary


# ----------------------------------------------------------------------------- filters and config


@dataclass
class FilterOptions:
    localities: list[str]
    years: list[int]
    doc_types: list[str]
    documents: dict[str, str]  # doc_id -> label


KINDS = ["text", "table", "footnote", "closing"]


def filter_options(stack: SearchStack) -> FilterOptions:
    records = stack.snapshots.current().records
    return FilterOptions(
        localities=sorted({r.meta.locality for r in records if r.meta.locality}),
        years=sorted({r.meta.period_year for r in records if r.meta.period_year}, reverse=True),
        doc_types=sorted({r.meta.doc_type for r in records if r.meta.doc_type}),
        documents={r.meta.doc_id: (r.meta.short_title or r.meta.title or r.meta.source) for r in records},
    )


def build_filters(selected: dict[str, list[Any]]) -> dict[str, Any]:
    """Sidebar choices -> retriever filters: one value as a scalar, several as a list, none left out."""
    filters: dict[str, Any] = {}
    for key, values in selected.items():
        values = [v for v in values if v not in (None, "")]
        if len(values) == 1:
            filters[key] = values[0]
        elif values:
            filters[key] = list(values)
    return filters


FILTER_LABELS = {"locality": "f_locality", "period_year": "f_year", "doc_type": "f_doc_type", "kind": "f_kind",
                 "doc_id": "f_doc"}


def describe_filters(filters: dict[str, Any], lang: str, stack: SearchStack) -> str:
    """"Địa phương: Hải Dương; Năm (kỳ báo cáo): 2023" — the sidebar's labels, documents by title."""
    from ui.i18n import t

    documents = filter_options(stack).documents
    parts = []
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if key == "kind":
            shown = [t(f"kind_{v}", lang) for v in values]
        elif key == "doc_id":
            shown = [documents.get(str(v), str(v)) for v in values]
        else:
            shown = [str(v) for v in values]
        parts.append(f"{t(FILTER_LABELS.get(key, key), lang)}: {', '.join(shown)}")
    return "; ".join(parts)


def config_summary(stack: SearchStack) -> dict[str, str]:
    llm = stack.settings.llm
    return {
        "embedder": stack.embedder.name,
        "store": f"{stack.store.location} ({stack.settings.collection})",
        "llm": f"{llm.provider}: {llm.model}" if llm.provider != "none" else "",
    }


def history_turns(assistant: Assistant, entries: list[dict[str, Any]]) -> list[Any]:
    """Earlier questions and answers of this conversation, for follow-up questions."""
    return [assistant.turn(e["question"], e["answer"]) for e in entries if e.get("answer") is not None]
