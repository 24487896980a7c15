"""A folder's README is no report: skipped with its reason inside a folder, read when given directly."""
from __future__ import annotations

from pathlib import Path

from ingest.walker import FOLDER_NOTE_REASON, walk


def test_readme_in_a_folder_is_skipped_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("README.md", "sub/readme.txt", "Readme", "bao_cao.txt", "README_2023.txt"):
        (tmp_path / name).write_text("Báo cáo\n", encoding="utf-8")
    result = walk([tmp_path])
    read = sorted(f.rel for f in result.files)
    assert read == ["README_2023.txt", "bao_cao.txt"]
    skipped = {Path(s.path).relative_to(tmp_path).as_posix(): s.reason for s in result.skipped}
    assert skipped == {"README.md": FOLDER_NOTE_REASON, "sub/readme.txt": FOLDER_NOTE_REASON, "Readme": FOLDER_NOTE_REASON}


def test_readme_given_directly_is_read(tmp_path: Path) -> None:
    note = tmp_path / "README.md"
    note.write_text("Ghi chú\n", encoding="utf-8")
    result = walk([note])
    assert [f.path for f in result.files] == [note]
    assert result.skipped == []


def test_prune_removes_a_stored_readme_of_the_folder(tmp_path: Path) -> None:
    from baocao.settings import Settings
    from ingest.pipeline import ingest_paths
    from vectorstore.embedders import get_embedder
    from vectorstore.store import open_store

    settings = Settings(data_dir=tmp_path / "data")
    store = open_store(settings, get_embedder(settings))
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "README.md").write_text("# Thư mục\n\nCác báo cáo năm 2023 của huyện.\n", encoding="utf-8")
    (folder / "bc.txt").write_text("BÁO CÁO\nKết quả năm 2023\n\nThu ngân sách đạt 120 tỷ đồng.\n", encoding="utf-8")
    embedder = get_embedder(settings)
    ingest_paths([folder / "README.md"], store, embedder, settings, progress=False)  # given directly: read
    assert [r.meta.source for r in store.documents()] == ["README.md"]
    summary = ingest_paths([folder], store, embedder, settings, prune=True, progress=False)
    assert sorted(r.meta.source for r in store.documents()) == ["bc.txt"]
    assert [r.status for r in summary.results if r.status == "removed"] == ["removed"]
