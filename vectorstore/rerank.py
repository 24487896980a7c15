"""Optional second stage: a cross-encoder reads (query, passage) pairs and reorders the top-N.

Off unless ``settings.reranker_model`` names a sentence-transformers CrossEncoder (a hub name
when the machine is online, or a local folder). :class:`CrossEncoderReranker` implements
:class:`baocao.protocols.Reranker`; any object with ``predict(pairs) -> scores`` can stand in
for the model, which is how the tests exercise this code without weights.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from baocao.models import Chunk
from baocao.protocols import Reranker
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

    def scores(self, query: str, chunks: list[Chunk]) -> list[float]:
        if not chunks:
            return []
        pairs = [(query, self.passage_text(chunk)) for chunk in chunks]
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


def build_reranker(settings: Settings) -> Reranker | None:
    """The configured reranker, or None when ``reranker_model`` is empty."""
    if not settings.reranker_model:
        return None
    return rerankers.create("cross-encoder", settings)
