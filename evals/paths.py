"""Where evaluation may read question sets and write runs: inside the folders it owns, nowhere else.

``baocao eval --run-name/--out`` and the UI's evaluation page go through these, so a run name
like ``../x`` or an output folder outside the data folder is refused, and the UI never reads a
server path outside the question-set folders.
"""
from __future__ import annotations

import re
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


def confined_question_set(settings: Settings, typed: str) -> Path:
    """The question-set file ``typed`` names, when it is a file inside ``question_set_dirs``."""
    text = typed.strip()
    if not text or "\x00" in text:
        raise EvalPathError("no question-set path given")
    path = Path(text).expanduser()
    dirs = [d.resolve() for d in question_set_dirs(settings)]
    candidates = [path] if path.is_absolute() else [d / path for d in dirs]
    for candidate in candidates:
        resolved = candidate.resolve()
        if any(resolved.is_relative_to(d) for d in dirs):
            if resolved.is_file():
                return resolved
            raise EvalPathError(f"{typed}: no such question set")
    raise EvalPathError(f"{typed}: question sets are read only from {', '.join(map(str, dirs))}")


def corpus_dirs(settings: Settings) -> list[Path]:
    """Folders the UI may ingest a reports folder from for an evaluation: the shipped samples and
    corpora, and the question-set folders (a set and its reports can be kept side by side)."""
    return [PROJECT_ROOT / "corpus", PROJECT_ROOT / "evals" / "corpora", *question_set_dirs(settings)]


def confined_corpus(settings: Settings, typed: str) -> Path:
    """The reports folder ``typed`` names, when it is a folder inside ``corpus_dirs``."""
    text = typed.strip()
    if not text or "\x00" in text:
        raise EvalPathError("no reports folder given")
    path = Path(text).expanduser()
    dirs = [d.resolve() for d in corpus_dirs(settings)]
    candidates = [path] if path.is_absolute() else [d / path for d in dirs]
    for candidate in candidates:
        resolved = candidate.resolve()
        if any(resolved == d or resolved.is_relative_to(d) for d in dirs):
            if resolved.is_dir():
                return resolved
            raise EvalPathError(f"{typed}: no such folder")
    raise EvalPathError(f"{typed}: reports folders are read only from {', '.join(map(str, dirs))}")
