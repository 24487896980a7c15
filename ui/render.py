"""Pure text → Markdown/HTML helpers for the UI (no Streamlit here, so they are easy to test).

Passages are shown as one-line HTML blocks: newlines become ``<br>`` because a blank line
would end a Markdown HTML block and let the rest be parsed as Markdown.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlencode

from baocao.lang.normalize import fold_accents, has_diacritics, normalize_tone_marks, strip_markup
from baocao.lang.questions import highlight_stopwords
from baocao.lang.tokens import word_matches
from baocao.models import Chunk, DocumentMeta

Interval = tuple[int, int]

# Styles live in one <style> block (PAGE_CSS, injected once per run); elements carry classes.
MARK_STYLE = "bc-cite"  # a cited quote
TERM_STYLE = "bc-term"  # a query word in search results
PAGE_CSS = """<style>
mark.bc-cite {background-color:#ffe58f;color:inherit;padding:0 2px;border-radius:2px}
mark.bc-term {background-color:#bae0ff;color:inherit;padding:0 1px;border-radius:2px}
div.bc-passage {white-space:pre-wrap;font-size:0.92em;line-height:1.5;max-height:22em;overflow:auto;
  border-left:3px solid #d9d9d9;padding:0.3em 0.8em;margin:0.3em 0}
div.bc-tablebox {max-height:26em;overflow:auto;margin:0.3em 0}
table.bc-table {border-collapse:collapse;font-size:0.9em;width:100%}
table.bc-table td {padding:2px 6px;border:1px solid rgba(128,128,128,0.3);vertical-align:top}
div.bc-meta {color:#666;font-size:0.85em}
div.bc-source {margin:0 0 1.1em 0}
div.bc-document {white-space:pre-wrap;line-height:1.6}
[data-testid="stAppDeployButton"] {display:none}
</style>"""


# ----------------------------------------------------------------------------- intervals


def merge_intervals(intervals: Iterable[Interval], length: int) -> list[Interval]:
    """Sorted, non-overlapping, clipped to ``[0, length]``; empty ones dropped."""
    clipped = sorted((max(0, s), min(length, e)) for s, e in intervals)
    merged: list[Interval] = []
    for start, end in clipped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def split_segments(text: str, intervals: Sequence[Interval]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, inside_an_interval) runs, in order."""
    segments: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in merge_intervals(intervals, len(text)):
        if start > cursor:
            segments.append((text[cursor:start], False))
        segments.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        segments.append((text[cursor:], False))
    return segments


def _exact(word: str) -> str:
    return normalize_tone_marks(word.lower())


def query_terms(query: str) -> set[str]:
    """Words of the query worth highlighting.

    A word typed with diacritics matches only that word ("đạt" not "đất"); a word typed
    without them matches any accented form ("dat" matches both). Accent-less terms are
    stored folded, accented ones in their normalised lower-case form.
    """
    terms: set[str] = set()
    common = highlight_stopwords()
    for match in word_matches(query):
        word = match.group(0)
        folded = fold_accents(word)
        if folded in common or (len(folded) < 2 and not folded.isdigit()):
            continue
        terms.add(_exact(word) if has_diacritics(word) else folded)
    return terms


def _word_matches(word: str, terms: set[str]) -> bool:
    return _exact(word) in terms or fold_accents(word) in terms


def term_intervals(text: str, terms: set[str]) -> list[Interval]:
    """Where words of ``text`` match ``terms`` (see :func:`query_terms`): "huong tra" ~ "Hương Trà"."""
    if not terms:
        return []
    found: list[Interval] = []
    for match in word_matches(text):
        word = match.group(0)
        if _word_matches(word, terms):
            found.append(match.span())
        elif "-" in word or "/" in word:
            # Compounds such as "BC-UBND": highlight the parts the query names.
            offset = match.start()
            for part in re.finditer(r"[^-/]+", word):
                if _word_matches(part.group(0), terms):
                    found.append((offset + part.start(), offset + part.end()))
    return found


# ----------------------------------------------------------------------------- HTML


def _html_text(text: str) -> str:
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>").replace("$", "&#36;")


def highlight_html(
    text: str,
    intervals: Sequence[Interval],
    style: str = MARK_STYLE,
    anchors: Sequence[tuple[int, str]] = (),
    clean: Callable[[str], str] | None = None,
) -> str:
    """Escaped ``text`` (each piece through ``clean`` first, if given) with ``<mark>`` around ``intervals`` and an empty ``<span id=…>`` at each anchor position."""
    marks = merge_intervals(intervals, len(text))
    anchor_at: dict[int, list[str]] = {}
    for position, name in anchors:
        anchor_at.setdefault(min(max(position, 0), len(text)), []).append(name)
    cuts = sorted({0, len(text), *(p for iv in marks for p in iv), *anchor_at})
    parts: list[str] = []
    for start, end in zip(cuts, cuts[1:] + [len(text)]):
        parts.extend(f'<span id="{html.escape(name)}"></span>' for name in anchor_at.pop(start, []))
        if end <= start:
            continue
        piece = _html_text(clean(text[start:end]) if clean else text[start:end])
        inside = any(s <= start and end <= e for s, e in marks)
        parts.append(f'<mark class="{style}">{piece}</mark>' if inside else piece)
    return "".join(parts)


def _shift(intervals: Sequence[Interval], start: int, end: int) -> list[Interval]:
    return [(max(s, start) - start, min(e, end) - start) for s, e in intervals if s < end and e > start]


def looks_like_table(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 2 and sum("\t" in line for line in lines) >= max(2, len(lines) // 2)


def table_html(
    text: str,
    intervals: Sequence[Interval],
    style: str = MARK_STYLE,
    anchors: Sequence[tuple[int, str]] = (),
    clean: Callable[[str], str] | None = None,
) -> str:
    """A tab-separated passage as an HTML table; marks and anchors keep their character offsets."""
    marks = merge_intervals(intervals, len(text))
    rows: list[str] = []
    cell_start = 0
    for line in text.split("\n"):
        cells: list[str] = []
        for cell in line.split("\t"):
            cell_end = cell_start + len(cell)  # the separator after the cell belongs to it
            cell_anchors = [(p - cell_start, name) for p, name in anchors if cell_start <= p <= cell_end]
            cells.append(f"<td>{highlight_html(cell, _shift(marks, cell_start, cell_end), style, cell_anchors, clean)}</td>")
            cell_start = cell_end + 1
        if line.strip():
            rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="bc-table">{"".join(rows)}</table>'


def passage_html(
    text: str, intervals: Sequence[Interval], style: str = MARK_STYLE, anchors: Sequence[tuple[int, str]] = ()
) -> str:
    """A passage for display: tables as tables, other text as wrapped lines, inside a scroll box."""
    if looks_like_table(text):
        return f'<div class="bc-tablebox">{table_html(text, intervals, style, anchors)}</div>'
    return f'<div class="bc-passage">{highlight_html(text, intervals, style, anchors)}</div>'


def _line_blocks(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_table) runs of whole lines: consecutive lines holding tabs form a table."""
    blocks: list[tuple[int, int, bool]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        is_table = "\t" in line
        end = offset + len(line)
        if blocks and blocks[-1][2] == is_table:
            blocks[-1] = (blocks[-1][0], end, is_table)
        else:
            blocks.append((offset, end, is_table))
        offset = end
    return blocks


def document_html(original: str, spans: Sequence[Interval], anchor: str = "passage") -> str:
    """The whole original text, markup cleaned, tables as tables, the chunk's spans marked.

    Offsets point into the original text, so markup is removed piece by piece *after*
    cutting at the span boundaries. ``anchor`` is the id placed where the first span starts.
    """
    marks = merge_intervals(spans, len(original))
    anchors = [(marks[0][0], anchor)] if marks else []
    parts: list[str] = []
    for start, end, is_table in _line_blocks(original):
        block = original[start:end]
        block_marks = _shift(marks, start, end)
        block_anchors = [(p - start, name) for p, name in anchors if start <= p < end]
        if is_table:
            parts.append(table_html(block.rstrip("\n"), block_marks, MARK_STYLE, block_anchors, clean=strip_markup))
        else:
            parts.append(highlight_html(block, block_marks, MARK_STYLE, block_anchors, clean=strip_markup))
    return f'<div class="bc-document">{"".join(parts)}</div>'


# ----------------------------------------------------------------------------- citations


_MARKER = re.compile(r"\[(\d{1,3})\]")


def anchor_id(prefix: str, n: int) -> str:
    return f"{prefix}-{n}"


def _tooltip(text: str, limit: int = 220) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("\\", "\\\\").replace('"', "'")


def escape_markdown_math(text: str) -> str:
    """Streamlit renders ``$...$`` as LaTeX; amounts in reports must stay text."""
    return re.sub(r"(?<!\\)\$", r"\\$", text)


def link_citations(text: str, quotes: dict[int, str], prefix: str) -> str:
    """Answer text with each ``[n]`` turned into a link to its source's anchor, the quote as tooltip."""

    def replace(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in quotes:
            return match.group(0)
        return f'[\\[{n}\\]](#{anchor_id(prefix, n)} "{_tooltip(quotes[n])}")'

    return _MARKER.sub(replace, escape_markdown_math(text))


def viewer_query(doc_id: str, chunk_id: str = "") -> str:
    params = {"doc": doc_id}
    if chunk_id:
        params["chunk"] = chunk_id
    return "?" + urlencode(params)


# ----------------------------------------------------------------------------- metadata


def meta_line(meta: DocumentMeta | None, date_label: str = "ngày", period_label: str = "kỳ") -> str:
    """"UBND thị xã Hương Trà · số 3422/BC-UBND · ngày 2023-11-14 · kỳ 2023"."""
    if meta is None:
        return ""
    parts = [meta.issuer or meta.locality]
    if meta.doc_number:
        parts.append(f"số {meta.doc_number}" if date_label == "ngày" else f"no. {meta.doc_number}")
    if meta.date_issued:
        parts.append(f"{date_label} {meta.date_issued}")
    if meta.period:
        parts.append(f"{period_label} {meta.period}")
    if meta.is_draft:
        parts.append("DỰ THẢO")
    return " · ".join(p for p in parts if p)


def doc_title(meta: DocumentMeta | None, fallback: str = "") -> str:
    if meta is None:
        return fallback
    return meta.title or meta.short_title or meta.source or fallback


def chunk_label(chunk: Chunk) -> str:
    return chunk.section or "—"
