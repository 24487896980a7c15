"""The passage ranker's training script: document-grouped folds, labels, fitting and the CV table."""
from __future__ import annotations

import numpy as np
import pytest

from baocao.lang.normalize import fold_syllable
from baocao.lang.tokens import clause_tokens
from baocao.models import Chunk, DocumentMeta
from baocao.protocols import QueryTerm, RerankCandidate, RerankQuery
from evals.questions import Question
from evals.train_passage_ranker import (
    PassageExample,
    candidate_label,
    cross_validate,
    first_hit_rank,
    fit,
    reranked_order,
    split_by_document,
)
from vectorstore.term_stats import TermStats


def test_no_document_is_in_two_folds() -> None:
    rng = np.random.default_rng(3)
    documents = [f"set/d{i}" for i in range(40)]
    doc_sets = [set(rng.choice(documents, size=int(rng.integers(1, 3)), replace=False)) for _ in range(300)]
    folds = split_by_document(doc_sets, 5, seed=7)
    fold_of_document: dict[str, set[int]] = {}
    for docs, fold in zip(doc_sets, folds):
        for d in docs:
            fold_of_document.setdefault(d, set()).add(fold)
    for d, found in fold_of_document.items():
        assert len(found - {-1}) <= 1, (d, found)  # the questions scored with a document share its fold
    left_out = [docs for docs, fold in zip(doc_sets, folds) if fold == -1]
    assert left_out and all(len(docs) == 2 for docs in left_out)  # only questions spanning two folds
    assert set(folds) - {-1} == set(range(5))
    assert split_by_document(doc_sets, 5, seed=7) == folds  # deterministic


def question(qid: str, doc: str, evidence: str) -> Question:
    return Question(qid, "q", "vi", "factoid", True, [doc], [evidence], [])


def chunk(doc: str, position: int, text: str) -> Chunk:
    return Chunk(f"{doc}#{position}", doc, position, "text", text, text, text, meta=DocumentMeta(doc_id=doc, source=doc))


def test_a_candidate_is_positive_when_it_holds_an_evidence_string() -> None:
    q = question("q1", "a.txt", "đạt **80%** kế hoạch")
    assert candidate_label(RerankCandidate(chunk("a.txt", 0, "Giải ngân đạt 80% kế hoạch năm."), 1.0), q)
    assert not candidate_label(RerankCandidate(chunk("a.txt", 1, "Giải ngân đạt 70% kế hoạch."), 1.0), q)


CROPS = ["lúa", "ngô", "khoai", "sắn", "mía", "chè", "cà phê", "tiêu", "điều", "bông", "đậu", "lạc",
         "vừng", "dừa", "cao su", "bưởi", "cam", "quýt", "nhãn", "vải"]
BOILERPLATE = "Căn cứ kế hoạch của tỉnh, các sở ngành tổ chức thực hiện và báo cáo kết quả."


def toy_examples() -> list[PassageExample]:
    """One document per crop: its boilerplate chunk is ranked first, the row about the crop second."""
    stats = TermStats()
    documents = []
    for i, crop in enumerate(CROPS):
        doc = f"d{i}.txt"
        chunks = [chunk(doc, 0, BOILERPLATE), chunk(doc, 1, f"Diện tích {crop} đạt {100 + i} ha.")]
        for c in chunks:
            stats.add(doc, clause_tokens(c.text))
        documents.append((doc, crop, chunks))
    examples = []
    for i, (doc, crop, chunks) in enumerate(documents):
        words = clause_tokens(f"diện tích {crop} kế hoạch")[0]
        terms = [QueryTerm("folded", fold_syllable(w), 1.0, w, p) for p, w in enumerate(words)]
        query = RerankQuery(f"diện tích {crop}", "vi", terms, [], stats)
        other = documents[(i + 1) % len(documents)][2][1]
        candidates = [RerankCandidate(chunks[0], 2.0, {"lexical": 1}, {"lexical": 5.0}),
                      RerankCandidate(chunks[1], 1.5, {"lexical": 2}, {"lexical": 4.0}),
                      RerankCandidate(other, 1.0, {"lexical": 3}, {"lexical": 2.0})]
        q = question(f"q{i}", doc, f"Diện tích {crop} đạt")
        labels = np.asarray([candidate_label(c, q) for c in candidates])
        examples.append(PassageExample("toy", q, query, candidates, labels, {f"toy/{doc}"}))
    return examples


@pytest.mark.parametrize("kind", ["pairwise", "pointwise"])
def test_the_model_learns_to_put_the_passage_with_the_query_words_first(kind: str) -> None:
    examples = toy_examples()
    assert all(first_hit_rank(e.labels, np.arange(3)) == 2 for e in examples)
    cv, left_out = cross_validate(examples, folds=4, kind=kind, c=1.0)
    assert left_out == 0
    assert cv["all"]["fused"]["n"] == cv["all"]["reranked"]["n"] == len(CROPS)
    assert cv["all"]["fused"]["hit@1"] == 0.0 and cv["all"]["fused"]["mrr@10"] == 0.5
    assert cv["all"]["reranked"]["hit@1"] == 1.0
    assert set(cv) == {"all", "toy", "toy/vi"}
    model = fit(examples, kind)
    assert all(reranked_order(model, e.rows())[0] == 1 for e in examples)
    coef = dict(zip(model.features, model.coef))
    assert coef["cover_text"] > 0


def test_fitting_needs_a_question_with_a_positive_and_a_negative() -> None:
    examples = toy_examples()
    for e in examples:
        e.labels = np.zeros_like(e.labels)
    with pytest.raises(ValueError, match="positive and a negative"):
        fit(examples)
