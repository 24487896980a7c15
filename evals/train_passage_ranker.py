"""Fit the learned second stage of retrieval (vectorstore/passage_ranker.py); report it by grouped CV.

    python -m evals.train_passage_ranker                  # samples, synthetic, extra, alqac; dev as the check
    python -m evals.train_passage_ranker --report /tmp/passage-cv.json --no-save

Each training set (:data:`evals.train_ranker.SETS`, the dev set excluded: it is the check, never
fitted) is searched once by the first stage (lexical + dense legs, fusion, boosts; no reranker)
over its own collection, as ``baocao eval --corpus`` builds it, and its top ``--depth`` candidates
are cached under ``DATA_DIR/training`` with the corpus statistics (and the query vectors, so a
stale cache is rebuilt without embedding the questions again). The features are computed from
the cache at every run, so a feature change costs no search.

A candidate is positive when it holds one of the question's evidence strings
(:func:`evals.scoring.evidence_found`, the test ``baocao eval`` counts a hit by). The model is a
logistic regression: ``pairwise`` (on differences of a question's positive and negative
candidates, each question weighing the same) or ``pointwise`` (on the rows, each question's
positives and negatives weighing half of it each).

Cross-validation is grouped by document: each document is dealt to one fold, a question goes
with the documents it names, a question whose documents fell into different folds is left out
(of both the reranked and the fused figures), so no document is both fitted and scored. The
figures are hit@1 / hit@5 / MRR@10 per set and language, for the fused order and for the
reranked one, on the same questions. The final model is fitted on every training set and
checked on the dev set (its figures before and after are reported; nothing is chosen by them).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from baocao.protocols import RerankCandidate, RerankQuery
from baocao.settings import PROJECT_ROOT, Settings, get_settings
from evals.harness import prepare_corpus, settings_for_corpus
from evals.questions import Question, load_questions
from evals.scoring import evidence_found
from evals.train_ranker import SETS
from evals.train_ranker import folds_by_document as split_by_document
from vectorstore.embedders import QueryMemoEmbedder
from vectorstore.passage_ranker import MODEL_FILE, PASSAGE_FEATURES, LinearPassageModel, passage_features
from vectorstore.retriever import Retriever, SearchStack, rerank_candidate

TRAINING_SETS = ("samples", "synthetic", "extra", "alqac")
CHECK_SET = "dev"
# Sources whose change makes cached candidate lists stale (the features are not among them).
FIRST_STAGE_SOURCES = ["vectorstore/query.py", "vectorstore/retriever.py", "vectorstore/legs.py",
                       "vectorstore/fusion.py", "vectorstore/config.py", "vectorstore/lexical.py",
                       "vectorstore/tantivy_lexical.py"]


@dataclass
class PassageExample:
    set_name: str
    question: Question
    query: RerankQuery
    candidates: list[RerankCandidate]  # the fused top-N, best first
    labels: np.ndarray  # per candidate: does it hold an evidence string?
    docs: set[str] = field(default_factory=set)  # "set/document" names that group it into a fold

    def rows(self) -> np.ndarray:
        return passage_features(self.query, self.candidates)


def candidate_label(candidate: RerankCandidate, question: Question) -> bool:
    return question.answerable and any(evidence_found(e, candidate.chunk.text) for e in question.evidence)


def _source_hash() -> str:
    digest = hashlib.sha256()
    for name in FIRST_STAGE_SOURCES:
        digest.update((PROJECT_ROOT / name).read_bytes())
    for path in sorted((PROJECT_ROOT / "baocao/lang/data").iterdir()):
        digest.update(path.read_bytes())
    for path in sorted((PROJECT_ROOT / "vectorstore/data").glob("*.tsv")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def collect(set_name: str, settings: Settings, depth: int, progress: bool = True) -> list[PassageExample]:
    """The set's answerable questions with their fused top ``depth`` (cached)."""
    questions_path, corpus = SETS[set_name]
    if not questions_path.is_file() or not corpus.is_dir():
        print(f"  {set_name}: skipped ({questions_path if not questions_path.is_file() else corpus} not found)",
              file=sys.stderr)
        return []
    stack = SearchStack.open(settings_for_corpus(settings, corpus))
    prepare_corpus(stack, corpus, progress=False)
    questions = [q for q in load_questions(questions_path, corpus) if q.answerable]
    key = hashlib.sha256(f"{questions_path.read_bytes()!r}{stack.store.revision()}{_source_hash()}{depth}".encode()
                         ).hexdigest()[:16]
    folder = settings.data_dir / "training"
    cache = folder / f"passages-{set_name}-{key}.pkl"
    vectors_file = folder / f"query-vectors-{set_name}-{hashlib.sha1(stack.embedder.name.encode()).hexdigest()[:8]}.pkl"
    if cache.is_file():
        with cache.open("rb") as handle:
            stats, lists = pickle.load(handle)
    else:
        embedder = QueryMemoEmbedder(stack.embedder)
        if vectors_file.is_file():
            with vectors_file.open("rb") as handle:
                embedder.cache = pickle.load(handle)
        retriever = Retriever(stack.store, embedder, stack.snapshots)
        stats = stack.snapshots.current().stats
        lists = []
        started = time.perf_counter()
        for i, q in enumerate(questions):
            query = retriever.read(q.question)
            stage = retriever.first_stage(query, depth)
            rerank_query = retriever.rerank_query(query)
            rerank_query.stats = None  # stored once per set, not per question
            lists.append((rerank_query, [rerank_candidate(c, stage.chunks[c.chunk_id]) for c in stage.candidates]))
            if progress and (i + 1) % 100 == 0:
                print(f"  {set_name}: {i + 1}/{len(questions)} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        folder.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as handle:
            pickle.dump((stats, lists), handle, protocol=pickle.HIGHEST_PROTOCOL)
        with vectors_file.open("wb") as handle:
            pickle.dump(embedder.cache, handle, protocol=pickle.HIGHEST_PROTOCOL)
    examples = []
    for q, (query, candidates) in zip(questions, lists, strict=True):
        query.stats = stats
        labels = np.asarray([candidate_label(c, q) for c in candidates], dtype=bool)
        docs = {f"{set_name}/{d}" for d in q.docs} or {f"{set_name}/{q.id}"}
        examples.append(PassageExample(set_name, q, query, candidates, labels, docs))
    return examples


# --------------------------------------------------------------------------- fitting


def _standardise(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return mean, scale


def fit(examples: Sequence[PassageExample], kind: str = "pairwise", c: float = 1.0,
        rows_of: dict[int, np.ndarray] | None = None) -> LinearPassageModel:
    """A logistic regression over the questions whose top-N holds both a positive and a negative."""
    from sklearn.linear_model import LogisticRegression

    used = [e for e in examples if e.labels.any() and not e.labels.all()]
    if not used:
        raise ValueError("no question has both a positive and a negative candidate to learn from")
    per_question = [(rows_of[id(e)] if rows_of is not None else e.rows(), e.labels) for e in used]
    mean, scale = _standardise(np.concatenate([rows for rows, _ in per_question]))
    if kind == "pairwise":
        diffs, weights = [], []
        for rows, labels in per_question:
            z = (rows - mean) / scale
            pairs = (z[labels][:, None, :] - z[~labels][None, :, :]).reshape(-1, z.shape[1])
            diffs.append(pairs)
            weights.append(np.full(len(pairs), 1.0 / len(pairs)))
        x = np.concatenate(diffs)
        w = np.concatenate(weights)
        classifier = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
        classifier.fit(np.concatenate([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))], sample_weight=np.r_[w, w])
        intercept = 0.0
    elif kind == "pointwise":
        z = np.concatenate([(rows - mean) / scale for rows, _ in per_question])
        labels = np.concatenate([labels for _, labels in per_question])
        w = np.concatenate([np.where(labels, 0.5 / labels.sum(), 0.5 / (~labels).sum()) for _, labels in per_question])
        classifier = LogisticRegression(C=c, max_iter=5000)
        classifier.fit(z, labels, sample_weight=w * len(w) / w.sum())
        intercept = float(classifier.intercept_[0])
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    return LinearPassageModel(list(PASSAGE_FEATURES), mean.tolist(), scale.tolist(),
                              [float(v) for v in classifier.coef_[0]], intercept, kind)


# --------------------------------------------------------------------------- scoring


def first_hit_rank(labels: np.ndarray, order: np.ndarray) -> int | None:
    hits = np.flatnonzero(labels[order])
    return int(hits[0]) + 1 if len(hits) else None


def reranked_order(model: LinearPassageModel, rows: np.ndarray) -> np.ndarray:
    scores = model.score(rows)
    return np.asarray(sorted(range(len(scores)), key=lambda i: (-scores[i], i)), dtype=int)


def figures(ranks: Sequence[int | None]) -> dict[str, float | int]:
    n = len(ranks)
    if n == 0:
        return {"n": 0}
    return {
        "n": n,
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4),
    }


def table(examples: Sequence[PassageExample], fused: Sequence[int | None], reranked: Sequence[int | None]
          ) -> dict[str, dict[str, dict[str, float | int]]]:
    """{group: {"fused": figures, "reranked": figures}} per set, and per set and language."""
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        for name in ("all", e.set_name, f"{e.set_name}/{e.question.lang}"):
            groups.setdefault(name, []).append(i)
    return {name: {"fused": figures([fused[i] for i in idx]), "reranked": figures([reranked[i] for i in idx])}
            for name, idx in groups.items()}


def cross_validate(examples: list[PassageExample], folds: int, kind: str, c: float, seed: int = 7
                   ) -> tuple[dict[str, Any], int]:
    fold_of = split_by_document([e.docs for e in examples], folds, seed)
    rows_of = {id(e): e.rows() for e in examples}
    scored: list[PassageExample] = []
    fused: list[int | None] = []
    reranked: list[int | None] = []
    for f in range(folds):
        train = [e for e, g in zip(examples, fold_of) if g not in (f, -1)]
        test = [e for e, g in zip(examples, fold_of) if g == f]
        model = fit(train, kind, c, rows_of)
        for e in test:
            scored.append(e)
            fused.append(first_hit_rank(e.labels, np.arange(len(e.labels))))
            reranked.append(first_hit_rank(e.labels, reranked_order(model, rows_of[id(e)])))
    return table(scored, fused, reranked), sum(1 for g in fold_of if g == -1)


def check(model: LinearPassageModel, examples: Sequence[PassageExample]) -> dict[str, Any]:
    fused = [first_hit_rank(e.labels, np.arange(len(e.labels))) for e in examples]
    reranked = [first_hit_rank(e.labels, reranked_order(model, e.rows())) for e in examples]
    return table(examples, fused, reranked)


def markdown(rows: dict[str, dict[str, dict[str, float | int]]]) -> str:
    def cell(f: dict[str, float | int]) -> str:
        return f"{f['hit@1']:.3f} / {f['hit@5']:.3f} / {f['mrr@10']:.3f}" if f.get("n") else "–"

    lines = ["| group | n | fused (today) | reranked |", "|---|---|---|---|"]
    for name, pair in rows.items():
        lines.append(f"| {name} | {pair['fused']['n']} | {cell(pair['fused'])} | {cell(pair['reranked'])} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(TRAINING_SETS), help=f"comma-separated, of {', '.join(TRAINING_SETS)}")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--depth", type=int, default=30, help="candidates reranked (RetrievalConfig.rerank_depth)")
    parser.add_argument("--model", choices=("pairwise", "pointwise"), default="pairwise")
    parser.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--no-save", action="store_true", help="report only; do not write the model")
    parser.add_argument("--report", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    for name in names:
        if name == CHECK_SET:
            parser.error("the dev set is the check; it is never fitted")
        if name not in SETS:
            parser.error(f"unknown set {name!r}; known: {', '.join(TRAINING_SETS)}")
    settings = get_settings()
    examples: list[PassageExample] = []
    for name in names:
        print(f"collecting {name}…", file=sys.stderr)
        examples += collect(name, settings, args.depth)
    if not examples:
        print("no training data found", file=sys.stderr)
        return 2
    cv, left_out = cross_validate(examples, args.folds, args.model, args.c)
    final = fit(examples, args.model, args.c)
    print(f"collecting {CHECK_SET} (the check)…", file=sys.stderr)
    dev = collect(CHECK_SET, settings, args.depth)
    report: dict[str, Any] = {
        "sets": names,
        "questions": len(examples),
        "with_evidence_in_top_n": int(sum(e.labels.any() for e in examples)),
        "depth": args.depth,
        "model": args.model,
        "c": args.c,
        "folds": args.folds,
        "grouping": "by document: each document in one fold, a question with its documents "
                    "(left out of the cross-validation when they fell into different folds)",
        "left_out_of_cv": left_out,
        "cross_validated": cv,
        "dev_check": check(final, dev) if dev else {},
        "coefficients": dict(zip(PASSAGE_FEATURES, [round(v, 4) for v in final.coef])),
    }
    final.trained_on = {k: v for k, v in report.items() if k != "coefficients"}
    print("cross-validated (hit@1 / hit@5 / MRR@10):\n" + markdown(cv))
    if dev:
        print(f"\n{CHECK_SET} (final model, never fitted on):\n" + markdown(report["dev_check"]))
    print("\n" + json.dumps(report["coefficients"], indent=1))
    if args.report:
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if not args.no_save:
        final.save(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
