"""An Answer's sources, resolved to their passages, and the Markdown export of an answer."""
from __future__ import annotations

from dataclasses import dataclass

from assistant.types import Answer, Citation
from baocao.models import Chunk
from ui.render import Interval, doc_title, meta_line
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


def group_by_passage(sources: list[Source]) -> list[list[Source]]:
    """Citations of the same passage together (a table cited row by row is shown once)."""
    groups: dict[str, list[Source]] = {}
    for source in sources:
        key = source.citation.chunk_id or f"#{source.n}"
        groups.setdefault(key, []).append(source)
    return list(groups.values())


def answer_markdown(answer: Answer, lang: str = "vi") -> str:
    """The answer with its sources as a standalone Markdown document (copy / download)."""
    heading_sources = "Nguồn" if lang == "vi" else "Sources"
    lines = [f"## {answer.question}", "", answer.text.strip(), ""]
    sources = sources_of(answer)
    if sources:
        lines += [f"### {heading_sources}", ""]
        for source in sources:
            meta = source.chunk.meta if source.chunk is not None else None
            described = meta_line(meta) if meta is not None else source.citation.source
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
