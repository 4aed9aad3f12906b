"""Segments 客户细分 — the eight RFM segments, R×F heat map, ABC Pareto curve and drill-down lists."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import export, views_analyse
from core.errors import KehuError
from core.metrics.rfm import SEGMENTS
from ui import charts_segments as charts
from ui import context
from ui import format as fmt
from ui.cache import cached

ctx = context.current()
t = ctx.t
PAGE_SIZE = 50
LIST_LIMIT = views_analyse.MEMBERS_LIMIT
PICK, LAST_CLICK, PAGE = "seg.drill", "seg.last_click", "seg.page"
QP_SEGMENT = "segment"  # ?segment=<code> opens the page on that segment's list (links from other pages)
if PICK not in st.session_state and st.query_params.get(QP_SEGMENT) in SEGMENTS:
    st.session_state[PICK] = st.query_params[QP_SEGMENT]

st.title(t("nav.segments"))
st.caption(t("seg.intro", as_of=ctx.as_of.isoformat()))

try:
    view = cached(views_analyse.segments_view)(ctx)  # one scan of the orders for the whole page
except KehuError as err:
    st.error(t("seg.error_title", message=str(err)))
    st.stop()

summary, tiers = view.summary, view.tiers
scored = int(summary["customers"].sum())
if scored == 0:
    st.info(t("seg.empty"), icon=":material/filter_alt_off:")
    st.stop()

by_code = summary.set_index("segment")
tier_a = tiers.set_index("tier").loc["A"]
k1, k2, k3, k4 = st.columns(4)
k1.metric(t("seg.kpi_scored"), fmt.count(scored), border=True)
k2.metric(t("seg.kpi_champions"), f"{by_code.loc['champions', 'customer_share']:.1%}", border=True,
          help=t("seg.kpi_champions_help", pct=f"{by_code.loc['champions', 'revenue_share']:.1%}"))
k3.metric(t("seg.kpi_tier_a"), fmt.count(tier_a["customers"]), border=True,
          help=t("seg.kpi_tier_a_help", pct=f"{(tier_a['revenue_share'] or 0):.1%}"))
k4.metric(t("seg.kpi_win_back"), fmt.count(by_code.loc["important_win_back", "customers"]), border=True,
          help=t("seg.kpi_win_back_help"))


def _member_frame(members: pd.DataFrame) -> pd.DataFrame:
    """Customer rows with the column names and category names a manager reads."""
    return pd.DataFrame({
        t("seg.col_customer_id"): members["customer_id"],
        t("seg.col_name"): members["name"],
        t("seg.col_region"): members["region"],
        t("seg.col_channel"): members["channel"],
        t("seg.col_owner"): members["owner"],
        t("metrics.recency_days"): members["recency_days"],
        t("metrics.frequency"): members["frequency"],
        t("seg.col_revenue"): members["monetary"].round(2),
        t("metrics.abc_tier"): members["abc_tier"].map(charts.label_of("tier", t)),
        t("metrics.lifecycle_stage"): members["lifecycle_stage"].map(charts.label_of("stage", t)),
        "R": members["r_score"], "F": members["f_score"], "M": members["m_score"],
    })


left, right = st.columns([3, 2], gap="large")
with left:
    event = st.altair_chart(charts.segment_bars(summary, t), width="stretch",
                            on_select="rerun", selection_mode=charts.SEGMENT_SELECTION, key="seg.chart")
    st.caption(t("seg.hint_click"))
with right:
    st.altair_chart(charts.rf_heatmap(view.rf, t), width="stretch")
    empty = [f"{axis} {score}" for axis, column in (("R", "r_score"), ("F", "f_score"))
             for score, n in view.rf.groupby(column)["customers"].sum().items() if n == 0]
    if empty:  # e.g. half the customers bought once: equal F values share one score, never split
        st.caption(t("seg.rf_empty_scores", scores="、".join(empty) if ctx.lang == "zh" else ", ".join(empty)))

# A click on a bar chooses the segment; the selectbox below stays the way to choose without a mouse.
points = (event.selection.get(charts.SEGMENT_SELECTION) if event else None) or []
clicked = next((p.get("segment") for p in points if p.get("segment") in SEGMENTS), None)
if clicked != st.session_state.get(LAST_CLICK):
    st.session_state[LAST_CLICK] = clicked
    if clicked is not None:
        st.session_state[PICK] = clicked
        st.session_state[PAGE] = 1

seg_label = charts.label_of("segment", t)
choice = st.selectbox(t("seg.drill_pick"), [None, *SEGMENTS], key=PICK,
                      format_func=lambda c: t("seg.drill_none") if c is None else
                      f"{seg_label(c)} · {int(by_code.loc[c, 'customers']):,}")
if choice is None:
    st.query_params.pop(QP_SEGMENT, None)
else:
    st.query_params[QP_SEGMENT] = choice
    with st.container(border=True):
        st.subheader(t("seg.drill_title", segment=seg_label(choice)))
        total = int(by_code.loc[choice, "customers"])
        listed = view.members_of(choice)  # highest spend first, at most LIST_LIMIT (limited in SQL)
        if total == 0:
            st.info(t("seg.drill_empty"))
        else:
            pages = max(1, -(-len(listed) // PAGE_SIZE))
            if st.session_state.get(PAGE, 1) > pages:
                st.session_state[PAGE] = 1
            nav, dl_csv, dl_xlsx, _ = st.columns([1, 1, 1, 2], vertical_alignment="bottom")
            page_no = nav.number_input(t("seg.drill_page"), 1, pages, key=PAGE)
            members = listed.iloc[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE]
            first = (page_no - 1) * PAGE_SIZE + 1
            st.caption(t("seg.drill_caption", total=f"{total:,}", first=f"{first:,}",
                         last=f"{first + len(members) - 1:,}"))
            st.dataframe(_member_frame(members), hide_index=True, width="stretch", height=420,
                         column_config={t("seg.col_revenue"): st.column_config.NumberColumn(format="¥%,.0f")})

            if total > len(listed):
                st.caption(t("seg.list_capped", shown=f"{len(listed):,}"))

            name = f"kehu_{choice}_{ctx.as_of.isoformat()}"
            note = t("seg.export_note", limit=f"{LIST_LIMIT:,}")
            dl_csv.download_button(t("common.download_csv"), data=lambda: export.to_csv_bytes(_member_frame(listed)),
                                   file_name=f"{name}.csv", mime="text/csv", on_click="ignore",
                                   icon=":material/download:", help=note)
            dl_xlsx.download_button(
                t("common.download_xlsx"), data=lambda: export.to_xlsx_bytes(_member_frame(listed)),
                file_name=f"{name}.xlsx", on_click="ignore", icon=":material/download:",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", help=note)

tab_table, tab_abc, tab_break = st.tabs([t("seg.tab_segments"), t("seg.tab_abc"), t("seg.tab_breakdown")])
money = st.column_config.NumberColumn(format="¥%,.0f")
share = st.column_config.NumberColumn(format="percent")
with tab_table:
    st.dataframe(pd.DataFrame({
        t("metrics.rfm_segment"): summary["segment"].map(seg_label),
        t("seg.col_customers"): summary["customers"],
        t("seg.col_customer_share"): summary["customer_share"],
        t("seg.col_revenue"): summary["revenue"],
        t("seg.col_revenue_share"): summary["revenue_share"],
        t("seg.col_avg_revenue"): summary["avg_monetary"],
        t("seg.col_avg_recency"): summary["avg_recency_days"].round(0),
        t("seg.col_avg_frequency"): summary["avg_frequency"].round(1),
    }), hide_index=True, width="stretch", column_config={
        t("seg.col_revenue"): money, t("seg.col_avg_revenue"): money,
        t("seg.col_customer_share"): share, t("seg.col_revenue_share"): share,
        t("seg.col_customers"): st.column_config.NumberColumn(format="%,d"),
    })
with tab_abc:
    curve_col, table_col = st.columns(2, gap="large")
    curve = view.pareto.copy()
    curve.attrs["customers"] = scored
    by_tier = tiers.set_index("tier")
    a_share = float(by_tier.loc["A", "customer_share"] or 0)
    ab_share = a_share + float(by_tier.loc["B", "customer_share"] or 0)
    curve_col.altair_chart(charts.pareto_curve(curve, ctx.settings.abc_a, ctx.settings.abc_b, t,
                                               tier_ends=(a_share, ab_share)), width="stretch")
    table_col.markdown(f"**{t('seg.abc_table_title')}**")
    table_col.caption(t("seg.abc_insight", customers=f"{a_share:.1%}",
                        revenue=f"{float(by_tier.loc['A', 'revenue_share'] or 0):.1%}"))
    table_col.dataframe(pd.DataFrame({
        t("metrics.abc_tier"): tiers["tier"].map(charts.label_of("tier", t)),
        t("seg.col_customers"): tiers["customers"],
        t("seg.col_customer_share"): tiers["customer_share"],
        t("seg.col_revenue"): tiers["revenue"],
        t("seg.col_revenue_share"): tiers["revenue_share"],
    }), hide_index=True, width="stretch", column_config={
        t("seg.col_revenue"): money, t("seg.col_customer_share"): share, t("seg.col_revenue_share"): share,
        t("seg.col_customers"): st.column_config.NumberColumn(format="%,d"),
    })
with tab_break:
    by = st.segmented_control(t("seg.breakdown_by"), ["region", "channel", "owner"], default="region",
                              format_func=lambda g: t(f"seg.group_{g}"), key="seg.by") or "region"
    st.altair_chart(charts.breakdown_bars(view.breakdown[by], t(f"seg.group_{by}"), t), width="stretch")
