"""Documents page: the ingested reports, uploads, metadata edits, re-index, removal, and the viewer."""
from __future__ import annotations

import html
from dataclasses import fields
from pathlib import Path
from typing import Any

import streamlit as st

from baocao.models import DocumentMeta
from ui.backend import Context
from ui.i18n import reason_text, t
from ui.render import document_html, locate_quote, meta_line, parse_cite
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
        render_viewer(ctx, doc_id, st.query_params.get("chunk", ""), st.query_params.get("cite", ""))
        return
    lang = ctx.lang
    records = ctx.stack.snapshots.current().records  # read again only when the store's revision moved
    st.subheader(t("documents", lang))
    if records:
        st.dataframe(
            document_rows(records, lang), hide_index=True, width="stretch",
            column_config={
                t("col_file", lang): st.column_config.TextColumn(width=file_column_px([r.meta.source for r in records])),
                t("col_title", lang): st.column_config.TextColumn(width="large"),
                t("col_draft", lang): st.column_config.CheckboxColumn(width="small"),
                t("col_passages", lang): st.column_config.NumberColumn(width="small"),
            },
        )
    else:
        st.info(t("no_documents", lang))
    render_queue(ctx)
    render_upload(ctx)
    if records:
        render_manage(ctx, records)


FILE_COLUMN_PX = (160, 360)  # the documents table's file column: at least, at most (px)
CHAR_PX = 8  # about the width of a character of a file name in the table's font (14 px Source Sans)


def file_column_px(names: list[str]) -> int:
    """A width for the file column that shows the longest name whole, within ``FILE_COLUMN_PX``
    (a longer name is cut there; the table scrolls sideways inside its frame on a phone)."""
    low, high = FILE_COLUMN_PX
    longest = max((len(name) for name in names), default=0)
    return max(low, min(high, CHAR_PX * longest + 32))


def document_rows(records: list[Any], lang: str) -> list[dict[str, Any]]:
    """One row per report, the columns named in ``lang`` (no internal ids)."""
    rows = []
    for r in records:
        m = r.meta
        rows.append(
            {
                t("col_file", lang): m.source,
                t("col_title", lang): m.title,
                t("col_locality", lang): m.locality,
                t("col_type", lang): m.doc_type,
                t("col_number", lang): m.doc_number,
                t("col_date", lang): m.date_issued,
                t("col_period", lang): m.period,
                t("col_draft", lang): m.is_draft,
                t("col_passages", lang): r.chunk_count,
            }
        )
    return rows


# ----------------------------------------------------------------------------- the ingest queue


@st.cache_data(ttl=2, show_spinner=False)
def _queue_report(redis_url: str, queue_name: str, _settings: Any) -> dict[str, Any] | None:
    """The queue's jobs (ingest.queue.queue_status) as a dict; None when no Redis answers there."""
    from ingest.queue import QueueError, connect, queue_status

    try:
        return queue_status(_settings, connect(_settings, timeout_s=0.5)).to_dict()
    except QueueError:
        return None


def render_queue(ctx: Context) -> None:
    """The jobs of ``baocao ingest --queue`` and the workers: shown when a queue answers and has jobs."""
    report = _queue_report(ctx.settings.redis_url, ctx.settings.queue_name, ctx.settings)
    if not report or not report["jobs"]:
        return
    lang = ctx.lang
    st.subheader(t("queue", lang))
    st.caption(t("queue_counts", lang, **report["counts"]))
    st.dataframe(queue_rows(report["jobs"], lang), hide_index=True, width="stretch")


def queue_rows(jobs: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """One row per job, the columns and states named in ``lang``."""
    rows = []
    for job in jobs:
        if job["error"]:
            detail = reason_text(job["error"], lang)
        elif job["result"]:
            detail = f"{t('status_' + job['result'], lang)} — {job['chunks']} {t('chunks', lang)}"
        else:
            detail = ""
        rows.append({
            t("col_job_state", lang): t(f"job_{job['state']}", lang),
            t("col_job_doc", lang): job["description"],
            t("col_job_detail", lang): detail,
            t("col_job_worker", lang): job["worker"],
            t("col_job_attempts", lang): job["attempts"],
        })
    return rows


# ----------------------------------------------------------------------------- upload


def render_upload(ctx: Context) -> None:
    lang = ctx.lang
    st.subheader(t("upload", lang))
    types = [s.lstrip(".") for s in ALLOWED_SUFFIXES]
    st.caption(t("upload_help", lang, types=", ".join(types), mb=ctx.settings.max_file_mb))
    generation = st.session_state.get("uploader_generation", 0)
    # No ``type=`` and Streamlit's size cap well above ours (server.maxUploadSize, ui/.streamlit/config.toml):
    # Streamlit would refuse such files with an English message; ``check_upload`` refuses them with ours.
    files = st.file_uploader(
        t("upload", lang), accept_multiple_files=True, key=f"uploader-{generation}", label_visibility="collapsed",
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
            label = t(f"meta_{name}", lang)
            if kind in ("bool", bool):
                values[name] = column.checkbox(label, value=bool(current), key=f"m-{meta.doc_id}-{name}")
            elif kind in ("int", int):
                values[name] = int(column.number_input(label, value=int(current), step=1, key=f"m-{meta.doc_id}-{name}"))
            else:
                values[name] = column.text_input(label, value=str(current), key=f"m-{meta.doc_id}-{name}")
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
        changed = ", ".join(t(f"meta_{name}", lang) for name in changes)
        st.session_state["manage_message"] = f"{t('saved', lang)} {t('saved_fields', lang, fields=changed)}"
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
    st.caption(f"{t('reindex_path', lang)}: {path or '—'}")
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
        name = Path(result.path).name
        if result.status == "failed":
            st.error(f"**{name}**: {t('status_failed', lang)} — {reason_text(result.reason, lang)}")
        else:
            st.success(f"**{name}**: {t(f'status_{result.status}', lang)} — {result.chunks} {t('chunks', lang)}")


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


def render_viewer(ctx: Context, doc_id: str, chunk_id: str, cite: str = "") -> None:
    """The whole document with the cited row or sentence marked and scrolled into view (the whole
    passage when no cited span is given or it cannot be found)."""
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
    st.caption(f"📍 {meta.locality} · {meta_line(meta, lang)} · {meta.source}")
    text = ctx.store.document_text(doc_id)
    spans: list[tuple[int, int]] = []
    chunk = None
    if chunk_id:
        found = ctx.store.get_chunks([chunk_id])
        chunk = found[0] if found else None
    if chunk is not None:
        spans = list(chunk.spans)
        cited = parse_cite(cite)
        if cited is not None and cited[1] <= len(chunk.text):
            region = (min(s for s, _ in spans), max(e for _, e in spans)) if spans else (0, len(text))
            located = locate_quote(text, chunk.text[cited[0] : cited[1]], region)
            if located is not None:
                spans = [located]
        st.markdown(
            f"**{t('highlighted_passage', lang)}:** {html.escape(chunk.section or '—')} · "
            f"[{t('goto_passage', lang)}](#passage)"
        )
    st.markdown(document_html(text, spans, anchor="passage"), unsafe_allow_html=True)
    if spans:
        scroll_to("passage")


def scroll_to(anchor: str, block: str = "center") -> None:
    """Scroll the page to the element with this id once it exists (the app renders progressively)."""
    st.html(
        f"""<script>
        (() => {{
          let tries = 0;
          const timer = setInterval(() => {{
            const el = document.getElementById({anchor!r});
            if (el || ++tries > 50) {{
              clearInterval(timer);
              if (el) el.scrollIntoView({{block: {block!r}}});
            }}
          }}, 100);
        }})();
        </script>""",
        unsafe_allow_javascript=True,
    )
