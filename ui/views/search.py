"""Search page (staff): the passages that hold the search words (phrases and their abbreviations, as
the retriever reads them), counted honestly, with metadata, paging and the ranking reasons on request."""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

import streamlit as st

from ui.backend import Context, describe_filters, get_retriever, module_problem
from ui.cards import hit_card
from ui.i18n import t
from ui.matches import Match, match_passage, query_phrases
from ui.render import TERM_STYLE
from vectorstore.hits import Hit

PAGE_SIZE = 10
MAX_RESULTS = 100  # passages the retriever returns for one search; matches are counted among them
TOP_ANCHOR = "bc-results-top"


@dataclass
class Results:
    """One search: the passages shown, how each matched, and how to describe the count."""

    hits: list[Hit]
    matches: dict[str, Match]  # chunk_id -> what it matched
    exact: bool  # the hits shown all hold every phrase (else: the closest in meaning)
    capped: bool  # the retriever returned as many passages as it was asked for


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
        st.caption(f"{t('active_filters', lang)}: " + describe_filters(ctx.filters, lang, ctx.stack))
    query = (query or "").strip()
    if not query:
        return

    results = cached_search(ctx, query)
    if results is None:
        return
    if not results.hits:
        st.info(t("no_results", lang))
        return
    pages = math.ceil(len(results.hits) / PAGE_SIZE)
    page = min(st.session_state.get("search_page", 1), pages)
    st.markdown(f'<div id="{TOP_ANCHOR}"></div>', unsafe_allow_html=True)
    st.caption(f"{count_text(results, lang)} · {t('page_of', lang, page=page, pages=pages)}")
    if st.session_state.pop("search_scroll_top", False):
        from ui.views.documents import scroll_to

        scroll_to(TOP_ANCHOR, block="start")
    why = st.toggle(t("search_why", lang), key="search_why")
    for hit in results.hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        with st.container(border=True):
            match = results.matches.get(hit.chunk.chunk_id)
            st.markdown(result_html(hit, match.spans if match else [], lang, why), unsafe_allow_html=True)
    pager(page, pages, lang)


def count_text(results: Results, lang: str) -> str:
    n = len(results.hits)
    if not results.exact:
        return t("search_no_match", lang, n=n)
    text = t("search_matches", lang, n=f"{n}+" if results.capped else n)
    return f"{text} ({t('search_capped', lang, k=MAX_RESULTS)})" if results.capped else text


def find(ctx: Context, query: str) -> Results:
    """The retriever's passages for ``query``; those holding every phrase of it, when there are any."""
    retriever = get_retriever(ctx.stack)
    read = retriever.read(query)
    hits = list(retriever.search(read, k=MAX_RESULTS, filters=ctx.filters or None))
    phrases = query_phrases(read)
    matches = {hit.chunk.chunk_id: match_passage(hit.chunk.text, phrases, read.accents) for hit in hits}
    complete = [hit for hit in hits if matches[hit.chunk.chunk_id].complete]
    capped = len(hits) >= MAX_RESULTS
    if complete:
        return Results(complete, matches, exact=True, capped=capped and len(complete) == len(hits))
    return Results(hits, matches, exact=False, capped=False)


def cached_search(ctx: Context, query: str) -> Results | None:
    """Search once per (query, filters); paging reuses the results. None after an error."""
    key = json.dumps([query, ctx.filters], ensure_ascii=False, sort_keys=True, default=str)
    cache = st.session_state.get("search_cache")
    if cache and cache[0] == key:
        return cache[1]
    try:
        with st.spinner(t("loading_models", ctx.lang)):
            results = find(ctx, query)
    except Exception as exc:
        st.error(f"{t('search_error', ctx.lang)}: {type(exc).__name__}: {exc}")
        return None
    st.session_state["search_cache"] = (key, results)
    st.session_state["search_page"] = 1
    return results


def legs_text(hit: Hit, lang: str) -> str:
    """"by meaning #2, by words #1" — which retrieval leg found the passage and at what rank."""
    ranked = sorted(hit.legs.items(), key=lambda item: item[1])
    return ", ".join(t("leg_rank", lang, leg=t(f"leg_{leg}", lang), rank=rank) for leg, rank in ranked)


def result_html(hit: Hit, spans: list[tuple[int, int]], lang: str, why: bool) -> str:
    chunk = hit.chunk
    details = f" · {t('kind', lang)}: {html.escape(t(f'kind_{chunk.kind}', lang))}"
    if why:
        details += f" · {t('rank', lang)} {hit.rank} · {t('score', lang)} {hit.score:.3f}"
        if hit.legs:
            details += f" · {t('found_by', lang)}: {html.escape(legs_text(hit, lang))}"
    return hit_card(hit, lang, spans, TERM_STYLE, extra=details)


def _go(page: int) -> None:
    st.session_state["search_page"] = page
    st.session_state["search_scroll_top"] = True


def pager(page: int, pages: int, lang: str) -> None:
    if pages <= 1:
        return
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
    left.button(t("prev", lang), disabled=page <= 1, key="search_prev", width="stretch", on_click=_go, args=(page - 1,))
    middle.markdown(f"<div style='text-align:center'>{t('page_of', lang, page=page, pages=pages)}</div>", unsafe_allow_html=True)
    right.button(t("next", lang), disabled=page >= pages, key="search_next", width="stretch", on_click=_go, args=(page + 1,))
