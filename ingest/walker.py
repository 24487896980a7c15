"""The one safe file walker: which files under the paths given are read, and why the others are not.

Used by the pipeline, so the CLI, the UI and the eval harness all walk the same way:

- regular files only: directories named like files, devices, FIFOs and sockets are skipped with
  their reason (a FIFO or ``/dev/zero`` given directly is refused, never opened for reading);
- inside a folder, a symbolic link is followed only when its target lies inside the folder
  (``Settings.follow_symlinks_outside``); dangling links and link loops are reported;
- every skipped entry is reported with its reason, and an empty folder given directly says so;
- a folder's README (``README``, ``README.md``, ``README.txt``, any case) describes the folder and
  is no report: it is skipped with that reason (given directly, it is read like any file);
- reads are bounded by the bytes actually read (``read_bounded``), not by the size the file
  system reports (``/proc`` files and devices report 0).
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

SIDECAR_SUFFIXES = (".meta.json",)
SIDECAR_NAMES = frozenset({"metadata.json"})
FOLDER_NOTES = frozenset({"readme", "readme.md", "readme.txt"})
FOLDER_NOTE_REASON = "the folder's README (it describes the folder, it is not a report); give it directly to ingest it"
# Where a file system holds more than this many entries under one root we stop walking: a
# mistaken "/" or a home folder must not take hours to list.
MAX_ENTRIES = 200_000


class UnsafeFileError(OSError):
    """A path that is not a regular file we may read; str(e) is one user-facing reason."""


@dataclass(frozen=True)
class Found:
    """A file to ingest: its path as walked, the folder given and its path relative to that folder."""

    path: Path
    root: Path
    rel: str


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Walk:
    files: list[Found] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def kind_of(mode: int) -> str:
    """A file type in words, for a skip reason."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_sidecar(name: str) -> bool:
    return name in SIDECAR_NAMES or name.endswith(SIDECAR_SUFFIXES)


def walk(paths: list[Path], *, follow_symlinks_outside: bool = False) -> Walk:
    """The regular files under ``paths`` (sorted per root) and every entry skipped, with its reason.

    Hidden entries (names starting with ".") and metadata sidecars are not documents and are left
    out silently; everything else that is not read gets a line.
    """
    out = Walk()
    for given in paths:
        given = Path(given)
        try:
            info = given.stat()  # follows a link given directly: the user named it
        except FileNotFoundError:
            reason = "dangling symbolic link" if given.is_symlink() else "path not found"
            out.skipped.append(Skipped(str(given), reason))
            continue
        except OSError as exc:
            out.skipped.append(Skipped(str(given), _os_reason(exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            before = len(out.files)
            _walk_folder(given, out, follow_symlinks_outside)
            if len(out.files) == before:
                out.skipped.append(Skipped(str(given), "folder holds no files to ingest"))
        elif stat.S_ISREG(info.st_mode):
            out.files.append(Found(given, given.parent, given.name))
        else:
            out.skipped.append(Skipped(str(given), f"{kind_of(info.st_mode)}, not a regular file; not read"))
    return out


def _walk_folder(root: Path, out: Walk, follow_outside: bool) -> None:
    real_root = root.resolve()
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: dict[tuple[int, int], Path] = {}  # a file reached twice (a link beside its target) is read once
    count = 0

    def visit(folder: Path) -> None:
        nonlocal count
        try:
            info = folder.stat()
        except OSError as exc:
            out.skipped.append(Skipped(str(folder), _os_reason(exc)))
            return
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            out.skipped.append(Skipped(str(folder), "symbolic link loop (folder already walked); not followed"))
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            out.skipped.append(Skipped(str(folder), _os_reason(exc)))
            return
        for entry in entries:
            count += 1
            if count > MAX_ENTRIES:
                out.skipped.append(Skipped(str(root), f"more than {MAX_ENTRIES} entries; the rest not walked"))
                return
            path = Path(entry.path)
            if entry.name.startswith(".") or (is_sidecar(entry.name) and not entry.is_dir(follow_symlinks=False)):
                continue
            if entry.is_symlink():
                problem = _link_problem(path, real_root, follow_outside)
                if problem:
                    out.skipped.append(Skipped(str(path), problem))
                    continue
            try:
                info = path.stat()
            except OSError as exc:
                out.skipped.append(Skipped(str(path), _os_reason(exc)))
                continue
            if stat.S_ISDIR(info.st_mode):
                before = len(out.files), len(out.skipped)
                visit(path)
                if count > MAX_ENTRIES:
                    return
                if (len(out.files), len(out.skipped)) == before:
                    out.skipped.append(Skipped(str(path), "empty folder (a directory, even if named like a file); nothing read"))
            elif stat.S_ISREG(info.st_mode):
                if entry.name.lower() in FOLDER_NOTES:
                    out.skipped.append(Skipped(str(path), FOLDER_NOTE_REASON))
                    continue
                twin = seen_files.get((info.st_dev, info.st_ino))
                if twin is not None:
                    out.skipped.append(Skipped(str(path), f"the same file as {twin} (a link); read once"))
                    continue
                seen_files[(info.st_dev, info.st_ino)] = path
                out.files.append(Found(path, root, path.relative_to(root).as_posix()))
            else:
                out.skipped.append(Skipped(str(path), f"{kind_of(info.st_mode)}, not a regular file; not read"))

    visit(root)


def _link_problem(path: Path, real_root: Path, follow_outside: bool) -> str:
    """Why a symbolic link inside a walked folder is not followed ('' when it is)."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return "dangling symbolic link (its target does not exist)"
    except RuntimeError:
        return "symbolic link loop; not followed"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop; not followed"
        return _os_reason(exc)
    if not follow_outside and not target.is_relative_to(real_root):
        return f"symbolic link to {target}, outside the folder; not followed (BAOCAO_FOLLOW_SYMLINKS_OUTSIDE=true allows it)"
    return ""


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not followed"
    if exc.errno == errno.EACCES:
        return "permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long for the file system"
    return f"cannot read: {exc.strerror or exc}"


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file, at most ``max_bytes``; raises UnsafeFileError otherwise.

    Opened without blocking (a FIFO swapped in after the walk cannot hang the read) and checked
    on the open descriptor; the limit counts the bytes actually read, so a file that reports
    size 0 and never ends is stopped too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnsafeFileError(_os_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{kind_of(info.st_mode)}, not a regular file; not read")
        os.set_blocking(fd, True)
        limit_mb = max_bytes / (1024 * 1024)
        if info.st_size > max_bytes:
            raise UnsafeFileError(f"file is {info.st_size / 1024 / 1024:.1f} MB, over the {limit_mb:g} MB limit")
        chunks: list[bytes] = []
        total = 0
        while True:
            block = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not block:
                break
            chunks.append(block)
            total += len(block)
            if total > max_bytes:
                raise UnsafeFileError(f"file is over the {limit_mb:g} MB limit (stopped reading at {total} bytes)")
        return b"".join(chunks)
    except UnsafeFileError:
        raise
    except OSError as exc:
        raise UnsafeFileError(_os_reason(exc)) from None
    finally:
        os.close(fd)
