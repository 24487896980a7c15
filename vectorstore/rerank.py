"""Optional second stage: the fused top-N reordered by a reranker chosen by name (``settings.reranker``).

- ``passage-model``: the learned passage model of :mod:`vectorstore.passage_ranker` (named
  features of each candidate, a linear model fitted by ``python -m evals.train_passage_ranker``);
- ``cross-encoder``: a sentence-transformers CrossEncoder named by ``settings.reranker_model``
  (a hub name when the machine is online, or a local folder) reads (query, passage) pairs.
  :class:`CrossEncoderReranker` takes any object with ``predict(pairs) -> scores``, which is how
  the tests exercise it without weights.

``settings.reranker`` empty: no reranking, unless ``reranker_model`` is set (then the cross-encoder).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from baocao.models import Chunk
from baocao.protocols import RerankCandidate, Reranker, RerankQuery
from baocao.registry import Registry
from baocao.settings import Settings


class RerankerError(RuntimeError):
    pass


class PairScorer(Protocol):
    def predict(self, sentences: list[tuple[str, str]], **kwargs: object) -> Sequence[float] | np.ndarray: ...


class CrossEncoderReranker:
    """Scores each candidate passage against the query; higher is more relevant."""

    def __init__(self, model: PairScorer, name: str = "cross-encoder", max_passage_chars: int = 2000) -> None:
        self.model = model
        self.name = name
        self.max_passage_chars = max_passage_chars

    def passage_text(self, chunk: Chunk) -> str:
        # Section path and document title give the passage its context, as in the dense leg.
        title = chunk.meta.short_title if chunk.meta else ""
        head = " > ".join(p for p in (title, chunk.section) if p)
        text = f"{head}\n{chunk.text}" if head else chunk.text
        return text[: self.max_passage_chars]

    def scores(self, query: RerankQuery, candidates: list[RerankCandidate]) -> list[float]:
        if not candidates:
            return []
        pairs = [(query.text, self.passage_text(c.chunk)) for c in candidates]
        raw = self.model.predict(pairs)
        return [float(s) for s in np.asarray(raw, dtype=np.float64).ravel()]


rerankers: Registry[Reranker] = Registry("reranker")


@rerankers.register("cross-encoder")
def _cross_encoder(settings: Settings) -> Reranker:
    from sentence_transformers import CrossEncoder

    try:
        model = CrossEncoder(settings.reranker_model, device="cpu")
    except Exception as exc:  # the library raises many types (OSError, ValueError, HTTP errors)
        raise RerankerError(f"cannot load reranker model {settings.reranker_model!r}: {exc}") from exc
    return CrossEncoderReranker(model, name=settings.reranker_model)


@rerankers.register("passage-model")
def _passage_model(settings: Settings) -> Reranker:
    from vectorstore.passage_ranker import MODEL_FILE, LinearPassageModel, PassageModelError, PassageModelReranker

    path = settings.passage_model or MODEL_FILE
    try:
        return PassageModelReranker(LinearPassageModel.load(path))
    except PassageModelError as exc:
        raise RerankerError(str(exc)) from exc


def reranker_name(settings: Settings) -> str:
    """The reranker the settings choose ('' for none)."""
    if settings.reranker:
        return settings.reranker
    return "cross-encoder" if settings.reranker_model else ""


def build_reranker(settings: Settings) -> Reranker | None:
    """The configured reranker, or None when the settings choose none."""
    name = reranker_name(settings)
    if not name:
        return None
    if name == "cross-encoder" and not settings.reranker_model:
        raise RerankerError("the cross-encoder reranker needs BAOCAO_RERANKER_MODEL (a CrossEncoder name or folder)")
    return rerankers.create(name, settings)
