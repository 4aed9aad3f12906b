"""Altair chart builders for the Customers, Churn warning and Satisfaction pages.

Each builder takes a frame from ``core`` and ``t`` (catalogue text in the page's language) and
returns a chart with a title, a subtitle saying the n behind it, axis titles and tooltips.
Nothing here queries data.
"""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd

from ui.badges import RISK_COLORS, SEGMENT_COLORS

T = Callable[..., str]
KEYWORD_SELECTION = "keyword_pick"
"""Name of the point selection on the keyword bars (``event.selection[KEYWORD_SELECTION]``)."""

GOOD, NEUTRAL, BAD = "#2ca58d", "#b0b7c3", "#d1495b"
LINE = "#1f5f8b"
BAND = "#9cc3e0"
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


def csat_margin(csat: pd.Series, n: pd.Series) -> pd.Series:
    """±1.96·√(p(1−p)/n) in percentage points for a CSAT share p given in %; NaN for n < 2."""
    p = csat / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        m = 196.0 * np.sqrt(p * (1 - p) / n)
    return m.where(n >= 2)


# --- Satisfaction ---------------------------------------------------------------------------


def nps_trend(df: pd.DataFrame, t: T, small_n: int) -> alt.LayerChart:
    """NPS per period with its 95 % band; small samples drawn hollow."""
    data = df.assign(
        period=pd.to_datetime(df["period"]),
        lo=(df["nps"] - df["margin"]).clip(lower=-100), hi=(df["nps"] + df["margin"]).clip(upper=100),
        sample=np.where(df["small_sample"], t("sat.small_flag", n=small_n), t("sat.enough")),
    )
    base = alt.Chart(data, title=_title(t("sat.nps_trend_title"), _n(t, data["n"].sum())), height=240)
    x = _month_axis(t)
    tooltip = [
        alt.Tooltip("period:T", title=t("sat.month"), format="%Y-%m"),
        alt.Tooltip("nps:Q", title="NPS", format="+.1f"),
        alt.Tooltip("margin:Q", title=t("sat.margin"), format=".1f"),
        alt.Tooltip("n:Q", title="n", format=","),
        alt.Tooltip("promoters:Q", title=t("ab.sat.promoters"), format=","),
        alt.Tooltip("detractors:Q", title=t("ab.sat.detractors"), format=","),
        alt.Tooltip("sample:N", title=t("sat.sample")),
    ]
    band = base.mark_area(color=BAND, opacity=0.35).encode(
        x=x, y=alt.Y("lo:Q", title=t("sat.nps_axis")), y2="hi:Q")
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#9ca3af", strokeDash=[4, 4]).encode(y="y:Q")
    line = base.mark_line(color=LINE, strokeWidth=2.5).encode(x=x, y="nps:Q")
    points = base.mark_point(size=60, strokeWidth=2, color=LINE).encode(
        x=x, y="nps:Q",
        fill=alt.condition("datum.small_sample", alt.value("white"), alt.value(LINE)),
        tooltip=tooltip,
    )
    return _fit(alt.layer(band, zero, line, points))


def csat_trend(df: pd.DataFrame, t: T, small_n: int) -> alt.LayerChart:
    """CSAT (% of 4–5 answers) per period with a 95 % band, mean score in the tooltip."""
    margin = csat_margin(df["csat"], df["n"])
    data = df.assign(
        period=pd.to_datetime(df["period"]), margin=margin,
        lo=(df["csat"] - margin).clip(lower=0), hi=(df["csat"] + margin).clip(upper=100),
        sample=np.where(df["small_sample"], t("sat.small_flag", n=small_n), t("sat.enough")),
    )
    base = alt.Chart(data, title=_title(t("sat.csat_trend_title"), _n(t, data["n"].sum())), height=240)
    x = _month_axis(t)
    band = base.mark_area(color="#a7dccb", opacity=0.4).encode(
        x=x, y=alt.Y("lo:Q", title=t("sat.csat_axis"), scale=alt.Scale(domain=[0, 100])), y2="hi:Q")
    line = base.mark_line(color=GOOD, strokeWidth=2.5).encode(x=x, y="csat:Q")
    points = base.mark_point(size=60, strokeWidth=2, color=GOOD).encode(
        x=x, y="csat:Q",
        fill=alt.condition("datum.small_sample", alt.value("white"), alt.value(GOOD)),
        tooltip=[
            alt.Tooltip("period:T", title=t("sat.month"), format="%Y-%m"),
            alt.Tooltip("csat:Q", title="CSAT %", format=".1f"),
            alt.Tooltip("margin:Q", title=t("sat.margin"), format=".1f"),
            alt.Tooltip("csat_mean:Q", title=t("sat.csat_mean"), format=".2f"),
            alt.Tooltip("n:Q", title="n", format=","),
            alt.Tooltip("sample:N", title=t("sat.sample")),
        ],
    )
    return _fit(alt.layer(band, line, points))


def group_nps(df: pd.DataFrame, t: T, group_title: str, small_n: int) -> alt.LayerChart:
    """NPS by group as horizontal bars with 95 % error bars; groups with n < small_n greyed."""
    data = df[df["nps_n"] > 0].assign(
        lo=lambda d: d["nps"] - d["nps_margin"].fillna(0),
        hi=lambda d: d["nps"] + d["nps_margin"].fillna(0),
        sample=lambda d: np.where(d["nps_small"], t("sat.small_flag", n=small_n), t("sat.enough")),
        n_label=lambda d: "n=" + d["nps_n"].map("{:,}".format),
        label_x=lambda d: np.maximum(d["nps"] + d["nps_margin"].fillna(0), 0),
    )
    order = data.sort_values("nps", ascending=False)["label"].tolist()
    height = max(160, 30 * len(data))
    base = alt.Chart(data, title=_title(t("sat.group_title", group=group_title),
                                        _n(t, data["nps_n"].sum())), height=height)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    tooltip = [
        alt.Tooltip("label:N", title=group_title),
        alt.Tooltip("nps:Q", title="NPS", format="+.1f"),
        alt.Tooltip("nps_margin:Q", title=t("sat.margin"), format=".1f"),
        alt.Tooltip("nps_n:Q", title="n", format=","),
        alt.Tooltip("csat:Q", title="CSAT %", format=".1f"),
        alt.Tooltip("sample:N", title=t("sat.sample")),
    ]
    bars = base.mark_bar(cornerRadiusEnd=2, height={"band": 0.7}).encode(
        y=y, x=alt.X("nps:Q", title=t("sat.nps_axis")),
        color=alt.Color("sample:N", title=t("sat.sample"),
                        scale=alt.Scale(domain=[t("sat.enough"), t("sat.small_flag", n=small_n)],
                                        range=[LINE, NEUTRAL]),
                        legend=alt.Legend(orient="top", direction="horizontal")),
        tooltip=tooltip,
    )
    errors = base.mark_rule(color="#374151", strokeWidth=1.5).encode(y=y, x="lo:Q", x2="hi:Q", tooltip=tooltip)
    labels = base.mark_text(align="left", dx=4, color="#6b7280", fontSize=11).encode(
        y=y, x="label_x:Q", text=alt.Text("n_label:N"))
    return _fit(alt.layer(bars, errors, labels))


def score_distribution(df: pd.DataFrame, scale: str, t: T) -> alt.Chart:
    """How many answers gave each score; NPS and CSAT coloured by what the score means."""
    def kind(score: int) -> str:
        if scale == "nps":
            return "bad" if score <= 6 else ("neutral" if score <= 8 else "good")
        if scale == "csat":
            return "bad" if score <= 2 else ("neutral" if score == 3 else "good")
        return "neutral"

    names = {"nps": (t("ab.sat.detractors"), t("ab.sat.passives"), t("ab.sat.promoters")),
             "csat": (t("sat.dissatisfied"), t("sat.neutral"), t("sat.satisfied"))}
    bad, neutral, good = names.get(scale, (t("sat.answers"),) * 3)
    label = {"bad": bad, "neutral": neutral, "good": good}
    data = df.assign(group=[label[kind(int(s))] for s in df["score"]])
    domain = list(dict.fromkeys([bad, neutral, good]))
    colours = [BAD, NEUTRAL, GOOD] if len(domain) == 3 else [LINE]
    chart = alt.Chart(data, title=_title(t("sat.dist_title", scale=scale.upper()),
                                        _n(t, data["n"].sum())), height=220).mark_bar().encode(
        x=alt.X("score:O", title=t("sat.score_axis", scale=scale.upper()), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n:Q", title=t("sat.answers")),
        color=alt.Color("group:N", title=None, scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(orient="top", direction="horizontal")),
        tooltip=[
            alt.Tooltip("score:O", title=t("sat.score")),
            alt.Tooltip("n:Q", title=t("sat.answers"), format=","),
            alt.Tooltip("share:Q", title=t("sat.share"), format=".1f"),
            alt.Tooltip("group:N", title=t("sat.meaning")),
        ],
    )
    return _fit(chart)


def complaints_trend(df: pd.DataFrame, t: T) -> alt.LayerChart:
    """Complaints per month (bars) and their share of all feedback rows (line, right axis)."""
    data = df.assign(month=pd.to_datetime(df["month"]))
    base = alt.Chart(data, title=_title(t("sat.complaints_title"),
                                        _n(t, data["complaints"].sum())), height=220)
    x = _month_axis(t, "month")
    tooltip = [
        alt.Tooltip("month:T", title=t("sat.month"), format="%Y-%m"),
        alt.Tooltip("complaints:Q", title=t("ab.sat.complaints"), format=","),
        alt.Tooltip("customers:Q", title=t("sat.complainers"), format=","),
        alt.Tooltip("responses:Q", title=t("sat.responses"), format=","),
        alt.Tooltip("share:Q", title=t("sat.complaint_share"), format=".1f"),
    ]
    bars = base.mark_bar(color="#e8a0a9").encode(
        x=x, y=alt.Y("complaints:Q", title=t("ab.sat.complaints")), tooltip=tooltip)
    line = base.mark_line(color=BAD, strokeWidth=2, point=alt.OverlayMarkDef(color=BAD, size=30)).encode(
        x=x, y=alt.Y("share:Q", title=t("sat.complaint_share"), axis=alt.Axis(titleColor=BAD)),
        tooltip=tooltip)
    return _fit(alt.layer(bars, line).resolve_scale(y="independent"))


def keyword_bars(df: pd.DataFrame, t: T, n_comments: int) -> alt.Chart:
    """Top comment words by comments containing them, coloured by the share that is negative.

    Clicking a bar selects the keyword (selection ``KEYWORD_SELECTION``)."""
    pick = alt.selection_point(name=KEYWORD_SELECTION, fields=["keyword"], on="click")
    order = df["keyword"].tolist()
    chart = alt.Chart(df, title=_title(t("sat.keywords_title"), t("sat.keywords_sub", n=f"{n_comments:,}")),
                     height=max(200, 22 * len(df))).mark_bar(cornerRadiusEnd=2).encode(
        y=alt.Y("keyword:N", sort=order, title=t("ab.sat.keyword"), axis=alt.Axis(labelOverlap=False)),
        x=alt.X("comments:Q", title=t("sat.comments_axis")),
        color=alt.Color("negative_share:Q", title=t("sat.negative_share"),
                        scale=alt.Scale(domain=[0, 50, 100], range=[GOOD, "#f3d27a", BAD]),
                        legend=alt.Legend(orient="top", format=".0f", gradientLength=160)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[
            alt.Tooltip("keyword:N", title=t("ab.sat.keyword")),
            alt.Tooltip("comments:Q", title=t("sat.comments_axis"), format=","),
            alt.Tooltip("share:Q", title=t("sat.share"), format=".1f"),
            alt.Tooltip("negative_share:Q", title=t("sat.negative_share"), format=".0f"),
        ],
    ).add_params(pick)
    return _fit(chart)


# --- Customer 360 ---------------------------------------------------------------------------


def spend_by_month(df: pd.DataFrame, t: T) -> alt.Chart:
    """One customer's net spend per month (refunds subtract), orders in the tooltip."""
    data = df.assign(month=pd.to_datetime(df["month"]))
    chart = alt.Chart(data, title=_title(t("cust.spend_title"), t("cust.orders_n", n=int(data["orders"].sum()))),
                     height=240).mark_bar(color=LINE, cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        x=_month_axis(t, "month"),
        y=alt.Y("net_amount:Q", title=t("cust.net_amount"), axis=alt.Axis(format="~s")),
        color=alt.condition("datum.net_amount < 0", alt.value(BAD), alt.value(LINE)),
        tooltip=[
            alt.Tooltip("month:T", title=t("sat.month"), format="%Y-%m"),
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
        x=x, y=alt.Y("net_amount:Q", title=t("cust.net_amount"), axis=alt.Axis(format="~s")),
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
                axis=alt.Axis(format="~s", values=[10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000])),
        size=alt.Size("risk_x_value:Q", title=t("ab.churn.risk_x_value"), legend=None,
                      scale=alt.Scale(range=[15, 300])),
        color=alt.Color("segment_label:N", title=t("metrics.rfm_segment"),
                        scale=alt.Scale(domain=domain, range=[SEGMENT_COLORS[c] for c in codes]),
                        legend=alt.Legend(orient="right")),
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
        x=alt.X("customers:Q", title=t("churnpage.customers_axis")),
        color=alt.Color("label:N", legend=None,
                        scale=alt.Scale(domain=domain, range=[RISK_COLORS[k] for k in ("high", "medium", "low")])),
        tooltip=[alt.Tooltip("label:N", title=t("ab.churn.churn_risk")),
                 alt.Tooltip("customers:Q", title=t("churnpage.customers_axis"), format=","),
                 alt.Tooltip("value:Q", title=t("metrics.monetary"), format=MONEY)],
    )
    return _fit(chart)
