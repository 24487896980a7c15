"""Store size against the lexical index: open time, search latency, and how soon a new document is found.

    python -m benchmarks.bench_search --chunks 10000 --update --json
    python -m benchmarks.bench_search --chunks 10000 --update --json --lexical-index bm25

A synthetic store of ``--chunks`` chunks is written through the configured store (so the
lexical index is built as an ingest builds it, a document at a time): chunk texts recombined
from the sentences of the sample reports (as ``benchmarks.search`` makes them), varied
metadata, and vectors from a deterministic hashing embedder (no model: this measures the store
and the lexical side, not embedding). The store is kept under ``--work-dir`` and reused.

Printed (``--json``: one JSON object):
- ``open_s``: a new reader (fresh store and snapshot objects, as a new process) until its first
  snapshot is ready;
- ``search_p50_ms`` / ``search_p95_ms``: the dev questions through the whole search (both legs,
  fusion, boosts, fetching the hits), the hashing embedder's query vector included;
- with ``--update``: ``write_s`` (one new document of ``--doc-chunks`` chunks written through the
  store, index included: the end of its ingest), ``visible_s`` (from then until a reader that was
  already open finds it by a word only it holds), ``gone_s`` (the same after deleting it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from baocao.lang.tokens import folded_words
from baocao.models import Chunk
from baocao.settings import SAMPLE_CORPUS, Settings
from benchmarks.search import bench_queries, sentences_of, synthetic_document
from ingest.pipeline import parse_file
from vectorstore import lexical_sync
from vectorstore.retriever import Retriever, SearchStack
from vectorstore.snapshot import SnapshotCache
from vectorstore.store import drop_collection, open_store

DEFAULT_WORK_DIR = Path("/tmp/baocao-bench-search")


class HashingEmbedder:
    """Folded words hashed into 384 dimensions: deterministic, no model, the size of e5-small's vectors."""

    name, dim, max_tokens = "hashing:384", 384, 512

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for token in folded_words(text):
            vector[int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dim] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector + 1.0 / np.sqrt(self.dim)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def sample_chunks(embedder: HashingEmbedder, settings: Settings) -> list[Chunk]:
    """The sample reports, read and chunked by the real pipeline (not embedded)."""
    chunks: list[Chunk] = []
    for file in sorted(SAMPLE_CORPUS.glob("*.txt")):
        timings = {"read": 0.0, "chunk": 0.0}
        parsed = parse_file(file, file.name, file.read_bytes(), {}, embedder, settings, timings)
        for chunk in parsed.chunks:
            chunk.chunk_id = f"{file.name}:{chunk.position}"
            chunks.append(chunk)
    return chunks


def build(settings: Settings, n_chunks: int, doc_chunks: int, embedder: HashingEmbedder, seed: int = 7) -> float | None:
    """Write the synthetic store (None when one of that size is already there)."""
    store = open_store(settings, embedder)
    if store.count_chunks() == n_chunks:
        return None
    drop_collection(settings)
    lexical_sync._DISKS.clear()
    for path in (lexical_sync.lexical_dir(settings) / "chunks", lexical_sync.lexical_dir(settings) / "docs"):
        for file in path.glob("*") if path.exists() else []:
            file.unlink()
    store = open_store(settings, embedder)
    sources = sample_chunks(embedder, settings)
    vectors = {c.chunk_id: embedder.embed_query(c.text) for c in sources}
    pool = sentences_of(sources)
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    started = time.perf_counter()
    written, number = 0, 0
    while written < n_chunks:
        size = min(doc_chunks, n_chunks - written)
        parsed, rows = synthetic_document(number, sources, vectors, pool, rng, np_rng, size)
        store.replace_document(parsed, rows)
        written += size
        number += 1
        if number % 50 == 0:
            print(f"  {written} chunks written ({time.perf_counter() - started:.0f} s)", flush=True)
    SnapshotCache(store, settings).current()  # as `baocao index` after an ingest: the bm25 pickle is saved
    return time.perf_counter() - started


def percentile_ms(seconds: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000, q)), 1)


def disk_mb(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 1e6, 1)
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1) if path.exists() else 0.0


def measure(args: argparse.Namespace) -> dict[str, Any]:
    embedder = HashingEmbedder()
    settings = Settings(
        data_dir=args.work_dir / f"store-{args.chunks}-{args.lexical_index}", collection="bench",
        lexical_index=args.lexical_index,
    )
    build_s = build(settings, args.chunks, args.doc_chunks, embedder)
    result: dict[str, Any] = {
        "chunks": args.chunks, "doc_chunks": args.doc_chunks, "lexical_index": args.lexical_index,
        "cpus": os.cpu_count(), "load_before": round(os.getloadavg()[0], 1),
        "build_s": None if build_s is None else round(build_s, 1),
    }

    lexical_sync._DISKS.clear()  # as a new process: nothing opened yet
    started = time.perf_counter()
    store = open_store(settings, embedder)
    snapshots = SnapshotCache(store, settings)
    snapshots.current()
    result["open_s"] = round(time.perf_counter() - started, 3)
    stack = SearchStack(settings, embedder, store, snapshots)
    retriever: Retriever = stack.retriever()

    queries = bench_queries()
    for query in queries:  # warm-up
        retriever.search(query, k=args.k)
    wall: list[float] = []
    for _ in range(args.repeat):
        for query in queries:
            started = time.perf_counter()
            retriever.search(query, k=args.k)
            wall.append(time.perf_counter() - started)
    result.update(queries=len(wall), search_p50_ms=percentile_ms(wall, 50), search_p95_ms=percentile_ms(wall, 95))

    if args.update:
        sources = sample_chunks(embedder, settings)
        vectors = {c.chunk_id: embedder.embed_query(c.text) for c in sources}
        parsed, rows = synthetic_document(90000 + args.chunks % 1000, sources, vectors, sentences_of(sources),
                                          random.Random(11), np.random.default_rng(11), args.doc_chunks)
        marker = "zyxquokka"  # a word no other chunk holds
        parsed.chunks[-1].text += f"\n{marker}"
        parsed.chunks[-1].search_text += f"\n{marker}"
        parsed.meta.content_hash = hashlib.sha256(f"update-{time.time()}".encode()).hexdigest()
        started = time.perf_counter()
        store.replace_document(parsed, rows)
        written = time.perf_counter()
        result["write_s"] = round(written - started, 3)
        result["visible_s"] = round(_until(lambda: _found(retriever, marker, args.k), written), 3)
        store.delete_document(parsed.meta.doc_id)
        deleted = time.perf_counter()
        result["gone_s"] = round(_until(lambda: not _found(retriever, marker, args.k), deleted), 3)

    result["lexical_index_mb"] = disk_mb(lexical_sync.lexical_dir(settings))
    result["snapshot_pickle_mb"] = disk_mb(settings.data_dir / "lexical" / "bench.pkl")
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    result["load_after"] = round(os.getloadavg()[0], 1)
    return result


def _found(retriever: Retriever, word: str, k: int) -> bool:
    return any(word in h.chunk.text for h in retriever.search(word, k=k))


def _until(condition: Any, since: float, timeout: float = 900.0) -> float:
    while not condition():
        if time.perf_counter() - since > timeout:
            raise TimeoutError("the change did not show")
        time.sleep(0.01)
    return time.perf_counter() - since


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chunks", type=int, default=10000)
    parser.add_argument("--doc-chunks", type=int, default=100, help="chunks per synthetic document")
    parser.add_argument("--update", action="store_true", help="time a new document until it is searchable")
    parser.add_argument("--lexical-index", choices=["tantivy", "bm25"], default="tantivy")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--repeat", type=int, default=2, help="passes over the questions after a warm-up")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
