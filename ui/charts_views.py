"""Altair chart builders for the Customers and Churn warning pages (Satisfaction: ``ui.charts_satisfaction``).

Each builder takes a frame from ``core`` and ``t`` (catalogue text in the page's language) and
returns a chart with a title, a subtitle saying the n behind it, axis titles and tooltips.
Nothing here queries data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import altair as alt
import pandas as pd

from ui.badges import RISK_COLORS, SEGMENT_COLORS

T = Callable[..., str]

GOOD, NEUTRAL, BAD = "#2ca58d", "#b0b7c3", "#d1495b"
LINE = "#1f5f8b"
MONEY = ",.0f"


def _title(text: str, subtitle: str = "") -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle, anchor="start", fontSize=15,
                           subtitleColor="#6b7280")


def _fit(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Stretch to the column width but keep ``height`` as the plot's own height.

    Streamlit's default (autosize "fit") squeezes title, legend and axes into ``height``, which
    flattens short charts; "fit-x" only fits the width."""
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def _n(t: T, n: float) -> str:
    return t("common.n", n=f"{int(n):,}")


def _month_axis(t: T, field: str = "period") -> alt.X:
    return alt.X(f"{field}:T", title=t("sat.month"),
                 axis=alt.Axis(format="%Y-%m", labelAngle=-40, tickCount="month"))


# --- Customer 360 ---------------------------------------------------------------------------


def spend_by_month(df: pd.DataFrame, t: T, until: date | None = None, months: int = 36) -> alt.Chart:
    """One customer's net spend per month (refunds subtract), orders in the tooltip.

    Every month up to ``until`` (the reference date) gets a band, silent ones at zero, so the
    gap a churn reason talks about is visible; at most the last ``months`` months.
    """
    data = df.assign(month=pd.to_datetime(df["month"]).dt.to_period("M"))
    if len(data):
        last = pd.Period(until, "M") if until is not None else data["month"].max()
        first = max(data["month"].min(), last - (months - 1))
        grid = pd.DataFrame({"month": pd.period_range(first, max(last, first), freq="M")})
        data = grid.merge(data, on="month", how="left").fillna({"net_amount": 0.0, "orders": 0})
    data = data.assign(label=data["month"].astype(str)).drop(columns="month")  # plain text for Vega
    chart = alt.Chart(data, title=_title(t("cust.spend_title"), t("cust.orders_n", n=int(data["orders"].sum()))),
                     height=240).mark_bar(color=LINE, cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        x=alt.X("label:O", title=t("sat.month"), sort=None,
                axis=alt.Axis(labelAngle=-40, labelExpr="substring(datum.value, 5) == '01' || "
                              f"{len(data)} <= 12 ? datum.value : ''")),
        y=alt.Y("net_amount:Q", title=t("cust.net_amount"), axis=alt.Axis(labelExpr=t("chart.money_labels"))),
        color=alt.condition("datum.net_amount < 0", alt.value(BAD), alt.value(LINE)),
        tooltip=[
            alt.Tooltip("label:O", title=t("sat.month")),
            alt.Tooltip("net_amount:Q", title=t("cust.net_amount"), format=MONEY),
            alt.Tooltip("orders:Q", title=t("cust.orders"), format=","),
        ],
    )
    return _fit(chart)


def order_timeline(df: pd.DataFrame, t: T, total_lines: int) -> alt.LayerChart:
    """Every order row of one customer on a time line; refunds below zero, in red."""
    data = df.assign(order_date=pd.to_datetime(df["order_date"]), zero=0.0,
                     status_label=[t(f"cust.status.{s}") if s in ("paid", "refunded", "returned", "cancelled")
                                   else str(s) for s in df["status"]])
    shown = len(data)
    sub = t("cust.timeline_sub", shown=shown, total=total_lines)
    base = alt.Chart(data, title=_title(t("cust.timeline_title"), sub), height=240)
    x = alt.X("order_date:T", title=t("cust.order_date"), axis=alt.Axis(format="%Y-%m", labelAngle=-40))
    stems = base.mark_rule(color="#d1d5db").encode(x=x, y="zero:Q", y2="net_amount:Q")
    dots = base.mark_circle(size=70, opacity=0.9).encode(
        x=x, y=alt.Y("net_amount:Q", title=t("cust.net_amount"), axis=alt.Axis(labelExpr=t("chart.money_labels"))),
        color=alt.Color("status_label:N", title=t("cust.status"),
                        legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[t("cust.status.paid"), t("cust.status.refunded"),
                                                t("cust.status.cancelled")],
                                        range=[LINE, BAD, NEUTRAL])),
        tooltip=[
            alt.Tooltip("order_date:T", title=t("cust.order_date"), format="%Y-%m-%d"),
            alt.Tooltip("order_id:N", title=t("cust.order_id")),
            alt.Tooltip("net_amount:Q", title=t("cust.net_amount"), format=MONEY),
            alt.Tooltip("status_label:N", title=t("cust.status")),
            alt.Tooltip("product:N", title=t("cust.product")),
        ],
    )
    return _fit(alt.layer(stems, dots))


# --- Churn warning --------------------------------------------------------------------------


def calibration(df: pd.DataFrame, t: T) -> alt.LayerChart:
    """Mean predicted risk vs observed churn per decile; on the diagonal = well calibrated."""
    data = df.assign(mean_predicted=df["mean_predicted"] * 100, observed=df["observed"] * 100)
    diag = alt.Chart(pd.DataFrame({"x": [0, 100], "y": [0, 100]})).mark_line(
        color="#9ca3af", strokeDash=[4, 4]).encode(x="x:Q", y="y:Q")
    base = alt.Chart(data, title=_title(t("ab.churn.calibration"), _n(t, data["n"].sum())), height=280)
    x = alt.X("mean_predicted:Q", title=t("churnpage.cal_x"), scale=alt.Scale(domain=[0, 100]))
    y = alt.Y("observed:Q", title=t("churnpage.cal_y"), scale=alt.Scale(domain=[0, 100]))
    tooltip = [
        alt.Tooltip("decile:O", title=t("churnpage.decile")),
        alt.Tooltip("mean_predicted:Q", title=t("ab.churn.mean_predicted"), format=".1f"),
        alt.Tooltip("observed:Q", title=t("ab.churn.observed"), format=".1f"),
        alt.Tooltip("n:Q", title="n", format=","),
    ]
    line = base.mark_line(color=LINE, point=alt.OverlayMarkDef(size=60, filled=True)).encode(
        x=x, y=y, tooltip=tooltip)
    return _fit(alt.layer(diag, line))


def risk_value_scatter(df: pd.DataFrame, t: T, segment_names: Callable[[object], str],
                       total: int) -> alt.Chart:
    """Churn risk against customer value: the top right holds who to call first."""
    data = df[df["monetary"] > 0].assign(  # a log scale needs positive spend
        segment_label=lambda d: [segment_names(c) for c in d["rfm_segment"]],
        risk_pct=lambda d: d["churn_risk"] * 100)
    codes = [c for c in SEGMENT_COLORS if c != "none"]
    domain = [segment_names(c) for c in codes]
    chart = alt.Chart(data, title=_title(t("churnpage.scatter_title"),
                                        t("churnpage.scatter_sub", shown=f"{len(data):,}", total=f"{total:,}")),
                     height=300).mark_circle(opacity=0.75, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("risk_pct:Q", title=t("churnpage.risk_axis"), scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("monetary:Q", title=t("churnpage.value_axis"), scale=alt.Scale(type="log"),
                axis=alt.Axis(labelExpr=t("chart.money_labels"), values=[10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000])),
        size=alt.Size("risk_x_value:Q", title=t("ab.churn.risk_x_value"), legend=None,
                      scale=alt.Scale(range=[15, 300])),
        color=alt.Color("segment_label:N", title=t("metrics.rfm_segment"),
                        scale=alt.Scale(domain=domain, range=[SEGMENT_COLORS[c] for c in codes]),
                        legend=alt.Legend(orient="right", labelLimit=260)),
        tooltip=[
            alt.Tooltip("customer_id:N", title=t("cust.customer_id")),
            alt.Tooltip("name:N", title=t("cust.name")),
            alt.Tooltip("risk_pct:Q", title=t("ab.churn.churn_risk"), format=".0f"),
            alt.Tooltip("monetary:Q", title=t("metrics.monetary"), format=MONEY),
            alt.Tooltip("risk_x_value:Q", title=t("ab.churn.risk_x_value"), format=MONEY),
            alt.Tooltip("segment_label:N", title=t("metrics.rfm_segment")),
        ],
    )
    return _fit(chart)


def risk_levels(counts: pd.DataFrame, t: T) -> alt.Chart:
    """Customers per risk level (high / medium / low)."""
    domain = [t(f"churnpage.risk.{k}") for k in ("high", "medium", "low")]
    data = counts.assign(label=[t(f"churnpage.risk.{k}") for k in counts["level"]])
    chart = alt.Chart(data, title=_title(t("churnpage.levels_title"), _n(t, data["customers"].sum())),
                     height=140).mark_bar().encode(
        y=alt.Y("label:N", sort=domain, title=None),
        x=alt.X("customers:Q", title=t("churnpage.customers_axis"), axis=alt.Axis(tickMinStep=1, format=",d")),
        color=alt.Color("label:N", legend=None,
                        scale=alt.Scale(domain=domain, range=[RISK_COLORS[k] for k in ("high", "medium", "low")])),
        tooltip=[alt.Tooltip("label:N", title=t("ab.churn.churn_risk")),
                 alt.Tooltip("customers:Q", title=t("churnpage.customers_axis"), format=","),
                 alt.Tooltip("value:Q", title=t("metrics.monetary"), format=MONEY)],
    )
    return _fit(chart)
