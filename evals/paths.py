"""Where evaluation may read question sets and write runs: inside the folders it owns, nowhere else.

``baocao eval --run-name/--out`` and the UI's evaluation page go through these, so a run name
like ``../x`` or an output folder outside the data folder is refused, and the UI never reads a
server path outside the question-set folders.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from baocao.settings import PROJECT_ROOT, Settings

_RUN_NAME = re.compile(r"^[\w][\w.\- ]{0,119}$")


class EvalPathError(ValueError):
    """A run name, output folder or question-set path outside what evaluation may use."""


def check_run_name(name: str) -> str:
    """``name`` when it is a plain folder name (letters, digits, ``- _ .`` and spaces, no path)."""
    if not _RUN_NAME.match(name) or name.strip() != name or ".." in name:
        raise EvalPathError(
            f"run name {name!r}: use a plain folder name (letters, digits, '-', '_', '.'), not a path"
        )
    return name


def runs_out_dir(settings: Settings, out: Path | None) -> Path:
    """The folder runs are written to: ``out`` (relative to the data folder) when it lies inside the data folder."""
    data_dir = Path(settings.data_dir).resolve()
    if out is None:
        return settings.runs_dir
    target = (out if out.is_absolute() else data_dir / out).resolve()
    if not target.is_relative_to(data_dir):
        raise EvalPathError(f"--out {out}: runs are written inside the data folder {data_dir}; got {target}")
    return target


def question_set_dirs(settings: Settings) -> list[Path]:
    """Folders a question set may be read from by the UI: the shipped sets, the uploaded ones, BAOCAO_EVAL_SET_DIRS."""
    return [PROJECT_ROOT / "evals" / "sets", Path(settings.data_dir) / "eval_sets", *settings.eval_set_dirs]


def _confined(typed: str, dirs: list[Path], what: str, is_kind: Callable[[Path], bool]) -> Path:
    """The path ``typed`` names (absolute, or relative to one of ``dirs``) when it lies inside one of
    ``dirs`` and ``is_kind`` holds for it; else an EvalPathError naming ``what``."""
    text = typed.strip()
    if not text or "\x00" in text:
        raise EvalPathError(f"no {what} given")
    path = Path(text).expanduser()
    roots = [d.resolve() for d in dirs]
    for candidate in [path] if path.is_absolute() else [d / path for d in roots]:
        resolved = candidate.resolve()
        if any(resolved.is_relative_to(d) for d in roots):
            if is_kind(resolved):
                return resolved
            raise EvalPathError(f"{typed}: no such {what}")
    raise EvalPathError(f"{typed}: {what}s are read only from {', '.join(map(str, roots))}")


def confined_question_set(settings: Settings, typed: str) -> Path:
    """The question-set file ``typed`` names, when it is a file inside ``question_set_dirs``."""
    return _confined(typed, question_set_dirs(settings), "question set", Path.is_file)


def corpus_dirs(settings: Settings) -> list[Path]:
    """Folders the UI may ingest a reports folder from for an evaluation: the shipped samples and
    corpora, and the question-set folders (a set and its reports can be kept side by side)."""
    return [PROJECT_ROOT / "corpus", PROJECT_ROOT / "evals" / "corpora", *question_set_dirs(settings)]


def confined_corpus(settings: Settings, typed: str) -> Path:
    """The reports folder ``typed`` names, when it is a folder inside ``corpus_dirs``."""
    return _confined(typed, corpus_dirs(settings), "reports folder", Path.is_dir)
