"""report.md for a run, rendered from the results.json structure (so it can be redone from disk)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from baocao.lang.normalize import collapse_ws
from evals.scoring import (
    ABSTENTION_KEYS,
    ANSWER_KEYS,
    ANSWER_LATENCY_KEYS,
    RETRIEVAL_KEYS,
    RETRIEVAL_LATENCY_KEYS,
)

METRIC_ROWS = (
    ["n", "n_answerable"]
    + RETRIEVAL_KEYS
    + ANSWER_KEYS
    + ABSTENTION_KEYS
    + RETRIEVAL_LATENCY_KEYS
    + ANSWER_LATENCY_KEYS
)
SNIPPET = 150  # characters of a retrieved passage shown for a miss


def fmt(value: Any, key: str = "") -> str:
    """Numbers for tables: counts as integers, latencies to 0.1 ms, rates to 3 decimals, None as '–'."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1f}" if key.startswith("latency") else f"{value:.3f}"
    return str(value)


def metrics_table(groups: dict[str, dict[str, Any]]) -> str:
    """Rows = metrics, columns = groups (``{"overall": {...}}`` or ``{"vi": {...}, "en": {...}}``)."""
    names = list(groups)
    keys = [k for k in METRIC_ROWS if any(k in g for g in groups.values())]
    lines = [
        "| metric | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(fmt(groups[n].get(key), key) for n in names) + " |")
    return "\n".join(lines)


def render_report(results: dict[str, Any]) -> str:
    """Markdown: run header, tables overall / by lang / by type, then the failing questions."""
    run, metrics, questions = results["run"], results["metrics"], results["questions"]
    out: list[str] = [f"# Evaluation run `{run['name']}`", ""]
    n_unanswerable = sum(1 for q in questions if not q["answerable"])
    out += [
        f"- date: {run['date']}",
        f"- questions: `{run['questions_file']}` ({len(questions)} questions, {n_unanswerable} unanswerable)",
        f"- corpus: `{run['corpus']}`" if run.get("corpus") else "- corpus: (not given)",
        f"- mode: {'retrieval + answers' if run.get('answers', True) else 'retrieval only'}",
        f"- config: `{json.dumps(run.get('config', {}), ensure_ascii=False, sort_keys=True)}`",
        "",
        "Retrieval metrics, fact_recall and citation_precision are means over answerable questions;",
        "`–` means the metric does not apply to the group.",
        "",
        "## Overall",
        "",
        metrics_table({"overall": metrics["overall"]}),
        "",
        "## By lang",
        "",
        metrics_table(_with_counts(metrics["by_lang"])),
        "",
        "## By type",
        "",
        metrics_table(_with_counts(metrics["by_type"])),
        "",
        "## Failing questions",
        "",
    ]
    out += _retrieval_misses(questions)
    out += _incomplete_evidence(questions)
    if run.get("answers", True):
        out += _missing_facts(questions)
        out += _wrong_abstentions(questions)
        out += _bad_citations(questions)
    out += _errors(questions)
    return "\n".join(out).rstrip() + "\n"


def _with_counts(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{name} (n={g.get('n', 0)})": g for name, g in groups.items()}


def _header(q: dict[str, Any]) -> str:
    return f"#### {q['id']} ({q['lang']}, {q['type']})"


def _quote(text: str | None, limit: int = 300) -> str:
    text = collapse_ws(text or "")
    return "> " + (text[:limit] + "…" if len(text) > limit else text)


def _retrieval_misses(questions: Sequence[dict[str, Any]]) -> list[str]:
    misses = [q for q in questions if q["answerable"] and not q["scores"].get("hit@5")]
    out = [f"### Retrieval misses at 5 ({len(misses)})", ""]
    if not misses:
        return out + ["None.", ""]
    for q in misses:
        rank = q.get("first_hit_rank")
        where = f"first hit at rank {rank}" if rank else "no evidence in the top 10"
        out += [_header(q) + f" — {where}", "", _quote(q["question"]), "", f"Docs: {', '.join(q['docs'])}", ""]
        out.append("Evidence:")
        for evidence, ev_rank in zip(q["evidence"], q.get("evidence_ranks") or [None] * len(q["evidence"])):
            found = f"rank {ev_rank}" if ev_rank else "not retrieved"
            out.append(f"- `{_snippet(evidence)}` ({found})")
        out += ["", "Retrieved instead (top 5):"]
        for p in q["retrieved"][:5]:
            out.append(f"{p['rank']}. `{p['source']}` — {p['section'] or '(no section)'} — \"{_snippet(p['text'])}\"")
        if not q["retrieved"]:
            out.append("(nothing)")
        out.append("")
    return out


def _incomplete_evidence(questions: Sequence[dict[str, Any]]) -> list[str]:
    partial = [
        q
        for q in questions
        if q["answerable"] and q["scores"].get("hit@5") and (q["scores"].get("evidence_recall@5") or 0) < 1
    ]
    if not partial:
        return []
    out = [f"### Incomplete evidence at 5 ({len(partial)})", ""]
    for q in partial:
        missing = [
            e for e, r in zip(q["evidence"], q.get("evidence_ranks") or []) if r is None or r > 5
        ]
        out.append(
            f"- **{q['id']}** ({q['lang']}, {q['type']}) evidence_recall@5 "
            f"{fmt(q['scores'].get('evidence_recall@5'))}; not in top 5: "
            + "; ".join(f"`{_snippet(e)}`" for e in missing)
        )
    return out + [""]


def _missing_facts(questions: Sequence[dict[str, Any]]) -> list[str]:
    failing = [q for q in questions if q["answerable"] and q["facts_missing"]]
    out = [f"### Answers missing facts ({len(failing)})", ""]
    if not failing:
        return out + ["None.", ""]
    for q in failing:
        out += [
            _header(q)
            + f" — fact_recall {fmt(q['scores'].get('fact_recall'))}"
            + (" (declined to answer)" if q.get("abstained") else ""),
            "",
            _quote(q["question"]),
            "",
            "Missing: " + ", ".join(f"`{f}`" for f in q["facts_missing"]),
            "",
            "Answer:",
            "",
            _quote(q.get("answer")),
            "",
        ]
    return out


def _wrong_abstentions(questions: Sequence[dict[str, Any]]) -> list[str]:
    declined = [q for q in questions if q["answerable"] and q.get("abstained")]
    answered = [q for q in questions if not q["answerable"] and q.get("abstained") is False]
    out = [f"### Wrong abstentions ({len(declined) + len(answered)})", ""]
    if not declined and not answered:
        return out + ["None.", ""]
    for q in declined:
        out += [_header(q) + " — declined an answerable question", "", _quote(q["question"]), ""]
    for q in answered:
        out += [
            _header(q) + " — answered an unanswerable question",
            "",
            _quote(q["question"]),
            "",
            "Answer:",
            "",
            _quote(q.get("answer")),
            "",
        ]
    return out


def _bad_citations(questions: Sequence[dict[str, Any]]) -> list[str]:
    bad = [
        q
        for q in questions
        if q["answerable"] and q["scores"].get("citation_precision") is not None and q["scores"]["citation_precision"] < 1
    ]
    if not bad:
        return []
    out = [f"### Citations without evidence ({len(bad)})", ""]
    for q in bad:
        wrong = [c for c in q["citations"] if c.get("contains_evidence") is False]
        out.append(
            f"- **{q['id']}** ({q['lang']}, {q['type']}) citation_precision "
            f"{fmt(q['scores']['citation_precision'])}: "
            + ", ".join(f"[{c['n']}] `{c['source']}` {c['section']}".rstrip() for c in wrong)
        )
    return out + [""]


def _errors(questions: Sequence[dict[str, Any]]) -> list[str]:
    failed = [q for q in questions if q.get("error")]
    if not failed:
        return []
    out = [f"### Errors ({len(failed)})", ""]
    for q in failed:
        out += [f"#### {q['id']}", "", "```", q["error"].rstrip(), "```", ""]
    return out


def _snippet(text: str) -> str:
    text = collapse_ws(text).replace("`", "'")
    return text[:SNIPPET] + "…" if len(text) > SNIPPET else text
