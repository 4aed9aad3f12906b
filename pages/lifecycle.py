"""Lifecycle 生命周期 — stages now and over time, funnel, cohort retention, stage transitions.

The stage cards and the funnel are as of the reference date; the trend, the churn rate, the
cohorts and the transitions cover the sidebar's date range (its month ends, its first-order
months), counting what happened up to the range's end.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import export, views_analyse
from core.daterange import add_months, month_start
from core.errors import KehuError
from core.metrics import lifecycle
from core.metrics.lifecycle import FROM_STAGES, STAGES, previous_month_end
from ui import charts_segments as charts
from ui import context
from ui import format as fmt
from ui.cache import cached
from ui.charts_overview import span_label

ctx = context.current()
t = ctx.t
MOVERS_LIMIT, EXPORT_LIMIT = 200, 10_000  # movers on screen / in the download
MAX_COHORTS = 24  # newest first-order months on the heatmap; more rows are unreadable
rng = ctx.range
history_ctx = ctx.at_range_end()  # the range's history counts nothing after its end
span = span_label(rng.start, rng.end)
st.title(t("nav.lifecycle"))
st.caption(t("life.intro"))

try:
    now = cached(views_analyse.lifecycle_now)(ctx)
except KehuError as err:
    st.error(t("seg.error_title", message=str(err)))
    st.stop()

counts = now.stages
total = int(counts["customers"].sum())
if total == 0:
    st.info(t("life.empty"), icon=":material/filter_alt_off:")
    st.stop()

stage_label = charts.label_of("stage", t)
for col, row in zip(st.columns(len(STAGES)), counts.itertuples(), strict=True):
    col.metric(stage_label(row.stage), fmt.count(row.customers), border=True,
               help=t("life.kpi_help", n=fmt.count(total), pct=f"{row.share:.1%}",
                      revenue=fmt.money(row.revenue, ctx.lang)))
st.caption(t("life.as_of_note", as_of=ctx.as_of.isoformat(), span=span))


def _month_ends() -> list[date]:
    """The month ends of the range — at least two: a range inside one month starts at the month
    end before it (a trend needs two points, a transition two dates)."""
    ends = rng.month_ends()
    return [previous_month_end(ends[0]), *ends] if len(ends) == 1 else ends


def _trend() -> None:
    ends = _month_ends()
    history = cached(lifecycle.stage_history)(history_ctx, ends=tuple(ends))
    shown = span_label(ends[0], rng.end) if len(rng.month_ends()) == 1 else span
    left, right = st.columns([3, 2], gap="large")
    left.altair_chart(charts.stage_trend(history.stages, t, shown), width="stretch")
    left.caption(t("life.trend_note"))
    right.altair_chart(charts.churn_rate_line(history.churn, t, shown), width="stretch")
    right.caption(t("life.churn_rate_note", days=ctx.settings.churn_days))
    if len(rng.month_ends()) == 1:
        left.caption(t("life.one_month", start=ends[0].isoformat()))


def _funnel() -> None:
    st.altair_chart(charts.funnel_bars(now.funnel, t, t("life.as_of", as_of=ctx.as_of.isoformat())), width="stretch")
    st.caption(t("life.funnel_note", orders=ctx.settings.loyal_orders))


SMALL_COHORTS = 30  # customers in all shown cohorts together, below which the range is hinted at


def _cohorts() -> None:
    measure = st.segmented_control(t("life.cohort_measure"), ["customers", "revenue"], default="customers",
                                   format_func=lambda m: t(f"life.measure_{m}"), key="life.measure") or "customers"
    first = max(month_start(rng.start), add_months(rng.end, 1 - MAX_COHORTS))
    cells = cached(lifecycle.cohort_retention)(history_ctx, measure=measure, start=first, end=rng.end)
    cohort_customers = int(cells.drop_duplicates("cohort")["cohort_size"].sum()) if len(cells) else 0
    if cohort_customers < SMALL_COHORTS and rng.preset != "all":
        # old exports: the default 12 months may hold hardly any first orders
        st.info(t("life.cohort_few", n=f"{cohort_customers:,}"), icon=":material/date_range:")
    if cells.empty:
        st.info(t("common.no_data"))
    else:
        wide = cells["month_offset"].max() >= 12  # a short range stays a compact table
        st.altair_chart(charts.cohort_heatmap(cells, measure, t, span), width="stretch" if wide else "content")
    st.caption(t("life.cohort_note", end=rng.end.isoformat()))
    if rng.months > MAX_COHORTS:
        st.caption(t("life.cohort_capped", months=rng.months, shown=MAX_COHORTS, start=f"{first:%Y-%m}"))


def _transitions() -> None:
    ends = _month_ends()
    c_from, c_to = st.columns(2)  # a kept choice the range no longer has falls back to the default
    start = c_from.selectbox(t("life.from_month"), ends, index=0, format_func=date.isoformat, key="life.from")
    end = c_to.selectbox(t("life.to_month"), ends, index=len(ends) - 1, format_func=date.isoformat, key="life.to")
    if len(rng.month_ends()) == 1:
        st.caption(t("life.one_month", start=ends[0].isoformat()))
    if end <= start:
        st.warning(t("life.month_order"))
        return
    matrix = cached(lifecycle.transitions)(history_ctx, from_month=start, to_month=end)
    st.altair_chart(charts.transition_heatmap(
        matrix, "stage", t, t("life.transition_title", start=start.isoformat(), end=end.isoformat()),
        t("life.axis_from"), t("life.axis_to"), from_col="from_stage", to_col="to_stage",
        from_codes=FROM_STAGES), width="content")
    st.caption(t("life.joined_note"))

    st.subheader(t("life.movers_title"))
    f_from, f_to = st.columns(2)
    any_from: list[str | None] = [None, *FROM_STAGES]  # "joined" only ever starts a move
    any_to: list[str | None] = [None, *STAGES]

    def show_stage(code: str | None) -> str:
        return t("sidebar.all") if code is None else stage_label(code)

    from_stage = f_from.selectbox(t("life.movers_filter_from"), any_from, format_func=show_stage, key="life.mv_from")
    to_stage = f_to.selectbox(t("life.movers_filter_to"), any_to, format_func=show_stage, key="life.mv_to")
    moved = cached(lifecycle.movers)(history_ctx, from_month=start, to_month=end, from_stage=from_stage,
                                     to_stage=to_stage, limit=MOVERS_LIMIT)
    n_moved = int(moved["total"].iloc[0]) if len(moved) else 0
    if n_moved == 0:
        st.info(t("life.movers_none"))
        return
    st.caption(t("life.movers_caption", total=f"{n_moved:,}", shown=len(moved)))

    def table(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            t("seg.col_customer_id"): rows["customer_id"], t("seg.col_name"): rows["name"],
            t("life.axis_from"): rows["from_stage"].map(stage_label),
            t("life.axis_to"): rows["to_stage"].map(stage_label),
            t("seg.col_region"): rows["region"], t("seg.col_owner"): rows["owner"],
            t("metrics.recency_days"): rows["recency_days"],
            t("metrics.frequency"): rows["orders_total"],
            t("seg.col_revenue"): rows["monetary"].round(2),
        })

    st.dataframe(fmt.for_display(table(moved), optional=(t("seg.col_region"), t("seg.col_owner"))),
                 hide_index=True, width="stretch", height=380,
                 column_config={t("seg.col_revenue"): st.column_config.NumberColumn(format="¥%,.0f")})

    def download() -> pd.DataFrame:  # built only when a download button is clicked
        return table(cached(lifecycle.movers)(history_ctx, from_month=start, to_month=end, from_stage=from_stage,
                                              to_stage=to_stage, limit=EXPORT_LIMIT))

    name = f"kehu_stage_moves_{start:%Y%m}_{end:%Y%m}"
    note = t("seg.export_note_rows", limit=f"{min(n_moved, EXPORT_LIMIT):,}")
    c_csv, c_xlsx, _ = st.columns([1, 1, 4])
    c_csv.download_button(t("common.download_csv"), data=lambda: export.to_csv_bytes(download()), help=note,
                          file_name=f"{name}.csv", mime="text/csv", on_click="ignore", icon=":material/download:")
    c_xlsx.download_button(t("common.download_xlsx"), data=lambda: export.to_xlsx_bytes(download()), help=note,
                           file_name=f"{name}.xlsx", on_click="ignore", icon=":material/download:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# Lazy tabs: only the open tab runs, so the month-end history is read only when it is looked at.
VIEWS = {"life.tab_trend": _trend, "life.tab_funnel": _funnel, "life.tab_cohort": _cohorts,
         "life.tab_transitions": _transitions}
tabs = st.tabs([t(key) for key in VIEWS], key="life.tab", on_change="rerun")
for tab, draw in zip(tabs, VIEWS.values(), strict=True):
    if tab.open:
        with tab:
            draw()
