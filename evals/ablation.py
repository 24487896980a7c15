"""Retrieval ablation: several retrieve variants over one question set, metrics side by side."""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evals.questions import DocReader, load_questions
from evals.report import fmt
from evals.runner import Retrieve, evaluate_questions, round_metrics
from evals.scoring import LOWER_IS_BETTER, aggregate_groups

ABLATION_METRICS = [
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "evidence_recall@5",
    "evidence_recall@10",
    "doc_hit@5",
    "mrr@10",
    "ndcg@10",
    "latency_retrieval_p50_ms",
    "latency_retrieval_p95_ms",
]


def run_ablation(
    questions_path: Path | str,
    variants: Mapping[str, Retrieve],
    out_dir: Path | str,
    *,
    corpus_dir: Path | str | None = None,
    progress: bool = True,
    doc_reader: DocReader | None = None,
) -> str:
    """Run each variant (retrieval only), write ``out_dir/ablation.md`` and ``ablation.json``,
    return the markdown."""
    questions_path = Path(questions_path)
    questions = load_questions(questions_path, corpus_dir, reader=doc_reader)
    per_variant: dict[str, Any] = {}
    for name, retrieve in variants.items():
        results = evaluate_questions(questions, retrieve, None, progress=progress, desc=name)
        per_variant[name] = {
            "metrics": round_metrics(aggregate_groups([r.scored() for r in results], with_answers=False)),
            "first_hit_rank": {r.question.id: r.first_hit_rank for r in results if r.question.answerable},
            "errors": {r.question.id: r.error for r in results if r.error},
        }
    payload = {"questions_file": str(questions_path), "corpus": str(corpus_dir) if corpus_dir else None, "variants": per_variant}
    markdown = render_ablation(payload)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "ablation.md").write_text(markdown, encoding="utf-8")
    return markdown


def render_ablation(payload: dict[str, Any]) -> str:
    """One table overall and one per lang: rows = variants, columns = metrics, best value in bold."""
    variants = payload["variants"]
    out = [f"# Retrieval ablation — `{payload['questions_file']}`", ""]
    out += ["## Overall", "", _table({n: v["metrics"]["overall"] for n, v in variants.items()}), ""]
    langs: list[str] = []
    for v in variants.values():
        langs += [lang for lang in v["metrics"]["by_lang"] if lang not in langs]
    for lang in langs:
        rows = {n: v["metrics"]["by_lang"].get(lang, {}) for n, v in variants.items()}
        n = next((r.get("n") for r in rows.values() if r), 0)
        out += [f"## {lang} (n={n})", "", _table(rows), ""]
    return "\n".join(out).rstrip() + "\n"


def _table(rows: dict[str, dict[str, Any]]) -> str:
    keys = [k for k in ABLATION_METRICS if any(k in r for r in rows.values())]
    best = {k: _best(k, [r.get(k) for r in rows.values()]) for k in keys}
    lines = ["| variant | " + " | ".join(keys) + " |", "| --- | " + " | ".join("---:" for _ in keys) + " |"]
    for name, r in rows.items():
        cells = []
        for k in keys:
            text = fmt(r.get(k), k)
            # Bold the best value when variants differ.
            cells.append(f"**{text}**" if r.get(k) is not None and r.get(k) == best[k] and len(rows) > 1 else text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _best(key: str, values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    if not present or len(set(present)) == 1:
        return None
    return min(present) if key in LOWER_IS_BETTER else max(present)
