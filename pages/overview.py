"""Overview 总览 — this period's KPIs against targets, trends, lifecycle mix and what needs attention."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import alerts, demo, options
from core.metrics import kpi, lifecycle
from ui import charts_overview as charts
from ui import context
from ui import format as fmt
from ui.cache import cached

ctx = context.current()
t = ctx.t

st.title(t("nav.overview"))
st.caption(t("app.tagline"))

if demo.is_loaded(ctx.con):
    with st.container(border=True):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(t("overview.demo_banner"))
        right.page_link("pages/data.py", label=t("overview.load_own"), icon=":material/upload_file:")

if options.order_date_bounds(ctx.con)[1] is None:
    st.info(t("overview.empty"))
    st.page_link("pages/data.py", label=t("overview.load_own"), icon=":material/upload_file:")
    st.stop()

span = ctx.range
PERIODS = ["month", "quarter", "year", "range"]
wanted = st.query_params.get("period", "month")  # in the URL, so a shared link keeps it
period = st.segmented_control(
    t("overview.period"), PERIODS, default=wanted if wanted in PERIODS else "month",
    format_func=lambda p: t(f"overview.period.{p}"), key="overview.period",
) or "month"
if period == "month":
    st.query_params.pop("period", None)
else:
    st.query_params["period"] = period
if period == "range":  # the sidebar's range vs the same number of days before it
    snap = cached(kpi.range_snapshot)(ctx, span.start, span.end).set_index("kpi")
else:
    snap = cached(kpi.snapshot)(ctx, period=period).set_index("kpi")
day, dates = "{:%Y-%m-%d}".format, snap.iloc[0]
# the target under each card is the one of the card's own days (a quarter: its three months')
targets = cached(kpi.range_progress)(ctx, dates["period_start"], dates["period_end"]).set_index("kpi")
st.caption(t("overview.subtitle", as_of=day(ctx.as_of), start=day(dates["period_start"]),
             end=day(dates["period_end"]), prev_start=day(dates["previous_start"]),
             prev_end=day(dates["previous_end"])))


def _target_line(code: str, unit: str) -> str:
    if code not in targets.index:
        return t("overview.no_target")
    row = targets.loc[code]
    if pd.isna(row["target"]):
        if row["months_set"] > 0:  # some of the months have a target, not all: no sum of a part
            return t("overview.target_partial", covered=int(row["months_set"]), needed=int(row["months_needed"]))
        return t("overview.no_target")
    target = fmt.by_unit(row["target"], unit, ctx.lang)
    if unit in ("money", "count") and not ctx.filters.is_empty():
        # a company total against a filtered part (a segment, a region, one manager's book)
        return t("overview.target_company", target=target)
    if not row["higher_is_better"]:
        return t("overview.target_lower", target=target) + (" ✓" if row["met"] else " ✗")
    return t("overview.target", target=target, progress=fmt.pct(100 * row["progress"], 0)) + (
        " ✓" if row["met"] else "")


CARDS = ["revenue", "active_customers", "new_customers", "repeat_rate",
         "churn_rate", "nps", "csat", "followups_done"]
for row_codes in (CARDS[:4], CARDS[4:]):
    for col, code in zip(st.columns(4), row_codes, strict=True):
        r = snap.loc[code]
        with col.container(border=True):
            if code == "followups_done":
                planned = snap.loc["followups_planned"]
                value = t("overview.followups_value", done=fmt.count(r["value"]), planned=fmt.count(planned["value"]))
                label = t("overview.kpi.followups")
            else:
                value = fmt.by_unit(r["value"], r["unit"], ctx.lang)
                label = t(f"kpi.{code}")
            st.metric(
                label, value, delta=fmt.delta(r["change"], r["unit"], ctx.lang),
                delta_color="normal" if r["higher_is_better"] else "inverse",
                help=t(f"overview.def.{code}", days=ctx.settings.churn_days) + "\n\n"
                + t("overview.prev", value=fmt.by_unit(r["previous"], r["unit"], ctx.lang)),
            )
            st.caption(_target_line(code, r["unit"]))

trend = cached(kpi.monthly_trend)(ctx, start=span.start, end=span.end)
span_label = charts.span_label(span.start, span.end)
left, right = st.columns(2)
left.altair_chart(charts.revenue_bars(trend, ctx.lang, span_label), width="stretch")
right.altair_chart(charts.active_line(trend, ctx.lang, span_label), width="stretch")

stage_col, alert_col = st.columns([2, 3])
stage_col.altair_chart(charts.stage_bars(cached(lifecycle.stage_counts)(ctx), ctx.lang),
                       width="stretch")

with alert_col:
    st.subheader(t("overview.alerts"))
    reminders = cached(alerts.reminders)(ctx)
    lists = [
        ("overview.alert.detractors", cached(alerts.new_high_value_detractors)(ctx), "pages/satisfaction.py",
         lambda r: t("overview.detail.nps", score=int(r["last_score"]))),
        ("overview.alert.at_risk", cached(alerts.newly_at_risk)(ctx), "pages/churn.py",
         lambda r: t("overview.detail.silent", days=int(r["recency_days"]))),
        ("overview.alert.overdue", reminders.overdue, "pages/followup.py",
         lambda r: t("overview.detail.due", date=str(r["due_date"]))),
        ("overview.alert.neglected", reminders.neglected, "pages/followup.py",
         lambda r: t("overview.detail.spend", value=fmt.money(r["spend"], ctx.lang))),
    ]
    for key, frame, target_page, detail in lists:
        with st.expander(f"**{t(key)}** · {len(frame):,}", expanded=False):
            st.caption(t(f"{key}_help", days=reminders.no_followup_days,
                         value=fmt.money(reminders.min_value, ctx.lang)))
            if frame.empty:
                st.write(t("overview.alert.none"))
                continue
            top = frame.head(5)
            show = pd.DataFrame({
                t("overview.col.customer"): top["name"] if "name" in top else top["customer_name"],
                t("overview.col.owner"): top["owner"].fillna("—"),
                t("overview.col.detail"): [detail(r) for _, r in top.iterrows()],
            })
            if top["owner"].isna().all():  # data without account managers: no empty column
                show = show.drop(columns=t("overview.col.owner"))
            st.dataframe(show, hide_index=True, width="stretch")
            st.page_link(target_page, label=t("overview.alert.open"), icon=":material/arrow_forward:")
