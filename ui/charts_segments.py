"""Altair chart builders for the Segments, Lifecycle and What-if pages (titles, axes, tooltips, n).

Every builder takes frames from ``core`` with stable codes and a ``t`` function for the visible
words, so the same chart reads in Chinese and English. Nothing here queries data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd

from core.metrics.lifecycle import STAGES
from core.metrics.rfm import SEGMENTS, TIERS
from ui import palette

T = Callable[..., str]
SEGMENT_SELECTION = "segment_pick"
"""Name of the point selection on the segment bars (``event.selection[SEGMENT_SELECTION]``)."""

# One colour per stage/segment so the same thing looks the same on every chart.
STAGE_COLOURS = palette.STAGE
SEGMENT_COLOURS = palette.SEGMENT
TIER_COLOURS = palette.TIER
BEFORE_AFTER = ("#b0b7c3", "#1f77b4")
KINDS: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "segment": ("segment", SEGMENTS, SEGMENT_COLOURS),
    "stage": ("stage", STAGES, STAGE_COLOURS),
    "tier": ("tier", TIERS, TIER_COLOURS),
}
MONEY = ",.0f"


def label_of(kind: str, t: T) -> Callable[[object], str]:
    """Code → display name for a kind ("segment", "stage", "tier"); missing codes → "—"."""
    prefix = KINDS[kind][0]
    return lambda code: t(f"{prefix}.{code}") if isinstance(code, str) and code else "—"


def _names(kind: str, t: T, codes: Sequence[str] | None = None) -> list[str]:
    fn = label_of(kind, t)
    return [fn(c) for c in (codes or KINDS[kind][1])]


def _colour_scale(kind: str, t: T) -> alt.Scale:
    codes = KINDS[kind][1]
    colours = KINDS[kind][2]
    return alt.Scale(domain=_names(kind, t), range=[colours[c] for c in codes])


def _title(text: str, n: int | None, t: T, span: str | None = None) -> alt.TitleParams:
    """Title with "<span> · n = …" under it (``span``: the date range a history chart covers)."""
    sub = " · ".join(x for x in (span, t("seg.chart_n", n=f"{n:,}") if n is not None else None) if x)
    return alt.TitleParams(text=text, subtitle=sub, anchor="start", fontSize=15, subtitleColor="#6b7280")


def _month_end_axis(months: pd.Series) -> alt.Axis:
    """One tick per point (month ends), labelled with its month. Left to itself a time axis
    picks weekly ticks for a short range and prints "2026-10" four times."""
    days = sorted({m.date() for m in pd.to_datetime(months)})
    return alt.Axis(format="%Y-%m", values=[alt.DateTime(year=d.year, month=d.month, date=d.day) for d in days],
                    labelAngle=-40, labelOverlap="parity")


# --- Segments ----------------------------------------------------------------------------


def segment_bars(summary: pd.DataFrame, t: T) -> alt.Chart:
    """Customers per RFM segment (bars) labelled with the segment's share of revenue; clickable.

    ``summary`` columns: segment, customers, revenue, revenue_share (0–1), customer_share (0–1).
    The point selection ``SEGMENT_SELECTION`` carries the field ``segment`` (the code).
    """
    data = summary.copy()
    data["label"] = data["segment"].map(label_of("segment", t))
    data["share_text"] = data["revenue_share"].map(lambda v: t("seg.bar_revenue_share", pct=f"{(v or 0):.0%}"))
    n = int(data["customers"].sum())
    pick = alt.selection_point(name=SEGMENT_SELECTION, fields=["segment"], on="click",
                               clear="dblclick")
    order = _names("segment", t)
    base = alt.Chart(data, title=_title(t("seg.chart_segments"), n, t))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    opacity = alt.condition(pick, alt.value(1.0), alt.value(0.35))  # all full until a click
    bars = base.mark_bar(cornerRadiusEnd=3, cursor="pointer").encode(
        y=y,
        x=alt.X("customers:Q", title=t("seg.axis_customers")),
        color=alt.Color("label:N", scale=_colour_scale("segment", t), legend=None),
        opacity=opacity,
        tooltip=[
            alt.Tooltip("label:N", title=t("metrics.rfm_segment")),
            alt.Tooltip("customers:Q", title=t("seg.col_customers"), format=","),
            alt.Tooltip("customer_share:Q", title=t("seg.col_customer_share"), format=".1%"),
            alt.Tooltip("revenue:Q", title=t("seg.col_revenue"), format=MONEY),
            alt.Tooltip("revenue_share:Q", title=t("seg.col_revenue_share"), format=".1%"),
        ],
    ).add_params(pick)
    text = base.mark_text(align="left", dx=4, color="#374151").encode(
        y=y, x="customers:Q", text="share_text:N",
    )
    return (bars + text).properties(height=32 * len(data) + 140)  # height includes title and axes


def rf_heatmap(cells: pd.DataFrame, t: T) -> alt.Chart:
    """Customers by R score × F score; ``cells`` columns r_score, f_score, customers, revenue."""
    data = cells.copy()
    n = int(data["customers"].sum())
    top = float(data["customers"].max() or 1)
    base = alt.Chart(data, title=_title(t("seg.chart_rf"), n, t))
    rect = base.mark_rect(cornerRadius=2).encode(
        x=alt.X("f_score:O", title=t("seg.axis_f_score"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("r_score:O", title=t("seg.axis_r_score"), sort="descending"),
        color=alt.Color("customers:Q", title=t("seg.axis_customers"),
                        scale=alt.Scale(scheme="greens")),
        tooltip=[
            alt.Tooltip("r_score:O", title=t("metrics.r_score")),
            alt.Tooltip("f_score:O", title=t("metrics.f_score")),
            alt.Tooltip("customers:Q", title=t("seg.col_customers"), format=","),
            alt.Tooltip("revenue:Q", title=t("seg.col_revenue"), format=MONEY),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        x="f_score:O", y=alt.Y("r_score:O", sort="descending"), text=alt.Text("customers:Q", format=","),
        color=alt.condition(alt.datum.customers > top * 0.55, alt.value("white"), alt.value("#111827")),
    )
    return (rect + text).properties(height=396)


def pareto_curve(curve: pd.DataFrame, abc_a: float, abc_b: float, t: T,
                 tier_ends: tuple[float, float] | None = None) -> alt.Chart:
    """Cumulative revenue share by customer share, with the A/B cut-offs drawn.

    ``curve`` columns: customer_share (0–1), revenue_share (0–1). ``tier_ends``: the share of
    customers in A and in A + B, drawn as vertical lines where the tiers end.
    """
    data = curve.copy()
    n = int(curve.attrs.get("customers", len(curve)))
    base = alt.Chart(data, title=_title(t("seg.chart_pareto"), n, t))
    line = base.mark_line(color="#1b6f5a", strokeWidth=2.5).encode(
        x=alt.X("customer_share:Q", title=t("seg.axis_customer_share"), axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("revenue_share:Q", title=t("seg.axis_revenue_share"), axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[
            alt.Tooltip("customer_share:Q", title=t("seg.axis_customer_share"), format=".1%"),
            alt.Tooltip("revenue_share:Q", title=t("seg.axis_revenue_share"), format=".1%"),
        ],
    )
    cuts = pd.DataFrame({
        "revenue_share": [abc_a, abc_b],
        "label": [t("seg.cutoff_a", pct=f"{abc_a:.0%}"), t("seg.cutoff_b", pct=f"{abc_b:.0%}")],
    })
    rules = alt.Chart(cuts).mark_rule(strokeDash=[5, 4], color="#d1495b").encode(
        y="revenue_share:Q", tooltip=[alt.Tooltip("label:N", title=t("metrics.abc_tier"))],
    )
    labels = alt.Chart(cuts).mark_text(align="left", baseline="bottom", dy=-3, color="#d1495b").encode(
        y="revenue_share:Q", x=alt.value(6), text="label:N",
    )
    layers = [line, rules, labels]
    if tier_ends is not None:
        ends = pd.DataFrame({"customer_share": list(tier_ends), "tier": ["A", "A + B"]})
        layers.append(alt.Chart(ends).mark_rule(strokeDash=[2, 3], color="#6b7280").encode(
            x="customer_share:Q",
            tooltip=[alt.Tooltip("tier:N", title=t("metrics.abc_tier")),
                     alt.Tooltip("customer_share:Q", title=t("seg.axis_customer_share"), format=".1%")]))
    return alt.layer(*layers).properties(height=400)


def breakdown_bars(table: pd.DataFrame, group_title: str, t: T) -> alt.Chart:
    """Stacked bars: customers per group (region/channel/owner) split by segment.

    ``table`` columns: group, segment, customers, revenue.
    """
    data = table.copy()
    data["label"] = data["segment"].map(label_of("segment", t))
    data["group"] = data["group"].fillna("—").astype(str)
    n = int(data["customers"].sum())
    groups = data.groupby("group")["customers"].sum().sort_values(ascending=False).index.tolist()
    return alt.Chart(data, title=_title(t("seg.chart_breakdown", group=group_title), n, t)).mark_bar().encode(
        y=alt.Y("group:N", sort=groups, title=group_title, axis=alt.Axis(labelLimit=180)),
        x=alt.X("customers:Q", stack="normalize", title=t("seg.axis_share_of_customers"),
                axis=alt.Axis(format="%")),
        color=alt.Color("label:N", scale=_colour_scale("segment", t),
                        legend=alt.Legend(title=t("metrics.rfm_segment"), orient="bottom", columns=4)),
        order=alt.Order("segment_order:Q"),
        tooltip=[
            alt.Tooltip("group:N", title=group_title),
            alt.Tooltip("label:N", title=t("metrics.rfm_segment")),
            alt.Tooltip("customers:Q", title=t("seg.col_customers"), format=","),
            alt.Tooltip("revenue:Q", title=t("seg.col_revenue"), format=MONEY),
        ],
    ).transform_calculate(
        segment_order=f"indexof({list(SEGMENTS)!r}, datum.segment)",
    ).properties(height=max(260, 30 * len(groups) + 220))


# --- Lifecycle ---------------------------------------------------------------------------


def stage_trend(counts: pd.DataFrame, t: T, span: str | None = None) -> alt.Chart:
    """Customers per stage at each month end (stacked areas); columns month_end, stage, customers.
    ``span`` (the date range shown) goes under the title."""
    data = counts.copy()
    data["label"] = data["stage"].map(label_of("stage", t))
    data["month"] = pd.to_datetime(data["month_end"])
    last = data[data["month"] == data["month"].max()]
    n = int(last["customers"].sum()) if len(last) else 0
    return alt.Chart(data, title=_title(t("life.chart_trend"), n, t, span)).mark_area(opacity=0.9).encode(
        x=alt.X("month:T", title=t("life.axis_month"), axis=_month_end_axis(data["month"])),
        y=alt.Y("customers:Q", title=t("seg.axis_customers"), stack="zero"),
        color=alt.Color("label:N", scale=_colour_scale("stage", t),
                        legend=alt.Legend(title=t("metrics.lifecycle_stage"), orient="bottom")),
        order=alt.Order("stage_order:Q"),
        tooltip=[
            alt.Tooltip("month:T", title=t("life.axis_month"), format="%Y-%m-%d"),
            alt.Tooltip("label:N", title=t("metrics.lifecycle_stage")),
            alt.Tooltip("customers:Q", title=t("seg.col_customers"), format=","),
        ],
    ).transform_calculate(
        stage_order=f"indexof({list(STAGES)!r}, datum.stage)",
    ).properties(height=420)


def funnel_bars(funnel: pd.DataFrame, t: T, when: str | None = None) -> alt.Chart:
    """Funnel steps as bars with the share of all and the drop-off from the step before.

    ``funnel`` columns (``lifecycle.funnel``): step (code), customers, share_of_all, drop_off (0–1 or NaN).
    ``when`` (e.g. "as of 2026-10-31") goes under the title.
    """
    data = funnel.copy()
    data["label"] = data["step"].map(lambda s: t(f"metrics.funnel.{s}"))
    data["text"] = [
        f"{c:,} · {p:.0%}" + ("" if pd.isna(d) else f"  (−{d:.0%})")
        for c, p, d in zip(data["customers"], data["share_of_all"], data["drop_off"], strict=True)
    ]
    n = int(data["customers"].iloc[0]) if len(data) else 0
    order = data["label"].tolist()
    base = alt.Chart(data, title=_title(t("life.chart_funnel"), n, t, when))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    bars = base.mark_bar(color="#2ca58d", cornerRadiusEnd=3).encode(
        y=y, x=alt.X("customers:Q", title=t("seg.axis_customers"),
                     scale=alt.Scale(domain=[0, max(n, 1) * 1.2], nice=False)),  # room for the labels
        tooltip=[
            alt.Tooltip("label:N", title=t("life.col_step")),
            alt.Tooltip("customers:Q", title=t("seg.col_customers"), format=","),
            alt.Tooltip("share_of_all:Q", title=t("life.col_share_of_all"), format=".1%"),
            alt.Tooltip("drop_off:Q", title=t("life.col_drop_off"), format=".1%"),
        ],
    )
    text = base.mark_text(align="left", dx=4, color="#374151").encode(y=y, x="customers:Q", text="text:N")
    return (bars + text).properties(height=60 * len(data) + 120)


def cohort_heatmap(cells: pd.DataFrame, measure: str, t: T, span: str | None = None) -> alt.Chart:
    """Retention by first-order month (rows) × months since (columns).

    ``cells`` columns (``lifecycle.cohort_retention``): cohort (month start), cohort_size,
    month_offset, value (0–1; revenue retention can exceed 1). Colours run from 0 to 100 %
    whatever the range (a short range's cells would otherwise all look extreme); above 100 %
    is the darkest. ``span`` (the date range) goes under the title. Columns are 52 px wide, so
    a short range is a compact table (show it at its own width) rather than stretched bands.
    """
    data = cells.copy()
    data["cohort_label"] = pd.to_datetime(data["cohort"]).dt.strftime("%Y-%m")
    n = int(data.drop_duplicates("cohort_label")["cohort_size"].sum()) if len(data) else 0
    title = t("life.chart_cohort_customers") if measure == "customers" else t("life.chart_cohort_revenue")
    base = alt.Chart(data, title=_title(title, n, t, span))
    rect = base.mark_rect().encode(
        x=alt.X("month_offset:O", title=t("life.axis_months_since"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort_label:O", title=t("life.axis_cohort")),
        color=alt.Color("value:Q", title=t("life.col_retention"),
                        scale=alt.Scale(scheme="teals", domain=[0, 1], clamp=True),
                        legend=alt.Legend(format="%")),
        tooltip=[
            alt.Tooltip("cohort_label:O", title=t("life.axis_cohort")),
            alt.Tooltip("month_offset:O", title=t("life.axis_months_since")),
            alt.Tooltip("value:Q", title=t("life.col_retention"), format=".1%"),
            alt.Tooltip("cohort_size:Q", title=t("life.col_cohort_size"), format=","),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        x="month_offset:O", y="cohort_label:O", text=alt.Text("value:Q", format=".0%"),
        color=alt.condition(alt.datum.value > 0.6, alt.value("white"), alt.value("#111827")),
    )
    return (rect + text).properties(height=alt.Step(26), width=alt.Step(52))


def churn_rate_line(rates: pd.DataFrame, t: T, span: str | None = None) -> alt.Chart:
    """Monthly churn rate (``lifecycle.churn_rate_by_month``: month_end, active_start, churned,
    churn_rate); ``span`` (the date range shown) goes under the title."""
    data = rates.dropna(subset=["churn_rate"]).copy()
    data["month"] = pd.to_datetime(data["month_end"])
    n = int(data["active_start"].iloc[-1]) if len(data) else 0
    base = alt.Chart(data, title=_title(t("life.churn_rate_title"), n, t, span))
    line = base.mark_line(point=True, color="#d1495b").encode(
        x=alt.X("month:T", title=t("life.axis_month"), axis=_month_end_axis(data["month"])),
        y=alt.Y("churn_rate:Q", title=t("life.axis_churn_rate"), axis=alt.Axis(format="%")),
        tooltip=[
            alt.Tooltip("month:T", title=t("life.axis_month"), format="%Y-%m-%d"),
            alt.Tooltip("churn_rate:Q", title=t("life.axis_churn_rate"), format=".1%"),
            alt.Tooltip("churned:Q", title=t("life.col_churned"), format=","),
            alt.Tooltip("active_start:Q", title=t("life.col_active_start"), format=","),
        ],
    )
    return line.properties(height=420)


# --- Transitions and what-if -------------------------------------------------------------


def transition_heatmap(matrix: pd.DataFrame, kind: str, t: T, title: str, from_title: str,
                       to_title: str, from_col: str = "from", to_col: str = "to",
                       from_codes: Sequence[str] | None = None) -> alt.Chart:
    """From→to matrix (long: from_col, to_col, customers); the diagonal is "stayed".

    ``from_codes``: the rows in order when they are not the kind's codes (the lifecycle
    transitions add ``lifecycle.JOINED`` before the stages); the columns stay the kind's codes.
    """
    data = matrix.copy()
    fn = label_of(kind, t)
    data["from_label"] = data[from_col].map(fn)
    data["to_label"] = data[to_col].map(fn)
    order = _names(kind, t)
    from_order = _names(kind, t, from_codes) if from_codes else order
    n = int(data["customers"].sum())
    top = float(data["customers"].max() or 1)
    data["text"] = data["customers"].map(lambda v: f"{v:,}" if v else "")
    base = alt.Chart(data, title=_title(title, n, t))
    x = alt.X("to_label:N", sort=order, title=to_title,
              axis=alt.Axis(labelAngle=-35, labelLimit=150, labelOverlap=False, orient="top"))
    y = alt.Y("from_label:N", sort=from_order, title=from_title, axis=alt.Axis(labelLimit=160))
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, y=y,
        color=alt.condition(alt.datum.customers == 0, alt.value("#f3f4f6"),
                            alt.Color("customers:Q", title=t("seg.axis_customers"),
                                      scale=alt.Scale(scheme="blues", type="sqrt"))),
        tooltip=[
            alt.Tooltip("from_label:N", title=from_title),
            alt.Tooltip("to_label:N", title=to_title),
            alt.Tooltip("customers:Q", title=t("seg.col_customers"), format=","),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        x=x, y=y, text="text:N",
        color=alt.condition(alt.datum.customers > top * 0.45, alt.value("white"), alt.value("#111827")),
    )
    return (rect + text).properties(height=alt.Step(34), width=alt.Step(64))


def before_after_bars(table: pd.DataFrame, kind: str, measure: str, t: T) -> alt.Chart:
    """Grouped bars per segment/stage/tier: before (grey) vs after (blue).

    ``table`` is a ``core.whatif.Comparison`` size table (code, customers_*, revenue_*, share_*).
    ``measure`` is "customers" or "revenue".
    """
    before, after = t("whatif.before"), t("whatif.after")
    rows = []
    for _, r in table.iterrows():
        for side, key in ((before, "before"), (after, "after")):
            rows.append({"code": r["code"], "side": side, "customers": int(r[f"customers_{key}"]),
                         "revenue": float(r[f"revenue_{key}"]), "share": float(r[f"share_{key}"]),
                         "revenue_share": float(r[f"revenue_share_{key}"])})
    data = pd.DataFrame(rows)
    data["label"] = data["code"].map(label_of(kind, t))
    n = int(table["customers_after"].sum())
    order = _names(kind, t, list(table["code"]))
    title = t(f"whatif.chart_{kind}_{measure}")
    value_title = t("seg.axis_customers") if measure == "customers" else t("seg.col_revenue")
    return alt.Chart(data, title=_title(title, n, t)).mark_bar(cornerRadiusEnd=2).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=200)),
        yOffset=alt.YOffset("side:N", sort=[before, after]),
        x=alt.X(f"{measure}:Q", title=value_title,
                axis=alt.Axis(labelExpr=t("chart.money_labels")) if measure == "revenue" else alt.Axis(format=",d")),
        color=alt.Color("side:N", scale=alt.Scale(domain=[before, after], range=list(BEFORE_AFTER)),
                        legend=alt.Legend(title=None, orient="bottom")),
        tooltip=[
            alt.Tooltip("label:N", title=t(f"whatif.kind_{kind}")),
            alt.Tooltip("side:N", title=t("whatif.side")),
            alt.Tooltip("customers:Q", title=t("seg.col_customers"), format=","),
            alt.Tooltip("share:Q", title=t("seg.col_customer_share"), format=".1%"),
            alt.Tooltip("revenue:Q", title=t("seg.col_revenue"), format=MONEY),
            alt.Tooltip("revenue_share:Q", title=t("seg.col_revenue_share"), format=".1%"),
        ],
    ).properties(height=alt.Step(13))  # step of one bar (the before/after offset band)
