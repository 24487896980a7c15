"""Retrieval-only evaluation of the search layer on a question set (hit@1/5, MRR@10 by lang).

    python -m vectorstore.eval_retrieval evals/sets/dev.jsonl --data-dir /tmp/retrieval-data

The store under ``--data-dir`` must already hold the corpus (``baocao ingest``). The full eval
runner lives in ``evals/``; this is the quick loop used to tune retrieval, and it prints
the failing questions with the rank each leg gave their evidence.
"""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baocao.settings import Settings
from baocao.text import collapse_ws, nfc, strip_markup
from vectorstore.hits import Hit

SearchFn = Callable[[str, int], list[Hit]]


def clean(text: str) -> str:
    return collapse_ws(strip_markup(nfc(text)))


def load_questions(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("answerable", True) and r.get("evidence")]


def first_hit_rank(hits: list[Hit], evidence: list[str]) -> int | None:
    needles = [clean(e) for e in evidence if clean(e)]
    for hit in hits:
        text = clean(hit.chunk.text)
        if any(n in text for n in needles):
            return hit.rank
    return None


@dataclass
class Result:
    question: dict[str, Any]
    rank: int | None
    seconds: float


def evaluate(search: SearchFn, questions: list[dict[str, Any]], k: int = 10) -> list[Result]:
    results = []
    for question in questions:
        started = time.perf_counter()
        hits = search(question["question"], k)
        results.append(Result(question, first_hit_rank(hits, question["evidence"]), time.perf_counter() - started))
    return results


def summarize(results: list[Result]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Result]] = {"all": results}
    for result in results:
        groups.setdefault(result.question["lang"], []).append(result)
    table: dict[str, dict[str, float]] = {}
    for name, group in groups.items():
        n = len(group)
        table[name] = {
            "n": n,
            "hit@1": sum(1 for r in group if r.rank == 1) / n,
            "hit@5": sum(1 for r in group if r.rank and r.rank <= 5) / n,
            "mrr@10": sum(1.0 / r.rank for r in group if r.rank and r.rank <= 10) / n,
        }
    return table


def format_table(summaries: dict[str, dict[str, dict[str, float]]]) -> str:
    langs = ["all", "vi", "vi-noaccent", "en"]
    lines = ["| variant | " + " | ".join(f"{lang} hit@1 / hit@5 / MRR@10" for lang in langs) + " |"]
    lines.append("|---|" + "---|" * len(langs))
    for variant, table in summaries.items():
        cells = []
        for lang in langs:
            row = table.get(lang)
            cells.append(f"{row['hit@1']:.2f} / {row['hit@5']:.2f} / {row['mrr@10']:.2f}" if row else "–")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--variants", default="lexical,dense,fused,fused+qu")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()

    from vectorstore.embedders import get_embedder
    from vectorstore.retriever import ablation_variants
    from vectorstore.store import ChunkStore

    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    store = ChunkStore(settings, get_embedder(settings))
    questions = load_questions(args.questions)
    variants = ablation_variants(store, settings)
    summaries = {}
    for name in args.variants.split(","):
        retriever = variants[name]
        results = evaluate(lambda q, k, r=retriever: r.search(q, k=k), questions)
        summaries[name] = summarize(results)
        if args.show_failures:
            for r in results:
                if not r.rank or r.rank > 1:
                    print(f"  [{name}] {r.question['id']} {r.question['lang']} rank={r.rank}: {r.question['question'][:90]}")
        ms = sorted(r.seconds for r in results)
        print(f"{name}: median {1000 * ms[len(ms) // 2]:.0f} ms/query")
    print(format_table(summaries))


if __name__ == "__main__":
    main()
