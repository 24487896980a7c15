"""``baocao search``: ranked passages with document, section path and snippet."""
from __future__ import annotations

import json

import typer

from baocao.settings import get_settings
from cli.common import build_filters, fail, open_stack


def search(
    query: str = typer.Argument(..., help="What to look for (Vietnamese with or without diacritics, or English)."),
    k: int = typer.Option(5, "-k", help="How many passages."),
    locality: str | None = typer.Option(None, help="Only this locality (exact, e.g. 'Hương Trà')."),
    year: int | None = typer.Option(None, help="Only documents about this year."),
    doc_type: str | None = typer.Option(None, "--doc-type", help="Only this document type (Báo cáo, Kế hoạch…)."),
    kind: str | None = typer.Option(None, help="Only this kind of passage: text, table, footnote."),
    as_json: bool = typer.Option(False, "--json"),
    explain: bool = typer.Option(False, "--why", help="Show which search leg found each hit and why."),
) -> None:
    """Search the ingested reports."""
    settings = get_settings()
    problem = settings.question_problem(query) or settings.k_problem(k)
    if problem:
        fail(problem)
    retriever = open_stack(settings).retriever()
    hits = retriever.search(query, k=k, filters=build_filters(locality, year, doc_type, kind))
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("No passages found.")
    for hit in hits:
        meta = hit.chunk.meta
        title = meta.label if meta else hit.chunk.doc_id
        snippet = " ".join(hit.chunk.text.split())
        typer.secho(f"[{hit.rank}] {title}  (score {hit.score:.3f}, {hit.chunk.kind})", bold=True)
        if hit.chunk.section:
            typer.echo(f"    § {hit.chunk.section}")
        typer.echo(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
        if explain:
            typer.echo(f"    legs: {hit.legs}; {'; '.join(hit.why)}")
