"""Time of the learned second stage per query: the features and the model's scores of the fused top-N.

    BAOCAO_DATA_DIR=… python -m benchmarks.passage_rerank --sets extra,alqac

Reads the candidate lists ``python -m evals.train_passage_ranker`` cached (the first stage is not
timed, nothing is searched or embedded) and scores each question's candidates as
:class:`vectorstore.passage_ranker.PassageModelReranker` does at search time, with the corpus
statistics of its set (one object per set, as one store snapshot is read by every query). The
first query of a set is reported apart: it pays for what is counted once per snapshot.
"""
from __future__ import annotations

import argparse
import statistics
import time

from baocao.settings import get_settings
from evals.train_passage_ranker import collect
from vectorstore.passage_ranker import LinearPassageModel, PassageModelReranker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="extra,alqac")
    parser.add_argument("--depth", type=int, default=30)
    args = parser.parse_args(argv)
    reranker = PassageModelReranker(LinearPassageModel.load())
    settings = get_settings()
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        examples = collect(name, settings, args.depth, progress=False)
        if not examples:
            continue
        times = []
        for e in examples:
            started = time.perf_counter()
            reranker.scores(e.query, e.candidates)
            times.append((time.perf_counter() - started) * 1000)
        rest = sorted(times[1:]) or times
        p95 = rest[min(len(rest) - 1, int(0.95 * len(rest)))]
        print(f"{name}: {len(times)} queries, first {times[0]:.1f} ms, then p50 {statistics.median(rest):.1f} ms,"
              f" p95 {p95:.1f} ms, mean {statistics.fmean(rest):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
