"""HTML cards for passages: a cited source (chat) and a retrieved hit (chat, search). Pure functions."""
from __future__ import annotations

import html
from collections.abc import Sequence

from baocao.models import DocumentMeta
from ui.answers import Source
from ui.i18n import t
from ui.render import MARK_STYLE, Interval, anchor_id, doc_title, meta_line, passage_html, viewer_query
from vectorstore.hits import Hit


def header_html(title: str, meta: DocumentMeta | None, section: str, lang: str) -> str:
    """Title, then "📍 locality · issuer · number · date · period", then the section path."""
    details = meta_line(meta, lang) if meta is not None else ""
    locality = f"📍 {html.escape(meta.locality)} · " if meta is not None and meta.locality else ""
    section_html = f'<div class="bc-meta">§ {html.escape(section)}</div>' if section else ""
    return f'<div><b>{html.escape(title)}</b></div><div class="bc-meta">{locality}{html.escape(details)}</div>{section_html}'


def open_link(doc_id: str, chunk_id: str, lang: str, cite: Interval | None = None) -> str:
    """Opens the whole document in a new tab, scrolled to the passage (to the cited span, if given)."""
    href = html.escape(viewer_query(doc_id, chunk_id, cite))
    return f'<a href="{href}" target="_blank">{t("open_document", lang)} ↗</a>'


def source_card(group: Sequence[Source], prefix: str, lang: str) -> str:
    """One cited passage with every quote citing it marked.

    The card carries the anchor of its first ``[n]``; every other ``[n]`` citing the same
    passage gets an anchor where its own quote starts.
    """
    first = group[0]
    chunk = first.chunk
    meta = chunk.meta if chunk is not None else None
    intervals: list[Interval] = []
    anchors: list[tuple[int, str]] = []
    for source in group:
        interval = source.quote_interval()
        if interval:
            intervals.append(interval)
        if source is not first:
            anchors.append((interval[0] if interval else 0, anchor_id(prefix, source.n)))
    doc_id = chunk.doc_id if chunk is not None else first.citation.doc_id
    chunk_id = chunk.chunk_id if chunk is not None else first.citation.chunk_id
    file_name = first.citation.source or (meta.source if meta else "")
    link = f"{open_link(doc_id, chunk_id, lang, intervals[0] if intervals else None)} · " if doc_id else ""
    markers = "".join(f"[{s.n}]" for s in group)
    return (
        f'<div class="bc-source" id="{anchor_id(prefix, first.n)}">'
        f"{header_html(f'{markers} {first.title}', meta, first.section, lang)}"
        f"{passage_html(first.text, intervals, MARK_STYLE, anchors)}"
        f'<div class="bc-meta">{link}<code>{html.escape(file_name)}</code></div>'
        "</div>"
    )


def hit_card(hit: Hit, lang: str, intervals: Sequence[Interval] = (), style: str = MARK_STYLE, extra: str = "") -> str:
    """A retrieved passage: document, section, text (``intervals`` marked) and ``extra`` details."""
    chunk = hit.chunk
    file_name = chunk.meta.source if chunk.meta is not None else chunk.doc_id
    return (
        '<div class="bc-source">'
        f"{header_html(doc_title(chunk.meta, chunk.doc_id), chunk.meta, chunk.section, lang)}"
        f"{passage_html(chunk.text, intervals, style)}"
        f'<div class="bc-meta">{open_link(chunk.doc_id, chunk.chunk_id, lang)} · <code>{html.escape(file_name)}</code>'
        f"{extra}</div>"
        "</div>"
    )
