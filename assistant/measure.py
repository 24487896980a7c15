"""Run a question set through the assistant with no LLM and print the answer metrics.

    python -m assistant.measure [--questions FILE] [--corpus DIR] [--data-dir DIR] [-v]

The corpus is ingested into ``--data-dir`` first (incremental: an existing store is reused).
Prints fact_recall, citation_precision, abstention on unanswerable questions, false abstention
on answerable ones, and p50/p95 seconds per answer; ``-v`` lists every failing question.
Scoring uses :mod:`evals.scoring` (the reference reading of the question-set README).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baocao.settings import DEV_QUESTION_SET, SAMPLE_CORPUS, LLMSettings, Settings
from evals.questions import Question, load_questions
from evals.scoring import citation_precision, evidence_found, fact_recall, facts_missing

DEFAULT_QUESTIONS = DEV_QUESTION_SET
DEFAULT_DATA_DIR = Path("/tmp/assistant-data")


@dataclass
class Outcome:
    question: Question
    text: str
    abstained: bool
    seconds: float
    fact_recall: float | None = None
    citation_precision: float | None = None
    missing: list[str] = field(default_factory=list)
    bad_citations: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        if not self.question.answerable:
            return self.abstained
        return (
            not self.abstained
            and (self.fact_recall is None or self.fact_recall >= 0.999)
            and (self.citation_precision is None or self.citation_precision >= 0.999)
        )


def score(question: Question, answer: Any, seconds: float) -> Outcome:
    outcome = Outcome(question, answer.text, bool(answer.abstained), seconds, context=answer.context)
    if not question.answerable:
        return outcome
    by_id = {h.chunk.chunk_id: h for h in answer.passages}
    cited: list[str] = []
    seen: set[str] = set()
    for citation in answer.citations:
        hit = by_id.get(citation.chunk_id)
        text = hit.chunk.text if hit is not None else ""
        if citation.chunk_id in seen:
            continue
        seen.add(citation.chunk_id)
        cited.append(text)
        if not any(evidence_found(e, text) for e in question.evidence):
            outcome.bad_citations.append(f"[{citation.n}] {citation.quote[:90]}")
    outcome.fact_recall = fact_recall(question.answer_facts, answer.text)
    outcome.missing = facts_missing(question.answer_facts, answer.text)
    outcome.citation_precision = citation_precision(cited, question.evidence)
    return outcome


def summarize(outcomes: list[Outcome]) -> dict[str, float | int | None]:
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    recalls = [o.fact_recall for o in answerable if o.fact_recall is not None]
    precisions = [o.citation_precision for o in answerable if o.citation_precision is not None]
    seconds = sorted(o.seconds for o in outcomes)
    return {
        "n": len(outcomes),
        "n_answerable": len(answerable),
        "fact_recall": _mean(recalls),
        "citation_precision": _mean(precisions),
        "abstention_on_unanswerable": _ratio(sum(o.abstained for o in unanswerable), len(unanswerable)),
        "false_abstention_on_answerable": _ratio(sum(o.abstained for o in answerable), len(answerable)),
        "p50_s": _percentile(seconds, 50),
        "p95_s": _percentile(seconds, 95),
    }


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def open_assistant(data_dir: Path, corpus: Path, progress: bool = True) -> Any:
    from assistant.service import Assistant
    from ingest.pipeline import ingest_paths
    from vectorstore.embedders import get_embedder
    from vectorstore.retriever import build_retriever
    from vectorstore.store import ChunkStore

    settings = Settings(data_dir=data_dir, llm=LLMSettings(provider="none"))
    store = ChunkStore(settings, get_embedder(settings))
    summary = ingest_paths([corpus], store, settings, progress=progress)
    if summary.failed:
        print(summary.text(), file=sys.stderr)
    return Assistant(build_retriever(settings, store), settings)


def run(questions: list[Question], assistant: Any) -> list[Outcome]:
    outcomes = []
    for q in questions:
        started = time.perf_counter()
        answer = assistant.answer(q.question)
        outcomes.append(score(q, answer, time.perf_counter() - started))
    return outcomes


def report(outcomes: list[Outcome], verbose: bool) -> str:
    lines = []
    if verbose:
        for o in outcomes:
            if o.ok:
                continue
            q = o.question
            lines.append(f"--- {q.id} ({q.lang}, {q.type}, answerable={q.answerable}) {q.question}")
            lines.append(f"    abstained={o.abstained} recall={o.fact_recall} precision={o.citation_precision}")
            if o.missing:
                lines.append(f"    missing facts: {o.missing}")
            for bad in o.bad_citations:
                lines.append(f"    citation without evidence: {bad}")
            lines.append(f"    context: {json.dumps({k: o.context.get(k) for k in ('kind', 'features', 'abstain_reason')}, ensure_ascii=False)}")
            lines.append("    " + o.text.replace("\n", "\n    "))
    summary = summarize(outcomes)
    lines.append(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}, indent=2))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--corpus", type=Path, default=SAMPLE_CORPUS)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--only", nargs="*", help="question ids to run")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    if args.only:
        questions = [q for q in questions if q.id in set(args.only)]
    assistant = open_assistant(args.data_dir, args.corpus, progress=False)
    assistant.answer("khởi động")  # load models and indexes before timing
    outcomes = run(questions, assistant)
    print(report(outcomes, args.verbose))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
