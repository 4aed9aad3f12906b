"""Altair charts of the Overview page: monthly revenue, active customers, lifecycle stages."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd

from core.daterange import month_end
from core.i18n import t
from ui import palette

STAGE_ORDER = ["potential", "new", "active", "loyal", "at_risk", "churned"]
BRAND = "#C2410C"


def span_label(start: date, end: date) -> str:
    """The range a monthly chart shows: "2025-11 – 2026-10" when it is whole months, else the
    exact days ("2025-11-15 – 2026-10-31"), so a cut first or last month is never hidden."""
    if start.day == 1 and end == month_end(end):
        return f"{start:%Y-%m} – {end:%Y-%m}"
    return f"{start.isoformat()} – {end.isoformat()}"


def _monthly(trend: pd.DataFrame) -> pd.DataFrame:
    """The trend with a datetime month, its "YYYY-MM" label, the days each month counts and the
    day its active customers are counted on (for the tooltips)."""
    days = [f"{pd.Timestamp(a):%Y-%m-%d} – {pd.Timestamp(b):%Y-%m-%d}"
            for a, b in zip(trend["month_start"], trend["month_end"], strict=True)]
    month = pd.to_datetime(trend["month"])
    return trend.assign(month=month, label=month.dt.strftime("%Y-%m"), days=days,
                        counted_at=pd.to_datetime(trend["month_end"]).dt.strftime("%Y-%m-%d"))


def _month_axis(lang: str) -> alt.X:
    """One band per month, labelled under its middle (a time axis labels the bars' edges, so the
    month after the range showed up at the end); overlapping labels of long ranges are thinned."""
    return alt.X("label:O", sort=None, title=t("overview.trend.month", lang),
                 axis=alt.Axis(labelAngle=-40, labelOverlap="parity"))


def _title(key: str, span: str, lang: str) -> alt.TitleParams:
    return alt.TitleParams(t(key, lang), subtitle=span, subtitleColor="#6B7280", anchor="start")


def revenue_bars(trend: pd.DataFrame, lang: str, span: str) -> alt.Chart:
    """Monthly net revenue bars with orders and buyers in the tooltip; ``span`` under the title."""
    data = _monthly(trend)
    return alt.Chart(data, title=_title("overview.trend.revenue_title", span, lang), height=260).mark_bar(
        color=BRAND, cornerRadiusTopLeft=2, cornerRadiusTopRight=2,
    ).encode(
        x=_month_axis(lang),
        y=alt.Y("revenue:Q", title=t("overview.trend.revenue", lang), axis=alt.Axis(labelExpr=t("chart.money_labels", lang))),
        tooltip=[
            alt.Tooltip("label:N", title=t("overview.trend.month", lang)),
            alt.Tooltip("revenue:Q", title=t("kpi.revenue", lang), format=",.0f"),
            alt.Tooltip("orders:Q", title=t("kpi.orders", lang), format=","),
            alt.Tooltip("buying_customers:Q", title="n", format=","),
            alt.Tooltip("days:N", title=t("overview.trend.days", lang)),
        ],
    )


def active_line(trend: pd.DataFrame, lang: str, span: str) -> alt.Chart:
    """Active (not churned) customers at each month end (the range's end for its last month)."""
    data = _monthly(trend)
    base = alt.Chart(data, title=_title("overview.trend.active_title", span, lang), height=260)
    line = base.mark_line(color="#0F766E", strokeWidth=2.5, point=True).encode(
        x=_month_axis(lang),
        y=alt.Y("active_customers:Q", title=t("overview.trend.active", lang), scale=alt.Scale(zero=True)),
        tooltip=[
            alt.Tooltip("label:N", title=t("overview.trend.month", lang)),
            alt.Tooltip("active_customers:Q", title=t("overview.trend.active", lang), format=","),
            alt.Tooltip("counted_at:N", title=t("overview.trend.at", lang)),
            alt.Tooltip("new_customers:Q", title=t("kpi.new_customers", lang), format=","),
        ],
    )
    return line


def stage_bars(counts: pd.DataFrame, lang: str) -> alt.Chart:
    """Customers per lifecycle stage, in lifecycle order, coloured from healthy to lost."""
    n = int(counts["customers"].sum())
    data = counts.assign(
        label=[t(f"stage.{s}", lang) for s in counts["stage"]],
        share=counts["customers"] / max(n, 1),
    )
    order = [t(f"stage.{s}", lang) for s in STAGE_ORDER]
    return alt.Chart(data, title=t("overview.stages.title", lang, n=f"{n:,}"), height=260).mark_bar().encode(
        y=alt.Y("label:N", sort=order, title=None),
        x=alt.X("customers:Q", title=t("overview.stages.customers", lang)),
        color=alt.Color("label:N", scale=alt.Scale(domain=order, range=[palette.STAGE[c] for c in STAGE_ORDER]),
                        legend=None),
        tooltip=[
            alt.Tooltip("label:N", title=t("overview.stages.stage", lang)),
            alt.Tooltip("customers:Q", title=t("overview.stages.customers", lang), format=","),
            alt.Tooltip("share:Q", title=t("overview.stages.share", lang), format=".1%"),
        ],
    )
