"""Documents page: the ingested reports, uploads, metadata edits, re-index, removal, and the viewer."""
from __future__ import annotations

import html
from dataclasses import fields
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from baocao.models import DocumentMeta
from ui.backend import Context
from ui.i18n import t
from ui.render import document_html, meta_line
from ui.uploads import ALLOWED_SUFFIXES, UploadResult, save_and_ingest

UPLOAD_RESULTS_KEY = "upload_results"
# Editable metadata; doc_id, source, path and content_hash belong to the pipeline.
EDITABLE = [
    "title", "short_title", "issuer", "locality", "locality_level", "parent_locality", "doc_number", "doc_type",
    "date_issued", "issued_year", "issued_month", "issued_day", "period", "period_year", "period_month",
    "plan_year", "is_draft",
]


def render(ctx: Context) -> None:
    doc_id = st.query_params.get("doc")
    if doc_id:
        render_viewer(ctx, doc_id, st.query_params.get("chunk", ""))
        return
    lang = ctx.lang
    records = ctx.stack.snapshots.current().records  # read again only when the store's revision moved
    st.subheader(t("documents", lang))
    if records:
        st.dataframe(document_rows(records, lang), hide_index=True, width="stretch")
    else:
        st.info(t("no_documents", lang))
    render_upload(ctx)
    if records:
        render_manage(ctx, records)


def document_rows(records: list[Any], lang: str) -> list[dict[str, Any]]:
    vi = lang == "vi"
    rows = []
    for r in records:
        m = r.meta
        rows.append(
            {
                ("Tệp" if vi else "File"): m.source,
                ("Tiêu đề" if vi else "Title"): m.title,
                ("Địa phương" if vi else "Locality"): m.locality,
                ("Loại" if vi else "Type"): m.doc_type,
                ("Số" if vi else "Number"): m.doc_number,
                ("Ngày" if vi else "Date"): m.date_issued,
                ("Kỳ" if vi else "Period"): m.period,
                ("Dự thảo" if vi else "Draft"): m.is_draft,
                ("Số đoạn" if vi else "Passages"): r.chunk_count,
                "doc_id": m.doc_id,
            }
        )
    return rows


# ----------------------------------------------------------------------------- upload


def render_upload(ctx: Context) -> None:
    lang = ctx.lang
    st.subheader(t("upload", lang))
    types = [s.lstrip(".") for s in ALLOWED_SUFFIXES]
    st.caption(t("upload_help", lang, types=", ".join(types), mb=ctx.settings.max_file_mb))
    generation = st.session_state.get("uploader_generation", 0)
    files = st.file_uploader(
        t("upload", lang), type=types, accept_multiple_files=True, key=f"uploader-{generation}",
        label_visibility="collapsed", max_upload_size=max(1, int(ctx.settings.max_file_mb + 0.999)),
    )
    if files and st.button(t("upload_button", lang), type="primary", key="upload_go"):
        bar = st.progress(0.0, text=t("uploading", lang))

        def progress(done: int, total: int, name: str) -> None:
            label = f"{t('uploading', lang)} {name} ({done + 1}/{total})" if name else t("upload_done", lang)
            bar.progress(done / max(total, 1), text=label)

        results = save_and_ingest(
            [(f.name, f.getvalue()) for f in files], ctx.stack, on_progress=progress, lang=lang
        )
        st.session_state[UPLOAD_RESULTS_KEY] = results
        st.session_state["uploader_generation"] = generation + 1  # empties the uploader
        st.rerun()
    show_upload_results(st.session_state.get(UPLOAD_RESULTS_KEY, []), lang)


def show_upload_results(results: list[UploadResult], lang: str) -> None:
    for r in results:
        status = t(f"status_{r.status}", lang)
        if r.ok:
            chunks = f" — {r.chunks} {t('chunks', lang)}" if r.chunks else ""
            note = f" ({r.reason})" if r.reason else ""
            st.success(f"**{r.name}**: {status}{chunks}{note}", icon="✅")
        else:
            st.error(f"**{r.name}**: {status} — {r.reason}", icon="❌")


# ----------------------------------------------------------------------------- manage one document


def render_manage(ctx: Context, records: list[Any]) -> None:
    lang = ctx.lang
    st.subheader(t("manage", lang))
    by_id = {r.meta.doc_id: r for r in records}
    doc_id = st.selectbox(
        t("choose_doc", lang), list(by_id), key="manage_doc",
        format_func=lambda d: f"{by_id[d].meta.short_title or by_id[d].meta.title or d} ({by_id[d].meta.source})",
    )
    if doc_id is None:
        return
    record = by_id[doc_id]
    st.markdown(f"[{t('view_doc', lang)} ↗](?doc={_quote(doc_id)})")
    edit_tab, reindex_tab, delete_tab = st.tabs([t("edit_meta", lang), t("reindex", lang), t("delete", lang)])
    with edit_tab:
        render_edit_form(ctx, record)
    with reindex_tab:
        render_reindex(ctx, record)
    with delete_tab:
        render_delete(ctx, record)
    message = st.session_state.pop("manage_message", None)
    if message:
        st.success(message)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def render_edit_form(ctx: Context, record: Any) -> None:
    lang = ctx.lang
    meta: DocumentMeta = record.meta
    types = {f.name: f.type for f in fields(DocumentMeta)}
    values: dict[str, Any] = {}
    with st.form(f"meta-{meta.doc_id}"):
        columns = st.columns(2)
        for i, name in enumerate(EDITABLE):
            current = getattr(meta, name)
            column = columns[i % 2]
            kind = types[name]
            if kind in ("bool", bool):
                values[name] = column.checkbox(name, value=bool(current), key=f"m-{meta.doc_id}-{name}")
            elif kind in ("int", int):
                values[name] = int(column.number_input(name, value=int(current), step=1, key=f"m-{meta.doc_id}-{name}"))
            else:
                values[name] = column.text_input(name, value=str(current), key=f"m-{meta.doc_id}-{name}")
        submitted = st.form_submit_button(t("save", lang), type="primary")
    if submitted:
        changes = metadata_changes(meta, values)
        if not changes:
            st.info(t("no_change", lang))
            return
        try:
            ctx.store.update_metadata(meta.doc_id, changes)
        except Exception as exc:
            st.error(f"{type(exc).__name__}: {exc}")
            return
        st.session_state["manage_message"] = f"{t('saved', lang)} ({', '.join(changes)})"
        st.rerun()


def metadata_changes(meta: DocumentMeta, values: dict[str, Any]) -> dict[str, Any]:
    """Only the fields whose value differs (strings trimmed)."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        if value != getattr(meta, name):
            changes[name] = value
    return changes


def render_reindex(ctx: Context, record: Any) -> None:
    lang = ctx.lang
    path = Path(record.meta.path) if record.meta.path else None
    st.caption(str(path or "—"))
    if not st.button(t("reindex", lang), key=f"reindex-{record.meta.doc_id}"):
        return
    if path is None or not path.is_file():
        st.error(f"{t('file_missing', lang)}: {path or '—'}")
        return
    from ingest.lock import IngestLockedError
    from ingest.pipeline import ingest_paths

    try:
        with st.spinner(f"{t('uploading', lang)} {path.name}…"):
            summary = ingest_paths([path], ctx.store, ctx.stack.embedder, ctx.settings, progress=False)
    except IngestLockedError as exc:
        st.error(str(exc))
        return
    for result in summary.results:
        if result.status == "failed":
            st.error(result.line())
        else:
            st.success(result.line())


def render_delete(ctx: Context, record: Any) -> None:
    lang = ctx.lang
    doc_id = record.meta.doc_id
    sure = st.checkbox(t("confirm_delete", lang), key=f"sure-{doc_id}")
    if st.button(t("delete", lang), key=f"delete-{doc_id}", disabled=not sure, type="primary"):
        try:
            ctx.store.delete_document(doc_id)
        except Exception as exc:
            st.error(f"{type(exc).__name__}: {exc}")
            return
        st.session_state["manage_message"] = f"{t('deleted', lang)}: {record.meta.source}"
        st.session_state.pop("manage_doc", None)
        st.rerun()


# ----------------------------------------------------------------------------- viewer


def render_viewer(ctx: Context, doc_id: str, chunk_id: str) -> None:
    """The whole document, the cited passage marked and scrolled into view."""
    lang = ctx.lang
    if st.button(t("back", lang), key="viewer_back"):
        st.query_params.clear()
        st.rerun()
    record = ctx.store.document(doc_id)
    if record is None:
        st.error(f"{t('doc_not_found', lang)}: {doc_id}")
        return
    meta = record.meta
    st.subheader(meta.title or meta.source)
    date_label, period_label = ("ngày", "kỳ") if lang == "vi" else ("date", "period")
    st.caption(f"📍 {meta.locality} · {meta_line(meta, date_label, period_label)} · {meta.source}")
    spans: list[tuple[int, int]] = []
    chunk = None
    if chunk_id:
        found = ctx.store.get_chunks([chunk_id])
        chunk = found[0] if found else None
        spans = list(chunk.spans) if chunk is not None else []
    if chunk is not None:
        st.markdown(
            f"**{t('highlighted_passage', lang)}:** {html.escape(chunk.section or '—')} · "
            f"[{t('goto_passage', lang)}](#passage)"
        )
    text = ctx.store.document_text(doc_id)
    st.markdown(document_html(text, spans, anchor="passage"), unsafe_allow_html=True)
    if spans:
        scroll_to("passage")


def scroll_to(anchor: str) -> None:
    """Scroll the page to the element with this id once it exists (the app renders progressively)."""
    components.html(
        f"""<script>
        let tries = 0;
        const timer = setInterval(() => {{
          const el = window.parent.document.getElementById({anchor!r});
          if (el || ++tries > 50) {{
            clearInterval(timer);
            if (el) el.scrollIntoView({{block: "center"}});
          }}
        }}, 100);
        </script>""",
        height=0,
    )
