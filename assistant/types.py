"""The answer object."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from vectorstore.hits import Hit


@dataclass
class Citation:
    n: int  # the [n] marker in the answer text
    chunk_id: str
    doc_id: str
    source: str  # file name
    title: str
    section: str
    quote: str  # the supporting text, exactly as in the passage
    span: tuple[int, int]  # character span of ``quote`` inside the passage's text


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    abstained: bool = False
    mode: Literal["extractive", "llm"] = "extractive"
    grounded: bool = True
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    standalone: str = ""  # the question as answered (a follow-up resolved against the history)
    context: dict[str, Any] = field(default_factory=dict)  # localities, years, topic, lang, why it abstained
    checks_failed: list[str] = field(default_factory=list)  # LLM mode: the checks the model's answer failed (assistant.llm.CHECKS)
    llm_fallback: Literal["", "unavailable", "checks"] = ""  # why an LLM-mode question was answered extractively

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "grounded": self.grounded,
            "warnings": self.warnings,
            "timings": self.timings,
            "standalone": self.standalone,
            "context": self.context,
            "checks_failed": self.checks_failed,
            "llm_fallback": self.llm_fallback,
            "citations": [c.__dict__ for c in self.citations],
            "passages": [h.to_dict() for h in self.passages],
        }
