"""One ingest at a time per data folder: the CLI, the UI and the eval harness take the same lock.

A second ingest waits for the first (saying which process holds the lock) and then finds the
documents the first one wrote unchanged, so nothing is embedded twice. The lock is an
``flock`` on ``DATA_DIR/ingest.lock``: the kernel releases it when its holder dies, even by
SIGKILL, so a crashed ingest never leaves the folder locked.
"""
from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "ingest.lock"


class IngestLockedError(RuntimeError):
    """Another ingest held the data folder for longer than we were willing to wait."""


@contextmanager
def ingest_lock(data_dir: Path, wait_s: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the data folder's ingest lock; wait up to ``wait_s`` seconds for another holder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        if not _try_lock(fd):
            holder = _holder(path)
            if on_wait is not None:
                on_wait(f"another ingest is running in this data folder ({holder}); waiting up to {wait_s:g} s for it")
            deadline = time.monotonic() + wait_s
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise IngestLockedError(
                        f"another ingest is still running in {data_dir} ({holder}) after {wait_s:g} s; "
                        "try again when it has finished (BAOCAO_INGEST_LOCK_WAIT_S sets the wait)"
                    )
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or "process unknown"
    except OSError:
        return "process unknown"
