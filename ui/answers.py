"""An Answer's sources, resolved to their passages, and the Markdown export of an answer."""
from __future__ import annotations

from dataclasses import dataclass

from assistant.types import Answer, Citation
from baocao.models import Chunk
from ui.i18n import WARNINGS, llm_reason, t, warning_text
from ui.render import CitePop, Interval, doc_title, meta_line, tidy_answer, viewer_query
from vectorstore.hits import Hit


@dataclass
class Source:
    """One ``[n]`` of an answer with the passage it points to (when the answer carries it)."""

    n: int
    citation: Citation
    hit: Hit | None

    @property
    def chunk(self) -> Chunk | None:
        return self.hit.chunk if self.hit is not None else None

    @property
    def text(self) -> str:
        return self.hit.chunk.text if self.hit is not None else self.citation.quote

    @property
    def title(self) -> str:
        meta = self.chunk.meta if self.chunk is not None else None
        return self.citation.title or doc_title(meta, self.citation.source)

    @property
    def section(self) -> str:
        return self.citation.section or (self.chunk.section if self.chunk is not None else "")

    def quote_interval(self) -> Interval | None:
        """Where the quote lies in the passage text (the citation's span, checked)."""
        text, quote = self.text, self.citation.quote
        if not quote:
            return None
        start, end = (tuple(self.citation.span) + (0, 0))[:2]
        if 0 <= start < end <= len(text) and text[start:end] == quote:
            return (start, end)
        found = text.find(quote)
        if found >= 0:
            return (found, found + len(quote))
        return (start, end) if 0 <= start < end <= len(text) else None


def sources_of(answer: Answer) -> list[Source]:
    """The answer's citations in marker order, each with its passage."""
    by_chunk = {hit.chunk.chunk_id: hit for hit in answer.passages}
    seen: set[int] = set()
    sources: list[Source] = []
    for citation in sorted(answer.citations, key=lambda c: c.n):
        if citation.n in seen:
            continue
        seen.add(citation.n)
        sources.append(Source(citation.n, citation, by_chunk.get(citation.chunk_id)))
    return sources


def cite_pops(sources: list[Source], lang: str) -> dict[int, CitePop]:
    """The inline pop-up of each ``[n]``: its document, section and the cited row or sentence."""
    pops: dict[int, CitePop] = {}
    for source in sources:
        chunk = source.chunk
        meta = chunk.meta if chunk is not None else None
        interval = source.quote_interval()
        quote = source.citation.quote or (source.text[interval[0] : interval[1]] if interval else source.text[:300])
        doc_id = chunk.doc_id if chunk is not None else source.citation.doc_id
        chunk_id = chunk.chunk_id if chunk is not None else source.citation.chunk_id
        where = " · ".join(p for p in (meta_line(meta, lang) if meta is not None else "", source.section) if p)
        viewer = viewer_query(doc_id, chunk_id, interval) if doc_id else ""
        pops[source.n] = CitePop(source.title, where, quote, viewer)
    return pops


_UNAVAILABLE = next(pattern for pattern, key in WARNINGS if key == "w_llm_unavailable")


def shown_text(answer: Answer, lang: str) -> str:
    """The answer's text as shown: when the LLM was unavailable, the reason its note quotes (the
    assistant's English reason, for logs) in ``lang``."""
    text = answer.text
    for warning in answer.warnings:
        match = _UNAVAILABLE.search(warning)
        if match and match.group("reason") in text:
            text = text.replace(f"({match.group('reason')})", f"({llm_reason(match.group('reason'), lang)})", 1)
    return text


def shown_warnings(answer: Answer, lang: str) -> list[str]:
    """The answer's warnings in ``lang`` (through the label tables)."""
    return [warning_text(w, lang) for w in answer.warnings]


def answer_lang(answer: Answer, ui_lang: str) -> str:
    """The language an answer's labels are shown in: English for an English question, else the UI's."""
    return "en" if answer.context.get("lang") == "en" else ui_lang


def group_by_passage(sources: list[Source]) -> list[list[Source]]:
    """Citations of the same passage together (a table cited row by row is shown once)."""
    groups: dict[str, list[Source]] = {}
    for source in sources:
        key = source.citation.chunk_id or f"#{source.n}"
        groups.setdefault(key, []).append(source)
    return list(groups.values())


def answer_markdown(answer: Answer, lang: str = "vi") -> str:
    """The answer with its sources as a standalone Markdown document (copy / download)."""
    heading_sources = t("sources", lang)
    lines = [f"## {answer.question}", "", tidy_answer(shown_text(answer, lang).strip()), ""]
    sources = sources_of(answer)
    if sources:
        lines += [f"### {heading_sources}", ""]
        for source in sources:
            meta = source.chunk.meta if source.chunk is not None else None
            described = meta_line(meta, lang) if meta is not None else source.citation.source
            lines.append(f"**[{source.n}] {source.title}**  ")
            lines.append(f"{described}  ")
            if source.section:
                lines.append(f"{source.section}  ")
            lines.append(f"`{source.citation.source}`")
            quote = " ".join(source.citation.quote.split())
            if quote:
                lines += ["", f"> {quote}"]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
