"""A sample-corpus store built with a deterministic embedder, for the target-record tests."""
from __future__ import annotations

from pathlib import Path

from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.pipeline import ingest_paths
from tests.test_store import FakeEmbedder
from vectorstore.store import ChromaChunkStore, EmbeddingSpace


def sample_target_store(data_dir: Path, corpus: Path = SAMPLE_CORPUS) -> tuple[Settings, ChromaChunkStore, FakeEmbedder]:
    settings = Settings(data_dir=data_dir)
    embedder = FakeEmbedder()
    store = ChromaChunkStore(settings, EmbeddingSpace.of(embedder))
    summary = ingest_paths([corpus], store, embedder, settings, progress=False)
    assert not summary.failed, [r.line() for r in summary.results if r.status == "failed"]
    return settings, store, embedder
