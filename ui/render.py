"""Pure text → Markdown/HTML helpers for the UI (no Streamlit here, so they are easy to test).

Passages are shown as one-line HTML blocks: newlines become ``<br>`` because a blank line
would end a Markdown HTML block and let the rest be parsed as Markdown.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from baocao.lang.normalize import strip_markup
from baocao.lang.tokens import word_matches
from baocao.models import Chunk, DocumentMeta
from ui.i18n import t

Interval = tuple[int, int]

# Styles live in one <style> block (PAGE_CSS, injected once per run); elements carry classes.
MARK_STYLE = "bc-cite"  # a cited quote
TERM_STYLE = "bc-term"  # a query word in search results
PAGE_CSS = """<style>
mark.bc-cite {background-color:#ffe58f;color:inherit;padding:0 2px;border-radius:2px}
mark.bc-term {background-color:#bae0ff;color:inherit;padding:0 1px;border-radius:2px}
div.bc-passage {white-space:pre-wrap;font-size:0.92em;line-height:1.5;max-height:22em;overflow:auto;
  border-left:3px solid #d9d9d9;padding:0.3em 0.8em;margin:0.3em 0}
div.bc-tablebox {max-height:26em;max-width:100%;overflow:auto;margin:0.3em 0}
table.bc-table {border-collapse:collapse;font-size:0.9em;min-width:100%;width:max-content;max-width:60em}
table.bc-table td {padding:2px 6px;border:1px solid rgba(128,128,128,0.3);vertical-align:top;min-width:4em}
div.bc-meta {color:#666;font-size:0.85em;overflow-wrap:anywhere}
div.bc-source {margin:0 0 1.1em 0;max-width:100%;overflow-x:auto}
div.bc-document {white-space:pre-wrap;line-height:1.6;overflow-wrap:anywhere}
div.bc-doctable {white-space:normal;max-width:100%;overflow-x:auto;margin:0.3em 0}
[data-testid="stChatMessageContent"], [data-testid="stVerticalBlock"] {min-width:0;max-width:100%}
[data-testid="stChatMessageContent"] [data-testid="stMarkdownContainer"] {overflow-wrap:anywhere}
span.bc-ref {color:#1668dc;cursor:pointer;font-weight:600;white-space:nowrap}
span.bc-ref:hover {background-color:#e6f4ff;border-radius:3px}
span.bc-ref:focus {outline:2px solid #91caff;border-radius:3px}
span.bc-pop {display:none}
span.bc-ref:focus > span.bc-pop, span.bc-ref:focus-within > span.bc-pop {
  display:block;position:static;max-width:100%;box-sizing:border-box;margin:0.3em 0;padding:0.5em 0.7em;
  background:var(--background-color, #fff);background-color:#fffbe6;color:#262730;border:1px solid #ffe58f;
  border-radius:6px;box-shadow:0 2px 8px rgba(0,0,0,0.15);font-weight:400;white-space:normal;font-size:0.9em;
  overflow-wrap:anywhere}
span.bc-pop mark {background-color:#ffe58f;color:inherit}
[data-testid="stAppDeployButton"], [data-testid="stMainMenu"], [data-testid="stElementToolbar"] {display:none}
</style>"""


def widget_css(lang: str) -> str:
    """Streamlit's own words, in English, replaced by the label tables': the file uploader's (its
    button says "Upload", its drop zone "1GB per file": Streamlit's cap, server.maxUploadSize in
    ui/.streamlit/config.toml, set well above ours so that our check, in the page's language, refuses
    big files; the real limits are in our caption) and the
    "Stop" shown while a page runs. Its main menu (Rerun, Clear cache, Print, …) and the toolbar over
    tables and charts ("Download as CSV", "Search", "Fullscreen": English tooltips, no option to
    translate them) are hidden (PAGE_CSS); tables still scroll inside their frame, and the targets page
    has its own CSV and Excel downloads."""
    drop, pick, stop = t("upload_drop", lang), t("upload_pick", lang), t("run_stop", lang)
    return f"""<style>
[data-testid="stStatusWidget"] button {{font-size:0}}
[data-testid="stStatusWidget"] button::after {{content:"{stop}";font-size:0.875rem}}
[data-testid="stFileUploaderDropzoneInstructions"] > div > * {{display:none}}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{content:"{drop}";white-space:normal}}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{font-size:0}}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{content:"{pick}";
  font-size:0.875rem}}
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
            table = table_html(block.rstrip("\n"), block_marks, MARK_STYLE, block_anchors, clean=strip_markup)
            parts.append(f'<div class="bc-doctable">{table}</div>')  # a wide table scrolls, not the page
        else:
            parts.append(highlight_html(block, block_marks, MARK_STYLE, block_anchors, clean=strip_markup))
    return f'<div class="bc-document">{"".join(parts)}</div>'


# ----------------------------------------------------------------------------- citations


_MARKER = re.compile(r"\[(\d{1,3})\]")


def anchor_id(prefix: str, n: int) -> str:
    return f"{prefix}-{n}"


def escape_markdown_math(text: str) -> str:
    """Streamlit renders ``$...$`` as LaTeX; amounts in reports must stay text."""
    return re.sub(r"(?<!\\)\$", r"\\$", text)


@dataclass
class CitePop:
    """What the inline pop-up of one ``[n]`` shows: where it is from and the cited row or sentence."""

    title: str
    where: str  # section / document line
    quote: str
    viewer: str = ""  # "?doc=…&chunk=…&cite=…" (the full text, scrolled to the quote)


def _pop_html(n: int, pop: CitePop, prefix: str, lang: str) -> str:
    quote = html.escape(" ".join(pop.quote.replace("\t", " | ").split()), quote=False)
    links = [f'<a href="#{anchor_id(prefix, n)}">{t("cite_open_source", lang)}</a>']
    if pop.viewer:
        links.append(f'<a href="{html.escape(pop.viewer)}" target="_blank">{t("open_document", lang)} ↗</a>')
    where = f" · {html.escape(pop.where)}" if pop.where else ""
    body = (
        f'<b>[{n}] {html.escape(pop.title)}</b>{where}<br><mark class="{MARK_STYLE}">{quote}</mark><br>'
        + " · ".join(links)
    )
    return f'<span class="bc-ref" tabindex="0" data-n="{n}">[{n}]<span class="bc-pop">{body}</span></span>'


def link_citations(text: str, pops: dict[int, CitePop], prefix: str, lang: str = "vi") -> str:
    """Answer text with each ``[n]`` turned into a marker that shows its cited row or sentence on
    a tap or click (a pop-up, with links to the sources panel and to the full text). The pop-up opens
    in the answer's own flow, under the line of its [n], as wide as the answer: it moves what follows
    down instead of covering it (the sources panel under the answer stays in sight and clickable) and
    cannot reach past the window's edge (PAGE_CSS). It opens on focus, not on hover: a pop-up that
    moved the page under the pointer would close and open again as the chat keeps to its bottom."""

    def replace(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in pops:
            return match.group(0)
        return _pop_html(n, pops[n], prefix, lang).replace("$", "&#36;")

    return _MARKER.sub(replace, escape_markdown_math(tidy_answer(text)))


_NUMBERED_ITEM = re.compile(r"^(\s*[-*+]\s+)\d{1,3}[.)]\s+(?=\S)", re.MULTILINE)
# The short answer an answer leads with: a first line all in bold, then its markers ("**ước đạt 527 tỷ đồng** [1]").
_LEAD_LINE = re.compile(r"\A(\*\*[^*\n]+\*\*(?:[ \t]*\[\d{1,3}\])*)[ \t]*\n(?=[ \t]*\S)")


def tidy_answer(text: str) -> str:
    """List items that start with a table's own row number ("- 4. Tổng thu …") lose that number:
    Markdown would draw a bullet *and* a nested list starting at 4, as if items 2 and 3 were missing.
    The cited row (with its number) is one tap away in the item's [n].

    A bold short answer on the first line stands as its own paragraph: Markdown would run it into
    the line after it ("… đồng [1] Theo Báo cáo …: …"), so the quotes would not come *after* it."""
    return _LEAD_LINE.sub(r"\1\n\n", _NUMBERED_ITEM.sub(r"\1", text), count=1)


def viewer_query(doc_id: str, chunk_id: str = "", cite: Interval | None = None) -> str:
    """The viewer's address: the document, the passage, and the cited span inside the passage's text."""
    params = {"doc": doc_id}
    if chunk_id:
        params["chunk"] = chunk_id
        if cite is not None and cite[1] > cite[0]:
            params["cite"] = f"{cite[0]}-{cite[1]}"
    return "?" + urlencode(params)


def parse_cite(value: str) -> Interval | None:
    """"12-80" -> (12, 80); None for anything else."""
    match = re.fullmatch(r"(\d{1,7})-(\d{1,7})", value or "")
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    return (start, end) if end > start else None


def locate_quote(original: str, quote: str, region: Interval) -> Interval | None:
    """Where ``quote`` (text of a chunk: markup stripped, cells split by tabs) lies in the document's
    ``original`` text, looked for inside ``region`` first (the chunk's own spans), then anywhere.
    Words are matched in order with anything that is not a word (markup, tabs, spaces) between them."""
    tokens = [m.group(0) for m in word_matches(quote)]
    if not tokens:
        return None
    between = r"(?:<[^<>\n]{0,40}>|[\W_])*?"  # markup tags, tabs, spaces, punctuation
    pattern = re.compile(between.join(re.escape(token) for token in tokens[:80]), re.IGNORECASE)
    start, end = region
    found = pattern.search(original, max(0, start - 200), min(len(original), end + 200)) or pattern.search(original)
    return found.span() if found else None


# ----------------------------------------------------------------------------- metadata


def meta_line(meta: DocumentMeta | None, lang: str = "vi") -> str:
    """"UBND thị xã Hương Trà · số 3422/BC-UBND · ngày 2023-11-14 · kỳ 2023" (labels in ``lang``)."""
    if meta is None:
        return ""
    parts = [meta.issuer or meta.locality]
    if meta.doc_number:
        parts.append(f"{t('no_label', lang)} {meta.doc_number}")
    if meta.date_issued:
        parts.append(f"{t('date_label', lang)} {meta.date_issued}")
    if meta.period:
        parts.append(f"{t('period_label', lang)} {meta.period}")
    if meta.is_draft:
        parts.append(t("draft_label", lang))
    return " · ".join(p for p in parts if p)


def doc_title(meta: DocumentMeta | None, fallback: str = "") -> str:
    if meta is None:
        return fallback
    return meta.title or meta.short_title or meta.source or fallback


def chunk_label(chunk: Chunk) -> str:
    return chunk.section or "—"
