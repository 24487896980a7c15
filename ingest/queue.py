"""Ingest on a real queue: Redis + RQ. ``baocao ingest DIR --queue`` enqueues one job per document;
``baocao worker`` (any number, on any machine that reaches the same Redis and store) runs them.

- **One job per document version.** The enqueuer reads each file, gives it its document id (as
  the single-process ingest does, :class:`ingest.pipeline.Identities`) and its content hash; the
  job id is a hash of both, so enqueuing the same content again while its job is queued, running
  or done does nothing. The job carries the file's bytes, so a worker needs no access to the
  enqueuer's disk.
- **The same write.** A worker runs :func:`ingest.pipeline.write_document` (read, chunk, embed,
  ``replace_document``: the document's new chunks, and its lexical-index entries with
  ``BAOCAO_LEXICAL_INDEX=tantivy``, appear whole or not at all). A job finds a document already
  at its content unchanged, so a job run twice writes once. Jobs of one document id never run
  at the same time (a Redis lock per document, renewed while the job runs).
- **A dead worker's job is run again.** A worker renews a lease on its running job (RQ's
  started-job registry entry) every ``queue_lease_s / 3`` seconds. When a worker dies (SIGKILL,
  a lost machine) its lease lapses after ``queue_lease_s`` and the next worker that cleans the
  registry puts the job back on the queue (RQ's abandoned-job handling, counted as one of
  ``queue_retries``); a job that raises is retried the same way. The rewrite converges: same
  content, same generation, same chunk ids.
- **Progress**: :func:`queue_status` (``baocao ingest --status``, the documents page) lists the
  queued, running, done and failed jobs, with each failure's error.

Do not run a single-process ``baocao ingest`` on the same store while workers write: its repair
removes chunks that are not yet committed, which a running job may be writing.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from redis import Redis
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry, clean_registries

from baocao.models import DocumentRecord
from baocao.protocols import ChunkStore, Embedder
from baocao.settings import Settings
from ingest.metadata import find_sidecar_overrides
from ingest.pipeline import FileResult, Identities, content_hash, discover_files, printable, write_document
from ingest.readers import SUPPORTED_EXTENSIONS
from ingest.walker import read_bounded

JOB_FUNCTION = "ingest.queue.run_job"
JobState = Literal["queued", "running", "done", "failed"]
JOB_STATES: tuple[JobState, ...] = ("queued", "running", "done", "failed")
_ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


class QueueError(RuntimeError):
    """Redis cannot be reached, or a job cannot be run here."""


def connect(settings: Settings, timeout_s: float = 2.0) -> Redis:
    """A client of ``settings.redis_url``, checked with a ping (a clear error when nothing answers)."""
    import redis

    try:
        connection = Redis.from_url(settings.redis_url, socket_connect_timeout=timeout_s, health_check_interval=30)
        connection.ping()
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise QueueError(f"cannot reach Redis at {settings.redis_url} (BAOCAO_REDIS_URL): {exc}") from exc
    return connection


def job_queue(settings: Settings, connection: Redis) -> Queue:
    return Queue(settings.queue_name, connection=connection)


def job_id(collection: str, doc_id: str, digest: str) -> str:
    """The id of the job that brings ``doc_id`` of ``collection`` to content ``digest``."""
    key = "\0".join((collection, doc_id, digest)).encode("utf-8", "surrogateescape")
    return "baocao-" + hashlib.sha256(key).hexdigest()[:40]


# ----------------------------------------------------------------------------- enqueue


@dataclass
class Enqueued:
    """What ``ingest --queue`` did with one file."""

    path: str
    status: Literal["queued", "already queued", "already done", "unchanged", "failed", "skipped"]
    doc_id: str = ""
    job_id: str = ""
    reason: str = ""

    def line(self) -> str:
        note = f" — {printable(self.reason)}" if self.reason else ""
        return f"{self.status:<14} {printable(self.path)}{note}"


def enqueue_paths(
    paths: list[Path], store: ChunkStore, settings: Settings, connection: Redis, *,
    cli_overrides: dict[str, Any] | None = None, key_prefix: str = "",
) -> list[Enqueued]:
    """One job per new or changed document under ``paths``; nothing for an unchanged one, nor
    for one whose job (same document, same content) is already queued, running or done."""
    files, problems = discover_files(paths, settings.follow_symlinks_outside)
    out = [_problem(p) for p in problems]
    known = {r.meta.doc_id: r for r in store.documents()}
    hashes_seen = {r.meta.content_hash: r.meta.doc_id for r in known.values()}
    identities = Identities(known)
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    queue = job_queue(settings, connection)
    for found in files:
        doc_id, id_note = identities.assign(found, key_prefix)
        label = str(found.path)
        if found.path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            out.append(Enqueued(label, "failed", doc_id, reason=f"unsupported file type '{found.path.suffix or '(none)'}'"))
            continue
        try:
            data = read_bounded(found.path, max_bytes)
            overrides = {**find_sidecar_overrides(found.path), **(cli_overrides or {})}
        except (OSError, ValueError) as exc:  # UnsafeFileError is a ValueError
            out.append(Enqueued(label, "failed", doc_id, reason=str(exc)))
            continue
        digest = content_hash(data, overrides)
        previous = known.get(doc_id)
        if previous is not None and previous.meta.content_hash == digest:
            hashes_seen[digest] = doc_id
            out.append(Enqueued(label, "unchanged", doc_id))
            continue
        twin = hashes_seen.get(digest)
        if twin is not None and twin != doc_id:
            out.append(Enqueued(label, "failed", doc_id, reason=f"duplicate of {twin} (same content); not ingested twice"))
            continue
        hashes_seen[digest] = doc_id
        status, jid = _enqueue_one(queue, settings, doc_id, digest, found.path, data, overrides)
        out.append(Enqueued(label, status, doc_id, jid, id_note))
    return out


def _problem(result: FileResult) -> Enqueued:
    return Enqueued(result.path, "failed" if result.status == "failed" else "skipped", reason=result.reason)


def _enqueue_one(
    queue: Queue, settings: Settings, doc_id: str, digest: str, path: Path, data: bytes, overrides: dict[str, Any],
) -> tuple[Literal["queued", "already queued", "already done"], str]:
    jid = job_id(settings.collection, doc_id, digest)
    try:
        existing = Job.fetch(jid, connection=queue.connection)
    except NoSuchJobError:
        existing = None
    if existing is not None:
        status = existing.get_status(refresh=True)
        if status in _ACTIVE:
            return "already queued", jid
        if status == JobStatus.FINISHED:
            return "already done", jid
        existing.delete()  # failed, stopped or cancelled: a fresh job with its retries
    payload = {
        "collection": settings.collection, "doc_id": doc_id, "digest": digest, "path": str(path.resolve()),
        "data": data, "overrides": overrides,
    }
    queue.enqueue(
        JOB_FUNCTION, payload, job_id=jid, description=doc_id if doc_id == path.name else f"{doc_id} ({path.name})",
        retry=Retry(max=settings.queue_retries) if settings.queue_retries > 0 else None, job_timeout=settings.queue_job_timeout_s,
        result_ttl=settings.queue_keep_s, failure_ttl=settings.queue_keep_s,
    )
    return "queued", jid


# ----------------------------------------------------------------------------- the job


@dataclass
class JobResult:
    doc_id: str
    status: Literal["new", "updated", "unchanged"]
    chunks: int
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _WorkerState:
    """What one worker process keeps between jobs (bound by :func:`run_worker`)."""

    settings: Settings | None = None
    connection: Redis | None = None
    store: ChunkStore | None = None
    embedder: Embedder | None = None
    mend: Callable[[DocumentRecord], object] | None = None


def run_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Bring one document to the payload's content through the single-process ingest's write path."""
    settings, store, embedder = _WorkerState.settings, _WorkerState.store, _WorkerState.embedder
    if settings is None or store is None or embedder is None:
        raise QueueError("ingest jobs run in `baocao worker` (ingest.queue.run_worker), which binds the store")
    if payload["collection"] != settings.collection:
        raise QueueError(f"job for collection '{payload['collection']}', but this worker writes '{settings.collection}'")
    connection = _WorkerState.connection or connect(settings)
    started = time.perf_counter()
    doc_id, digest = str(payload["doc_id"]), str(payload["digest"])
    with document_lock(connection, settings, doc_id):
        previous = store.document(doc_id)
        if previous is not None and previous.meta.content_hash == digest:  # done before (a retried job)
            if _WorkerState.mend is not None:  # its writer may have died before the lexical index's commit
                _WorkerState.mend(previous)
            return asdict(JobResult(doc_id, "unchanged", previous.chunk_count, seconds=time.perf_counter() - started))
        twin = store.find_by_hash(digest)
        if twin is not None and twin.meta.doc_id != doc_id:
            raise QueueError(f"duplicate of {twin.meta.doc_id} (same content); not ingested twice")
        timings = {"read": 0.0, "chunk": 0.0, "embed": 0.0, "store": 0.0}
        parsed = write_document(
            Path(payload["path"]), doc_id, payload["data"], dict(payload["overrides"]), store, embedder,
            settings, timings,
        )
    status: Literal["new", "updated"] = "updated" if previous is not None else "new"
    return asdict(JobResult(doc_id, status, len(parsed.chunks), parsed.warnings, time.perf_counter() - started))


@contextmanager
def document_lock(connection: Redis, settings: Settings, doc_id: str) -> Iterator[None]:
    """Hold the document's lock (one job per document id at a time), renewed while held; a dead
    holder's lock lapses after ``queue_lease_s``."""
    name = f"baocao:{settings.queue_name}:doc:" + hashlib.sha256(doc_id.encode("utf-8", "surrogateescape")).hexdigest()
    lock = connection.lock(  # not thread-local: the renewing thread uses the token
        name, timeout=settings.queue_lease_s, blocking_timeout=settings.queue_job_timeout_s, thread_local=False
    )
    if not lock.acquire():
        raise QueueError(f"document {doc_id} stayed locked by another job for {settings.queue_job_timeout_s} s")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(settings.queue_lease_s / 3):
            try:
                lock.reacquire()
            except Exception:  # lapsed (the process was stopped longer than the lease) or Redis away
                return

    renewer = threading.Thread(target=renew, daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        try:
            lock.release()
        except Exception:  # lapsed meanwhile (the process was stopped for longer than the lease)
            pass


# ----------------------------------------------------------------------------- the worker


class LeasedWorker(SimpleWorker):
    """RQ's in-process worker (the embedder and store stay loaded between jobs) whose running job
    holds a short lease: renewed by a thread every ``lease_s / 3`` seconds, so the job of a worker
    that dies is found abandoned ``lease_s`` seconds later, not after RQ's default minutes."""

    def __init__(self, *args: Any, lease_s: int = 15, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lease_s = lease_s
        self.ran = 0  # jobs run (done or failed)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.lease_s

    def execute_job(self, job: Job, queue: Queue) -> None:
        from rq.worker import WorkerStatus

        execution = self.prepare_execution(job)
        stop = threading.Event()

        def keep_alive() -> None:
            while not stop.wait(self.lease_s / 3):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception as exc:  # Redis briefly away: the next beat tries again
                    self.log.warning("lease renewal failed: %s", exc)

        beat = threading.Thread(target=keep_alive, daemon=True)
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()
            self.ran += 1
        self.set_state(WorkerStatus.IDLE)


def run_worker(
    settings: Settings, store: ChunkStore, embedder: Embedder, *, burst: bool = False, name: str | None = None,
    logging_level: str = "WARNING", mend: Callable[[DocumentRecord], object] | None = None,
) -> int:
    """Run jobs into ``store`` until stopped; with ``burst``, until no job is queued or running
    anywhere (a running job whose worker died is put back and run here). Returns how many jobs it
    ran. ``mend`` brings a derived index (the on-disk lexical index) up to a document that a
    job finds already written."""
    connection = connect(settings)
    _WorkerState.settings, _WorkerState.connection = settings, connection
    _WorkerState.store, _WorkerState.embedder, _WorkerState.mend = store, embedder, mend
    queue = job_queue(settings, connection)
    lease = max(3, settings.queue_lease_s)
    options: dict[str, Any] = {
        "connection": connection, "lease_s": lease, "maintenance_interval": lease,
        "worker_ttl": lease + 15, "job_monitoring_interval": max(1, lease // 3),
    }
    if not burst:
        worker = LeasedWorker([queue], name=name, **options)
        worker.work(burst=False, logging_level=logging_level)
        return worker.ran
    ran = 0
    round_ = 0
    while True:
        clean_registries(queue)  # abandoned jobs (their lease lapsed) go back on the queue
        round_ += 1
        worker = LeasedWorker([queue], name=f"{name}-{round_}" if name else None, **options)
        worker.work(burst=True, logging_level=logging_level)
        ran += worker.ran
        if queue.count == 0 and StartedJobRegistry(queue=queue).count == 0:
            return ran
        time.sleep(0.5)


# ----------------------------------------------------------------------------- status


@dataclass
class JobView:
    job_id: str
    state: JobState
    description: str
    doc_id: str = ""
    worker: str = ""
    result: str = ""  # a done job's outcome: new / updated / unchanged
    chunks: int = 0  # a done job's chunks
    error: str = ""  # a failed job's error (the last line of its traceback)
    attempts: int = 0

    def detail(self) -> str:
        if self.error:
            return self.error
        if self.result:
            return f"{self.result}, {self.chunks} chunks"
        return self.worker


@dataclass
class QueueStatus:
    redis_url: str
    queue: str
    jobs: list[JobView]

    def count(self, state: JobState) -> int:
        return sum(1 for j in self.jobs if j.state == state)

    def counts(self) -> dict[str, int]:
        return {state: self.count(state) for state in JOB_STATES}

    def lines(self) -> list[str]:
        head = ", ".join(f"{self.count(s)} {s}" for s in JOB_STATES)
        out = [f"Queue '{self.queue}' at {self.redis_url}: {head}."]
        for job in self.jobs:
            detail = job.detail()
            out.append(f"{job.state:<8} {printable(job.description)}{' — ' + printable(detail) if detail else ''}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"redis_url": self.redis_url, "queue": self.queue, "counts": self.counts(),
                "jobs": [asdict(j) for j in self.jobs]}


def queue_status(settings: Settings, connection: Redis) -> QueueStatus:
    """Every job the queue knows: queued, running (a lapsed lease is put back first), done, failed."""
    queue = job_queue(settings, connection)
    started = StartedJobRegistry(queue=queue)
    started.cleanup()  # a dead worker's job goes back to queued (or to failed, its retries spent)
    groups: list[tuple[JobState, list[str]]] = [
        ("running", started.get_job_ids()),
        ("queued", queue.get_job_ids()),
        ("failed", FailedJobRegistry(queue=queue).get_job_ids()),
        ("done", FinishedJobRegistry(queue=queue).get_job_ids()),
    ]
    jobs: list[JobView] = []
    seen: set[str] = set()
    for state, ids in groups:
        for job in Job.fetch_many(ids, connection=connection):
            if job is None or job.id in seen:
                continue
            seen.add(job.id)
            jobs.append(_view(job, state))
    return QueueStatus(settings.redis_url, settings.queue_name, jobs)


def _view(job: Job, state: JobState) -> JobView:
    view = JobView(job.id, state, str(job.description or job.id), worker=str(job.worker_name or ""))
    view.attempts = int(job.number_of_retries or 0) + (1 if state in ("done", "failed", "running") else 0)
    try:
        payload = job.args[0] if job.args else {}
        view.doc_id = str(payload.get("doc_id", ""))
    except Exception:  # a job not made by enqueue_paths
        pass
    if state == "done":
        result = job.return_value()
        if isinstance(result, dict):
            view.result, view.chunks = str(result.get("status", "")), int(result.get("chunks", 0))
    elif state == "failed":
        latest = job.latest_result()
        text = (latest.exc_string if latest is not None else "") or ""
        lines = [line for line in text.strip().splitlines() if line.strip()]
        view.error = lines[-1] if lines else "failed"
    return view
