"""Load and validate a question set (JSON Lines, format in ``evals/sets/README.md``)."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.scoring import clean_for_match

log = logging.getLogger(__name__)

LANGS = ("vi", "vi-noaccent", "en")

# key -> expected type; list fields must hold strings.
REQUIRED_KEYS: dict[str, type] = {
    "id": str,
    "question": str,
    "lang": str,
    "type": str,
    "answerable": bool,
    "docs": list,
    "evidence": list,
    "answer_facts": list,
}
# The reference answer is not used for scoring, so a set without it still runs.
OPTIONAL_KEYS: dict[str, type] = {"answer": str}

DocReader = Callable[[Path], "str | None"]  # document file -> its text, None if unreadable

# Files whose raw bytes are the text the evidence was copied from.
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ""}


@dataclass
class Question:
    id: str
    question: str
    lang: str
    type: str
    answerable: bool
    docs: list[str]
    evidence: list[str]
    answer_facts: list[str]
    answer: str = ""
    line: int = 0  # 1-based line in the question file
    extra: dict[str, Any] = field(default_factory=dict)  # keys the format does not define

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "lang": self.lang,
            "type": self.type,
            "answerable": self.answerable,
            "docs": self.docs,
            "evidence": self.evidence,
            "answer_facts": self.answer_facts,
            "answer": self.answer,
            **self.extra,
        }


class QuestionSetError(ValueError):
    """A question set with problems; ``problems`` holds one line per problem ("line 7: ...")."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the question set:\n{listing}")


def load_questions(
    path: Path | str,
    corpus_dir: Path | str | None = None,
    *,
    reader: DocReader | None = None,
) -> list[Question]:
    """Read and validate a question set; raise :class:`QuestionSetError` listing every problem.

    With ``corpus_dir``, every evidence string must also be found (cleaned form) in one of the
    question's ``docs`` under that folder. ``reader`` turns a document file into its text
    (default :func:`read_document`: plain-text files only; other formats are not checked).
    """
    path = Path(path)
    problems: list[str] = []
    questions: list[Question] = []
    first_line_of: dict[str, int] = {}
    for line_no, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"line {line_no}: malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        record_problems = validate_record(record, line_no)
        if record_problems:
            problems.extend(record_problems)
            continue
        question = _to_question(record, line_no)
        if question.id in first_line_of:
            problems.append(
                f"line {line_no}: duplicate id '{question.id}' (first on line {first_line_of[question.id]})"
            )
            continue
        first_line_of[question.id] = line_no
        questions.append(question)
    if not questions and not problems:
        problems.append("no questions in the file")
    if corpus_dir is not None:
        problems.extend(check_evidence(questions, Path(corpus_dir), reader or read_document))
    if problems:
        raise QuestionSetError(path, problems)
    return questions


def validate_record(record: Any, line_no: int) -> list[str]:
    """Problems with one parsed line (missing keys, wrong types, bad lang, answerable without evidence)."""
    where = f"line {line_no}"
    if not isinstance(record, dict):
        return [f"{where}: expected a JSON object, got {type(record).__name__}"]
    problems: list[str] = []
    for key, expected in REQUIRED_KEYS.items():
        if key not in record:
            problems.append(f"{where}: missing key '{key}'")
        else:
            problems.extend(_type_problems(record[key], key, expected, where))
    for key, expected in OPTIONAL_KEYS.items():
        if key in record:
            problems.extend(_type_problems(record[key], key, expected, where))
    if problems:
        return problems
    if not record["id"].strip():
        problems.append(f"{where}: empty 'id'")
    if not record["question"].strip():
        problems.append(f"{where}: empty 'question'")
    if record["lang"] not in LANGS:
        problems.append(f"{where}: bad lang '{record['lang']}' (expected one of {', '.join(LANGS)})")
    if record["answerable"] and not record["evidence"]:
        problems.append(f"{where}: answerable question has no evidence")
    if record["answerable"] and not record["docs"]:
        log.warning("%s: answerable question %s lists no docs (doc_hit will be 0)", where, record["id"])
    if not record["answerable"] and (record["evidence"] or record["docs"]):
        log.warning("%s: unanswerable question %s lists docs/evidence (ignored)", where, record["id"])
    return problems


def _type_problems(value: Any, key: str, expected: type, where: str) -> list[str]:
    # bool is a subclass of int, and JSON has no other trap here, so isinstance is enough.
    if not isinstance(value, expected):
        return [f"{where}: '{key}' must be {expected.__name__}, got {type(value).__name__}"]
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        return [f"{where}: '{key}' must be a list of strings"]
    return []


def _to_question(record: dict[str, Any], line_no: int) -> Question:
    known = set(REQUIRED_KEYS) | set(OPTIONAL_KEYS)
    return Question(
        id=record["id"],
        question=record["question"],
        lang=record["lang"],
        type=record["type"],
        answerable=record["answerable"],
        docs=list(record["docs"]),
        evidence=list(record["evidence"]),
        answer_facts=list(record["answer_facts"]),
        answer=record.get("answer", ""),
        line=line_no,
        extra={k: v for k, v in record.items() if k not in known},
    )


# --------------------------------------------------------------------------- evidence vs corpus


def check_evidence(questions: list[Question], corpus_dir: Path, reader: DocReader | None = None) -> list[str]:
    """Every evidence string of an answerable question must occur in one of its docs."""
    if not corpus_dir.is_dir():
        return [f"corpus folder not found: {corpus_dir}"]
    problems: list[str] = []
    docs: dict[str, tuple[bool, str | None]] = {}  # name -> (exists, cleaned text or None if unreadable)
    for q in questions:
        if not q.answerable:
            continue
        texts: list[str] = []
        for name in q.docs:
            if name not in docs:
                docs[name] = _load_doc(corpus_dir, name, reader or read_document)
            exists, text = docs[name]
            if not exists:
                problems.append(f"line {q.line}: document '{name}' not found in {corpus_dir}")
            elif text is not None:
                texts.append(text)
        if not texts:
            continue
        for n, evidence in enumerate(q.evidence, start=1):
            needle = clean_for_match(evidence)
            if not needle or not any(needle in doc for doc in texts):
                problems.append(
                    f"line {q.line}: evidence {n} not found in {', '.join(q.docs)}: {evidence[:80]!r}"
                )
    return problems


def _load_doc(corpus_dir: Path, name: str, reader: DocReader) -> tuple[bool, str | None]:
    doc_path = find_document(corpus_dir, name)
    if doc_path is None:
        return False, None
    text = reader(doc_path)
    if text is None:
        log.warning("cannot read %s as text: evidence in it is not checked", doc_path)
        return True, None
    return True, clean_for_match(text)


def find_document(corpus_dir: Path, name: str) -> Path | None:
    """``corpus_dir/name``, or a file of that name in a subfolder."""
    direct = corpus_dir / name
    if direct.is_file():
        return direct
    return next((p for p in sorted(corpus_dir.rglob(Path(name).name)) if p.is_file()), None)


def read_document(path: Path) -> str | None:
    """The text of a plain-text document (UTF-8, else the detected encoding); None for other formats."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return None
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        return str(best) if best is not None else None
