"""One command line for everything: ``baocao ingest | docs | search | ask | eval | ui | start``."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer

from baocao.settings import PROJECT_ROOT, SAMPLE_CORPUS, get_settings
from cli import ask, evaluate, queue, search, targets
from cli.common import fail, open_stack
from ingest.pipeline import IngestSummary
from vectorstore.retriever import SearchStack

app = typer.Typer(help="The reports assistant: cited answers over Vietnamese local-government reports.", no_args_is_help=True)
app.command()(search.search)
app.command()(ask.ask)
app.command()(targets.targets)
app.command()(queue.worker)
app.add_typer(evaluate.app, name="eval")


def _parse_meta_options(values: list[str]) -> dict[str, object]:
    from ingest.metadata import parse_meta_options

    try:
        return parse_meta_options(values)
    except ValueError as exc:
        fail(str(exc))


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(None, help="Files or folders (recursed). Default: the shipped sample reports."),
    prune: bool = typer.Option(False, "--prune", help="Remove documents whose files are gone."),
    reindex: bool = typer.Option(False, "--reindex", help="Drop the collection and rebuild it (e.g. after changing embedder)."),
    meta: list[str] = typer.Option([], "--meta", help="Override metadata for these files: FIELD=VALUE (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
    key_prefix: str = typer.Option(
        "", "--key-prefix", help="Know these files as PREFIX/<path in the folder> (their document ids)."
    ),
    on_queue: bool = typer.Option(False, "--queue", help="Enqueue one job per document for `baocao worker` (Redis)."),
    status: bool = typer.Option(False, "--status", help="Show the queue's jobs: queued, running, done, failed."),
    redis_url: str = typer.Option(None, "--redis-url", help="Redis of the queue (default BAOCAO_REDIS_URL)."),
) -> None:
    """Read, chunk, embed and store report files (incremental: unchanged files are skipped)."""
    from ingest.lock import IngestLockedError
    from ingest.pipeline import ingest_paths
    from vectorstore.store import drop_collection

    settings = queue.settings_with(redis_url)
    overrides = _parse_meta_options(meta)
    if status:
        queue.status(settings, as_json)
    if on_queue:
        if reindex or prune:
            fail("--queue does not take --reindex or --prune; run them without --queue")
        queue.enqueue(list(paths or [SAMPLE_CORPUS]), settings, overrides, key_prefix, as_json)
    if reindex:
        drop_collection(settings)
    stack = open_stack(settings)
    try:
        summary = ingest_paths(
            list(paths or [SAMPLE_CORPUS]), stack.store, stack.embedder, settings, prune=prune,
            cli_overrides=overrides, progress=progress and not as_json, key_prefix=key_prefix,
            on_note=lambda line: typer.echo(line, err=True),
        )
    except IngestLockedError as exc:
        fail(str(exc), code=3)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        for result in summary.results:
            typer.echo(result.line())
        if summary.results and all(r.status == "unchanged" for r in summary.results):
            typer.echo("Nothing to do: every document is unchanged.")
        typer.echo(summary.text())
        _warm_snapshot(stack, summary)
        typer.echo(
            f"Store: {stack.store.location} (collection '{stack.store.name}', {stack.store.count_chunks()} chunks, "
            f"embedder {stack.embedder.name})"
        )
    raise typer.Exit(1 if summary.failed else 0)


def _warm_snapshot(stack: SearchStack, summary: IngestSummary) -> None:
    """Build the corpus snapshot (lexical index) now, so the first search after an ingest does not pay for it."""
    if summary.chunks_written or summary.count("removed"):
        stack.snapshots.current()
        typer.echo("Lexical index updated.")


@app.command()
def docs(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the ingested documents with their metadata."""
    records = open_stack(get_settings()).store.documents()
    if as_json:
        typer.echo(json.dumps([{**r.meta.to_dict(), "chunks": r.chunk_count} for r in records], ensure_ascii=False, indent=2))
        return
    if not records:
        typer.echo("No documents yet. Run `baocao ingest`.")
    for r in records:
        m = r.meta
        typer.echo(
            f"{m.source}\n  {m.title}\n  {m.locality_level} {m.locality} | số {m.doc_number or '—'} | "
            f"ngày {m.date_issued or '—'} | kỳ {m.period or '—'}{' | DỰ THẢO' if m.is_draft else ''} | {r.chunk_count} chunks"
        )


@app.command()
def ui(port: int = typer.Option(8501, help="Port for the Streamlit server."), headless: bool = typer.Option(False)) -> None:
    """Open the chat UI (Streamlit)."""
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "ui" / "app.py"), "--server.port", str(port),
               "--browser.gatherUsageStats", "false"]
    if headless:
        command += ["--server.headless", "true"]
    raise typer.Exit(subprocess.call(command))


@app.command()
def start(port: int = typer.Option(8501), headless: bool = typer.Option(False)) -> None:
    """The main job: ingest the sample reports (if needed), then open the chat UI."""
    from ingest.pipeline import ingest_paths

    settings = get_settings()
    stack = open_stack(settings)
    if not stack.store.documents():
        typer.echo("First run: ingesting the sample reports (about a minute on a quiet 2-core machine, longer on a "
                   "busy one); the app opens when it is done. Ctrl+C stops.", err=True)
    summary = ingest_paths([SAMPLE_CORPUS], stack.store, stack.embedder, settings,
                           on_file=lambda result: typer.echo(f"  {result.line()}", err=True))
    typer.echo(summary.text())
    _warm_snapshot(stack, summary)
    ui(port=port, headless=headless)


if __name__ == "__main__":
    app()
