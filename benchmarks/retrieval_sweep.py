"""Sweep retrieval settings over several question sets at once (the ablation behind docs/retrieval.md).

    python -m benchmarks.retrieval_sweep \
        --set evals/sets/extra.jsonl=../shared/corpus-extra \
        --set ../shared/eval/alqac2022/questions.jsonl=../shared/eval/alqac2022/corpus \
        --config base= --config lex2=lexical_weight=2.0

Each ``--set QUESTIONS=CORPUS`` uses the collection ``baocao eval --corpus CORPUS`` builds (run
that first: nothing is ingested here). Each ``--config NAME=KEY=VALUE,...`` overrides fields of
:class:`~vectorstore.config.RetrievalConfig`; keys prefixed ``index.`` are passed to
:meth:`BM25Index.build` (the lexical index is rebuilt for them). Query vectors and dense results
are memoised across configs, so a config costs the lexical leg and the fusion only.
Prints hit@1 / hit@5 / MRR@10 per set, overall and per language.
"""
from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from baocao.protocols import ChunkStore
from baocao.settings import Settings
from evals.harness import read_document, settings_for_corpus
from evals.questions import Question, load_questions
from evals.runner import evaluate_questions
from vectorstore.config import RetrievalConfig
from vectorstore.embedders import QueryMemoEmbedder
from vectorstore.lexical import BM25Index
from vectorstore.retriever import Retriever, SearchStack


def memo_dense(store: ChunkStore) -> None:
    """Remember ``store.dense_search`` results by (vector, k, where)."""
    inner = store.dense_search
    cache: dict[tuple[bytes, int, str], list[tuple[str, float]]] = {}

    def dense_search(vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        key = (np.asarray(vector, dtype=np.float32).tobytes(), k, repr(where))
        if key not in cache:
            cache[key] = inner(vector, k, where)
        return cache[key]

    store.dense_search = dense_search  # type: ignore[method-assign]


def searcher(retriever: Retriever) -> Callable[[str, int], Any]:
    return lambda question, k: retriever.search(question, k=k)


def parse_config(text: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    name, _, rest = text.partition("=")
    fields: dict[str, Any] = {}
    index: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        parsed: Any = value
        for cast in (int, float):
            try:
                parsed = cast(value)
                break
            except ValueError:
                continue
        if value in ("true", "false"):
            parsed = value == "true"
        (index if key.startswith("index.") else fields)[key.removeprefix("index.")] = parsed
    return name, fields, index


def metrics(results: list[Any]) -> dict[str, tuple[int, float, float, float]]:
    groups: dict[str, list[Any]] = {"all": []}
    for r in results:
        if not r.question.answerable:
            continue
        groups["all"].append(r)
        groups.setdefault(r.question.lang, []).append(r)
    out = {}
    for name, items in groups.items():
        ranks = [r.first_hit_rank for r in items]
        n = len(ranks)
        h1 = sum(1 for x in ranks if x == 1) / n
        h5 = sum(1 for x in ranks if x is not None and x <= 5) / n
        mrr = sum(1 / x for x in ranks if x is not None and x <= 10) / n
        out[name] = (n, h1, h5, mrr)
    return out


def run_set(
    settings: Settings, questions_path: Path, corpus: Path, configs: list[tuple[str, dict[str, Any], dict[str, Any]]],
    show_failures: str | None,
) -> None:
    stack = SearchStack.open(settings_for_corpus(settings, corpus))
    stack.embedder = QueryMemoEmbedder(stack.embedder)
    memo_dense(stack.store)
    questions: list[Question] = load_questions(questions_path, corpus, reader=read_document)
    snapshot = stack.snapshots.current()
    base_lexical = snapshot.lexical
    chunks = None
    print(f"## {questions_path.name} over {corpus} ({base_lexical.size} chunks)")
    for name, fields, index_options in configs:
        if index_options:
            chunks = chunks if chunks is not None else stack.store.all_chunks()
            snapshot.lexical = BM25Index.build(chunks, snapshot.revision, **index_options)
        else:
            snapshot.lexical = base_lexical
        config = dataclasses.replace(RetrievalConfig(), **fields)
        retriever = Retriever(stack.store, stack.embedder, stack.snapshots, config=config)
        results = evaluate_questions(questions, searcher(retriever), None, progress=False)
        cells = " | ".join(
            f"{lang} {n}: {h1:.3f}/{h5:.3f}/{mrr:.3f}" for lang, (n, h1, h5, mrr) in metrics(results).items()
        )
        print(f"{name:>24} | {cells}", flush=True)
        if show_failures == name:
            for r in results:
                if r.question.answerable and (r.first_hit_rank is None or r.first_hit_rank > 1):
                    print(f"    {r.question.id} {r.question.lang} {r.question.type} rank={r.first_hit_rank} {r.question.question[:90]}")
    snapshot.lexical = base_lexical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", required=True, help="QUESTIONS=CORPUS")
    parser.add_argument("--config", action="append", default=[], help="NAME=KEY=VALUE,...")
    parser.add_argument("--failures", default=None, help="list the questions not at rank 1 for this config")
    args = parser.parse_args()
    configs = [parse_config(c) for c in (args.config or ["default="])]
    settings = Settings()
    for item in args.set:
        questions, _, corpus = item.partition("=")
        run_set(settings, Path(questions), Path(corpus), configs, args.failures)


if __name__ == "__main__":
    main()
