"""The "Chỉ tiêu" page: target records with filters, plan vs result (% of plan) bars, CSV export,
and each record's source row or sentence."""
from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.targets import STATUSES, TargetFilter, headline, select, to_csv
from baocao.lang.targets import to_number
from baocao.models import TargetRecord
from ui.backend import Context
from ui.i18n import t


def rows(records: list[TargetRecord], lang: str) -> list[dict[str, Any]]:
    return [
        {
            t("tg_locality", lang): r.locality, t("tg_year", lang): r.year, t("tg_indicator", lang): r.indicator,
            t("tg_unit", lang): r.unit, t("tg_plan", lang): r.plan, t("tg_result", lang): r.result,
            t("tg_pct", lang): r.percent_of_plan, t("tg_status", lang): t(f"tg_{r.status or 'none'}", lang),
            t("tg_stated", lang): r.status_stated, t("tg_kind", lang): r.kind, t("tg_source", lang): r.source,
        }
        for r in records
    ]


def percent_of_plan(r: TargetRecord) -> float | None:
    """The % of plan stated, else result / plan for single numbers (None when not comparable)."""
    if r.percent_of_plan:
        return to_number(r.percent_of_plan)
    plan, result = to_number(r.plan) if r.plan else None, to_number(r.result) if r.result else None
    if plan and result is not None and "/" not in r.plan and "-" not in r.plan.strip("-"):
        return round(100 * result / plan, 1)
    return None


def render(ctx: Context) -> None:
    lang = ctx.lang
    st.subheader(t("page_targets", lang))
    records = ctx.store.target_records()
    if not records:
        st.info(t("tg_empty", lang))
        return
    cols = st.columns(4)
    localities = sorted({r.locality for r in records if r.locality})
    years = sorted({r.year for r in records if r.year})
    locality = cols[0].selectbox(t("tg_locality", lang), ["", *localities], key="tg_locality",
                                 format_func=lambda v: v or t("all", lang))
    year = cols[1].selectbox(t("tg_year", lang), [0, *years], key="tg_year", format_func=lambda v: str(v) if v else t("all", lang))
    status = cols[2].selectbox(t("tg_status", lang), ["", *STATUSES], key="tg_status",
                               format_func=lambda v: t(f"tg_{v}", lang) if v else t("all", lang))
    indicator = cols[3].text_input(t("tg_indicator", lang), key="tg_indicator")
    every = st.checkbox(t("tg_all_rows", lang), key="tg_all_rows")
    chosen = select(records, TargetFilter(localities=[locality] if locality else [], years=[year] if year else [],
                                          status=status, indicator=indicator))
    if not every:
        chosen = headline(chosen)
    st.caption(t("tg_count", lang, n=len(chosen), docs=len({r.doc_id for r in chosen})))
    st.dataframe(rows(chosen, lang), hide_index=True, width="stretch")
    bars = {f"{r.locality} {r.year} · {r.indicator[:40]}": p for r in chosen if (p := percent_of_plan(r)) is not None}
    if bars:
        st.markdown(f"**{t('tg_chart', lang)}**")
        st.bar_chart({t("tg_pct", lang): list(bars.values()), "100%": [100.0] * len(bars)}, horizontal=True)
        st.caption(", ".join(bars))
    st.download_button(t("tg_csv", lang), to_csv(chosen), file_name="chi-tieu.csv", mime="text/csv", key="tg_csv")
    for r in chosen[:60]:
        with st.expander(f"{r.locality} {r.year} — {r.indicator[:80]}"):
            st.markdown(f"`{r.chunk_id}` · {r.doc_label}")
            st.text(r.evidence)
