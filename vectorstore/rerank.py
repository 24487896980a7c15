"""Optional second stage: a cross-encoder reads (query, passage) pairs and reorders the top-N.

Off unless ``settings.reranker_model`` names a sentence-transformers CrossEncoder (a hub name
when the machine is online, or a local folder). Any object with ``predict(pairs) -> scores``
can stand in for the model, which is how the tests exercise this code without weights.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from baocao.models import Chunk
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

    @classmethod
    def from_settings(cls, settings: Settings) -> CrossEncoderReranker | None:
        if not settings.reranker_model:
            return None
        from sentence_transformers import CrossEncoder

        try:
            model = CrossEncoder(settings.reranker_model, device="cpu")
        except Exception as exc:  # the library raises many types (OSError, ValueError, HTTP errors)
            raise RerankerError(f"cannot load reranker model {settings.reranker_model!r}: {exc}") from exc
        return cls(model, name=settings.reranker_model)

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


def rerank_order(scores: list[float]) -> list[int]:
    """Indices of the candidates, best first; ties keep the earlier (fused) order."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))
