"""Search page (staff): ranked passages with the query's words marked, metadata and paging."""
from __future__ import annotations

import html
import json
import math
from typing import Any

import streamlit as st

from ui.backend import Context, get_retriever, module_problem
from ui.cards import hit_card
from ui.i18n import t
from ui.render import TERM_STYLE, query_terms, term_intervals
from vectorstore.hits import Hit

PAGE_SIZE = 10
MAX_RESULTS = 50


def render(ctx: Context) -> None:
    lang = ctx.lang
    problem = module_problem("vectorstore.retriever")
    if problem:
        st.warning(f"{t('not_ready', lang)} — {problem}")
        return
    with st.form("search_form", border=False):
        left, right = st.columns([5, 1], vertical_alignment="bottom")
        query = left.text_input(t("search_query", lang), key="search_query")
        right.form_submit_button(t("search_button", lang), width="stretch")
    if ctx.filters:
        st.caption(f"{t('active_filters', lang)}: " + describe_filters(ctx.filters))
    query = (query or "").strip()
    if not query:
        return

    hits = cached_search(ctx, query)
    if hits is None:
        return
    if not hits:
        st.info(t("no_results", lang))
        return
    pages = math.ceil(len(hits) / PAGE_SIZE)
    page = min(st.session_state.get("search_page", 1), pages)
    st.caption(f"{len(hits)} {t('search_results', lang)} · {t('page_of', lang, page=page, pages=pages)}")
    terms = query_terms(query)
    for hit in hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        with st.container(border=True):
            st.markdown(result_html(hit, terms, lang), unsafe_allow_html=True)
    pager(page, pages, lang)


def describe_filters(filters: dict[str, Any]) -> str:
    return "; ".join(f"{key} = {', '.join(map(str, v)) if isinstance(v, list) else v}" for key, v in filters.items())


def cached_search(ctx: Context, query: str) -> list[Hit] | None:
    """Search once per (query, filters); paging reuses the results. None after an error."""
    key = json.dumps([query, ctx.filters], ensure_ascii=False, sort_keys=True, default=str)
    cache = st.session_state.get("search_cache")
    if cache and cache[0] == key:
        return cache[1]
    try:
        with st.spinner(t("loading_models", ctx.lang)):
            retriever = get_retriever(ctx.stack)
            hits = list(retriever.search(query, k=MAX_RESULTS, filters=ctx.filters or None))
    except Exception as exc:
        st.error(f"{type(exc).__name__}: {exc}")
        return None
    st.session_state["search_cache"] = (key, hits)
    st.session_state["search_page"] = 1
    return hits


def legs_text(hit: Hit) -> str:
    """"dense #2, bm25 #1" — which retrieval leg found the passage and at what rank."""
    return ", ".join(f"{leg} #{rank}" for leg, rank in sorted(hit.legs.items(), key=lambda item: item[1]))


def result_html(hit: Hit, terms: set[str], lang: str) -> str:
    chunk = hit.chunk
    kind = t(f"kind_{chunk.kind}", lang)
    details = f" · #{hit.rank} · {t('kind', lang)}: {html.escape(kind)} · {t('score', lang)} {hit.score:.3f}"
    if hit.legs:
        details += f" · {t('found_by', lang)}: {html.escape(legs_text(hit))}"
    return hit_card(hit, lang, term_intervals(chunk.text, terms), TERM_STYLE, extra=details)


def pager(page: int, pages: int, lang: str) -> None:
    if pages <= 1:
        return
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
    if left.button(t("prev", lang), disabled=page <= 1, key="search_prev", width="stretch"):
        st.session_state["search_page"] = page - 1
        st.rerun()
    middle.markdown(f"<div style='text-align:center'>{t('page_of', lang, page=page, pages=pages)}</div>", unsafe_allow_html=True)
    if right.button(t("next", lang), disabled=page >= pages, key="search_next", width="stretch"):
        st.session_state["search_page"] = page + 1
        st.rerun()
