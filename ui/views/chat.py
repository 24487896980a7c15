"""Chat page: streamed answers, [n] markers linked to a sources panel, export and feedback."""
from __future__ import annotations

import html
import uuid
from collections.abc import Iterator
from typing import Any

import streamlit as st

from assistant.types import Answer
from baocao.protocols import ChunkStore
from ui.answers import (
    Source,
    answer_lang,
    answer_markdown,
    cite_pops,
    group_by_passage,
    shown_text,
    shown_warnings,
    sources_of,
)
from ui.backend import Context, get_assistant, history_turns, module_problem
from ui.cards import hit_card, source_card
from ui.feedback import make_record, save_feedback
from ui.i18n import t
from ui.render import link_citations
from vectorstore.hits import Hit

ENTRIES_KEY = "chat_entries"
RELATED_SHOWN = 5


def render(ctx: Context) -> None:
    lang = ctx.lang
    entries: list[dict[str, Any]] = st.session_state.setdefault(ENTRIES_KEY, [])
    st.caption(t("chat_intro", lang))
    problem = module_problem("assistant.service")
    if problem:
        st.warning(f"{t('not_ready', lang)} — {problem}")

    for entry in entries:
        with st.chat_message("user"):
            st.markdown(html.escape(entry["question"]))
        with st.chat_message("assistant"):
            render_entry(entry, ctx)

    if entries and st.sidebar.button(t("clear_chat", lang), key="clear_chat"):
        st.session_state[ENTRIES_KEY] = []
        st.rerun()

    question = st.chat_input(t("chat_placeholder", lang), disabled=bool(problem))
    if question and question.strip():
        ask(question.strip(), ctx, entries)


def ask(question: str, ctx: Context, entries: list[dict[str, Any]]) -> None:
    entry: dict[str, Any] = {"id": uuid.uuid4().hex[:10], "question": question, "answer": None, "error": ""}
    with st.chat_message("user"):
        st.markdown(html.escape(question))
    with st.chat_message("assistant"):
        placeholder = st.empty()
        try:
            with placeholder.container():
                with st.spinner(t("loading_models", ctx.lang)):
                    assistant = get_assistant(ctx.stack)
                entry["answer"] = stream_answer(assistant, question, history_turns(assistant, entries), ctx)
        except Exception as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        placeholder.empty()
        entries.append(entry)
        render_entry(entry, ctx)


def stream_answer(assistant: Any, question: str, history: list[Any], ctx: Context) -> Answer:
    """Show the answer as it is written; return the final Answer (the stream's last item)."""
    final: list[Answer] = []

    def pieces() -> Iterator[str]:
        for item in assistant.stream(question, history, ctx.filters or None):
            if isinstance(item, str):
                yield item.replace("$", "\\$")
            elif isinstance(item, Answer):
                final.append(item)

    with st.spinner(t("thinking", ctx.lang)):
        st.write_stream(pieces())
    if final:
        return final[-1]
    return assistant.answer(question, history, ctx.filters or None)


# ----------------------------------------------------------------------------- one answer


def render_entry(entry: dict[str, Any], ctx: Context) -> None:
    if entry.get("error"):
        st.error(f"{t('answer_error', ctx.lang)}: {entry['error']}")
        return
    answer: Answer = entry["answer"]
    lang = answer_lang(answer, ctx.lang)  # an English question gets English labels around its answer
    prefix = f"src-{entry['id']}"
    sources = resolve_sources(sources_of(answer), ctx.store)
    st.markdown(link_citations(shown_text(answer, lang), cite_pops(sources, lang), prefix, lang), unsafe_allow_html=True)
    if answer.abstained and not answer.text.strip():
        st.info(t("abstained", lang))
    if not answer.grounded:
        st.warning(t("not_grounded", lang))
    for warning in shown_warnings(answer, lang):
        st.caption(f"⚠️ {warning}")
    render_sources(sources, answer, prefix, lang)
    render_actions(entry, answer, ctx, lang)


def resolve_sources(sources: list[Source], store: ChunkStore) -> list[Source]:
    """Fill in passages the answer did not carry from the store (for metadata and highlighting)."""
    missing = [s.citation.chunk_id for s in sources if s.hit is None and s.citation.chunk_id]
    if not missing:
        return sources
    try:
        found = {c.chunk_id: c for c in store.get_chunks(missing)}
    except Exception:
        return sources
    return [
        Source(s.n, s.citation, Hit(found[s.citation.chunk_id], 0.0, 0)) if s.hit is None and s.citation.chunk_id in found else s
        for s in sources
    ]


def render_sources(sources: list[Source], answer: Answer, prefix: str, lang: str) -> None:
    if sources:
        # Collapsed: each [n] shows its own row or sentence; the panel is there for the whole passages.
        with st.expander(f"📚 {t('sources', lang)} ({len(sources)})", expanded=False):
            for group in group_by_passage(sources):
                st.markdown(source_card(group, prefix, lang), unsafe_allow_html=True)
    elif answer.passages:
        with st.expander(f"{t('related_passages', lang)} ({min(len(answer.passages), RELATED_SHOWN)})"):
            for hit in answer.passages[:RELATED_SHOWN]:
                st.markdown(hit_card(hit, lang), unsafe_allow_html=True)


def render_actions(entry: dict[str, Any], answer: Answer, ctx: Context, lang: str) -> None:
    """👍/👎 (saved at once), an optional comment, and the answer as Markdown."""
    markdown = answer_markdown(answer, lang)
    vote_key = f"vote-{entry['id']}"
    left, middle, right = st.columns([1, 2, 2], vertical_alignment="center")
    with left:
        st.feedback("thumbs", key=vote_key, on_change=_on_vote, args=(entry, ctx))
    with middle:
        st.download_button(
            t("download_md", lang), data=markdown, file_name=f"tra-loi-{entry['id']}.md", mime="text/markdown",
            key=f"dl-{entry['id']}", on_click="ignore", icon=":material/download:",
        )
    with right:
        with st.popover(t("copy_md", lang), icon=":material/content_copy:"):
            st.code(markdown, language="markdown", wrap_lines=True)
    vote = st.session_state.get(vote_key)
    if vote is None:
        return
    with st.form(key=f"comment-{entry['id']}", border=False, enter_to_submit=True):
        comment = st.text_input(t("feedback_comment", lang), key=f"comment-text-{entry['id']}")
        if st.form_submit_button(t("feedback_send", lang)):
            save_feedback(ctx.settings.data_dir, make_record(entry["id"], answer, _rating(vote), comment, ctx.filters))
            entry["comment_saved"] = True
    if entry.get("comment_saved") or entry.get("vote_saved"):
        st.caption(t("feedback_saved", lang))


def _rating(vote: int) -> str:
    return "up" if vote == 1 else "down"


def _on_vote(entry: dict[str, Any], ctx: Context) -> None:
    vote = st.session_state.get(f"vote-{entry['id']}")
    if vote is None or entry.get("answer") is None:
        return
    save_feedback(ctx.settings.data_dir, make_record(entry["id"], entry["answer"], _rating(vote), "", ctx.filters))
    entry["vote_saved"] = True
