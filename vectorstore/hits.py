"""What a search returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from baocao.models import Chunk


@dataclass
class Hit:
    chunk: Chunk
    score: float
    rank: int  # 1-based, after fusion
    legs: dict[str, int] = field(default_factory=dict)  # leg name -> rank in that leg
    why: list[str] = field(default_factory=list)  # human-readable reasons (matched terms, boosts)

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    def to_dict(self) -> dict[str, Any]:
        meta = self.chunk.meta
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "chunk_id": self.chunk.chunk_id,
            "doc_id": self.chunk.doc_id,
            "source": meta.source if meta else "",
            "section": self.chunk.section,
            "kind": self.chunk.kind,
            "text": self.chunk.text,
            "legs": self.legs,
            "why": self.why,
        }




