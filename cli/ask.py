"""``baocao ask "question"``: the answer with its numbered sources (``--json`` for the full Answer)."""
from __future__ import annotations

import json

import typer

from assistant.types import Answer
from baocao.settings import get_settings
from cli.common import build_filters, fail, open_stack


def render(answer: Answer) -> str:
    """The answer, then one line per source: document, section path, quoted span."""
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("Sources:" if answer.context.get("lang") == "en" else "Nguồn:")
        for c in answer.citations:
            where = c.title or c.source
            lines.append(f"[{c.n}] {where}" + (f" — {c.section}" if c.section else ""))
            quote = " ".join(c.quote.split())
            lines.append(f"    “{quote[:400]}{'…' if len(quote) > 400 else ''}”  ({c.source}, {c.span[0]}–{c.span[1]})")
    for warning in answer.warnings:
        lines.append(f"! {warning}")
    if not answer.grounded:
        lines.append("! not grounded: the answer cites no passage that supports it")
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in answer.timings.items())
    lines.append(f"({answer.mode}; {timing})")
    return "\n".join(lines).rstrip()


def ask(
    question: str = typer.Argument(..., help="The question, in Vietnamese (with or without diacritics) or English."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole answer (Answer.to_dict()) as JSON."),
    locality: str | None = typer.Option(None, help="Only reports of this locality (e.g. 'Hương Trà')."),
    year: int | None = typer.Option(None, help="Only reports about this year."),
    doc_type: str | None = typer.Option(None, "--doc-type", help="Only this document type (Báo cáo, Kế hoạch…)."),
    k: int = typer.Option(8, "-k", help="How many passages to read."),
) -> None:
    """Answer a question from the ingested reports, with numbered, quoted sources."""
    from assistant.service import Assistant

    settings = get_settings()
    problem = settings.question_problem(question) or settings.k_problem(k)
    if problem:
        fail(problem)
    assistant = Assistant(open_stack(settings).retriever(), settings)
    answer = assistant.answer(question, filters=build_filters(locality, year, doc_type, None) or None, k=k)
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(render(answer))
