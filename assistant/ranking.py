"""The answerer's learned models: which units answer (unit ranker) and whether anything does (answerability).

Both are models over named features (:mod:`assistant.features`), stored with their feature names
and the decision thresholds in one JSON file (``assistant/models/answer_model.json``) written by
``python -m evals.train_ranker``: a logistic regression (standardisation and weights) or a
gradient-boosted tree ensemble (:class:`TreeModel`: each tree's split features, thresholds,
children and leaf values). Inference is a dot product or a walk down the trees in numpy: no
training library is needed to answer. A model whose feature names do not match the code's is
refused with a message saying to retrain.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from assistant.features import QUESTION_FEATURES, UNIT_FEATURES

MODEL_FILE = Path(__file__).resolve().parent / "models" / "answer_model.json"


class ModelError(RuntimeError):
    pass


@dataclass
class LogisticModel:
    """A linear model over standardised features. ``kind`` "sigmoid": each row's own probability
    (the answerability model); "softmax": the rows are one question's candidates and share one
    probability mass (the unit ranker, fitted as a conditional logit: which unit answers)."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    kind: str = "sigmoid"

    def logits(self, rows: np.ndarray) -> np.ndarray:
        z = (rows.astype(np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.weights) + self.bias

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return _probabilities(self.logits(rows), self.kind) if rows.size else np.zeros(len(rows), dtype=np.float64)

    def check(self, expected: tuple[str, ...], what: str) -> None:
        _check(self.features, expected, what)


@dataclass
class TreeModel:
    """A sum of regression trees over raw features (gradient boosting, fitted by the training
    script). Every tree is stored flat: per node its feature index (-1 at a leaf), the threshold
    (a row goes left when its value is <= it), the left and right child and the leaf value. ``kind``
    as for :class:`LogisticModel`: "softmax" shares one probability mass among a question's units."""

    features: list[str]
    trees: list[dict[str, list[float]]]  # {"feature": [...], "threshold": [...], "left": [...], "right": [...], "value": [...]}
    bias: float
    kind: str = "softmax"
    model: str = "trees"

    def __post_init__(self) -> None:
        # all trees side by side: node arrays concatenated, children shifted to global indices
        sizes = [len(t["feature"]) for t in self.trees]
        offsets = np.cumsum([0, *sizes])[:-1].astype(np.int64)
        self._roots = offsets

        def cat(key: str, dtype: type) -> np.ndarray:
            return np.concatenate([np.asarray(t[key], dtype) for t in self.trees]) if self.trees else np.zeros(0, dtype)

        self._feature = cat("feature", np.int64)
        self._threshold = cat("threshold", np.float64)
        shift = np.repeat(offsets, sizes)
        self._left = cat("left", np.int64) + shift
        self._right = cat("right", np.int64) + shift
        self._value = cat("value", np.float64)
        self._leaf = self._feature < 0
        self._depth = max((_tree_depth(t) for t in self.trees), default=0)

    def logits(self, rows: np.ndarray) -> np.ndarray:
        if not self.trees:
            return np.full(len(rows), self.bias)
        x = rows.astype(np.float64)
        node = np.broadcast_to(self._roots, (len(x), len(self._roots))).copy()
        line = np.arange(len(x))[:, None]
        for _ in range(self._depth):
            leaf = self._leaf[node]
            if leaf.all():
                break
            feature = np.where(leaf, 0, self._feature[node])
            left = x[line, feature] <= self._threshold[node]
            node = np.where(leaf, node, np.where(left, self._left[node], self._right[node]))
        return self._value[node].sum(axis=1) + self.bias

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return _probabilities(self.logits(rows), self.kind) if rows.size else np.zeros(len(rows), dtype=np.float64)

    def check(self, expected: tuple[str, ...], what: str) -> None:
        _check(self.features, expected, what)

    def to_dict(self) -> dict[str, object]:
        return {"model": self.model, "features": self.features, "bias": self.bias, "kind": self.kind, "trees": self.trees}


def _tree_depth(tree: dict[str, list[float]]) -> int:
    depth, frontier = 0, [0]
    while frontier:
        frontier = [int(c) for n in frontier if tree["feature"][n] >= 0 for c in (tree["left"][n], tree["right"][n])]
        depth += 1
    return depth


def _probabilities(logits: np.ndarray, kind: str) -> np.ndarray:
    if kind == "softmax":
        shifted = np.exp(logits - logits.max())
        return shifted / shifted.sum()
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))


def _check(features: list[str], expected: tuple[str, ...], what: str) -> None:
    if tuple(features) != expected:
        missing = sorted(set(expected) - set(features))
        extra = sorted(set(features) - set(expected))
        raise ModelError(
            f"the {what} model was trained on other features (missing {missing}, unknown {extra}); "
            "retrain it: python -m evals.train_ranker"
        )


UnitModel = LogisticModel | TreeModel


def load_unit_model(data: dict[str, object]) -> UnitModel:
    """A unit or answerability model from its JSON form (``"model": "trees"`` for a tree ensemble)."""
    if data.get("model") == "trees":
        return TreeModel(**data)  # type: ignore[arg-type]
    return LogisticModel(**data)  # type: ignore[arg-type]


def model_dict(model: UnitModel) -> dict[str, object]:
    return model.to_dict() if isinstance(model, TreeModel) else asdict(model)



@dataclass
class Thresholds:
    """Decisions in probability space, chosen by cross-validation (evals/train_ranker.py)."""

    answerable: float = 0.5  # answerability below this: the reports do not say
    answerable_by_lang: dict[str, float] = field(default_factory=dict)  # per question language, where fitted

    def answerable_for(self, lang: str) -> float:
        return self.answerable_by_lang.get(lang, self.answerable)
    complete_within: float = 0.25  # a further unit may join the answer when its probability is this close to the best…
    min_gain: float = 0.12  # … and it adds this share of the question's weighted terms (same passage)
    min_gain_elsewhere: float = 0.25  # … (another passage)
    list_keep: float = 0.5  # list questions: items of the best unit's list kept above this share of its probability
    part_margin: float = 0.05  # a sub-question's best unit joins when it leads the next one by this much


@dataclass
class AnswerModel:
    unit: UnitModel
    answerability: UnitModel
    thresholds: Thresholds = field(default_factory=Thresholds)
    trained_on: dict[str, object] = field(default_factory=dict)  # data sets, sizes, cross-validated figures

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the answer model {path}: {exc}; retrain it: python -m evals.train_ranker") from exc
        unit, answerability = load_unit_model(data["unit"]), load_unit_model(data["answerability"])
        unit.check(UNIT_FEATURES, "unit")
        answerability.check(QUESTION_FEATURES, "answerability")
        thresholds = data.get("thresholds", {})
        unknown = sorted(set(thresholds) - {f.name for f in fields(Thresholds)})
        if unknown:
            raise ModelError(f"the answer model {path} sets thresholds this version does not have ({unknown}); "
                             "retrain it: python -m evals.train_ranker")
        return cls(unit, answerability, Thresholds(**thresholds), data.get("trained_on", {}))

    def save(self, path: Path = MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "unit": model_dict(self.unit),
            "answerability": model_dict(self.answerability),
            "thresholds": asdict(self.thresholds),
            "trained_on": self.trained_on,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
