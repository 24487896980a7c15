"""The heavy objects behind the UI (store, retriever, assistant), cached across reruns and sessions.

Settings are read fresh on each run (cheap) and the caches are keyed by their JSON, so a
different ``BAOCAO_DATA_DIR`` gets its own store. Retriever and assistant are also keyed by
a signature of the store's documents: after an upload, an edit or a removal (from this page,
another session or the CLI) they are rebuilt on the next run.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, Settings

DEFAULT_QUESTION_SET = DEV_QUESTION_SET
_INGEST_LOCK = threading.Lock()  # one ingest of the sample corpus per process


@dataclass
class Context:
    """What every page needs."""

    settings: Settings
    store: Any  # vectorstore.store.ChunkStore
    lang: str
    filters: dict[str, Any] = field(default_factory=dict)


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
def _store(key: str, _settings: Settings) -> Any:
    from vectorstore.embedders import get_embedder
    from vectorstore.store import ChunkStore

    return ChunkStore(_settings, get_embedder(_settings))


def get_store(settings: Settings) -> Any:
    return _store(settings_key(settings), settings)


def store_signature(store: Any) -> str:
    """Changes whenever a document is added, replaced, removed or has its metadata edited."""
    rows = sorted(
        (r.meta.doc_id, r.generation, r.chunk_count, json.dumps(r.meta.to_dict(), sort_keys=True, ensure_ascii=False))
        for r in store.documents()
    )
    return hashlib.sha1(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=2)
def _retriever(key: str, signature: str, _settings: Settings, _store: Any) -> Any:
    from vectorstore.retriever import build_retriever

    return build_retriever(_settings, _store)


def get_retriever(settings: Settings, store: Any) -> Any:
    return _retriever(settings_key(settings), store_signature(store), settings, store)


@st.cache_resource(show_spinner=False, max_entries=2)
def _assistant(key: str, signature: str, _settings: Settings, _retriever: Any) -> Any:
    from assistant.service import Assistant

    return Assistant(_retriever, _settings)  # shares the page's retriever (one lexical index)


def get_assistant(settings: Settings, store: Any) -> Any:
    signature = store_signature(store)
    retriever = _retriever(settings_key(settings), signature, settings, store)
    return _assistant(settings_key(settings), signature, settings, retriever)


# ----------------------------------------------------------------------------- sample corpus


def _sample_flag(settings: Settings) -> Path:
    return Path(settings.data_dir) / f".sample-ingested-{settings.collection}"


def needs_sample_corpus(store: Any, settings: Settings) -> bool:
    """True on the very first open: an empty store that never got the sample corpus."""
    return not _sample_flag(settings).exists() and not store.documents()


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLE_CORPUS.iterdir() if p.is_file() and not p.name.startswith("."))


def ingest_sample_corpus(store: Any, settings: Settings, on_file: Callable[[Any], None] | None = None) -> Any:
    """Ingest the shipped reports once (other sessions wait for the first one)."""
    from ingest.pipeline import ingest_paths

    with _INGEST_LOCK:
        if store.documents():
            _sample_flag(settings).touch()
            return None
        summary = ingest_paths([SAMPLE_CORPUS], store, settings, progress=False, on_file=on_file)
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


def filter_options(store: Any) -> FilterOptions:
    records = store.documents()
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


def config_summary(settings: Settings, store: Any) -> dict[str, str]:
    llm = settings.llm
    return {
        "embedder": getattr(store.embedder, "name", settings.embedder),
        "store": f"{store.location} ({settings.collection})",
        "llm": f"{llm.provider}: {llm.model}" if llm.provider != "none" else "",
    }


def history_turns(assistant: Any, entries: list[dict[str, Any]]) -> list[Any]:
    """Earlier questions and answers of this conversation, for follow-up questions."""
    return [assistant.turn(e["question"], e["answer"]) for e in entries if e.get("answer") is not None]
