"""Compare two run folders: metric deltas and the questions that got better or worse."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.report import METRIC_ROWS, fmt
from evals.runner import load_results
from evals.scoring import LOWER_IS_BETTER

HIT_CUTOFF = 5


@dataclass
class MetricDelta:
    metric: str
    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def improved(self) -> bool | None:
        """True when B is better than A (direction-aware), None when equal or not comparable."""
        d = self.delta
        if d is None or abs(d) < 1e-9:
            return None
        return d < 0 if self.metric in LOWER_IS_BETTER else d > 0


@dataclass
class QuestionChange:
    id: str
    question: str
    lang: str
    type: str
    aspect: str  # "hit rank@5" | "fact_recall" | "abstention"
    a: Any
    b: Any


@dataclass
class Comparison:
    run_a: str
    run_b: str
    overall: list[MetricDelta]
    by_lang: dict[str, list[MetricDelta]]
    by_type: dict[str, list[MetricDelta]]
    better: list[QuestionChange] = field(default_factory=list)
    worse: list[QuestionChange] = field(default_factory=list)
    only_in_a: list[str] = field(default_factory=list)  # question ids
    only_in_b: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        return render_comparison(self)


def compare_runs(run_a_dir: Path | str, run_b_dir: Path | str) -> Comparison:
    """A is the baseline, B the candidate: deltas are B − A."""
    a, b = load_results(run_a_dir), load_results(run_b_dir)
    comp = Comparison(
        run_a=a["run"]["name"],
        run_b=b["run"]["name"],
        overall=_deltas(a["metrics"]["overall"], b["metrics"]["overall"]),
        by_lang=_group_deltas(a["metrics"]["by_lang"], b["metrics"]["by_lang"]),
        by_type=_group_deltas(a["metrics"]["by_type"], b["metrics"]["by_type"]),
    )
    qa = {q["id"]: q for q in a["questions"]}
    qb = {q["id"]: q for q in b["questions"]}
    comp.only_in_a = [i for i in qa if i not in qb]
    comp.only_in_b = [i for i in qb if i not in qa]
    for qid in (i for i in qa if i in qb):
        for change, better in _question_changes(qa[qid], qb[qid]):
            (comp.better if better else comp.worse).append(change)
    return comp


def _deltas(a: dict[str, Any], b: dict[str, Any]) -> list[MetricDelta]:
    keys = [k for k in METRIC_ROWS if k in a or k in b]
    return [MetricDelta(k, a.get(k), b.get(k)) for k in keys]


def _group_deltas(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> dict[str, list[MetricDelta]]:
    names = list(a) + [n for n in b if n not in a]
    return {n: _deltas(a.get(n, {}), b.get(n, {})) for n in names}


def _rank_at_cutoff(q: dict[str, Any]) -> int | None:
    rank = q.get("first_hit_rank")
    return rank if rank is not None and rank <= HIT_CUTOFF else None


def _question_changes(qa: dict[str, Any], qb: dict[str, Any]) -> list[tuple[QuestionChange, bool]]:
    """(change, better?) for the hit rank within the top 5, fact_recall and abstention."""
    def change(aspect: str, va: Any, vb: Any) -> QuestionChange:
        return QuestionChange(qb["id"], qb["question"], qb["lang"], qb["type"], aspect, va, vb)

    out: list[tuple[QuestionChange, bool]] = []
    if qb["answerable"]:
        ra, rb = _rank_at_cutoff(qa), _rank_at_cutoff(qb)
        if ra != rb:
            # No hit in the top 5 ranks below any hit.
            worse_rank = HIT_CUTOFF + 1
            out.append((change("hit rank@5", ra, rb), (rb or worse_rank) < (ra or worse_rank)))
        fa, fb = qa["scores"].get("fact_recall"), qb["scores"].get("fact_recall")
        if fa is not None and fb is not None and abs(fa - fb) > 1e-9:
            out.append((change("fact_recall", fa, fb), fb > fa))
    ca, cb = qa["scores"].get("abstention_correct"), qb["scores"].get("abstention_correct")
    if ca is not None and cb is not None and ca != cb:
        out.append((change("abstention", "right" if ca else "wrong", "right" if cb else "wrong"), bool(cb)))
    return out


# --------------------------------------------------------------------------- markdown


def delta_text(r: MetricDelta) -> str:
    """"+0.125 ↑" (↑ better, ↓ worse, direction-aware), "+2" for counts, "–" when not comparable."""
    d = r.delta
    if d is None:
        return "–"
    if r.metric in ("n", "n_answerable"):
        return f"{int(d):+d}"
    mark = {True: " ↑", False: " ↓", None: ""}[r.improved]
    return (f"{d:+.1f}" if r.metric.startswith("latency") else f"{d:+.3f}") + mark


def _delta_table(rows: list[MetricDelta], a_name: str, b_name: str) -> str:
    lines = [f"| metric | A: {a_name} | B: {b_name} | Δ (B − A) |", "| --- | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r.metric} | {fmt(r.a, r.metric)} | {fmt(r.b, r.metric)} | {delta_text(r)} |")
    return "\n".join(lines)


def _changes(title: str, changes: list[QuestionChange]) -> list[str]:
    out = [f"## {title} ({len(changes)})", ""]
    if not changes:
        return out + ["None.", ""]
    out += ["| id | lang | type | what | A | B | question |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in changes:
        question = c.question.replace("|", "\\|")
        out.append(
            f"| {c.id} | {c.lang} | {c.type} | {c.aspect} | {_cell(c.a)} | {_cell(c.b)} | {question} |"
        )
    return out + [""]


def _cell(value: Any) -> str:
    if value is None:
        return "miss"
    return fmt(value)


def render_comparison(comp: Comparison) -> str:
    """Markdown: deltas overall / by lang / by type (↑ better, ↓ worse), then changed questions."""
    out = [f"# Comparison: `{comp.run_a}` (A) → `{comp.run_b}` (B)", "", "## Overall", ""]
    out += [_delta_table(comp.overall, comp.run_a, comp.run_b), ""]
    for title, groups in (("By lang", comp.by_lang), ("By type", comp.by_type)):
        out += [f"## {title}", ""]
        for name, rows in groups.items():
            out += [f"### {name}", "", _delta_table(rows, comp.run_a, comp.run_b), ""]
    out += _changes("Better in B", comp.better)
    out += _changes("Worse in B", comp.worse)
    if comp.only_in_a or comp.only_in_b:
        out += ["## Questions in one run only", ""]
        out += [f"- only in A: {', '.join(comp.only_in_a) or '–'}", f"- only in B: {', '.join(comp.only_in_b) or '–'}", ""]
    return "\n".join(out).rstrip() + "\n"
