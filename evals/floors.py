"""Quality floors: the minimum a run's metrics must reach (a ceiling for lower-is-better metrics).

``floors.json`` next to this file mirrors the metrics layout of results.json::

    {"overall": {"hit@5": 0.9, ...},
     "by_lang": {"en": {"hit@5": 0.8}, ...},
     "by_type": {"list": {"evidence_recall@5": 0.7}, ...}}

For ``false_abstention_rate`` and the latency metrics the value is a ceiling (fails when above).
A group absent from the run (e.g. no ``en`` questions in this set) or a metric the run did not
compute (answer metrics in a retrieval-only run) is skipped.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.scoring import LOWER_IS_BETTER

DEFAULT_FLOORS_PATH = Path(__file__).with_name("floors.json")


def load_floors(path: Path | str = DEFAULT_FLOORS_PATH) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def check_floors(metrics: dict[str, Any], floors: dict[str, Any]) -> list[str]:
    """The failures, e.g. ``"hit@5 0.91 < floor 0.95"`` or ``"by_lang[en] hit@5 0.5 < floor 0.8"``.

    ``metrics`` is the ``"metrics"`` object of results.json; an empty list means all floors hold.
    """
    failures = _check_group(metrics.get("overall", {}), floors.get("overall", {}), prefix="")
    for scope in ("by_lang", "by_type"):
        for group, group_floors in floors.get(scope, {}).items():
            values = metrics.get(scope, {}).get(group)
            if values is not None:
                failures += _check_group(values, group_floors, prefix=f"{scope}[{group}] ")
    return failures


def _check_group(values: dict[str, Any], floors: dict[str, float], prefix: str) -> list[str]:
    failures = []
    for key, limit in floors.items():
        value = values.get(key)
        if value is None:
            continue
        if key in LOWER_IS_BETTER:
            if value > limit:
                failures.append(f"{prefix}{key} {_num(value)} > ceiling {_num(limit)}")
        elif value < limit:
            failures.append(f"{prefix}{key} {_num(value)} < floor {_num(limit)}")
    return failures


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
