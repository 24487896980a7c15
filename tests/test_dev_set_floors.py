"""The regression gate: the dev question set, no LLM, must stay above the floors in evals/floors.json."""
from pathlib import Path

import pytest

from evals import check_floors, load_floors, run_eval


@pytest.mark.slow
def test_dev_set_stays_above_the_floors(sample_settings, dev_set_path: Path, tmp_path: Path) -> None:
    from assistant.service import Assistant
    from vectorstore.retriever import build_retriever

    retriever = build_retriever(sample_settings)
    assistant = Assistant(retriever, sample_settings)
    result = run_eval(
        dev_set_path, out_dir=tmp_path, run_name="ci-dev",
        retrieve=lambda q, k: retriever.search(q, k=k), answer=lambda q: assistant.answer(q), progress=False,
    )
    print(result.dir / "report.md")
    overall = result.metrics["overall"]
    print({k: overall.get(k) for k in ("hit@5", "mrr@10", "fact_recall", "citation_precision", "abstention_recall", "false_abstention_rate")})
    failures = check_floors(result.metrics, load_floors())
    assert not failures, "\n".join(failures)
