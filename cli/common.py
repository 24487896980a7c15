"""What the commands share: clear errors, opening the configured components, filters."""
from __future__ import annotations

from typing import Any, NoReturn

import typer

from baocao.settings import Settings
from vectorstore.retriever import SearchStack


def fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def open_stack(settings: Settings) -> SearchStack:
    """Embedder, store and corpus snapshot of ``settings``, or one clear line saying why not."""
    from vectorstore.embedders import EmbedderError
    from vectorstore.store import StoreError

    try:
        return SearchStack.open(settings)
    except (StoreError, EmbedderError) as exc:
        fail(str(exc))


def build_filters(locality: str | None, year: int | None, doc_type: str | None, kind: str | None) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if locality:
        filters["locality"] = locality
    if year:
        filters["period_year"] = year
    if doc_type:
        filters["doc_type"] = doc_type
    if kind:
        filters["kind"] = kind
    return filters
