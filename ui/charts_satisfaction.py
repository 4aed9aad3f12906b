"""Altair charts of the Satisfaction page: NPS/CSAT trends, groups, score distribution,
complaints per month and comment keywords.

Each builder takes a frame from ``core.metrics.satisfaction`` and ``t`` (catalogue text in the
page's language) and returns a chart with a title, a subtitle saying the n behind it, axis titles
and tooltips with n. Trends know the date range they were cut to, so a tooltip can say which days
a period counts (the first and last period of a range may be partial). Nothing here queries data.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import altair as alt
import numpy as np
import pandas as pd

from core.daterange import add_months
from ui.charts_views import BAD, GOOD, LINE, NEUTRAL, T, _fit, _n

BAND = "#9cc3e0"  # the NPS margin-of-error band

KEYWORD_SELECTION = "keyword_pick"
"""Name of the point selection on the keyword bars (``event.selection[KEYWORD_SELECTION]``)."""


def _title(text: str, subtitle: str | list[str] = "") -> alt.TitleParams:
    """The charts_views title style; a list subtitle is drawn as several lines."""
    return alt.TitleParams(text=text, subtitle=subtitle, anchor="start", fontSize=15, subtitleColor="#6b7280")


def csat_margin(csat: pd.Series, n: pd.Series) -> pd.Series:
    """±1.96·√(p(1−p)/n) in percentage points for a CSAT share p given in %; NaN for n < 2."""
    p = csat / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        m = 196.0 * np.sqrt(p * (1 - p) / n)
    return m.where(n >= 2)


def days_counted(periods: pd.Series, grain: str, start: date, end: date) -> list[str]:
    """For each period start (a month's first day or a week's Monday), the days of it inside
    [start, end] as text: "2026-08-01 – 2026-08-31"."""
    out = []
    for p in pd.to_datetime(periods).dt.date:
        last = add_months(p, 1) - timedelta(days=1) if grain == "month" else p + timedelta(days=6)
        out.append(f"{max(p, start).isoformat()} – {min(last, end).isoformat()}")
    return out


def _period_axis(t: T, grain: str, periods: pd.Series) -> alt.X:
    """Months: a tick per month. Weeks: ticks on the weeks' own Mondays (Vega's week ticks fall on
    Sundays), at most about seven of them."""
    if grain == "month":
        return alt.X("period:T", title=t("sat.month"),
                     axis=alt.Axis(format="%Y-%m", labelAngle=-40, tickCount="month"))
    mondays = sorted(pd.to_datetime(periods).dt.date.unique())
    step = max(1, math.ceil(len(mondays) / 7))
    ticks = [alt.DateTime(year=m.year, month=m.month, date=m.day) for m in mondays[::step]]
    return alt.X("period:T", title=t("sat.week"), axis=alt.Axis(format="%m-%d", labelAngle=-40, values=ticks))


def _period_tooltip(t: T, grain: str) -> list[alt.Tooltip]:
    if grain == "month":
        head = alt.Tooltip("period:T", title=t("sat.month"), format="%Y-%m")
    else:
        head = alt.Tooltip("period:T", title=t("sat.week_of"), format="%Y-%m-%d")
    return [head, alt.Tooltip("days:N", title=t("sat.days_counted"))]


def nps_trend(df: pd.DataFrame, t: T, small_n: int, grain: str, start: date, end: date) -> alt.LayerChart:
    """NPS per month or week of [start, end] with its 95 % band; small samples drawn hollow."""
    data = df.assign(
        days=days_counted(df["period"], grain, start, end),
        period=pd.to_datetime(df["period"]),
        lo=(df["nps"] - df["margin"]).clip(lower=-100), hi=(df["nps"] + df["margin"]).clip(upper=100),
        sample=np.where(df["small_sample"], t("sat.small_flag", n=small_n), t("sat.enough")),
    )
    base = alt.Chart(data, title=_title(t("sat.nps_trend_title"), _n(t, data["n"].sum())), height=240)
    x = _period_axis(t, grain, data["period"])
    tooltip = [
        *_period_tooltip(t, grain),
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


def csat_trend(df: pd.DataFrame, t: T, small_n: int, grain: str, start: date, end: date) -> alt.LayerChart:
    """CSAT (% of 4–5 answers) per month or week of [start, end] with a 95 % band, mean score in
    the tooltip."""
    margin = csat_margin(df["csat"], df["n"])
    data = df.assign(
        days=days_counted(df["period"], grain, start, end),
        period=pd.to_datetime(df["period"]), margin=margin,
        lo=(df["csat"] - margin).clip(lower=0), hi=(df["csat"] + margin).clip(upper=100),
        sample=np.where(df["small_sample"], t("sat.small_flag", n=small_n), t("sat.enough")),
    )
    base = alt.Chart(data, title=_title(t("sat.csat_trend_title"), _n(t, data["n"].sum())), height=240)
    x = _period_axis(t, grain, data["period"])
    band = base.mark_area(color="#a7dccb", opacity=0.4).encode(
        x=x, y=alt.Y("lo:Q", title=t("sat.csat_axis"), scale=alt.Scale(domain=[0, 100])), y2="hi:Q")
    line = base.mark_line(color=GOOD, strokeWidth=2.5).encode(x=x, y="csat:Q")
    points = base.mark_point(size=60, strokeWidth=2, color=GOOD).encode(
        x=x, y="csat:Q",
        fill=alt.condition("datum.small_sample", alt.value("white"), alt.value(GOOD)),
        tooltip=[
            *_period_tooltip(t, grain),
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


def complaints_trend(df: pd.DataFrame, t: T, start: date, end: date) -> alt.LayerChart:
    """Complaints per month of [start, end] (bars) and their share of all feedback rows (line,
    right axis). Months sit on a band axis, so three months get three wide bars."""
    data = df.assign(days=days_counted(df["month"], "month", start, end),
                     label=pd.to_datetime(df["month"]).dt.strftime("%Y-%m"))
    base = alt.Chart(data, title=_title(t("sat.complaints_title"),
                                        _n(t, data["complaints"].sum())), height=220)
    x = alt.X("label:O", title=t("sat.month"), sort=None, axis=alt.Axis(labelAngle=-40))
    tooltip = [
        alt.Tooltip("label:N", title=t("sat.month")),
        alt.Tooltip("days:N", title=t("sat.days_counted")),
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
    subtitle = [t("sat.keywords_sub", n=f"{n_comments:,}"), t("sat.keywords_hint")]  # narrow column: 2 lines
    chart = alt.Chart(df, title=_title(t("sat.keywords_title"), subtitle),
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
