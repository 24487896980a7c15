"""``baocao ingest --queue`` / ``--status`` and ``baocao worker``: ingest on Redis + RQ (ingest/queue.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from baocao.settings import Settings, get_settings
from cli.common import fail, open_stack


def settings_with(redis_url: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"redis_url": redis_url}) if redis_url else settings


def enqueue(paths: list[Path], settings: Settings, overrides: dict[str, Any], key_prefix: str, as_json: bool) -> None:
    """Enqueue one job per new or changed document; exit 1 when a file could not be enqueued."""
    from ingest.queue import QueueError, connect, enqueue_paths

    try:
        connection = connect(settings)
    except QueueError as exc:
        fail(str(exc))
    stack = open_stack(settings)
    results = enqueue_paths(paths, stack.store, settings, connection, cli_overrides=overrides, key_prefix=key_prefix)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            typer.echo(result.line())
        queued = sum(1 for r in results if r.status == "queued")
        typer.echo(f"Queued {queued} job(s) on '{settings.queue_name}' at {settings.redis_url}; "
                   "run `baocao worker` to process them, `baocao ingest --status` to follow.")
    raise typer.Exit(1 if any(r.status == "failed" for r in results) else 0)


def status(settings: Settings, as_json: bool) -> None:
    """Print the queue's jobs: queued, running, done, failed (with errors); exit 1 when any failed."""
    from ingest.queue import QueueError, connect, queue_status

    try:
        report = queue_status(settings, connect(settings))
    except QueueError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines():
            typer.echo(line)
    raise typer.Exit(1 if report.count("failed") else 0)


def worker(
    burst: bool = typer.Option(False, "--burst", help="Stop when no job is queued or running (else run until stopped)."),
    redis_url: str = typer.Option(None, "--redis-url", help="Redis of the queue (default BAOCAO_REDIS_URL)."),
    name: str = typer.Option(None, "--name", help="The worker's name in the queue's status."),
    verbose: bool = typer.Option(False, "--verbose", help="Log every job."),
) -> None:
    """Run ingest jobs from the queue (any number of workers, on any machine that reaches Redis and the store)."""
    from baocao.models import DocumentRecord
    from ingest.queue import QueueError, run_worker
    from vectorstore.indexed_store import IndexedStore
    from vectorstore.lexical_sync import mend_document

    settings = settings_with(redis_url)
    stack = open_stack(settings)
    store = stack.store
    mend = None
    if isinstance(store, IndexedStore):  # the tantivy index: a job may find its document written but not indexed

        def mend(record: DocumentRecord) -> bool:
            return mend_document(store.disk, store.inner, record)

    try:
        ran = run_worker(settings, store, stack.embedder, burst=burst, name=name, mend=mend,
                         logging_level="INFO" if verbose else "WARNING")
    except QueueError as exc:
        fail(str(exc))
    typer.echo(f"Worker done: {ran} job(s) run.")
