"""Pipeline behaviour that needs no real embedder: recursion, metadata overrides, repair."""
import json
import shutil
from pathlib import Path

from baocao.protocols import ChunkStore
from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.pipeline import ingest_paths
from tests.test_store import EMBEDDER, open_store

HUONG_TRA = SAMPLE_CORPUS / "001_4f6835b70005be68.txt"
PHUONG_2 = SAMPLE_CORPUS / "004_616d0573625243ea.txt"


def fake_store(tmp_path: Path) -> ChunkStore:
    return open_store(Settings(data_dir=tmp_path / "data"))


def test_folders_are_recursed_and_doc_ids_are_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "in" / "2023" / "q4").mkdir(parents=True)
    shutil.copy(HUONG_TRA, tmp_path / "in" / "2023" / "q4" / HUONG_TRA.name)
    shutil.copy(PHUONG_2, tmp_path / "in" / PHUONG_2.name)
    (tmp_path / "in" / ".hidden.txt").write_text("bỏ qua", encoding="utf-8")
    store = fake_store(tmp_path)
    summary = ingest_paths([tmp_path / "in"], store, EMBEDDER, store.settings, progress=False)
    assert summary.count("new") == 2 and not summary.failed
    assert sorted(r.meta.doc_id for r in store.documents()) == [PHUONG_2.name, f"2023/q4/{HUONG_TRA.name}"]


def test_sidecar_and_cli_metadata_override_extraction(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / HUONG_TRA.name
    shutil.copy(HUONG_TRA, target)
    store = fake_store(tmp_path)
    ingest_paths([folder], store, EMBEDDER, store.settings, progress=False)
    assert store.documents()[0].meta.locality == "Hương Trà"

    (folder / f"{HUONG_TRA.name}.meta.json").write_text(json.dumps({"locality": "Hương Trà (cũ)", "doc_number": "9/BC-UBND"}, ensure_ascii=False), encoding="utf-8")
    summary = ingest_paths([folder], store, EMBEDDER, store.settings, progress=False)
    assert summary.count("updated") == 1  # a new override changes the document's hash
    meta = store.documents()[0].meta
    assert (meta.locality, meta.doc_number) == ("Hương Trà (cũ)", "9/BC-UBND")
    assert {c.meta.doc_number for c in store.all_chunks()} == {"9/BC-UBND"}

    summary = ingest_paths([folder], store, EMBEDDER, store.settings, progress=False, cli_overrides={"doc_number": "10/BC-UBND"})
    assert summary.count("updated") == 1
    assert store.documents()[0].meta.doc_number == "10/BC-UBND"  # the command line wins over the sidecar


def test_a_bad_sidecar_fails_that_file_with_its_reason(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(HUONG_TRA, folder / HUONG_TRA.name)
    shutil.copy(PHUONG_2, folder / PHUONG_2.name)
    (folder / f"{HUONG_TRA.name}.meta.json").write_text('{"no_such_field": 1}', encoding="utf-8")
    store = fake_store(tmp_path)
    summary = ingest_paths([folder], store, EMBEDDER, store.settings, progress=False)
    failed = [r for r in summary.results if r.status == "failed"]
    assert len(failed) == 1 and "no_such_field" in failed[0].reason
    assert [r.meta.source for r in store.documents()] == [PHUONG_2.name]
