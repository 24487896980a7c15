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
