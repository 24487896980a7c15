"""The store benchmark runs end to end on a tiny store (a script, timed by hand: nothing here checks a time)."""
from __future__ import annotations

from pathlib import Path

from baocao.settings import Settings
from vectorstore import bench_search
from vectorstore.snapshot import check_agreement
from vectorstore.store import open_store


def test_the_benchmark_builds_measures_and_reuses_a_tiny_store(tmp_path: Path) -> None:
    first = bench_search.measure(200, tmp_path, doc_chunks=50, update=True, repeat=1)
    assert first["build_s"] is not None and first["queries"] == len(bench_search.bench_queries())
    for key in ("open_s", "search_p95_ms", "write_s", "visible_s", "gone_s"):
        assert first[key] >= 0, key
    assert first["corpus_tables_mb"] > 0  # the first reader persisted the summed tables
    settings = Settings(data_dir=tmp_path / "store-200-tantivy", collection="bench", lexical_index="tantivy")
    store = open_store(settings, bench_search.HashingEmbedder())
    assert store.count_chunks() == 200 and len(store.documents()) == 4  # the timed document is gone again
    assert check_agreement(store, settings).ok
    again = bench_search.measure(200, tmp_path, doc_chunks=50, repeat=1)
    assert again["build_s"] is None and "visible_s" not in again  # the store is reused, not rebuilt


def test_template_chunks_come_from_the_sample_reports_under_their_headings() -> None:
    runs = bench_search.paragraph_runs("I. Kết quả\n\nDòng một.\n\nDòng hai.\n\nII. Nhiệm vụ\n\nDòng ba.")
    assert runs == [(["I. Kết quả"], "Dòng một.\nDòng hai."), (["II. Nhiệm vụ"], "Dòng ba.")]
    chunks = bench_search.sample_chunks()
    assert chunks and all(c.text for c in chunks) and len(bench_search.sentences_of(chunks)) > len(chunks)
