"""Fit the answerer's models on training question sets; report every figure by grouped cross-validation.

    python -m evals.train_ranker                      # all sets found, writes assistant/models/answer_model.json
    python -m evals.train_ranker --sets samples,synthetic,alqac --report docs/answers.md

Each question set is run through the real pipeline (its corpus ingested into a collection of its
own, the question read, retrieved, its answer candidates built with their features) once; that is
cached under ``DATA_DIR/training``. Then:

1. **Unit ranker**: a logistic regression on (question, unit) rows; a unit is positive when it
   holds the question's evidence (:func:`unit_label`).
2. **Answerability**: a logistic regression on question rows built from the unit ranker's scores
   (:data:`assistant.features.QUESTION_FEATURES`); positives are answerable questions, negatives
   the unanswerable ones plus, for training only, each answerable question with its own
   documents' passages taken away (what a question about a report that is not loaded looks like).
3. **Threshold**: the answerability threshold is the highest one that keeps false abstention on
   answerable questions at or under ``--max-false-abstention``.

Folds are grouped by document: the documents a question names (its gold documents, or for an
unanswerable question the document of its top passage) are one group, questions that share a
document are one group, and no group is in two folds. Every model is fitted on the other folds
only (the answerability model and its threshold on unit scores from an inner cross-validation of
those folds), and the answers of a fold's questions are composed by the real answerer with that
fold's models and scored like ``baocao eval``. The final models are fitted on everything.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.features import QUESTION_FEATURES, UNIT_FEATURES, question_features, refeaturize
from assistant.ranking import MODEL_FILE, AnswerModel, LogisticModel, Thresholds, TreeModel, UnitModel
from assistant.service import Assistant, PreparedTurn
from assistant.types import Answer
from baocao.lang.tokens import match_tokens
from baocao.settings import PROJECT_ROOT, Settings, get_settings
from evals.harness import prepare_corpus, settings_for_corpus
from evals.questions import Question, load_questions
from evals.scoring import citation_precision, clean_for_match, evidence_found, fact_recall
from vectorstore.retriever import SearchStack
from vectorstore.term_stats import TermStats

SHARED = PROJECT_ROOT.parent / "shared"
SETS: dict[str, tuple[Path, Path]] = {
    "dev": (PROJECT_ROOT / "evals/sets/dev.jsonl", PROJECT_ROOT / "corpus"),
    "samples": (PROJECT_ROOT / "evals/sets/samples.jsonl", PROJECT_ROOT / "corpus"),
    "synthetic": (PROJECT_ROOT / "evals/sets/synthetic.jsonl", PROJECT_ROOT / "evals/corpora/synthetic"),
    "synthetic2": (PROJECT_ROOT / "evals/sets/synthetic2.jsonl", PROJECT_ROOT / "evals/corpora/synthetic2"),
    "extra": (PROJECT_ROOT / "evals/sets/extra.jsonl", SHARED / "corpus-extra"),
    "extra_more": (PROJECT_ROOT / "evals/sets/extra_more.jsonl", SHARED / "corpus-extra"),
    "alqac": (SHARED / "eval/alqac2022/questions.jsonl", SHARED / "eval/alqac2022/corpus"),
}
# What the shipped models are fitted on. synthetic2 is held out of the default: fitted on, it lowered
# the answerability threshold and the refusals with it (docs/answers.md, seventh round); it is the
# set new documents are first measured on (`--sets ...,synthetic2` fits on it too).
DEFAULT_SETS = [name for name in SETS if name != "synthetic2"]
# Sources whose change makes cached candidates stale. The features are not among them: they are
# recomputed from the cached candidates at every run (:func:`assistant.features.refeaturize`; a
# cache whose embedded units the current features would not choose is prepared afresh).
CANDIDATE_SOURCES = ["assistant/candidates.py", "assistant/service.py", "vectorstore/query.py",
                     "vectorstore/retriever.py", "vectorstore/legs.py", "vectorstore/fusion.py",
                     "vectorstore/term_stats.py",  # the query's places no report mentions
                     "vectorstore/config.py",  # the search's defaults
                     "vectorstore/lexical.py", "vectorstore/tantivy_lexical.py"]  # the lexical scores
# Word lists read only by assistant/features.py or by the answerer's decision (every other list may
# shape retrieval or the candidates).
FEATURE_ONLY_LISTS: set[str] = {"meaning_cues.tsv", "count_words.txt", "signer_cues.txt", "signer_titles.txt"}
# Settings that shape the passages retrieved and so the cached candidates (the store revision covers
# the chunks): a cache prepared under the bm25 lexical index is not reused under tantivy.
CANDIDATE_SETTINGS = ("lexical_index", "reranker_model", "embedder", "st_model", "embed_model",
                      "abbreviations", "glossary")
# Off by default: named in the key only when set, so the caches of the default settings stay valid.
OPTIONAL_CANDIDATE_SETTINGS = ("reranker", "passage_model")


# --------------------------------------------------------------------------- examples


@dataclass
class Example:
    set_name: str
    question: Question
    turn: PreparedTurn
    labels: np.ndarray  # per usable candidate: does it hold the evidence?
    stats: TermStats  # of its corpus
    docs: set[str] = field(default_factory=set)  # the documents it is about (what folds it)


def unit_label(quote: str, question: Question) -> bool:
    """A unit answers when it holds an evidence string, lies inside one, or shares most of its words with one."""
    unit = clean_for_match(quote)
    if len(unit) < 8:
        return False
    words = set(match_tokens(unit))
    for evidence in question.evidence:
        cleaned = clean_for_match(evidence)
        if not cleaned:
            continue
        if cleaned in unit or (len(unit) >= 20 and unit in cleaned):
            return True
        shared = words & set(match_tokens(cleaned))
        if len(words) >= 4 and len(shared) >= 0.6 * len(words) and len(shared) >= 0.5 * len(set(match_tokens(cleaned))):
            return True
    return False


def _source_hash() -> str:
    digest = hashlib.sha256()
    for name in CANDIDATE_SOURCES:
        digest.update((PROJECT_ROOT / name).read_bytes())
    for path in sorted((PROJECT_ROOT / "baocao/lang").glob("*.py")):  # the language code reads the cached Query
        digest.update(path.read_bytes())
    for path in sorted((PROJECT_ROOT / "baocao/lang/data").iterdir()):  # word lists shape the query too
        if path.name not in FEATURE_ONLY_LISTS:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _settings_hash(settings: Settings) -> str:
    values = {name: str(getattr(settings, name)) for name in CANDIDATE_SETTINGS}
    values |= {name: str(getattr(settings, name)) for name in OPTIONAL_CANDIDATE_SETTINGS if getattr(settings, name)}
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode())
    for name, named in (("abbreviations.tsv", settings.abbreviations), ("glossary_en_vi.tsv", settings.glossary)):
        for path in settings.user_tables(name, named):  # a user's term tables shape the query too
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_key(questions: bytes, revision: str, settings: Settings) -> str:
    """What a set's cached candidates depend on: its questions, its store's revision, the sources
    and word lists that build candidates, and the settings that shape retrieval."""
    return hashlib.sha256(f"{questions!r}{revision}{_source_hash()}{_settings_hash(settings)}".encode()).hexdigest()[:16]


def build_examples(set_name: str, settings: Settings, progress: bool) -> tuple[list[Example], Assistant] | None:
    questions_path, corpus = SETS[set_name]
    if not questions_path.is_file() or not corpus.is_dir():
        print(f"  {set_name}: skipped ({questions_path if not questions_path.is_file() else corpus} not found)", file=sys.stderr)
        return None
    stack = SearchStack.open(settings_for_corpus(settings, corpus))
    prepare_corpus(stack, corpus, progress=False)
    assistant = Assistant(stack.retriever(), stack.settings)
    questions = load_questions(questions_path, corpus)
    key = cache_key(questions_path.read_bytes(), stack.store.revision(), stack.settings)
    cache = settings.data_dir / "training" / f"{set_name}-{key}.pkl"
    turns: list[PreparedTurn] = []
    if cache.is_file():
        with cache.open("rb") as handle:
            turns = pickle.load(handle)
        if not all(refeaturize(t.prepared.query, t.prepared.usable, t.prepared.weights) for t in turns):
            print(f"  {set_name}: the cached candidates embed other units than the features now choose; preparing afresh",
                  file=sys.stderr)
            turns = []
    if not turns:
        started = time.perf_counter()
        turns = []
        for i, q in enumerate(questions):
            turns.append(assistant.prepare(q.question))
            if progress and (i + 1) % 50 == 0:
                print(f"  {set_name}: {i + 1}/{len(questions)} questions prepared ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("wb") as handle:
            pickle.dump(turns, handle, protocol=pickle.HIGHEST_PROTOCOL)
    stats = assistant.retriever.snapshots.current().stats
    examples = []
    for q, turn in zip(questions, turns):
        usable = turn.prepared.usable
        labels = np.asarray([q.answerable and unit_label(c.quote, q) for c in usable], dtype=bool)
        docs = set(q.docs) if q.docs else ({turn.hits[0].chunk.doc_id} if turn.hits else {q.id})
        # documents are named by their corpus, not the set: two sets over one corpus (dev and samples,
        # extra and extra_more) keep each document in one fold
        examples.append(Example(set_name, q, turn, labels, stats, {f"{corpus.resolve()}/{d}" for d in docs}))
    return examples, assistant


def folds_by_document(doc_sets: Sequence[set[str]], folds: int, seed: int) -> list[int]:
    """The fold of each question, given the documents each is about: every document is dealt to one
    fold, a question goes with its documents; a question whose documents fell into different folds
    gets -1 (left out of the cross-validation: no document is both fitted and scored)."""
    documents = sorted({d for docs in doc_sets for d in docs})
    rng = np.random.default_rng(seed)
    fold_of = {d: int(f) for d, f in zip(documents, rng.permutation(len(documents)) % folds)}
    out = []
    for docs in doc_sets:
        found = {fold_of[d] for d in docs}
        out.append(found.pop() if len(found) == 1 else -1)
    return out


def split_by_document(examples: Sequence[Example], folds: int, seed: int) -> list[int]:
    """:func:`folds_by_document` of the examples' documents."""
    return folds_by_document([e.docs for e in examples], folds, seed)


# --------------------------------------------------------------------------- fitting


def fit_logistic(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...], c: float,
                 weights: np.ndarray | None = None) -> LogisticModel:
    """An L2 logistic regression over standardised features, classes balanced."""
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-6] = 1.0
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    classifier.fit((rows - mean) / scale, labels, sample_weight=weights)
    return LogisticModel(list(names), mean.tolist(), scale.tolist(), classifier.coef_[0].tolist(),
                         float(classifier.intercept_[0]))


def unit_rows(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for e in examples:
        if not e.question.answerable or not e.labels.any():
            continue  # an answerable question whose evidence was not retrieved teaches nothing about units
        for c, label in zip(e.turn.prepared.usable, e.labels):
            assert c.features is not None
            rows.append(c.features)
            labels.append(label)
    return np.asarray(rows, dtype=np.float32), np.asarray(labels, dtype=bool)


def fit_unit_model(examples: Sequence[Example], l2: float, epochs: int = 400) -> LogisticModel:
    """A conditional logit over each question's candidates: it learns which unit of a question is the
    answer (log-likelihood of the positive units against all of the question's units), L2-penalised."""
    import torch

    questions = [e for e in examples if e.question.answerable and e.labels.any()]
    width = max(len(e.turn.prepared.usable) for e in questions)
    dims = len(UNIT_FEATURES)
    rows = np.zeros((len(questions), width, dims), np.float32)
    mask = np.zeros((len(questions), width), bool)
    positive = np.zeros((len(questions), width), bool)
    for i, e in enumerate(questions):
        features = np.stack([c.features for c in e.turn.prepared.usable])  # type: ignore[misc]
        rows[i, : len(features)] = features
        mask[i, : len(features)] = True
        positive[i, : len(features)] = e.labels
    flat = rows[mask]
    mean = flat.mean(axis=0)
    scale = flat.std(axis=0)
    scale[scale < 1e-6] = 1.0
    torch.manual_seed(0)
    z = torch.tensor((rows - mean) / scale)
    m, p = torch.tensor(mask), torch.tensor(positive)
    weights = torch.zeros(dims, requires_grad=True)
    optimiser = torch.optim.Adam([weights], lr=0.05)
    never = torch.tensor(-1e9)
    for _ in range(epochs):
        optimiser.zero_grad()
        scores = z @ weights
        loss = (torch.logsumexp(torch.where(m, scores, never), 1) - torch.logsumexp(torch.where(p, scores, never), 1)).mean()
        (loss + l2 * (weights * weights).sum()).backward()
        optimiser.step()
    return LogisticModel(list(UNIT_FEATURES), mean.tolist(), scale.tolist(), weights.detach().tolist(), 0.0, "softmax")


@dataclass(frozen=True)
class TreeParams:
    """Gradient boosting of the unit ranker (scikit-learn's histogram boosting, exported as trees)."""

    iterations: int = 300
    learning_rate: float = 0.05
    leaves: int = 15
    min_leaf: int = 20
    l2: float = 1.0


def fit_unit_trees(examples: Sequence[Example], params: TreeParams) -> TreeModel:
    """Boosted trees on (question, unit) rows, each question weighing the same (half on its positive
    units, half on the others), scored at answer time as a softmax over the question's units."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    questions = [e for e in examples if e.question.answerable and e.labels.any()]
    rows = np.concatenate([np.stack([c.features for c in e.turn.prepared.usable]) for e in questions])  # type: ignore[misc]
    labels = np.concatenate([e.labels for e in questions])
    weights = np.concatenate([np.where(e.labels, 0.5 / e.labels.sum(), 0.5 / max(int((~e.labels).sum()), 1))
                              for e in questions])
    classifier = HistGradientBoostingClassifier(
        max_iter=params.iterations, learning_rate=params.learning_rate, max_leaf_nodes=params.leaves,
        min_samples_leaf=params.min_leaf, l2_regularization=params.l2, early_stopping=False, random_state=0)
    with threadpool_limits(1):  # many threads on a shared machine are slower than one
        classifier.fit(rows, labels, sample_weight=weights * len(weights) / weights.sum())
    return export_trees(classifier, UNIT_FEATURES, "softmax")


def fit_answer_trees(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> TreeModel:
    """Boosted trees for answerability (few, shallow: there is one row per question), classes balanced."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    balance = np.where(labels, 0.5 / max(weights[labels].sum(), 1e-9), 0.5 / max(weights[~labels].sum(), 1e-9))
    classifier = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=7, min_samples_leaf=20,
                                                l2_regularization=1.0, early_stopping=False, random_state=0)
    sample = weights * balance
    with threadpool_limits(1):
        classifier.fit(rows, labels, sample_weight=sample * len(sample) / sample.sum())
    return export_trees(classifier, QUESTION_FEATURES, "sigmoid")


def export_trees(classifier: Any, names: tuple[str, ...], kind: str) -> TreeModel:
    """A fitted binary ``HistGradientBoostingClassifier`` as a :class:`TreeModel` (its raw score:
    the baseline plus every tree's leaf value, the learning rate already applied to them)."""
    trees = []
    for (predictor,) in classifier._predictors:
        nodes = predictor.nodes
        trees.append({
            "feature": np.where(nodes["is_leaf"] == 1, -1, nodes["feature_idx"]).tolist(),
            "threshold": nodes["num_threshold"].tolist(),
            "left": nodes["left"].astype(int).tolist(),
            "right": nodes["right"].astype(int).tolist(),
            "value": np.round(nodes["value"], 7).tolist(),
        })
    return TreeModel(list(names), trees, float(np.ravel(classifier._baseline_prediction)[0]), kind)


def question_row(example: Example, unit: UnitModel, drop_docs: set[str] | None = None,
                 drop_chunks: set[str] | None = None) -> np.ndarray:
    """The answerability row of a question, its units scored by ``unit`` (``drop_docs``: as if those
    documents were not loaded; ``drop_chunks``: as if those passages were not in them)."""
    prepared = example.turn.prepared
    usable = [c for c in prepared.usable
              if not (drop_docs and c.chunk.meta is not None and c.chunk.meta.source in drop_docs)
              and not (drop_chunks and c.chunk.chunk_id in drop_chunks)]
    if usable:
        for c, p in zip(usable, unit.probabilities(np.stack([c.features for c in usable]))):  # type: ignore[misc]
            c.score = float(p)
        usable.sort(key=lambda c: c.score, reverse=True)
    return question_features(prepared.query, usable, prepared.weights, example.stats)


def evidence_chunks(example: Example) -> set[str]:
    """The passages among a question's candidates that hold one of its evidence units."""
    usable = example.turn.prepared.usable
    return {c.chunk.chunk_id for c, positive in zip(usable, example.labels) if positive}


@dataclass
class AnswerabilityData:
    rows: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    real: np.ndarray  # a real question, not a taken-away copy
    examples: list[Example]  # whose row each is


def answerability_data(examples: Sequence[Example], unit_for: dict[int, UnitModel],
                       evidence_removed_weight: float = 0.0) -> AnswerabilityData:
    """Each question's row, and for an answerable one, as negatives for training only: the row with
    its own documents taken away (weight 0.5: a question about a report that is not loaded) and,
    when ``evidence_removed_weight`` > 0, the row with the passages that hold its evidence taken
    away (the report is loaded and on the subject, but does not say it)."""
    rows, labels, weights, real, owners = [], [], [], [], []

    def add(e: Example, row: np.ndarray, label: bool, weight: float, is_real: bool) -> None:
        rows.append(row)
        labels.append(label)
        weights.append(weight)
        real.append(is_real)
        owners.append(e)

    for i, e in enumerate(examples):
        unit = unit_for[i]
        add(e, question_row(e, unit), e.question.answerable, 1.0, True)
        if e.question.answerable and e.question.docs:
            add(e, question_row(e, unit, drop_docs=set(e.question.docs)), False, 0.5, False)
        if e.question.answerable and evidence_removed_weight > 0:
            chunks = evidence_chunks(e)
            if chunks:
                add(e, question_row(e, unit, drop_chunks=chunks), False, evidence_removed_weight, False)
    return AnswerabilityData(np.asarray(rows), np.asarray(labels, bool), np.asarray(weights), np.asarray(real, bool), owners)


def choose_threshold(scores: np.ndarray, answerable: np.ndarray, max_false: float) -> float:
    """The highest threshold whose false abstention on answerable questions is at most ``max_false``."""
    candidates = np.unique(np.concatenate([scores, [0.0]]))
    best = 0.0
    for t in candidates:
        false = float(np.mean(scores[answerable] < t)) if answerable.any() else 0.0
        if false <= max_false:
            best = max(best, float(t))
    return best


@dataclass(frozen=True)
class Options:
    """What is fitted and how (the command line's choices)."""

    inner_folds: int = 4
    unit_model: str = "logit"  # "logit" (conditional logit) or "trees" (boosted trees; worse by CV, docs/answers.md)
    # the conditional logit's L2 penalty: 1e-5 by the cross-validated sweep of 2026-12-04 (1e-3, 3e-4,
    # 1e-4, 1e-5: fact_recall 0.704 / 0.704 / 0.705 / 0.705, unit top-1 0.754 / 0.759 / 0.760 / 0.761)
    l2_unit: float = 1e-5
    lang_threshold_min: int = 40  # answerable questions a language needs for a threshold of its own
    trees: TreeParams = field(default_factory=TreeParams)
    c_answer: float = 0.5
    # the inner folds' false abstention the threshold is chosen at: their choice is optimistic, at
    # 0.05 the outer folds came out at 0.060 (2026-12-07; 0.04 gave 0.045, docs/answers.md)
    max_false: float = 0.04
    answer_model: str = "logistic"  # "logistic" or "trees" (boosted trees over the question rows)
    evidence_removed_weight: float = 0.0  # answerability negatives: answerable questions with their evidence passages taken away
    tune_composition: bool = True  # choose Thresholds.min_gain_elsewhere by the inner cross-validation


def fit_unit(examples: Sequence[Example], options: Options) -> UnitModel:
    if options.unit_model == "trees":
        return fit_unit_trees(examples, options.trees)
    return fit_unit_model(examples, options.l2_unit)


def fit_models(examples: Sequence[Example], options: Options,
               assistants: Mapping[str, Assistant] | None = None) -> AnswerModel:
    """Unit ranker on ``examples``; answerability and its threshold on unit scores from an inner CV;
    with ``assistants`` (the sets' answerers), the composition threshold too (:func:`choose_composition`)."""
    inner_folds, c_answer, max_false = options.inner_folds, options.c_answer, options.max_false
    unit = fit_unit(examples, options)
    inner = split_by_document(examples, inner_folds, seed=11)
    fold_units = {f: fit_unit([e for e, g in zip(examples, inner) if g not in (f, -1)], options) for f in range(inner_folds)}
    unit_for = {i: fold_units[g] for i, g in enumerate(inner) if g != -1}
    kept = [e for e, g in zip(examples, inner) if g != -1]
    data = answerability_data(kept, {j: unit_for[i] for j, i in enumerate(i for i, g in enumerate(inner) if g != -1)},
                              options.evidence_removed_weight)
    rows, labels, weights, real = data.rows, data.labels, data.weights, data.real
    answerability: UnitModel
    if options.answer_model == "trees":
        answerability = fit_answer_trees(rows, labels, weights)
    else:
        answerability = fit_logistic(rows, labels, QUESTION_FEATURES, c_answer, weights)
    probabilities = answerability.probabilities(rows)
    threshold = choose_threshold(probabilities[real], labels[real], max_false)
    # one per language where it has enough answerable questions: English questions over Vietnamese
    # reports score lower throughout, and one threshold for all refuses too many of them
    langs = np.asarray([e.question.lang for e in data.examples])
    by_lang = {}
    for lang in sorted(set(langs[real])):
        inside = real & (langs == lang)
        if labels[inside].sum() >= options.lang_threshold_min:
            by_lang[str(lang)] = choose_threshold(probabilities[inside], labels[inside], max_false)
    thresholds = replace(Thresholds(), answerable=threshold, answerable_by_lang=by_lang)
    if assistants is not None and options.tune_composition:
        thresholds = choose_composition(examples, inner, fold_units, answerability, thresholds, assistants)
    return AnswerModel(unit, answerability, thresholds)


# What a unit from another passage must add to join a factoid answer (Thresholds.min_gain_elsewhere:
# the share of the question's weighted terms the chosen units leave out): chosen from these by the
# inner cross-validation, the first of them winning ties (the fewest statements).
MIN_GAIN_ELSEWHERE_GRID = (0.25, 0.2, 0.15, 0.1)


def choose_composition(examples: Sequence[Example], inner: Sequence[int], fold_units: Mapping[int, UnitModel],
                       answerability: UnitModel, thresholds: Thresholds, assistants: Mapping[str, Assistant]) -> Thresholds:
    """The composition threshold under which the inner folds' answers (each composed with the unit
    model that did not see its fold) hold the most: fact_recall plus citation_precision."""
    best_value, best_objective = thresholds.min_gain_elsewhere, -1.0
    for value in MIN_GAIN_ELSEWHERE_GRID:
        scored = []
        for f, unit in fold_units.items():
            model = AnswerModel(unit, answerability, replace(thresholds, min_gain_elsewhere=value))
            for e, g in zip(examples, inner):
                if g == f:
                    assistant = assistants[e.set_name]
                    assistant.extractive.model = model
                    scored.append(score_answer(e, assistant.finish(e.turn)))
        summary = summarise(scored)
        objective = (summary["fact_recall"] or 0.0) + (summary["citation_precision"] or 0.0)
        if objective > best_objective + 1e-9:
            best_value, best_objective = value, objective
    return replace(thresholds, min_gain_elsewhere=best_value)


# --------------------------------------------------------------------------- scoring answers


@dataclass
class Scored:
    set_name: str
    lang: str
    type: str
    answerable: bool
    abstained: bool
    fact_recall: float | None
    citation_precision: float | None
    # what a held-out answer was, for reading the failures (--held-out)
    question_id: str = ""
    question: str = ""
    answer: str = ""
    evidence_retrieved: bool | None = None  # answerable: was the gold evidence in the retrieved passages?
    top_unit_right: bool | None = None  # answerable, evidence retrieved: did the ranker's top unit hold it?


def score_answer(example: Example, answer: Answer) -> Scored:
    q = example.question
    by_id = {h.chunk.chunk_id: h for h in [*example.turn.hits, *answer.passages]}
    cited: list[str] = []
    for c in answer.citations:
        text = by_id[c.chunk_id].chunk.text if c.chunk_id in by_id else ""
        if text not in cited:
            cited.append(text)
    return Scored(
        example.set_name, q.lang, q.type, q.answerable, bool(answer.abstained),
        fact_recall(q.answer_facts, answer.text) if q.answerable else None,
        citation_precision(cited, q.evidence) if q.answerable else None,
        f"{example.set_name}/{q.id}", q.question, answer.text,
    )


def summarise(scored: Sequence[Scored]) -> dict[str, Any]:
    answerable = [s for s in scored if s.answerable]
    unanswerable = [s for s in scored if not s.answerable]
    answered = [s for s in answerable if not s.abstained]

    def mean(values: list[float | None]) -> float | None:
        kept = [v for v in values if v is not None]
        return round(float(np.mean(kept)), 4) if kept else None

    return {
        "questions": len(scored),
        "fact_recall": mean([s.fact_recall for s in answerable]),
        "citation_precision": mean([s.citation_precision for s in answered]),
        "abstention_recall": round(sum(s.abstained for s in unanswerable) / len(unanswerable), 4) if unanswerable else None,
        "false_abstention_rate": round(sum(s.abstained for s in answerable) / len(answerable), 4) if answerable else None,
    }


def breakdown(scored: Sequence[Scored]) -> dict[str, dict[str, Any]]:
    out = {"all": summarise(scored)}
    for key in ("set_name", "lang"):
        for value in sorted({getattr(s, key) for s in scored}):
            out[f"{key.replace('set_name', 'set')}={value}"] = summarise([s for s in scored if getattr(s, key) == value])
    return out


def evidence_retrieved(example: Example) -> bool:
    return any(evidence_found(e, h.chunk.text) for e in example.question.evidence for h in example.turn.hits)


# --------------------------------------------------------------------------- main


def cross_validate(examples: list[Example], assistants: dict[str, Assistant], folds: int, options: Options
                   ) -> tuple[list[Scored], dict[str, Any]]:
    scored: list[Scored] = []
    unit_hits = {"top1": 0, "questions": 0}
    calibration: list[tuple[float, bool]] = []
    outer = split_by_document(examples, folds, seed=7)
    for f in range(folds):
        train = [e for e, g in zip(examples, outer) if g not in (f, -1)]
        test = [e for e, g in zip(examples, outer) if g == f]
        model = fit_models(train, options, assistants)
        for e in test:
            assistant = assistants[e.set_name]
            assistant.extractive.model = model
            answer = assistant.finish(e.turn)
            scored.append(score_answer(e, answer))
            if e.question.answerable:
                scored[-1].evidence_retrieved = evidence_retrieved(e)
            row = question_row(e, model.unit)
            calibration.append((float(model.answerability.probabilities(row[None])[0]), e.question.answerable))
            if e.question.answerable and e.labels.any():
                usable = e.turn.prepared.usable
                probabilities = model.unit.probabilities(np.stack([c.features for c in usable]))  # type: ignore[misc]
                scored[-1].top_unit_right = bool(e.labels[int(np.argmax(probabilities))])
                unit_hits["top1"] += int(scored[-1].top_unit_right)
                unit_hits["questions"] += 1
        print(f"  fold {f + 1}/{folds}: {len(test)} questions, threshold {model.thresholds.answerable:.3f} "
              f"{model.thresholds.answerable_by_lang}, min_gain_elsewhere {model.thresholds.min_gain_elsewhere}", file=sys.stderr)
    bins = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01)]
    table = []
    for low, high in bins:
        inside = [a for p, a in calibration if low <= p < high]
        table.append({"bin": f"{low:.1f}-{min(high, 1.0):.1f}", "questions": len(inside),
                      "answerable_share": round(sum(inside) / len(inside), 3) if inside else None})
    extra = {"unit_top1_accuracy": round(unit_hits["top1"] / max(unit_hits["questions"], 1), 4),
             "unit_questions": unit_hits["questions"], "calibration": table}
    return scored, extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--inner-folds", type=int, default=4)
    parser.add_argument("--unit-model", choices=("logit", "trees"), default="logit",
                        help="the unit ranker: boosted trees or a conditional logit (docs/answers.md compares them)")
    parser.add_argument("--l2-unit", type=float, default=Options.l2_unit, help="L2 penalty of the conditional logit")
    parser.add_argument("--lang-threshold-min", type=int, default=Options.lang_threshold_min,
                        help="answerable questions a language needs for its own answerability threshold")
    parser.add_argument("--tree-iterations", type=int, default=TreeParams.iterations)
    parser.add_argument("--tree-leaves", type=int, default=TreeParams.leaves)
    parser.add_argument("--c-answer", type=float, default=0.5, help="inverse L2 strength of the answerability model")
    parser.add_argument("--max-false-abstention", type=float, default=Options.max_false,
                        help="false abstention the inner folds' threshold is chosen at")
    parser.add_argument("--answer-model", choices=("logistic", "trees"), default="logistic",
                        help="the answerability model: a logistic regression or boosted trees")
    parser.add_argument("--evidence-removed-weight", type=float, default=0.0,
                        help="weight of the answerability negatives made by taking an answerable question's evidence passages away (0: none)")
    parser.add_argument("--fixed-composition", action="store_true",
                        help="keep the default composition threshold instead of choosing it by the inner cross-validation")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--report", type=Path, default=None, help="also write the figures as JSON here")
    parser.add_argument("--no-cv", action="store_true", help="fit the final models only")
    parser.add_argument("--held-out", type=Path, default=None,
                        help="write each held-out question's answer and scores here (JSON lines), to read the failures")
    args = parser.parse_args(argv)
    options = Options(inner_folds=args.inner_folds, unit_model=args.unit_model, l2_unit=args.l2_unit,
                      lang_threshold_min=args.lang_threshold_min,
                      trees=TreeParams(iterations=args.tree_iterations, leaves=args.tree_leaves),
                      c_answer=args.c_answer, max_false=args.max_false_abstention, answer_model=args.answer_model,
                      evidence_removed_weight=args.evidence_removed_weight, tune_composition=not args.fixed_composition)
    settings = get_settings().model_copy(update={"data_dir": get_settings().data_dir})
    examples: list[Example] = []
    assistants: dict[str, Assistant] = {}
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        if name not in SETS:
            parser.error(f"unknown set {name!r}; known: {', '.join(SETS)}")
        print(f"preparing {name}…", file=sys.stderr)
        built = build_examples(name, settings, progress=True)
        if built is None:
            continue
        found, assistant = built
        examples += found
        assistants[name] = assistant
    if not examples:
        print("no training data found", file=sys.stderr)
        return 2
    retrieved = sum(evidence_retrieved(e) for e in examples if e.question.answerable)
    answerable = sum(e.question.answerable for e in examples)
    report: dict[str, Any] = {
        "sets": sorted(assistants),
        "questions": len(examples),
        "answerable": answerable,
        "evidence_retrieved": retrieved,
        "unit_rows": int(unit_rows(examples)[0].shape[0]),
        "folds": args.folds,
        "grouping": "by document: each document in one fold; a question goes with its documents "
                    "(left out of the cross-validation when they fell into different folds)",
        "left_out_of_cv": sum(1 for g in split_by_document(examples, args.folds, seed=7) if g == -1),
        "options": json.loads(json.dumps(asdict(options))),
    }
    if not args.no_cv:
        scored, extra = cross_validate(examples, assistants, args.folds, options)
        report["cross_validated"] = breakdown(scored)
        report.update(extra)
        if args.held_out:
            args.held_out.write_text("".join(json.dumps(asdict(s), ensure_ascii=False) + "\n" for s in scored),
                                     encoding="utf-8")
    final = fit_models(examples, options, assistants)
    final.trained_on = report
    final.save(args.out)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    print(text)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
