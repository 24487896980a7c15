"""Kinds of administrative documents (``data/doc_types.tsv``)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from baocao.lang.tables import records
from baocao.lang.tokens import folded_words


@dataclass(frozen=True)
class DocType:
    name: str  # "Báo cáo"
    title: tuple[str, ...]  # folded title-line words: ("bao cao",)
    codes: tuple[str, ...]  # in a document symbol: ("BC",)
    query: tuple[str, ...]  # folded words naming it in a question: ("bao cao", "report")
    plan: bool  # sets out what is to be done (Kế hoạch, Chương trình, Đề án, Phương án)


@cache
def doc_types() -> tuple[DocType, ...]:
    return tuple(
        DocType(row["name"][0], row["title"], row["codes"], row["query"], bool(row["plan"]))
        for row in records("doc_types.tsv")
    )


def doc_type_by_code(code: str) -> DocType | None:
    return next((t for t in doc_types() if code.upper() in t.codes), None)


def doc_types_named(text: str) -> list[str]:
    """Document types a question names ("báo cáo nào", "which plan")."""
    folded = " " + " ".join(folded_words(text)) + " "
    return [t.name for t in doc_types() if any(f" {w} " in folded for w in t.query)]
