"""``baocao start`` (what ``scripts/start.sh`` runs): the first run says why it takes a while and shows
each report as it is ingested, then opens the app on the port asked for; a later run ingests nothing."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baocao.settings import Settings
from tests.sample_reports import COMMUNE_REPORT


def terminal_lines(output: str) -> list[str]:
    """The lines a terminal shows for ``output``: a carriage return goes back to the line's start,
    and what follows writes over what was there."""
    shown = []
    for raw in output.split("\n"):
        line: list[str] = []
        column = 0
        for piece_index, piece in enumerate(raw.split("\r")):
            if piece_index:
                column = 0
            line[column : column + len(piece)] = list(piece)
            column += len(piece)
        shown.append("".join(line).rstrip())
    return shown


def test_start_ingests_with_progress_then_opens_the_app_on_its_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cli.main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "an-phu.txt").write_text(COMMUNE_REPORT, encoding="utf-8")  # a one-report "sample corpus" keeps it fast
    settings = Settings(data_dir=tmp_path / "data")
    opened: list[tuple[int, bool]] = []
    monkeypatch.setattr(cli.main, "SAMPLE_CORPUS", corpus)
    monkeypatch.setattr(cli.main, "get_settings", lambda: settings)
    monkeypatch.setattr(cli.main, "ui", lambda port, headless: opened.append((port, headless)))

    first = CliRunner().invoke(cli.main.app, ["start", "--port", "8600", "--headless"])
    assert first.exit_code == 0, first.output
    assert "First run: ingesting the sample reports" in first.output and "Ctrl+C stops" in first.output
    assert re.search(r"Ingesting: .*1/1", first.output)  # a progress bar…
    assert re.search(r"new +\S*an-phu\.txt \(\d+ chunks\)", first.output)  # …and each report's line when it is done
    shown = terminal_lines(first.output)
    report_lines = [line for line in shown if "an-phu.txt (" in line]
    assert report_lines and all("Ingesting" not in line and "|" not in line for line in report_lines), shown
    assert "Documents: 1 new" in first.output
    assert opened == [(8600, True)]

    again = CliRunner().invoke(cli.main.app, ["start"])
    assert again.exit_code == 0, again.output
    assert "First run" not in again.output and "Documents: 0 new, 0 updated, 1 unchanged" in again.output
    assert opened == [(8600, True), (8501, False)]
