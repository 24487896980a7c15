"""PNG plots of a run: metrics by lang, metrics by type, latency histogram.

Uses ``matplotlib.figure.Figure`` directly (Agg canvas), never pyplot, so no global backend
is switched and nothing needs a display.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

PLOT_METRICS = ["hit@5", "mrr@10", "fact_recall", "citation_precision"]


def write_plots(results: dict[str, Any], run_dir: Path) -> dict[str, Path]:
    """Write metrics_by_lang.png, metrics_by_type.png, latency.png; return their paths by name."""
    metrics = results["metrics"]
    files = {
        "plot_by_lang": run_dir / "metrics_by_lang.png",
        "plot_by_type": run_dir / "metrics_by_type.png",
        "plot_latency": run_dir / "latency.png",
    }
    grouped_bars(metrics["by_lang"], "Metrics by language", files["plot_by_lang"])
    grouped_bars(metrics["by_type"], "Metrics by question type", files["plot_by_type"])
    latency_histogram(results["questions"], files["plot_latency"])
    return files


def grouped_bars(groups: dict[str, dict[str, Any]], title: str, path: Path) -> None:
    """One cluster of bars per group (lang or type), one bar per metric present in the run."""
    from matplotlib.figure import Figure

    names = list(groups)
    metric_keys = [m for m in PLOT_METRICS if any(m in g for g in groups.values())]
    fig = Figure(figsize=(max(6.0, 1.1 * len(names) + 2), 4.2), dpi=110)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(metric_keys))
    for i, key in enumerate(metric_keys):
        # A metric that does not apply (None) is drawn as no bar.
        values = [_num(groups[n].get(key)) for n in names]
        xs = [x + (i - (len(metric_keys) - 1) / 2) * width for x in range(len(names))]
        ax.bar(xs, values, width, label=key)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([f"{n}\n(n={groups[n].get('n', 0)})" for n in names], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, format="png")


def latency_histogram(questions: list[dict[str, Any]], path: Path) -> None:
    """Histogram of per-question retrieval latency and, when answered, whole-answer latency (ms)."""
    from matplotlib.figure import Figure

    series = {
        "retrieval": [q["latency_retrieval_ms"] for q in questions if q.get("latency_retrieval_ms") is not None],
        "answer": [q["latency_answer_ms"] for q in questions if q.get("latency_answer_ms") is not None],
    }
    series = {k: v for k, v in series.items() if v}
    fig = Figure(figsize=(6.5, 4.0), dpi=110)
    ax = fig.add_subplot()
    for label, values in series.items():
        ax.hist(values, bins=min(30, max(5, len(values) // 2)), alpha=0.6, label=f"{label} (n={len(values)})")
    if not series:
        ax.text(0.5, 0.5, "no latencies", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Latency per question")
    if series:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)
