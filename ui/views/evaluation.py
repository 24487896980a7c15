"""Evaluation page: run a question set with progress, show metrics, plots, failures, comparisons."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from baocao.settings import PROJECT_ROOT
from ui.backend import DEFAULT_QUESTION_SET, Context, get_assistant, get_retriever, get_stack, module_problem
from ui.feedback import export_questions, load_feedback
from ui.i18n import reason_text, t
from ui.uploads import safe_filename

LAST_RUN_KEY = "eval_last_run"


def runs_dir(ctx: Context) -> Path:
    return Path(ctx.settings.data_dir) / "runs"


def list_runs(folder: Path) -> list[Path]:
    """Run folders (holding results.json), newest first."""
    if not folder.is_dir():
        return []
    runs = [p for p in folder.iterdir() if (p / "results.json").is_file()]
    return sorted(runs, key=lambda p: (p / "results.json").stat().st_mtime, reverse=True)


def render(ctx: Context) -> None:
    lang = ctx.lang
    problem = module_problem("evals.runner") or module_problem("vectorstore.retriever")
    st.subheader(t("eval_title", lang))
    if problem:
        st.warning(f"{t('not_ready', lang)} — {problem}")
    else:
        render_run_form(ctx)
    render_results(ctx)
    render_feedback_export(ctx)


# ----------------------------------------------------------------------------- running


def render_run_form(ctx: Context) -> None:
    lang = ctx.lang
    default = str(DEFAULT_QUESTION_SET) if DEFAULT_QUESTION_SET.exists() else ""
    path_text = st.text_input(t("eval_path", lang), value=default, key="eval_path")
    uploaded = st.file_uploader(t("eval_upload", lang), key="eval_upload")
    corpus_text = st.text_input(t("eval_corpus", lang), value="", key="eval_corpus", help=t("eval_corpus_help", lang),
                                placeholder=str(PROJECT_ROOT / "corpus"))
    with_answers = st.checkbox(
        t("eval_with_answers", lang), value=not module_problem("assistant.service"), key="eval_answers",
        disabled=bool(module_problem("assistant.service")),
    )
    if not st.button(t("eval_run", lang), type="primary", key="eval_go"):
        return
    questions_path, problem = question_set_path(ctx, path_text, uploaded)
    if questions_path is None:
        st.error(f"{t('eval_missing', lang)}: {problem or path_text or '—'}")
        return
    corpus: Path | None = None
    if corpus_text.strip():
        from evals.paths import EvalPathError, confined_corpus

        try:
            corpus = confined_corpus(ctx.settings, corpus_text)
        except EvalPathError as exc:
            st.error(f"{t('eval_corpus_missing', lang)}: {exc}")
            return
    run_dir = run_question_set(ctx, questions_path, with_answers, corpus)
    if run_dir is not None:
        st.session_state[LAST_RUN_KEY] = str(run_dir)


def question_set_path(ctx: Context, path_text: str, uploaded: Any) -> tuple[Path | None, str]:
    """An uploaded set is saved under data_dir/eval_sets; otherwise the typed path, when it is a file
    inside the question-set folders (evals.paths.question_set_dirs): no other server path is read."""
    if uploaded is not None:
        folder = Path(ctx.settings.data_dir) / "eval_sets"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / safe_filename(uploaded.name)
        target.write_bytes(uploaded.getvalue())
        return target, ""
    from evals.paths import EvalPathError, confined_question_set

    try:
        return confined_question_set(ctx.settings, path_text), ""
    except EvalPathError as exc:
        return None, str(exc)


def store_text(ctx: Context, corpus: Path | None, location: str, lang: str) -> str:
    """"Kho được đánh giá: …" — which store a run used (the live one, or the folder's own)."""
    which = t("eval_store_corpus", lang, folder=corpus) if corpus is not None else t("eval_store_live", lang)
    return f"{t('eval_store', lang)}: {which} — `{location}`"


def run_question_set(ctx: Context, questions_path: Path, with_answers: bool, corpus: Path | None = None) -> Path | None:
    from evals.harness import prepare_corpus, read_document, settings_for_corpus
    from evals.questions import QuestionSetError, load_questions
    from evals.runner import run_eval

    lang = ctx.lang
    try:
        total = len(load_questions(questions_path))
    except QuestionSetError as exc:
        st.error(f"{t('eval_invalid', lang)}: {questions_path}")
        st.code("\n".join(exc.problems[:50]))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        st.error(f"{t('eval_invalid', lang)}: {exc}")
        return None
    bar = st.progress(0.0, text=f"{t('loading_models', lang)}")
    stack = ctx.stack
    if corpus is not None:  # as `baocao eval --corpus`: the folder in a collection of its own
        stack = get_stack(settings_for_corpus(ctx.settings, corpus))
        bar.progress(0.0, text=f"{t('eval_corpus_ingest', lang)} {corpus}…")
        summary = prepare_corpus(stack, corpus, progress=False)
        for failed in (r for r in summary.results if r.status == "failed"):
            st.warning(f"{Path(failed.path).name}: {reason_text(failed.reason, lang)}")
    location = f"{stack.store.location} ({stack.settings.collection})"
    st.info(store_text(ctx, corpus, location, lang))
    retriever = get_retriever(stack)
    assistant = get_assistant(stack) if with_answers else None
    retrieve = counting(lambda q, k: retriever.search(q, k=k), total, bar, f"{t('eval_running', lang)} {questions_path.name}")
    answer = (lambda q: assistant.answer(q, [], None)) if assistant is not None else None
    try:
        result = run_eval(
            questions_path, out_dir=runs_dir(ctx), retrieve=retrieve, answer=answer, progress=False,
            corpus_dir=corpus, doc_reader=read_document if corpus is not None else None,
            config={"embedder": stack.embedder.name, "llm": ctx.settings.llm.provider, "source": "ui",
                    "store": location},
        )
    except Exception as exc:
        st.error(f"{type(exc).__name__}: {exc}")
        return None
    bar.progress(1.0, text=f"{t('upload_done', lang)}: {result.name}")
    return Path(result.dir)


def counting(retrieve: Callable[[str, int], Any], total: int, bar: Any, label: str) -> Callable[[str, int], Any]:
    """``retrieve`` that moves the progress bar: the runner calls it once per question."""
    done = [0]

    def wrapped(question: str, k: int) -> Any:
        bar.progress(min(done[0] / max(total, 1), 1.0), text=f"{label} ({done[0] + 1}/{total})")
        done[0] += 1
        return retrieve(question, k)

    return wrapped


# ----------------------------------------------------------------------------- results


def render_results(ctx: Context) -> None:
    lang = ctx.lang
    runs = list_runs(runs_dir(ctx))
    st.subheader(t("eval_runs", lang))
    if not runs:
        st.caption(t("eval_no_runs", lang))
        return
    names = [p.name for p in runs]
    last = Path(st.session_state.get(LAST_RUN_KEY, "")).name
    chosen = st.selectbox(t("eval_choose_run", lang), names, index=names.index(last) if last in names else 0, key="eval_run_choice")
    run_dir = runs[names.index(chosen)]
    try:
        results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        st.error(f"{run_dir}: {exc}")
        return
    render_metrics(results, lang)
    render_plots(run_dir, lang)
    render_failures(results, lang)
    report = run_dir / "report.md"
    if report.is_file():
        st.download_button(t("eval_report", lang), report.read_text(encoding="utf-8"), file_name=f"{run_dir.name}.md",
                           mime="text/markdown", on_click="ignore", key="eval_report_dl")
    others = [n for n in names if n != chosen]
    if others:
        render_comparison(runs_dir(ctx), others, chosen, lang)


def metric_table(groups: dict[str, dict[str, Any]], lang: str = "vi") -> dict[str, list[Any]]:
    """Columns for a table with one row per metric and one column per group (as report.md has them)."""
    metrics: list[str] = []
    for values in groups.values():
        metrics += [k for k in values if k not in metrics]
    table: dict[str, list[Any]] = {t("eval_metric", lang): metrics}
    for name, values in groups.items():
        table[name] = [values.get(m) for m in metrics]
    return table


def render_metrics(results: dict[str, Any], lang: str) -> None:
    metrics = results.get("metrics", {})
    overall, by_lang = st.columns([2, 3])
    with overall:
        st.markdown(f"**{t('eval_overall', lang)}**")
        st.dataframe(metric_table({t("eval_overall", lang): metrics.get("overall", {})}, lang), hide_index=True, width="stretch")
    with by_lang:
        st.markdown(f"**{t('eval_by_lang', lang)}**")
        st.dataframe(metric_table(metrics.get("by_lang", {}), lang), hide_index=True, width="stretch")
    st.markdown(f"**{t('eval_by_type', lang)}**")
    st.dataframe(metric_table(metrics.get("by_type", {}), lang), hide_index=True, width="stretch")


def render_plots(run_dir: Path, lang: str) -> None:
    plots = sorted(run_dir.glob("*.png"))
    if not plots:
        return
    st.markdown(f"**{t('eval_plots', lang)}**")
    for tab, plot in zip(st.tabs([p.stem for p in plots]), plots):
        tab.image(str(plot))


def failing_questions(results: dict[str, Any], lang: str = "vi") -> list[dict[str, Any]]:
    """Questions with a retrieval miss at 5, missing facts, a wrong abstention, or an error (columns in ``lang``)."""
    rows = []
    for q in results.get("questions", []):
        scores = q.get("scores", {})
        problems = []
        if q.get("answerable") and not scores.get("hit@5"):
            problems.append(t("eval_p_miss", lang, rank=q.get("first_hit_rank") or ">10"))
        if q.get("facts_missing"):
            problems.append(t("eval_p_facts", lang, facts=", ".join(q["facts_missing"])))
        if scores.get("abstention_correct") is False:
            problems.append(t("eval_p_abstained", lang) if q.get("abstained") else t("eval_p_should_abstain", lang))
        if q.get("error"):
            problems.append(t("eval_p_error", lang, error=str(q["error"]).splitlines()[0]))
        if problems:
            rows.append({"id": q["id"], t("eval_col_lang", lang): q["lang"], t("eval_col_type", lang): q["type"],
                         t("eval_col_question", lang): q["question"], t("eval_col_problem", lang): "; ".join(problems),
                         t("eval_col_answer", lang): (q.get("answer") or "")[:300]})
    return rows


def render_failures(results: dict[str, Any], lang: str) -> None:
    rows = failing_questions(results, lang)
    st.markdown(f"**{t('eval_failures', lang)} ({len(rows)})**")
    if rows:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption(t("eval_none_failing", lang))


def render_comparison(folder: Path, others: list[str], chosen: str, lang: str) -> None:
    from evals.compare import compare_runs

    with st.expander(t("eval_compare", lang)):
        baseline = st.selectbox(t("eval_baseline", lang), others, key="eval_baseline")
        try:
            comparison = compare_runs(folder / baseline, folder / chosen)
        except Exception as exc:
            st.error(f"{type(exc).__name__}: {exc}")
            return
        render_comparison_tables(comparison, lang)


def delta_rows(rows: list[Any], a_name: str, b_name: str, lang: str) -> dict[str, list[Any]]:
    """Columns of one metric-delta table (evals.compare.MetricDelta rows), headers in ``lang``."""
    from evals.compare import delta_text
    from evals.report import fmt

    return {
        t("eval_metric", lang): [r.metric for r in rows],
        f"A: {a_name}": [fmt(r.a, r.metric) for r in rows],
        f"B: {b_name}": [fmt(r.b, r.metric) for r in rows],
        t("eval_delta", lang): [delta_text(r) for r in rows],
    }


def change_rows(changes: list[Any], lang: str) -> list[dict[str, Any]]:
    """The questions that got better or worse (evals.compare.QuestionChange), columns and values in ``lang``."""
    aspects = {"hit rank@5": "eval_aspect_rank", "fact_recall": "eval_aspect_facts", "abstention": "eval_aspect_abstention"}

    def value(v: Any) -> str:
        if v is None:
            return t("eval_v_miss", lang)
        if v in ("right", "wrong"):
            return t(f"eval_v_{v}", lang)
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    return [{"id": c.id, t("eval_col_lang", lang): c.lang, t("eval_col_type", lang): c.type,
             t("eval_col_what", lang): t(aspects[c.aspect], lang) if c.aspect in aspects else c.aspect,
             "A": value(c.a), "B": value(c.b), t("eval_col_question", lang): c.question} for c in changes]


def render_comparison_tables(comparison: Any, lang: str) -> None:
    """evals.compare.Comparison through the label tables: deltas overall, by language, by type
    (↑ better, ↓ worse), then the questions that changed."""
    a, b = comparison.run_a, comparison.run_b
    st.markdown(f"**{t('eval_compare_runs', lang, a=a, b=b)}**")
    st.markdown(f"**{t('eval_overall', lang)}**")
    st.dataframe(delta_rows(comparison.overall, a, b, lang), hide_index=True, width="stretch")
    for title, groups in (("eval_by_lang", comparison.by_lang), ("eval_by_type", comparison.by_type)):
        st.markdown(f"**{t(title, lang)}**")
        for name, rows in groups.items():
            st.caption(name)
            st.dataframe(delta_rows(rows, a, b, lang), hide_index=True, width="stretch")
    for title, changes in (("eval_better", comparison.better), ("eval_worse", comparison.worse)):
        st.markdown(f"**{t(title, lang)} ({len(changes)})**")
        if changes:
            st.dataframe(change_rows(changes, lang), hide_index=True, width="stretch")
        else:
            st.caption(t("eval_no_changes", lang))
    if comparison.only_in_a or comparison.only_in_b:
        st.caption(t("eval_only_in", lang, a=", ".join(comparison.only_in_a) or "–", b=", ".join(comparison.only_in_b) or "–"))


# ----------------------------------------------------------------------------- feedback export


def render_feedback_export(ctx: Context) -> None:
    lang = ctx.lang
    st.subheader(t("feedback_export", lang))
    records = load_feedback(Path(ctx.settings.data_dir))
    if not records:
        st.caption(t("feedback_none", lang))
        return
    up = sum(1 for r in records if r.get("rating") == "up")
    st.caption(f"{t('feedback_count', lang)}: {len(records)} (👍 {up}, 👎 {len(records) - up})")
    only_up = st.checkbox(t("feedback_only_up", lang), value=False, key="feedback_only_up")
    st.download_button(
        t("feedback_export", lang) + " (JSONL)", export_questions(records, only_up), file_name="feedback-questions.jsonl",
        mime="application/jsonl", on_click="ignore", key="feedback_dl", icon=":material/download:",
    )
