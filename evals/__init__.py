"""Evaluation of the reports assistant against a question set (format: evals/sets/README.md).

Public API (all paths may be ``str`` or ``Path``)::

    from evals import load_questions, run_eval, compare_runs, run_ablation, check_floors, load_floors

    load_questions(path, corpus_dir=None, *, reader=None) -> list[Question]
        Parse and validate a JSONL question set. Raises QuestionSetError whose ``.problems``
        lists every problem with its line ("line 7: missing key 'evidence'"). With corpus_dir,
        each evidence string must be found (cleaned form) in one of the question's docs.
        reader(path) -> str | None reads a document; the default reads plain-text files only
        (evidence in .docx/.pdf/.html docs is then not checked: pass a reader to check it).

    run_eval(questions_path, *, corpus_dir=None, run_name=None, out_dir=Path("runs"),
             retrieve: Callable[[str, int], list[Hit]],
             answer: Callable[[str], Answer] | None,
             config: dict | None = None, progress=True, doc_reader=None) -> RunResult
        retrieve(question_text, 10) -> ranked hits; answer(question_text) -> Answer, or None for
        a retrieval-only run (answer metrics omitted). Writes out_dir/<run_name>/ results.json,
        report.md, metrics_by_lang.png, metrics_by_type.png, latency.png. RunResult has
        .name, .dir, .run, .metrics ({"overall", "by_lang", "by_type"}), .questions, .files.
        run_name defaults to "<YYYYmmdd-HHMMSS>-<questions file stem>".

    compare_runs(run_a_dir, run_b_dir) -> Comparison
        Deltas B − A overall / by lang / by type, questions better / worse (hit rank within the
        top 5, fact_recall, abstention). Comparison.to_markdown() renders it.

    run_ablation(questions_path, variants: dict[str, retrieve], out_dir, *, corpus_dir=None,
                 progress=True, doc_reader=None) -> str
        Retrieval-only metrics of each variant side by side (overall and by lang); writes
        out_dir/ablation.md and out_dir/ablation.json; returns the markdown.

    check_floors(metrics, floors) -> list[str]
        Failures such as "hit@5 0.91 < floor 0.95" ("by_lang[en] ..." for groups), where metrics
        is RunResult.metrics (or results.json["metrics"]) and floors = load_floors() reads
        evals/floors.json.

Lower-level pieces: evals.scoring (clean_for_match, evidence_found, retrieval_scores,
fact_present, fact_recall, citation_precision, abstention_metrics, aggregate_groups),
evals.report.render_report(results_json_dict), evals.plots.write_plots(results_json_dict, dir),
evals.runner.load_results(run_dir).
"""
from evals.ablation import run_ablation
from evals.compare import Comparison, compare_runs
from evals.floors import check_floors, load_floors
from evals.questions import Question, QuestionSetError, load_questions
from evals.runner import RunResult, run_eval

__all__ = [
    "Comparison",
    "Question",
    "QuestionSetError",
    "RunResult",
    "check_floors",
    "compare_runs",
    "load_floors",
    "load_questions",
    "run_ablation",
    "run_eval",
]
