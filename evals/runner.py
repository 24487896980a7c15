"""Run a question set through injected retrieve/answer callables, score it, write the run folder."""
from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.llm import CITATION_CHECKS
from assistant.types import Answer
from evals.plots import write_plots
from evals.questions import DocReader, Question, load_questions
from evals.report import render_report
from evals.scoring import (
    Passage,
    RetrievalScores,
    ScoredQuestion,
    abstention_correct,
    aggregate_groups,
    citation_precision,
    evidence_found,
    fact_recall,
    facts_missing,
    retrieval_scores,
)
from vectorstore.hits import Hit

log = logging.getLogger(__name__)

Retrieve = Callable[[str, int], list[Hit]]
AnswerFn = Callable[[str], Answer]

TOP_K = 10
TEXT_PREVIEW = 300  # characters of each retrieved passage kept in results.json


@dataclass
class RetrievedPassage:
    rank: int
    chunk_id: str
    source: str
    section: str
    text: str  # full text; results.json keeps the first TEXT_PREVIEW characters
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "chunk_id": self.chunk_id,
            "source": self.source,
            "section": self.section,
            "text": self.text[:TEXT_PREVIEW],
            "score": round(self.score, 6),
        }


@dataclass
class CitationResult:
    n: int
    chunk_id: str
    source: str
    section: str
    contains_evidence: bool | None  # None for unanswerable questions (no evidence to hold)


@dataclass
class QuestionResult:
    question: Question
    retrieved: list[RetrievedPassage] = field(default_factory=list)
    retrieval: RetrievalScores | None = None  # None for unanswerable questions
    latency_retrieval_ms: float | None = None
    answered: bool = False  # False in a retrieval-only run
    answer_text: str | None = None
    citations: list[CitationResult] = field(default_factory=list)
    abstained: bool | None = None
    fact_recall: float | None = None
    facts_missing: list[str] = field(default_factory=list)
    citation_precision: float | None = None
    latency_answer_ms: float | None = None
    mode: str | None = None  # the answer's mode: "extractive" or "llm"
    llm_fallback: str = ""  # LLM mode answered extractively: "unavailable" or "checks"
    checks_failed: list[str] = field(default_factory=list)  # the checks the LLM's answer failed
    route: str = ""  # "targets": answered from the target records (assistant.targets), else from passages
    error: str | None = None

    @property
    def llm_attempted(self) -> bool:
        return self.mode == "llm" or bool(self.llm_fallback)

    @property
    def llm_rules_kept(self) -> bool | None:
        """Whether the LLM's own answer kept the citation rules (None: no LLM asked)."""
        if not self.llm_attempted:
            return None
        return self.llm_fallback != "unavailable" and not set(self.checks_failed) & set(CITATION_CHECKS)

    @property
    def first_hit_rank(self) -> int | None:
        return self.retrieval.first_hit_rank if self.retrieval else None

    def scores(self) -> dict[str, Any]:
        """Per-question metric values (None where the metric does not apply)."""
        out: dict[str, Any] = dict(self.retrieval.metrics) if self.retrieval else {}
        if self.answered:
            out["fact_recall"] = self.fact_recall
            out["citation_precision"] = self.citation_precision
            out["abstention_correct"] = (
                abstention_correct(self.question.answerable, bool(self.abstained))
                if self.abstained is not None
                else None
            )
        return out

    def scored(self) -> ScoredQuestion:
        q = self.question
        metrics: dict[str, float | None] = dict(self.retrieval.metrics) if self.retrieval else {}
        if self.answered:
            metrics["fact_recall"] = self.fact_recall
            metrics["citation_precision"] = self.citation_precision
        return ScoredQuestion(
            lang=q.lang,
            type=q.type,
            answerable=q.answerable,
            metrics=metrics,
            abstained=self.abstained if self.answered else None,
            latency_retrieval_ms=self.latency_retrieval_ms,
            latency_answer_ms=self.latency_answer_ms,
            llm_rules_kept=self.llm_rules_kept,
            llm_fell_back=bool(self.llm_fallback) if self.llm_attempted else None,
        )

    def to_dict(self) -> dict[str, Any]:
        q = self.question
        r = self.retrieval
        return {
            "id": q.id,
            "question": q.question,
            "lang": q.lang,
            "type": q.type,
            "answerable": q.answerable,
            "docs": q.docs,
            "evidence": q.evidence,
            "answer_facts": q.answer_facts,
            "reference_answer": q.answer,
            "extra": q.extra,
            "retrieved": [p.to_dict() for p in self.retrieved],
            "first_hit_rank": r.first_hit_rank if r else None,
            "evidence_ranks": r.evidence_ranks if r else [],
            "doc_hit_rank": r.doc_hit_rank if r else None,
            "scores": self.scores(),
            "answer": self.answer_text,
            "citations": [c.__dict__ for c in self.citations],
            "abstained": self.abstained,
            "facts_missing": self.facts_missing,
            "latency_retrieval_ms": _round(self.latency_retrieval_ms),
            "latency_answer_ms": _round(self.latency_answer_ms),
            "mode": self.mode,
            "llm_fallback": self.llm_fallback,
            "checks_failed": self.checks_failed,
            "route": self.route,
            "error": self.error,
        }


@dataclass
class RunResult:
    name: str
    dir: Path
    run: dict[str, Any]  # name, date, questions_file, corpus, config
    metrics: dict[str, Any]  # {"overall": {...}, "by_lang": {...}, "by_type": {...}}
    questions: list[QuestionResult]
    files: dict[str, Path]  # "results", "report", "plot_by_lang", "plot_by_type", "plot_latency"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "metrics": self.metrics,
            "questions": [q.to_dict() for q in self.questions],
        }


# --------------------------------------------------------------------------- evaluation


def run_eval(
    questions_path: Path | str,
    *,
    corpus_dir: Path | str | None = None,
    run_name: str | None = None,
    out_dir: Path | str = Path("runs"),
    retrieve: Retrieve,
    answer: AnswerFn | None,
    config: dict[str, Any] | None = None,
    progress: bool = True,
    doc_reader: DocReader | None = None,
) -> RunResult:
    """Evaluate every question, write ``out_dir/run_name/`` (results.json, report.md, PNGs)."""
    questions_path = Path(questions_path)
    questions = load_questions(questions_path, corpus_dir, reader=doc_reader)
    started = datetime.now().astimezone()
    name = run_name or f"{started:%Y%m%d-%H%M%S}-{questions_path.stem}"
    results = evaluate_questions(questions, retrieve, answer, progress=progress, desc=name)
    metrics = aggregate_groups([r.scored() for r in results], with_answers=answer is not None)

    run_dir = Path(out_dir) / name
    run_dir.mkdir(parents=True, exist_ok=True)
    run_info = {
        "name": name,
        "date": started.isoformat(timespec="seconds"),
        "questions_file": str(questions_path),
        "corpus": str(corpus_dir) if corpus_dir is not None else None,
        "config": config or {},
        "answers": answer is not None,
    }
    result = RunResult(name, run_dir, run_info, round_metrics(metrics), results, files={})
    result.files["results"] = run_dir / "results.json"
    result.files["results"].write_text(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    # Report and plots read the JSON as written, so they can be redone from a run folder.
    result.files["report"] = run_dir / "report.md"
    as_json = json.loads(result.files["results"].read_text(encoding="utf-8"))
    result.files["report"].write_text(render_report(as_json), encoding="utf-8")
    result.files.update(write_plots(as_json, run_dir))
    return result


def evaluate_questions(
    questions: Sequence[Question],
    retrieve: Retrieve,
    answer: AnswerFn | None,
    *,
    progress: bool = True,
    desc: str = "eval",
) -> list[QuestionResult]:
    return [
        evaluate_question(q, retrieve, answer)
        for q in tqdm(questions, desc=desc, unit="q", disable=not progress)
    ]


def evaluate_question(q: Question, retrieve: Retrieve, answer: AnswerFn | None) -> QuestionResult:
    """Retrieve top-10, answer, score.

    An exception from ``retrieve`` or ``answer`` is recorded on the result and scored as an
    empty retrieval / an empty answer (so it counts as a failure), and the run goes on.
    """
    result = QuestionResult(question=q)
    errors: list[str] = []
    hits: list[Hit] = []
    t0 = time.perf_counter()
    try:
        hits = list(retrieve(q.question, TOP_K))[:TOP_K]
    except Exception as exc:
        errors.append(_describe("retrieve", q, exc))
    result.latency_retrieval_ms = (time.perf_counter() - t0) * 1000
    result.retrieved = [_retrieved(rank, hit) for rank, hit in enumerate(hits, start=1)]
    if q.answerable:
        passages = [Passage(p.text, p.source, p.chunk_id) for p in result.retrieved]
        result.retrieval = retrieval_scores(passages, q.evidence, q.docs)
    if answer is not None:
        result.answered = True
        t0 = time.perf_counter()
        try:
            ans = answer(q.question)
        except Exception as exc:
            errors.append(_describe("answer", q, exc))
            ans = Answer(question=q.question, text="")
        result.latency_answer_ms = (time.perf_counter() - t0) * 1000
        _score_answer(result, ans, hits)
    result.error = "\n".join(errors) or None
    return result


def _describe(stage: str, q: Question, exc: Exception) -> str:
    log.warning("question %s: %s failed: %s", q.id, stage, exc)
    return f"{stage}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"


def _retrieved(rank: int, hit: Hit) -> RetrievedPassage:
    chunk = hit.chunk
    return RetrievedPassage(
        rank=rank,
        chunk_id=chunk.chunk_id,
        source=_source(hit),
        section=chunk.section,
        text=chunk.text,
        score=float(hit.score),
    )


def _source(hit: Hit) -> str:
    return hit.chunk.meta.source if hit.chunk.meta is not None else hit.chunk.doc_id


def _score_answer(result: QuestionResult, ans: Answer, retrieved_hits: Sequence[Hit]) -> None:
    q = result.question
    result.answer_text = ans.text
    result.abstained = bool(ans.abstained)
    result.mode = ans.mode if ans.text else None
    result.llm_fallback = ans.llm_fallback
    result.checks_failed = list(ans.checks_failed)
    result.route = str(ans.context.get("route", ""))
    # A cited chunk is looked up among the answer's passages, then among what we retrieved.
    by_id = {h.chunk.chunk_id: h for h in retrieved_hits}
    by_id.update({h.chunk.chunk_id: h for h in ans.passages})
    cited_texts: list[str] = []
    seen: set[str] = set()
    for c in ans.citations:
        hit = by_id.get(c.chunk_id)
        text = hit.chunk.text if hit is not None else ""
        holds = any(evidence_found(e, text) for e in q.evidence) if q.answerable else None
        result.citations.append(
            CitationResult(
                n=c.n,
                chunk_id=c.chunk_id,
                source=c.source or (_source(hit) if hit else ""),
                section=c.section or (hit.chunk.section if hit else ""),
                contains_evidence=holds,
            )
        )
        if c.chunk_id not in seen:  # a passage cited twice counts once
            seen.add(c.chunk_id)
            cited_texts.append(text)
    if q.answerable:
        result.fact_recall = fact_recall(q.answer_facts, ans.text)
        result.facts_missing = facts_missing(q.answer_facts, ans.text)
        result.citation_precision = citation_precision(cited_texts, q.evidence)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def round_metrics(metrics: Any) -> Any:
    """Metrics rounded to 4 decimals (latencies to 0.1 ms) for stable, readable JSON."""
    if isinstance(metrics, dict):
        return {
            k: (round(v, 1) if k.startswith("latency") else round(v, 4)) if isinstance(v, float) else round_metrics(v)
            for k, v in metrics.items()
        }
    return metrics


def load_results(run_dir: Path | str) -> dict[str, Any]:
    """The parsed ``results.json`` of a run folder."""
    return json.loads((Path(run_dir) / "results.json").read_text(encoding="utf-8"))
