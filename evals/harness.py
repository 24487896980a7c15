"""Running a question set against the configured system: the one evaluation harness.

``baocao eval`` (cli/evaluate.py), the UI's evaluation page and the CI floors test call these.
A question set over another corpus (``corpus``) gets a collection of its own, so the user's
store is never touched.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from assistant.service import Assistant
from baocao.settings import Settings
from evals.ablation import run_ablation
from evals.runner import Retrieve, RunResult, run_eval
from ingest.pipeline import IngestSummary, ingest_paths
from vectorstore.retriever import Retriever, SearchStack, ablation_variants


def settings_for_corpus(settings: Settings, corpus: Path | None) -> Settings:
    """A question set over other reports gets its own collection, so the user's store is untouched."""
    if corpus is None:
        return settings
    digest = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:10]
    return settings.model_copy(update={"collection": f"eval-{digest}"})


def prepare_corpus(stack: SearchStack, corpus: Path, progress: bool) -> IngestSummary:
    """Ingest ``corpus`` into the stack's store (incremental: unchanged files are skipped)."""
    summary = ingest_paths([corpus], stack.store, stack.embedder, stack.settings, prune=True, progress=progress)
    stack.snapshots.current()  # build the snapshot before the first timed question
    return summary


def read_document(path: Path) -> str | None:
    from ingest.readers import ReadError, read_file

    try:
        return read_file(path).text
    except ReadError:
        return None


def config_summary(settings: Settings) -> dict[str, Any]:
    return {
        "embedder": settings.embedder,
        "st_model": settings.st_model,
        "collection": settings.collection,
        "llm": settings.llm.provider,
        "llm_model": settings.llm.model,
        "reranker": settings.reranker_model,
        "targets_answers": settings.targets_answers,
    }


def store_coverage(stack: SearchStack, questions: Path) -> tuple[list[str], list[str]]:
    """(documents the question set names, those of them the store does not hold), by file name."""
    from evals.questions import load_questions

    named = sorted({name for q in load_questions(questions) for name in q.docs})
    held = {r.meta.source for r in stack.store.documents()} | {Path(r.meta.doc_id).name for r in stack.store.documents()}
    return named, [name for name in named if Path(name).name not in held]


def coverage_warning(named: list[str], missing: list[str]) -> str:
    """One line when the store lacks documents the set names ('' when it holds them all)."""
    if not missing:
        return ""
    how = "ingest them first (`baocao ingest FOLDER`) or pass `--corpus FOLDER` to evaluate over that folder"
    example = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
    if len(missing) == len(named):
        return (f"warning: the store holds none of the {len(named)} documents this question set names ({example}); "
                f"every retrieval score will be 0: {how}")
    return f"warning: {len(missing)} of the {len(named)} documents this question set names are not in the store ({example}); {how}"


def unfindable_evidence(stack: SearchStack, questions: Path) -> list[str]:
    """The evidence strings that no stored passage of their question's documents holds, as
    "ID evidence N": scoring counts such a question as not found whatever is retrieved (an
    evidence string quoted across two passages, or in a form ingest does not keep). Questions
    whose documents the store lacks are left to :func:`store_coverage`."""
    from evals.questions import load_questions
    from evals.scoring import clean_for_match

    by_file: dict[str, list[str]] = {}
    for chunk in stack.store.all_chunks():
        names = {Path(chunk.doc_id).name} | ({chunk.meta.source} if chunk.meta else set())
        for name in names:
            by_file.setdefault(Path(name).name, []).append(clean_for_match(chunk.text))
    out = []
    for q in load_questions(questions):
        texts = [t for name in q.docs for t in by_file.get(Path(name).name, [])]
        if not texts:
            continue
        for n, evidence in enumerate(q.evidence, start=1):
            needle = clean_for_match(evidence)
            if needle and not any(needle in t for t in texts):
                out.append(f"{q.id} evidence {n}")
    return out


def unfindable_warning(items: list[str]) -> str:
    """One line naming the evidence no stored passage holds ('' when every one is held)."""
    if not items:
        return ""
    example = ", ".join(items[:5]) + (" …" if len(items) > 5 else "")
    return (f"warning: {len(items)} evidence string(s) are in no stored passage of their documents ({example}); "
            "those questions count as not found whatever is retrieved: quote each as one passage holds it")


def evaluate(
    stack: SearchStack, questions: Path, *, corpus: Path | None, run_name: str | None, out: Path,
    retrieval_only: bool = False, progress: bool = True,
) -> RunResult:
    """Retrieval and (unless ``retrieval_only``) answer metrics of a question set; writes the run folder."""
    retriever = stack.retriever()
    assistant = None if retrieval_only else Assistant(retriever, stack.settings)
    return run_eval(
        questions, corpus_dir=corpus, run_name=run_name, out_dir=out,
        retrieve=lambda q, k: retriever.search(q, k=k),
        answer=(lambda q: assistant.answer(q)) if assistant else None,
        config=config_summary(stack.settings), progress=progress, doc_reader=read_document,
    )


def _searcher(retriever: Retriever) -> Retrieve:
    return lambda question, k: retriever.search(question, k=k)


def ablate(stack: SearchStack, questions: Path, *, corpus: Path | None, out: Path, progress: bool = True) -> str:
    """The retrieval variants of docs/retrieval.md side by side (markdown)."""
    variants = {name: _searcher(r) for name, r in ablation_variants(stack).items()}
    return run_ablation(questions, variants, out, corpus_dir=corpus, progress=progress, doc_reader=read_document)
