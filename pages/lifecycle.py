"""Lifecycle 生命周期 — stages now and over time, funnel, cohort retention, stage transitions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import KehuError
from core.metrics import lifecycle
from core.metrics.common import month_ends_before
from core.metrics.lifecycle import STAGES
from ui import charts_segments as charts
from ui import context
from ui import format as fmt
from ui.cache import cached

ctx = context.current()
t = ctx.t
MOVERS_LIMIT = 200
st.title(t("nav.lifecycle"))
st.caption(t("life.intro"))

try:
    counts = cached(lifecycle.stage_counts)(ctx)
except KehuError as err:
    st.error(t("seg.error_title", message=str(err)))
    st.stop()

total = int(counts["customers"].sum())
if total == 0:
    st.info(t("life.empty"), icon=":material/filter_alt_off:")
    st.stop()

stage_label = charts.label_of("stage", t)
for col, row in zip(st.columns(len(STAGES)), counts.itertuples(), strict=True):
    col.metric(stage_label(row.stage), fmt.count(row.customers), border=True,
               help=t("life.kpi_help", n=fmt.count(total), pct=f"{row.share:.1%}",
                      revenue=fmt.money(row.revenue, ctx.lang)))

tab_trend, tab_funnel, tab_cohort, tab_moves = st.tabs([
    t("life.tab_trend"), t("life.tab_funnel"), t("life.tab_cohort"), t("life.tab_transitions")])

with tab_trend:
    months = st.segmented_control(t("life.months_back"), [6, 12, 24], default=12, key="life.months") or 12
    left, right = st.columns([3, 2], gap="large")
    left.altair_chart(charts.stage_trend(cached(lifecycle.stages_at_month_ends)(ctx, months=months), t),
                      width="stretch")
    right.altair_chart(charts.churn_rate_line(cached(lifecycle.churn_rate_by_month)(ctx, months=months), t),
                       width="stretch")
    right.caption(t("life.churn_rate_note", days=ctx.settings.churn_days))

with tab_funnel:
    st.altair_chart(charts.funnel_bars(cached(lifecycle.funnel)(ctx), t), width="stretch")
    st.caption(t("life.funnel_note", orders=ctx.settings.loyal_orders))

with tab_cohort:
    measure = st.segmented_control(t("life.cohort_measure"), ["customers", "revenue"], default="customers",
                                   format_func=lambda m: t(f"life.measure_{m}"), key="life.measure") or "customers"
    cells = cached(lifecycle.cohort_retention)(ctx, measure=measure, months=12)
    if cells.empty:
        st.info(t("common.no_data"))
    else:
        st.altair_chart(charts.cohort_heatmap(cells, measure, t), width="stretch")

with tab_moves:
    ends = month_ends_before(ctx.as_of, 24)
    labels = {e: e.strftime("%Y-%m") for e in ends}
    c_from, c_to = st.columns(2)
    start = c_from.selectbox(t("life.from_month"), ends, index=len(ends) - 4, format_func=labels.get,
                             key="life.from")
    end = c_to.selectbox(t("life.to_month"), ends, index=len(ends) - 1, format_func=labels.get, key="life.to")
    if end <= start:
        st.warning(t("life.month_order"))
    else:
        matrix = cached(lifecycle.transitions)(ctx, from_month=start, to_month=end)
        st.altair_chart(charts.transition_heatmap(
            matrix, "stage", t, t("life.transition_title", start=labels[start], end=labels[end]),
            t("life.axis_from"), t("life.axis_to"), from_col="from_stage", to_col="to_stage"), width="content")

        st.subheader(t("life.movers_title"))
        f_from, f_to = st.columns(2)
        any_stage: list[str | None] = [None, *STAGES]
        show_stage = lambda s: t("sidebar.all") if s is None else stage_label(s)  # noqa: E731
        from_stage = f_from.selectbox(t("life.movers_filter_from"), any_stage, format_func=show_stage,
                                      key="life.mv_from")
        to_stage = f_to.selectbox(t("life.movers_filter_to"), any_stage, format_func=show_stage, key="life.mv_to")
        moved = cached(lifecycle.movers)(ctx, from_month=start, to_month=end, from_stage=from_stage,
                                         to_stage=to_stage, limit=MOVERS_LIMIT)
        n_moved = int(moved["total"].iloc[0]) if len(moved) else 0
        if n_moved == 0:
            st.info(t("life.movers_none"))
        else:
            st.caption(t("life.movers_caption", total=f"{n_moved:,}", shown=len(moved)))
            st.dataframe(pd.DataFrame({
                t("seg.col_customer_id"): moved["customer_id"], t("seg.col_name"): moved["name"],
                t("life.axis_from"): moved["from_stage"].map(stage_label),
                t("life.axis_to"): moved["to_stage"].map(stage_label),
                t("seg.col_region"): moved["region"], t("seg.col_owner"): moved["owner"],
                t("metrics.recency_days"): moved["recency_days"],
                t("metrics.frequency"): moved["orders_total"],
                t("seg.col_revenue"): moved["monetary"].round(0),
            }), hide_index=True, width="stretch", height=380,
                column_config={t("seg.col_revenue"): st.column_config.NumberColumn(format="¥%,.0f")})
