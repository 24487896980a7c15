"""``baocao eval``: ``eval QUESTIONS.jsonl`` (the same as ``eval run``), ``eval compare RUN_A RUN_B``, ``eval ablate QUESTIONS.jsonl``."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from typer._click.core import Context  # typer ships its own click; its group takes this context
from typer.core import TyperGroup

from baocao.settings import get_settings
from cli.common import fail, open_stack

SUMMARY_KEYS = ["hit@1", "hit@5", "mrr@10", "evidence_recall@5", "fact_recall", "citation_precision",
                "abstention_recall", "false_abstention_rate", "latency_answer_p50_ms", "latency_answer_p95_ms",
                "llm_rules_kept", "llm_fallback"]


class DefaultToRun(TyperGroup):
    """``baocao eval SET.jsonl`` runs the set: a first word that names no subcommand is the set."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=DefaultToRun, help="Evaluate a question set; compare runs; ablate retrieval.", no_args_is_help=True)


def _out_dir(out: Path | None, run_name: str | None = None) -> Path:
    """``--out`` inside the data folder and a plain ``--run-name``, or one clear line saying why not."""
    from evals.paths import EvalPathError, check_run_name, runs_out_dir

    try:
        if run_name is not None:
            check_run_name(run_name)
        return runs_out_dir(get_settings(), out)
    except EvalPathError as exc:
        fail(str(exc))


def _stack_for(corpus: Path | None, progress: bool):  # -> SearchStack
    from evals.harness import prepare_corpus, settings_for_corpus

    settings = settings_for_corpus(get_settings(), corpus)
    stack = open_stack(settings)
    if corpus is not None:
        if not corpus.is_dir():
            fail(f"corpus folder not found: {corpus}")
        summary = prepare_corpus(stack, corpus, progress)
        typer.echo(f"Corpus {corpus} → collection '{settings.collection}': {summary.text()}", err=True)
        for result in summary.results:
            if result.status == "failed":
                typer.echo(result.line(), err=True)
    return stack


@app.command()
def run(
    questions: Path = typer.Argument(..., help="A question set (JSONL, format in evals/sets/README.md)."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Ingest this folder into its own collection first."),
    run_name: str | None = typer.Option(None, "--run-name"),
    out: Path | None = typer.Option(None, "--out", help="Where runs are written (default DATA_DIR/runs)."),
    retrieval_only: bool = typer.Option(False, "--retrieval-only", help="Skip answering."),
    check: bool = typer.Option(False, "--check-floors", help="Exit 1 when a metric is below evals/floors.json."),
    llm: bool = typer.Option(False, "--llm", help="Answer with the configured LLM (BAOCAO_LLM__*); adds the share "
                             "of answers that kept the citation rules and the share that fell back."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Retrieval and answer metrics of a question set: results.json, report.md and plots in a run folder."""
    from evals import check_floors, load_floors
    from evals.harness import coverage_warning, evaluate, store_coverage, unfindable_evidence, unfindable_warning
    from evals.questions import QuestionSetError

    if not questions.is_file():
        fail(f"question set not found: {questions}")
    out_dir = _out_dir(out, run_name)
    if llm and get_settings().llm.provider == "none":
        fail("--llm needs an LLM: set BAOCAO_LLM__PROVIDER (openai or ollama), BAOCAO_LLM__BASE_URL and BAOCAO_LLM__MODEL")
    if llm and retrieval_only:
        fail("--llm and --retrieval-only exclude each other")
    stack = _stack_for(corpus, progress)
    try:
        for warning in (coverage_warning(*store_coverage(stack, questions)),
                        unfindable_warning(unfindable_evidence(stack, questions))):
            if warning:
                typer.secho(warning, fg=typer.colors.YELLOW, err=True)
        result = evaluate(stack, questions, corpus=corpus, run_name=run_name, out=out_dir,
                          retrieval_only=retrieval_only, progress=progress)
    except QuestionSetError as exc:
        typer.secho(f"error: {questions} is not a valid question set:", fg=typer.colors.RED, err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from exc
    overall = result.metrics["overall"]
    typer.echo("  ".join(f"{k}={overall[k]}" for k in SUMMARY_KEYS if overall.get(k) is not None))
    for lang, metrics in result.metrics["by_lang"].items():
        typer.echo(f"  [{lang}] hit@5={metrics.get('hit@5')} mrr@10={metrics.get('mrr@10')} fact_recall={metrics.get('fact_recall')}")
    typer.echo(f"Wrote {result.dir}/results.json, report.md and plots.")
    if check:
        failures = check_floors(result.metrics, load_floors())
        for failure in failures:
            typer.secho(f"below floor: {failure}", fg=typer.colors.RED, err=True)
        if failures:
            raise typer.Exit(1)


@app.command()
def compare(
    run_a: str = typer.Argument(..., help="A run folder, or a run name under --out."),
    run_b: str = typer.Argument(...),
    out: Path | None = typer.Option(None, "--out"),
) -> None:
    """Deltas between two runs and the questions that got better or worse."""
    from evals import compare_runs

    typer.echo(compare_runs(_run_dir(run_a, _out_dir(out)), _run_dir(run_b, _out_dir(out))).to_markdown())


@app.command()
def ablate(
    questions: Path = typer.Argument(...),
    corpus: Path | None = typer.Option(None, "--corpus"),
    run_name: str | None = typer.Option(None, "--run-name"),
    out: Path | None = typer.Option(None, "--out"),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """The retrieval variants (lexical, dense, fused, fused + query understanding) side by side."""
    from evals.harness import ablate as run_variants

    if not questions.is_file():
        fail(f"question set not found: {questions}")
    out_dir = _out_dir(out, run_name) / (run_name or "ablation")
    stack = _stack_for(corpus, progress)
    typer.echo(run_variants(stack, questions, corpus=corpus, out=out_dir, progress=progress))
    typer.echo(json.dumps({"written": str(out_dir)}))


def _run_dir(name: str, out_dir: Path) -> Path:
    path = Path(name)
    return path if path.exists() else out_dir / name
