"""The "Chỉ tiêu" page: target records with filters, plan vs result (% of plan) bars, one indicator
compared across places and years, CSV and Excel export, and each record's link to its source row or
sentence highlighted in the document viewer."""
from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.targets import STATUSES, TargetFilter, headline, select, to_csv, to_xlsx
from baocao.lang.targets import fold, to_number
from baocao.models import TargetRecord
from ui.backend import Context
from ui.i18n import t
from ui.render import viewer_query

TALLY = "chỉ tiêu chủ yếu"  # the canonical name of a report's count of its main targets met


def source_link(r: TargetRecord) -> str:
    """The viewer's address of the record's row or sentence, highlighted."""
    start, end = r.evidence_span
    return viewer_query(r.doc_id, r.chunk_id, (start, end) if end > start else None)


def rows(records: list[TargetRecord], lang: str) -> list[dict[str, Any]]:
    return [
        {
            t("tg_locality", lang): r.locality, t("tg_year", lang): r.year, t("tg_indicator", lang): r.indicator,
            t("tg_unit", lang): r.unit, t("tg_plan", lang): r.plan, t("tg_result", lang): r.result,
            t("tg_pct", lang): r.percent_of_plan, t("tg_status", lang): t(f"tg_{r.status or 'none'}", lang),
            t("tg_stated", lang): r.status_stated, t("tg_kind", lang): t(f"tg_kind_{r.kind}", lang), t("tg_source", lang): r.source,
            t("tg_open", lang): source_link(r),
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


def comparable(records: list[TargetRecord]) -> dict[str, list[TargetRecord]]:
    """Canonical indicators with a figure in two or more (place, year)s, each with those records."""
    groups: dict[str, list[TargetRecord]] = {}
    for r in records:  # a report's tally of its targets ("8/11 chỉ tiêu") is no indicator to compare
        if r.canonical and r.canonical != TALLY and (r.result or r.percent_of_plan):
            groups.setdefault(r.canonical, []).append(r)
    return {name: rs for name, rs in sorted(groups.items()) if len({(r.locality, r.year) for r in rs}) >= 2}


def comparison(records: list[TargetRecord]) -> tuple[dict[str, float], str]:
    """One value per place and year for one indicator: the result where every report gives it in
    one unit (the largest of a place's figures: a total is not smaller than its parts), else the %
    of plan; and the unit compared ("%" of plan when the units differ)."""
    units = {fold(r.unit).strip() for r in records if r.result and to_number(r.result) is not None}
    by_result = len(units) == 1 and all(r.result for r in records)
    values: dict[str, float] = {}
    for r in records:
        value = to_number(r.result) if by_result else percent_of_plan(r)
        if value is None:
            continue
        key = f"{r.locality} {r.year}"
        values[key] = max(values.get(key, value), value)
    unit = next(iter(units)) if by_result else "%"
    return values, unit


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
    st.dataframe(
        rows(chosen, lang), hide_index=True, width="stretch",
        column_config={t("tg_open", lang): st.column_config.LinkColumn(t("tg_open", lang), display_text="↗")},
    )
    bars = {f"{r.locality} {r.year} · {r.indicator[:40]}": p for r in chosen if (p := percent_of_plan(r)) is not None}
    if bars:
        st.markdown(f"**{t('tg_chart', lang)}**")
        st.bar_chart({t("tg_pct", lang): list(bars.values()), "100%": [100.0] * len(bars)}, horizontal=True)
        st.caption(", ".join(bars))
    left, right = st.columns(2)
    left.download_button(t("tg_csv", lang), to_csv(chosen), file_name="chi-tieu.csv", mime="text/csv", key="tg_csv")
    right.download_button(
        t("tg_xlsx", lang), to_xlsx(chosen), file_name="chi-tieu.xlsx", key="tg_xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    render_comparison(records, lang)
    for r in chosen[:60]:
        with st.expander(f"{r.locality} {r.year} — {r.indicator[:80]}"):
            st.markdown(f"{r.doc_label} · [{t('tg_open_link', lang)}]({source_link(r)})")
            st.text(r.evidence)


def render_comparison(records: list[TargetRecord], lang: str) -> None:
    """One indicator across places and years: a bar per place and year, and its figures' sources."""
    groups = comparable(records)
    if not groups:
        return
    st.markdown(f"**{t('tg_compare', lang)}**")
    name = st.selectbox(t("tg_compare_pick", lang), list(groups), key="tg_compare")
    values, unit = comparison(groups[name])
    if not values:
        return
    label = t("tg_pct", lang) if unit == "%" else t("tg_compare_value", lang, unit=unit)
    st.bar_chart({label: list(values.values())}, horizontal=True)
    st.caption(" · ".join(f"{k}: {v:g}" for k, v in values.items()) + (f" — {t('tg_compare_pct', lang)}" if unit == "%" else ""))
    for r in groups[name]:
        st.markdown(f"- {r.locality} {r.year}: {r.indicator} — {r.result or r.percent_of_plan} {r.unit} "
                    f"({t(f'tg_kind_{r.kind}', lang)}) [{t('tg_open_link', lang)}]({source_link(r)})")
