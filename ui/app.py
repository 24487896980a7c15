"""The reports assistant's web UI: `streamlit run ui/app.py` (or `baocao ui` / `baocao start`).

One script with a page selector in the sidebar (chat, search, documents, evaluation); the
document viewer is the documents page opened with ``?doc=<doc_id>&chunk=<chunk_id>``.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ingest.pipeline import FileResult  # noqa: E402
from ui.backend import (  # noqa: E402
    INGEST_PROGRESS,
    KINDS,
    Context,
    build_filters,
    config_summary,
    filter_options,
    get_stack,
    ingest_sample_corpus,
    load_settings,
    needs_sample_corpus,
    sample_files,
    sample_ingest_running,
)
from ui.i18n import reason_text, t  # noqa: E402
from ui.render import PAGE_CSS, widget_css  # noqa: E402
from vectorstore.retriever import SearchStack  # noqa: E402

PAGES = ["chat", "search", "documents", "targets", "eval"]
PAGE_LABELS = {
    "chat": "page_chat", "search": "page_search", "documents": "page_documents", "targets": "page_targets",
    "eval": "page_eval",
}


def main() -> None:
    st.set_page_config(page_title="Trợ lý báo cáo", page_icon="📑", layout="wide")
    lang = "en" if st.sidebar.toggle("English", key="lang_en") else "vi"
    st.html(PAGE_CSS + widget_css(lang))
    st.sidebar.title(f"📑 {t('app_title', lang)}")
    page = choose_page(lang)

    settings = load_settings()
    try:
        with st.spinner(t("loading_models", lang)):
            stack = get_stack(settings)
    except Exception as exc:
        st.error(f"{t('store_error', lang)}: {exc}")
        st.stop()
    if needs_sample_corpus(stack.store, settings):
        ingest_sample_with_progress(stack, lang)

    ctx = Context(settings=settings, stack=stack, lang=lang)
    ctx.filters = sidebar_filters(ctx)
    sidebar_config(ctx)

    if page == "chat":
        from ui.views import chat as view
    elif page == "search":
        from ui.views import search as view  # type: ignore[no-redef]
    elif page == "documents":
        from ui.views import documents as view  # type: ignore[no-redef]
    elif page == "targets":
        from ui.views import targets as view  # type: ignore[no-redef]
    else:
        from ui.views import evaluation as view  # type: ignore[no-redef]
    view.render(ctx)


def choose_page(lang: str) -> str:
    if "page" not in st.session_state:
        wanted = st.query_params.get("page", "")
        st.session_state["page"] = "documents" if st.query_params.get("doc") else (wanted if wanted in PAGES else "chat")
    return st.sidebar.radio(
        t("page", lang), PAGES, key="page", format_func=lambda p: t(PAGE_LABELS[p], lang), label_visibility="collapsed"
    )


def ingest_sample_with_progress(stack: SearchStack, lang: str) -> None:
    """The first open ingests the sample reports (progress here and in the terminal); a session
    opened meanwhile says how far that ingest is and waits for it."""
    files = sample_files()
    if sample_ingest_running():
        st.info(t("sample_waiting", lang, done=INGEST_PROGRESS.done, total=INGEST_PROGRESS.total or len(files)))
    bar = st.progress(0.0, text=t("sample_ingesting", lang, done=0, total=len(files)))

    def on_file(result: FileResult) -> None:
        done = INGEST_PROGRESS.done
        bar.progress(min(done / max(len(files), 1), 1.0), text=t("sample_ingesting", lang, done=done, total=len(files)))

    try:
        summary = ingest_sample_corpus(stack, on_file=on_file)
    except Exception as exc:
        bar.empty()
        st.error(f"{t('sample_failed', lang)}: {type(exc).__name__}: {exc}")
        return
    bar.empty()
    if summary is not None:
        failed = [r for r in summary.results if r.status == "failed"]
        if failed:
            st.error("\n".join(f"{Path(r.path).name}: {reason_text(r.reason, lang)}" for r in failed))
        else:
            counts = [f"{sum(r.status == s for r in summary.results)} {t(f'status_{s}', lang)}"
                      for s in ("new", "updated", "unchanged") if any(r.status == s for r in summary.results)]
            st.toast(f"{t('sample_done', lang)}: {', '.join(counts)}")


def sidebar_filters(ctx: Context) -> dict[str, Any]:
    lang = ctx.lang
    options = filter_options(ctx.stack)
    sidebar = st.sidebar
    sidebar.subheader(t("filters", lang), help=t("filters_help", lang))
    selected: dict[str, list[Any]] = {
        "locality": sidebar.multiselect(t("f_locality", lang), options.localities, key="f_locality", placeholder=t("all", lang)),
        "period_year": sidebar.multiselect(t("f_year", lang), options.years, key="f_year", placeholder=t("all", lang)),
        "doc_type": sidebar.multiselect(t("f_doc_type", lang), options.doc_types, key="f_doc_type", placeholder=t("all", lang)),
        "kind": sidebar.multiselect(
            t("f_kind", lang), KINDS, key="f_kind", placeholder=t("all", lang), format_func=lambda k: t(f"kind_{k}", lang)
        ),
        "doc_id": sidebar.multiselect(
            t("f_doc", lang), list(options.documents), key="f_doc", placeholder=t("all", lang),
            format_func=lambda d: options.documents.get(d, d),
        ),
    }
    return build_filters(selected)


def sidebar_config(ctx: Context) -> None:
    lang = ctx.lang
    summary = config_summary(ctx.stack)
    with st.sidebar.expander(t("config", lang)):
        st.markdown(
            f"**{t('cfg_embedder', lang)}:** `{summary['embedder']}`  \n"
            f"**{t('cfg_store', lang)}:** `{summary['store']}`  \n"
            f"**{t('cfg_llm', lang)}:** {summary['llm'] or t('cfg_no_llm', lang)}  \n"
            f"**{t('cfg_docs', lang)}:** {len(ctx.stack.snapshots.current().records)} / {ctx.store.count_chunks()}"
        )


main()
