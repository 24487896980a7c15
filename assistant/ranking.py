"""The answerer's learned models: which units answer (unit ranker) and whether anything does (answerability).

Both are logistic regressions over named features (:mod:`assistant.features`), stored with their
feature names, standardisation, weights and the decision thresholds in one JSON file
(``assistant/models/answer_model.json``) written by ``python -m evals.train_ranker``. Inference is
a dot product: no training library is needed to answer. A model whose feature names do not match
the code's is refused with a message saying to retrain.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
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
        if rows.size == 0:
            return np.zeros(len(rows), dtype=np.float64)
        logits = self.logits(rows)
        if self.kind == "softmax":
            shifted = np.exp(logits - logits.max())
            return shifted / shifted.sum()
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))

    def check(self, expected: tuple[str, ...], what: str) -> None:
        if tuple(self.features) != expected:
            missing = sorted(set(expected) - set(self.features))
            extra = sorted(set(self.features) - set(expected))
            raise ModelError(
                f"the {what} model was trained on other features (missing {missing}, unknown {extra}); "
                "retrain it: python -m evals.train_ranker"
            )


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
    locality_floor: float = 0.2  # a question over several localities: each one's best unit, down to this share of the best's
    part_margin: float = 0.05  # a sub-question's best unit joins when it leads the next one by this much


@dataclass
class AnswerModel:
    unit: LogisticModel
    answerability: LogisticModel
    thresholds: Thresholds = field(default_factory=Thresholds)
    trained_on: dict[str, object] = field(default_factory=dict)  # data sets, sizes, cross-validated figures

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AnswerModel:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the answer model {path}: {exc}; retrain it: python -m evals.train_ranker") from exc
        model = cls(
            unit=LogisticModel(**data["unit"]),
            answerability=LogisticModel(**data["answerability"]),
            thresholds=Thresholds(**data.get("thresholds", {})),
            trained_on=data.get("trained_on", {}),
        )
        model.unit.check(UNIT_FEATURES, "unit")
        model.answerability.check(QUESTION_FEATURES, "answerability")
        return model

    def save(self, path: Path = MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "unit": asdict(self.unit),
            "answerability": asdict(self.answerability),
            "thresholds": asdict(self.thresholds),
            "trained_on": self.trained_on,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
