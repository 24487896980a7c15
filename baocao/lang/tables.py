"""Reading the language package's word lists (``baocao/lang/data``) and users' own tables.

Three formats, each line NFC-normalised, '#' starting a comment line:

- word lists (``*.txt``): one entry per line;
- pair tables (``key<TAB>value|value``): abbreviations, the English glossary; users extend them
  with files of the same format;
- record tables (``*.tsv`` with a header line naming the columns): one record per line, cells
  separated by tabs, alternatives inside a cell by ``|``.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from baocao.lang.normalize import fold_accents, nfc

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_file(name: str) -> Path:
    return DATA_DIR / name


def _content_lines(path: Path) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            lines.append(nfc(line.rstrip("\r")))
    return lines


@cache
def word_list(name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in _content_lines(data_file(name)))


def word_set(name: str, *, lower: bool = False, fold: bool = False) -> frozenset[str]:
    entries = word_list(name)
    if fold:
        return frozenset(fold_accents(e) for e in entries)
    return frozenset(e.lower() for e in entries) if lower else frozenset(entries)


def read_pairs(path: Path) -> list[tuple[str, list[str]]]:
    """``key<TAB>value|value`` lines of ``path`` (a shipped table or a user's own file)."""
    rows: list[tuple[str, list[str]]] = []
    for line in _content_lines(path):
        if "\t" not in line:
            continue
        key, values = line.split("\t", 1)
        alternatives = [v.strip() for v in values.split("|") if v.strip()]
        if key.strip() and alternatives:
            rows.append((key.strip(), alternatives))
    return rows


@cache
def records(name: str) -> tuple[dict[str, tuple[str, ...]], ...]:
    """Rows of a record table as {column: alternatives}; an empty cell gives ()."""
    lines = _content_lines(data_file(name))
    header = [h.strip() for h in lines[0].split("\t")]
    out = []
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) > len(header):
            raise ValueError(f"{name}: {len(cells)} cells where the header names {len(header)}: {line!r}")
        cells += [""] * (len(header) - len(cells))
        out.append({h: tuple(v.strip() for v in c.split("|") if v.strip()) for h, c in zip(header, cells)})
    return tuple(out)
