"""``baocao targets``: the target records (chỉ tiêu) of the ingested reports, filtered; as a table, JSON or CSV."""
from __future__ import annotations

import json

import typer

from assistant.targets import STATUSES, TargetFilter, headline, select, to_csv
from baocao.settings import get_settings
from cli.common import fail, open_stack


def targets(
    locality: str = typer.Option("", "--locality", help='e.g. "Hương Trà" (accents optional)'),
    year: int = typer.Option(0, "--year"),
    status: str = typer.Option("", "--status", help="met | missed | pending"),
    indicator: str = typer.Option("", "--indicator", help="words of the indicator, as written or canonical"),
    as_json: bool = typer.Option(False, "--json"),
    as_csv: bool = typer.Option(False, "--csv"),
    every: bool = typer.Option(False, "--all", help="also sub-rows and the prose figures beside a targets table"),
) -> None:
    """List the targets and figures (chỉ tiêu) read from the ingested reports."""
    if status and status not in STATUSES:
        fail(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
    if as_json and as_csv:
        fail("choose one of --json and --csv")
    store = open_stack(get_settings()).store
    wanted = TargetFilter(localities=[locality] if locality else [], years=[year] if year else [], status=status,
                          indicator=indicator)
    records = select(store.target_records(), wanted)
    if not every:
        records = headline(records)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records], ensure_ascii=False, indent=2))
        return
    if as_csv:
        typer.echo(to_csv(records), nl=False)
        return
    if not records:
        typer.echo("No target records match. (`baocao ingest` reads them from the reports.)")
    for r in records:
        figures = "; ".join(x for x in (f"KH {r.plan}" if r.plan else "", f"TH {r.result}" if r.result else "",
                                        f"{r.percent_of_plan} KH" if r.percent_of_plan else "") if x)
        how = "" if r.status_stated or r.status in ("", "pending") else " (computed)"
        typer.echo(f"{r.locality} {r.year} | {r.indicator} | {figures or '—'} | {r.status or '—'}{how} | {r.kind} | {r.chunk_id}")
