"""The training script of the answerer's models: labels, document-grouped folds, the threshold rule,
the models it writes, and one real run on the shipped dev set."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from assistant.features import QUESTION_FEATURES, UNIT_FEATURES
from assistant.ranking import MODEL_FILE, AnswerModel, LogisticModel, ModelError, Thresholds, TreeModel, load_unit_model
from assistant.types import Answer
from baocao.settings import Settings
from evals.questions import Question
from evals.train_ranker import (
    MIN_GAIN_ELSEWHERE_GRID,
    Example,
    cache_key,
    choose_composition,
    choose_threshold,
    export_trees,
    split_by_document,
    unit_label,
)


def _question(evidence: list[str], answerable: bool = True) -> Question:
    return Question(id="q", question="?", lang="vi", type="factoid", answerable=answerable, docs=["a.txt"],
                    evidence=evidence, answer_facts=[], answer="")


def test_a_unit_is_positive_when_it_holds_or_lies_inside_the_evidence() -> None:
    q = _question(["Giá trị sản xuất ngành công nghiệp-xây dựng chỉ đạt 94,34% so kế hoạch năm 2022."])
    assert unit_label("- Giá trị sản xuất ngành công nghiệp-xây dựng chỉ đạt 94,34% so kế hoạch năm 2022.", q)
    assert unit_label("ngành công nghiệp-xây dựng chỉ đạt 94,34% so kế hoạch", q)  # inside it
    assert not unit_label("Giá trị sản xuất ngành xây dựng chỉ đạt 96,14% so kế hoạch năm 2022.", _question(["Tổng thu ngân sách 151 tỷ"]))
    assert not unit_label("2022", q)  # too short to say


def test_folds_keep_each_document_in_one_fold() -> None:
    examples = [SimpleNamespace(docs={f"set/d{i % 7}.txt"}) for i in range(70)]
    examples.append(SimpleNamespace(docs={"set/d1.txt", "set/d2.txt"}))
    folds = split_by_document(examples, 3, seed=1)  # type: ignore[arg-type]
    by_doc: dict[str, set[int]] = {}
    for e, f in zip(examples[:70], folds[:70]):
        by_doc.setdefault(next(iter(e.docs)), set()).add(f)
    assert all(len(found) == 1 for found in by_doc.values())
    same = by_doc["set/d1.txt"] == by_doc["set/d2.txt"]
    assert folds[70] == (next(iter(by_doc["set/d1.txt"])) if same else -1)


def test_cached_candidates_are_keyed_on_the_settings_that_shape_retrieval(tmp_path: Path) -> None:
    tantivy = Settings(data_dir=tmp_path, lexical_index="tantivy")
    bm25 = Settings(data_dir=tmp_path, lexical_index="bm25")
    assert cache_key(b"q", "rev", tantivy) == cache_key(b"q", "rev", tantivy.model_copy())
    assert cache_key(b"q", "rev", tantivy) != cache_key(b"q", "rev", bm25)
    assert cache_key(b"q", "rev", tantivy) != cache_key(b"q", "rev", tantivy.model_copy(update={"reranker_model": "x"}))
    assert cache_key(b"q", "rev", tantivy) != cache_key(b"q", "rev", tantivy.model_copy(update={"reranker": "passage-model"}))
    assert cache_key(b"q", "rev", tantivy) != cache_key(b"q", "rev2", tantivy)
    before = cache_key(b"q", "rev", tantivy)
    (tmp_path / "glossary_en_vi.tsv").write_text("budget\tngân sách\n", encoding="utf-8")  # a user's term table
    assert cache_key(b"q", "rev", tantivy) != before


def test_cached_candidates_are_keyed_on_the_language_code_that_reads_the_query(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from evals import train_ranker

    root = Path(train_ranker.PROJECT_ROOT)
    for name in [*train_ranker.CANDIDATE_SOURCES, "baocao/lang/places.py", "baocao/lang/data"]:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (root / name).is_dir() else shutil.copy)(root / name, target)
    monkeypatch.setattr(train_ranker, "PROJECT_ROOT", tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    before = cache_key(b"q", "rev", settings)
    with (tmp_path / "baocao/lang/places.py").open("a", encoding="utf-8") as handle:
        handle.write("# changed\n")  # a change to how places are read makes the cached queries stale
    assert cache_key(b"q", "rev", settings) != before


def test_the_threshold_keeps_false_abstention_under_the_limit() -> None:
    scores = np.asarray([0.1, 0.2, 0.3, 0.9, 0.95, 0.97, 0.98, 0.99, 0.4, 0.6])
    answerable = np.asarray([False, False, False, True, True, True, True, True, True, True])
    threshold = choose_threshold(scores, answerable, max_false=0.15)
    assert np.mean(scores[answerable] < threshold) <= 0.15
    assert threshold == pytest.approx(0.6)  # the highest that refuses at most one answerable question of seven


def test_the_shipped_model_matches_the_features_and_says_how_it_was_trained() -> None:
    model = AnswerModel.load()
    assert model.unit.features == list(UNIT_FEATURES) and model.answerability.features == list(QUESTION_FEATURES)
    trained = model.trained_on
    assert trained["questions"] > 500 and "cross_validated" in trained  # fitted on the training sets, figures by CV
    assert 0.0 < model.thresholds.answerable < 1.0


def test_a_model_of_other_features_is_refused(tmp_path: Path) -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data["unit"]["features"] = data["unit"]["features"][:-1]
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="retrain"):
        AnswerModel.load(bad)


def test_a_model_with_thresholds_this_version_lacks_is_refused_with_what_to_do(tmp_path: Path) -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data["thresholds"]["locality_floor"] = 0.2  # a setting of an earlier version
    old = tmp_path / "model.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match=r"locality_floor.*retrain"):
        AnswerModel.load(old)


def test_logistic_inference_is_standardised_dot_product() -> None:
    model = LogisticModel(["a", "b"], [1.0, 0.0], [2.0, 1.0], [1.0, -1.0], 0.5)
    p = model.probabilities(np.asarray([[3.0, 1.0]]))[0]
    assert p == pytest.approx(1 / (1 + np.exp(-((3 - 1) / 2 - 1 + 0.5))))


def test_a_tree_sends_a_row_left_when_its_value_is_at_most_the_threshold() -> None:
    # one split on feature b at 0.5: left leaf -1, right leaf +2; a second tree adds 0.25 everywhere
    split = {"feature": [1, -1, -1], "threshold": [0.5, 0.0, 0.0], "left": [1, 0, 0], "right": [2, 0, 0], "value": [0.0, -1.0, 2.0]}
    leaf = {"feature": [-1], "threshold": [0.0], "left": [0], "right": [0], "value": [0.25]}
    model = TreeModel(["a", "b"], [split, leaf], 0.1, "softmax")
    rows = np.asarray([[9.0, 0.5], [0.0, 0.7]])
    assert model.logits(rows) == pytest.approx([0.1 - 1.0 + 0.25, 0.1 + 2.0 + 0.25])
    assert model.probabilities(rows).sum() == pytest.approx(1.0)  # one question's units share one mass
    assert model.probabilities(rows)[1] > 0.9


def test_exported_trees_score_as_the_fitted_boosting_does() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    rows = rng.random((400, 3))
    labels = rows[:, 0] + 0.5 * rows[:, 1] > 0.8
    classifier = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0).fit(rows, labels)
    model = export_trees(classifier, ("a", "b", "c"), "sigmoid")
    assert np.allclose(model.logits(rows), classifier.decision_function(rows), atol=1e-5)
    again = load_unit_model(json.loads(json.dumps(model.to_dict())))  # as stored in the model file
    assert isinstance(again, TreeModel)
    assert np.allclose(again.probabilities(rows), classifier.predict_proba(rows)[:, 1], atol=1e-5)


@pytest.mark.slow
def test_training_on_the_dev_set_writes_a_model_with_cross_validated_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evals import train_ranker

    monkeypatch.setenv("BAOCAO_DATA_DIR", str(tmp_path / "data"))
    train_ranker.get_settings.cache_clear()
    out, report, held_out = tmp_path / "model.json", tmp_path / "report.json", tmp_path / "held_out.jsonl"
    try:
        assert train_ranker.main(["--sets", "dev", "--folds", "3", "--inner-folds", "2", "--out", str(out),
                                  "--report", str(report), "--held-out", str(held_out)]) == 0
    finally:
        train_ranker.get_settings.cache_clear()
    model = AnswerModel.load(out)
    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["questions"] == 53 and figures["sets"] == ["dev"]
    assert figures["cross_validated"]["all"]["questions"] > 0
    assert model.trained_on["cross_validated"] == figures["cross_validated"]
    assert model.thresholds.min_gain_elsewhere in MIN_GAIN_ELSEWHERE_GRID  # chosen by the inner folds
    rows = [json.loads(line) for line in held_out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == figures["cross_validated"]["all"]["questions"]  # one per held-out question
    assert all(r["question_id"].startswith("dev/") and r["answer"] for r in rows)
    assert all(r["fact_recall"] is not None for r in rows if r["answerable"])
    assert all(r["evidence_retrieved"] is not None for r in rows if r["answerable"])


class _ComposingAssistant:
    """Holds the asked figure in its answer only when a unit from another passage may join it at a
    gain of ``needed`` or less (what a lower ``min_gain_elsewhere`` lets in)."""

    def __init__(self, needed: float) -> None:
        self.needed = needed
        self.extractive = SimpleNamespace(model=None)

    def finish(self, turn: object) -> Answer:
        value = self.extractive.model.thresholds.min_gain_elsewhere  # type: ignore[attr-defined]
        return Answer(question="?", text="Thu ngân sách đạt 9.870 triệu đồng." if value <= self.needed else "Thu ngân sách đạt.")


def test_the_composition_threshold_is_the_one_under_which_the_inner_folds_answer_best() -> None:
    question = Question(id="q", question="?", lang="vi", type="factoid", answerable=True, docs=["a.txt"],
                        evidence=[], answer_facts=["9.870 triệu đồng"], answer="")
    examples = [Example("s", question, cast(Any, SimpleNamespace(hits=[])), np.zeros(0, dtype=bool), cast(Any, None))
                for _ in range(4)]
    n_unit, n_question = len(UNIT_FEATURES), len(QUESTION_FEATURES)
    unit = LogisticModel(list(UNIT_FEATURES), [0.0] * n_unit, [1.0] * n_unit, [0.0] * n_unit, 0.0, "softmax")
    answerability = LogisticModel(list(QUESTION_FEATURES), [0.0] * n_question, [1.0] * n_question, [0.0] * n_question, 0.0)

    def chosen(needed: float) -> float:
        assistants = cast(Any, {"s": _ComposingAssistant(needed)})
        return choose_composition(examples, [0, 1, 0, 1], {0: unit, 1: unit}, answerability, Thresholds(),
                                  assistants).min_gain_elsewhere

    assert chosen(0.15) == 0.15  # the largest value under which the answers hold the figure
    assert chosen(0.0) == MIN_GAIN_ELSEWHERE_GRID[0]  # nothing to gain: the fewest statements
    assert chosen(1.0) == MIN_GAIN_ELSEWHERE_GRID[0]
