"""👍/👎 feedback on answers: stored as JSON Lines, exportable as an evaluation question set.

One line per vote; voting again on the same answer appends a new line and the latest wins.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.types import Answer
from baocao.lang.detect import detect_language

FILE_NAME = "feedback.jsonl"
_LOCK = threading.Lock()  # sessions of one server append to the same file

def feedback_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def make_record(answer_id: str, answer: Answer, rating: str, comment: str = "", filters: dict[str, Any] | None = None) -> dict[str, Any]:
    """A feedback line: the vote, the question, the answer and what it cited."""
    by_chunk = {hit.chunk.chunk_id: hit for hit in answer.passages}
    citations = []
    for c in answer.citations:
        hit = by_chunk.get(c.chunk_id)
        citations.append(
            {
                "n": c.n,
                "chunk_id": c.chunk_id,
                "doc_id": c.doc_id,
                "source": c.source or (hit.chunk.meta.source if hit and hit.chunk.meta else ""),
                "title": c.title,
                "section": c.section,
                "quote": c.quote,
            }
        )
    return {
        "answer_id": answer_id,
        "time": datetime.now().astimezone().isoformat(timespec="seconds"),
        "rating": rating,  # "up" | "down"
        "comment": comment.strip(),
        "question": answer.question,
        "answer": answer.text,
        "abstained": bool(answer.abstained),
        "mode": answer.mode,
        "filters": filters or {},
        "citations": citations,
    }


def save_feedback(data_dir: Path, record: dict[str, Any]) -> Path:
    path = feedback_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False)
    with _LOCK, path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return path


def load_feedback(data_dir: Path) -> list[dict[str, Any]]:
    """The latest vote per answer, oldest first; unreadable lines are skipped."""
    path = feedback_path(data_dir)
    if not path.exists():
        return []
    latest: dict[str, dict[str, Any]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("question"):
            latest.pop(str(record.get("answer_id")), None)  # re-insert so order follows the last vote
            latest[str(record.get("answer_id"))] = record
    return list(latest.values())


def to_question(record: dict[str, Any]) -> dict[str, Any]:
    """One feedback record as a question-set line (format of evals/sets/README.md).

    The cited quotes become the evidence and the cited files the docs. An answer that
    abstained, or cited nothing, can only be exported as unanswerable (the format requires
    evidence for answerable questions); the vote and comment travel along as extra keys.
    """
    quotes: list[str] = []
    docs: list[str] = []
    for c in record.get("citations", []):
        quote = str(c.get("quote", "")).strip()
        if quote and quote not in quotes:
            quotes.append(quote)
        source = str(c.get("source") or c.get("doc_id") or "")
        if source and source not in docs:
            docs.append(source)
    answerable = bool(quotes) and not record.get("abstained", False)
    return {
        "id": f"fb-{record.get('answer_id', '')}",
        "question": record["question"],
        "lang": detect_language(record["question"]),
        "type": "feedback",
        "answerable": answerable,
        "docs": docs if answerable else [],
        "evidence": quotes if answerable else [],
        "answer_facts": [],
        "answer": record.get("answer", ""),
        "rating": record.get("rating", ""),
        "comment": record.get("comment", ""),
    }


def export_questions(records: list[dict[str, Any]], only_up: bool = False) -> str:
    """JSON Lines of the question set built from feedback records."""
    chosen = [r for r in records if not only_up or r.get("rating") == "up"]
    return "".join(json.dumps(to_question(r), ensure_ascii=False) + "\n" for r in chosen)
