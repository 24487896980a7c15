"""``baocao eval QUESTIONS.jsonl | eval compare RUN_A RUN_B | eval ablate QUESTIONS.jsonl``."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import typer

from baocao.settings import Settings, get_settings


def settings_for_corpus(settings: Settings, corpus: Path | None) -> Settings:
    """A question set over other reports gets its own collection, so the user's store is untouched."""
    if corpus is None:
        return settings
    digest = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:10]
    return settings.model_copy(update={"collection": f"eval-{digest}"})


def prepare_corpus(settings: Settings, corpus: Path, progress: bool) -> None:
    from ingest.pipeline import ingest_paths
    from vectorstore.embedders import get_embedder
    from vectorstore.store import ChunkStore

    store = ChunkStore(settings, get_embedder(settings))
    summary = ingest_paths([corpus], store, settings, prune=True, progress=progress)
    typer.echo(f"Corpus {corpus} → collection '{settings.collection}': {summary.text()}", err=True)
    for result in summary.results:
        if result.status == "failed":
            typer.echo(result.line(), err=True)


def _read_document(path: Path) -> str | None:
    from ingest.readers import ReadError, read_file

    try:
        return read_file(path).text
    except ReadError:
        return None


def config_summary(settings: Settings) -> dict[str, Any]:
    return {
        "embedder": settings.embedder,
        "st_model": settings.st_model,
        "collection": settings.collection,
        "llm": settings.llm.provider,
        "llm_model": settings.llm.model,
        "reranker": settings.reranker_model,
    }


def run_questions(
    questions: Path, corpus: Path | None, run_name: str | None, out: Path, retrieval_only: bool,
    check: bool, progress: bool = True,
) -> int:
    from assistant.service import Assistant
    from evals import check_floors, load_floors, run_eval
    from evals.questions import QuestionSetError
    from vectorstore.retriever import build_retriever

    settings = settings_for_corpus(get_settings(), corpus)
    if corpus is not None:
        prepare_corpus(settings, corpus, progress)
    retriever = build_retriever(settings)
    assistant = None if retrieval_only else Assistant(retriever, settings)
    try:
        result = run_eval(
            questions, corpus_dir=corpus, run_name=run_name, out_dir=out,
            retrieve=lambda q, k: retriever.search(q, k=k),
            answer=(lambda q: assistant.answer(q)) if assistant else None,
            config=config_summary(settings), progress=progress, doc_reader=_read_document,
        )
    except QuestionSetError as exc:
        typer.secho(f"error: {questions} is not a valid question set:", fg=typer.colors.RED, err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        return 2
    overall = result.metrics["overall"]
    keys = ["hit@1", "hit@5", "mrr@10", "evidence_recall@5", "fact_recall", "citation_precision",
            "abstention_recall", "false_abstention_rate", "latency_answer_p95_ms"]
    typer.echo("  ".join(f"{k}={overall[k]}" for k in keys if overall.get(k) is not None))
    for lang, metrics in result.metrics["by_lang"].items():
        typer.echo(f"  [{lang}] hit@5={metrics.get('hit@5')} mrr@10={metrics.get('mrr@10')} fact_recall={metrics.get('fact_recall')}")
    typer.echo(f"Wrote {result.dir}/results.json, report.md and plots.")
    if check:
        failures = check_floors(result.metrics, load_floors())
        for failure in failures:
            typer.secho(f"below floor: {failure}", fg=typer.colors.RED, err=True)
        if failures:
            return 1
    return 0


def register(app: typer.Typer) -> None:
    @app.command(name="eval")
    def eval_command(
        target: str = typer.Argument(..., help="QUESTIONS.jsonl, or 'compare' / 'ablate'."),
        rest: list[str] | None = typer.Argument(None, help="compare: RUN_A RUN_B; ablate: QUESTIONS.jsonl"),
        corpus: Path | None = typer.Option(None, "--corpus", help="Ingest this folder into its own collection first."),
        run_name: str | None = typer.Option(None, "--run-name"),
        out: Path | None = typer.Option(None, "--out", help="Where runs are written (default DATA_DIR/runs)."),
        retrieval_only: bool = typer.Option(False, "--retrieval-only", help="Skip answering."),
        check: bool = typer.Option(False, "--check-floors", help="Exit 1 when a metric is below evals/floors.json."),
        progress: bool = typer.Option(True, "--progress/--no-progress"),
    ) -> None:
        """Evaluate a question set: retrieval and answer metrics, report.md, plots; or compare/ablate runs."""
        out_dir = out or get_settings().data_dir / "runs"
        rest = rest or []
        if target == "compare":
            if len(rest) != 2:
                raise typer.BadParameter("usage: eval compare RUN_A RUN_B")
            from evals import compare_runs

            typer.echo(compare_runs(_run_dir(rest[0], out_dir), _run_dir(rest[1], out_dir)).to_markdown())
            return
        if target == "ablate":
            if len(rest) != 1:
                raise typer.BadParameter("usage: eval ablate QUESTIONS.jsonl")
            raise typer.Exit(run_ablation_command(Path(rest[0]), corpus, out_dir / (run_name or "ablation"), progress))
        questions = Path(target)
        if not questions.is_file():
            raise typer.BadParameter(f"question set not found: {questions}")
        raise typer.Exit(run_questions(questions, corpus, run_name, out_dir, retrieval_only, check, progress))


def _run_dir(name: str, out_dir: Path) -> Path:
    path = Path(name)
    return path if path.exists() else out_dir / name


def run_ablation_command(questions: Path, corpus: Path | None, out_dir: Path, progress: bool) -> int:
    from evals import run_ablation
    from vectorstore.retriever import ablation_variants, build_retriever

    settings = settings_for_corpus(get_settings(), corpus)
    if corpus is not None:
        prepare_corpus(settings, corpus, progress)
    store = build_retriever(settings).store
    variants = {name: (lambda q, k, r=r: r.search(q, k=k)) for name, r in ablation_variants(store, settings).items()}
    markdown = run_ablation(questions, variants, out_dir, corpus_dir=corpus, progress=progress, doc_reader=_read_document)
    typer.echo(markdown)
    typer.echo(json.dumps({"written": str(out_dir)}))
    return 0
