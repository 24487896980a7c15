"""Turn chosen statements into the answer text with numbered citations, in the question's language."""
from __future__ import annotations

from dataclasses import dataclass

from assistant.extractive import ExtractiveResult, doc_label
from assistant.types import Citation
from baocao.lang.detect import Lang
from vectorstore.hits import Hit

ABSTAIN_VI = "Không tìm thấy thông tin này trong các báo cáo đã nạp."
ABSTAIN_EN = "I could not find this in the loaded reports."
CLOSEST_SHOWN = 3


@dataclass
class Composed:
    text: str
    citations: list[Citation]


def abstain_message(lang: Lang) -> str:
    return ABSTAIN_EN if lang == "en" else ABSTAIN_VI


def citation_for(n: int, hit: Hit, quote: str, span: tuple[int, int]) -> Citation:
    chunk = hit.chunk
    meta = chunk.meta
    return Citation(
        n=n,
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        source=meta.source if meta else chunk.doc_id,
        title=(meta.short_title or meta.title) if meta else "",
        section=chunk.section,
        quote=quote,
        span=span,
    )


def compose_extractive(result: ExtractiveResult, lang: Lang, hits: list[Hit]) -> Composed:
    if result.abstained or not result.statements:
        return Composed(abstention_text(lang, hits), [])
    citations: list[Citation] = []
    numbered: dict[tuple[str, tuple[int, int]], int] = {}
    lines: list[str] = []
    labels = {s.doc_label for s in result.statements}
    several_docs = len(labels) > 1
    for statement in result.statements:
        c = statement.candidate
        key = (c.chunk.chunk_id, c.unit.span)
        if key not in numbered:
            numbered[key] = len(citations) + 1
            citations.append(citation_for(numbered[key], c.hit, c.quote, c.unit.span))
        text = statement.text
        if c.unit.kind == "footnote":
            text = f"({_footnote_word(lang)} {c.unit.footnote}) {text}"
        if several_docs:
            text = f"{statement.doc_label}: {text}"
        lines.append(f"{_end(text)} [{numbered[key]}]")
    frame = _frame(result, lang, labels, several_docs)
    if len(lines) == 1:
        return Composed(f"{frame} {lines[0]}", citations)
    body = "\n".join(f"- {line}" for line in lines)
    return Composed(f"{frame}\n{body}", citations)


def abstention_text(lang: Lang, hits: list[Hit]) -> str:
    text = abstain_message(lang)
    closest = _closest(hits)
    if not closest:
        return text
    if lang == "en":
        return f"{text} Closest passages: {'; '.join(closest)}."
    return f"{text} Các đoạn gần nhất: {'; '.join(closest)}."


def _closest(hits: list[Hit]) -> list[str]:
    out: list[str] = []
    for hit in hits[:CLOSEST_SHOWN]:
        label = doc_label(hit.chunk.meta, hit.chunk.doc_id)
        section = hit.chunk.section_path[-1] if hit.chunk.section_path else ""
        item = f"{label} – {section}" if section else label
        if item not in out:
            out.append(item)
    return out


def _frame(result: ExtractiveResult, lang: Lang, labels: set[str], several_docs: bool) -> str:
    source = next(iter(labels)) if len(labels) == 1 else ""
    n = len(result.statements)
    if lang == "en":
        where = f"the {source}" if source else "the loaded reports"
        if result.kind == "status":
            verdict = "not met (“Không đạt”)" if result.status == "missed" else "met (“Đạt”)"
            return f"Targets {verdict} in {where} – {n} (quoted in Vietnamese):"
        return f"According to {where} (quoted in Vietnamese):"
    where = source if source else "các báo cáo đã nạp"
    if result.kind == "status":
        verdict = "không đạt" if result.status == "missed" else "đạt"
        return f"Theo {where}, có {n} chỉ tiêu {verdict}:"
    return f"Theo {where}:"


def _footnote_word(lang: Lang) -> str:
    return "footnote" if lang == "en" else "chú thích"


def _end(text: str) -> str:
    return text.rstrip()
