"""evals.glossary_gaps: the documents' frequent word pairs the glossary does not translate."""
from __future__ import annotations

from pathlib import Path

import pytest

from evals.glossary_gaps import gaps, glossary_pairs, main


def _documents(tmp_path: Path) -> list[Path]:
    texts = ["Quả bóng tròn và tài chính công của tỉnh.", "Tài chính năm nay; quả bóng đá.", "Quả bóng một lần."]
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"{i}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_pairs_the_glossary_translates_are_left_out(tmp_path: Path) -> None:
    held = glossary_pairs()
    assert "tài chính" in held and "quả bóng" not in held
    found = dict(gaps(_documents(tmp_path), 2, held))
    assert found == {"quả bóng": 3}  # "tài chính" is in two documents but translated; stopword pairs never count


def test_the_command_prints_counts_and_refuses_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _documents(tmp_path)
    assert main([str(tmp_path), "--min-docs", "3"]) == 0
    assert capsys.readouterr().out == "3\tquả bóng\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit) as refused:
        main([str(empty)])
    assert refused.value.code == 2
