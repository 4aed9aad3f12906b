"""What-if 模拟 — move any METRICS.md threshold and see who changes segment, stage or tier.

The controls' state lives in ``st.query_params`` (``w_<setting>``), so a link reopens the view.
The orders are scanned once per reference date + filters (cached facts); thresholds only
re-classify those facts.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from core import export, segment_scope, whatif
from core.errors import KehuError
from ui import charts_segments as charts
from ui import context
from ui import format as fmt
from ui.cache import shared

ctx = context.current()
t = ctx.t
base = ctx.settings
st.title(t("nav.whatif"))
st.caption(t("whatif.intro"))

KEY = "whatif."
SHOWN, EXPORT_LIMIT = 500, 10_000  # movers on screen / in the download
WINDOWS = [0, 90, 180, 365, 730]  # 0 = all history (a selectbox reads None as "nothing chosen")


def _money(value: float) -> str:
    return fmt.money(value, ctx.lang)


def _seed_state() -> None:
    """First visit of this session (or a link): widget state from the URL, else the defaults."""
    if KEY + "risk_days" in st.session_state:  # widget state survives only while the page is shown
        return
    try:
        scenario = whatif.from_query(st.query_params.to_dict(), base)
    except KehuError as err:
        st.warning(t("whatif.invalid", message=str(err)))
        scenario = whatif.Scenario(base)
    s = scenario.settings
    window = s.window_days if s.window_days in WINDOWS else 0
    st.session_state.update({
        KEY + "rfm_compare": s.rfm_compare, KEY + "score_buckets": s.score_buckets,
        KEY + "window_days": window, KEY + "abc_a": round(s.abc_a * 100),
        KEY + "abc_b": round(s.abc_b * 100), KEY + "new_days": s.new_days,
        KEY + "risk_days": s.risk_days, KEY + "churn_days": s.churn_days,
        KEY + "cycle_factor": float(s.cycle_factor), KEY + "loyal_orders": s.loyal_orders,
        KEY + "horizon_days": s.horizon_days, KEY + "share": round(scenario.share * 100),
        KEY + "include_churned": scenario.include_churned,
    })


def _reset() -> None:
    for name in list(st.session_state):
        if str(name).startswith(KEY):
            del st.session_state[name]
    for name in list(st.query_params):
        if name.startswith(whatif.QP_PREFIX):
            del st.query_params[name]


_seed_state()
with st.container(border=True):
    c_rfm, c_abc, c_life, c_proj = st.columns(4, gap="medium")
    with c_rfm:
        st.markdown(f"**{t('whatif.group_rfm')}**")
        st.segmented_control(t("whatif.rfm_compare"), ["mean", "median"], key=KEY + "rfm_compare",
                             format_func=lambda v: t(f"whatif.compare_{v}"), required=True)
        st.slider(t("whatif.score_buckets"), 2, 10, key=KEY + "score_buckets")
        st.selectbox(t("whatif.window"), WINDOWS, key=KEY + "window_days", help=t("whatif.window_help"),
                     format_func=lambda d: t("whatif.window_all") if not d else t("whatif.window_days", days=d))
    with c_abc:
        st.markdown(f"**{t('whatif.group_abc')}**")
        st.slider(t("whatif.abc_a"), 30, 95, key=KEY + "abc_a", format="%d%%")
        st.slider(t("whatif.abc_b"), 40, 99, key=KEY + "abc_b", format="%d%%")
        st.number_input(t("whatif.loyal_orders"), 1, 100, step=1, key=KEY + "loyal_orders")
    with c_life:
        st.markdown(f"**{t('whatif.group_life')}**")
        st.number_input(t("whatif.new_days"), 1, 730, step=15, key=KEY + "new_days")
        st.number_input(t("whatif.risk_days"), 1, 1095, step=15, key=KEY + "risk_days")
        st.number_input(t("whatif.churn_days"), 2, 1825, step=15, key=KEY + "churn_days")
        st.slider(t("whatif.cycle_factor"), 1.0, 6.0, step=0.5, key=KEY + "cycle_factor",
                  help=t("whatif.cycle_help"))
    with c_proj:
        st.markdown(f"**{t('whatif.group_projection')}**")
        st.slider(t("whatif.share"), 0, 100, step=5, key=KEY + "share", format="%d%%")
        st.slider(t("whatif.horizon_days"), 30, 365, step=15, key=KEY + "horizon_days")
        st.checkbox(t("whatif.include_churned"), key=KEY + "include_churned")
        st.button(t("whatif.reset"), on_click=_reset, icon=":material/restart_alt:")

state = st.session_state
try:
    after = base.with_(
        rfm_compare=state[KEY + "rfm_compare"], score_buckets=int(state[KEY + "score_buckets"]),
        window_days=state[KEY + "window_days"] or None, abc_a=state[KEY + "abc_a"] / 100,
        abc_b=state[KEY + "abc_b"] / 100, new_days=int(state[KEY + "new_days"]),
        risk_days=int(state[KEY + "risk_days"]), churn_days=int(state[KEY + "churn_days"]),
        cycle_factor=float(state[KEY + "cycle_factor"]), loyal_orders=int(state[KEY + "loyal_orders"]),
        horizon_days=int(state[KEY + "horizon_days"]),
    )
    after.validate()
except KehuError as err:
    st.error(t("whatif.invalid", message=str(err)))
    st.stop()
scenario = whatif.Scenario(after, state[KEY + "share"] / 100, bool(state[KEY + "include_churned"]))

wanted = whatif.to_query(scenario, base)
for name in list(st.query_params):
    if name.startswith(whatif.QP_PREFIX) and name not in wanted:
        del st.query_params[name]
for name, value in wanted.items():
    if st.query_params.get(name) != value:
        st.query_params[name] = value

@st.cache_resource(show_spinner=False, max_entries=32, ttl=3600)
def _comparison(database: str, version: int, filters: object, before: object, after_: object,
                share: float, stages: tuple[str, ...], _ctx: context.Ctx) -> whatif.Comparison:
    """One scenario's comparison, kept (read-only) so that coming back to it costs nothing.

    The facts come from the shared per-customer cache, so a moved threshold classifies again
    without rescanning orders; only the comparison itself is computed here.
    """
    facts_before = shared(whatif.facts)(dataclasses.replace(_ctx, settings=whatif.scan_key(before)))
    facts_after = (shared(whatif.facts)(dataclasses.replace(_ctx, settings=whatif.scan_key(after_)))
                   if whatif.needs_rescan(before, after_) else None)
    only = segment_scope.members(_ctx.con, _ctx.filters) if _ctx.filters.segments else None
    return whatif.compare(facts_before, before, after_, facts_after, share=share,
                          target_stages=stages, limit=EXPORT_LIMIT, only=only)


try:
    result = _comparison(str(context.db_path()), ctx.data_version, ctx.filters, base, after,
                         scenario.share, tuple(scenario.target_stages), ctx)
except KehuError as err:
    st.error(t("seg.error_title", message=str(err)))
    st.stop()

if result.customers == 0:
    st.info(t("life.empty"))
    st.stop()

changes = whatif.changed_fields(base, after)
if changes:
    label = {"window_days": "whatif.window"}
    parts = []
    for name in changes:
        old, new = getattr(base, name), getattr(after, name)
        if name == "window_days":
            show = lambda v: t("whatif.window_all") if v is None else str(v)  # noqa: E731
        elif name == "rfm_compare":
            show = lambda v: t(f"whatif.compare_{v}")  # noqa: E731
        else:
            show = str
        parts.append(f"{t(label.get(name, 'whatif.' + name))} {show(old)} → {show(new)}")
    st.caption(t("whatif.changed", changes="；".join(parts) if ctx.lang == "zh" else "; ".join(parts)))
    if whatif.needs_rescan(base, after):
        st.caption(t("whatif.rescan_note"))
else:
    st.info(t("whatif.unchanged"), icon=":material/tune:")

n = result.customers
k1, k2, k3, k4 = st.columns(4)
k1.metric(t("whatif.kpi_moved_segment"), f"{result.moved_segment:,}",
          help=t("whatif.kpi_of", n=f"{n:,}", pct=f"{result.moved_segment / n:.1%}"), border=True)
k2.metric(t("whatif.kpi_moved_stage"), f"{result.moved_stage:,}",
          help=t("whatif.kpi_of", n=f"{n:,}", pct=f"{result.moved_stage / n:.1%}"), border=True)
k3.metric(t("whatif.kpi_moved_tier"), f"{result.moved_tier:,}",
          help=t("whatif.kpi_of", n=f"{n:,}", pct=f"{result.moved_tier / n:.1%}"), border=True)
proj_a, proj_b = result.projection_after, result.projection_before
delta = proj_a.revenue - proj_b.revenue
k4.metric(t("whatif.kpi_projection"), _money(proj_a.revenue),
          delta=None if round(delta) == 0 else fmt.delta(delta, "money", ctx.lang), border=True,
          help=t("whatif.projection_help"))


def _size_table(table: pd.DataFrame, kind: str) -> None:
    shown = pd.DataFrame({
        t("whatif.col_group"): table["code"].map(charts.label_of(kind, t)),
        t("whatif.col_customers_before"): table["customers_before"],
        t("whatif.col_customers_after"): table["customers_after"],
        t("whatif.col_delta_customers"): table["delta_customers"],
        t("whatif.col_revenue_before"): table["revenue_before"].round(0),
        t("whatif.col_revenue_after"): table["revenue_after"].round(0),
        t("whatif.col_delta_revenue"): table["delta_revenue"].round(0),
    })
    money = st.column_config.NumberColumn(format="¥%,.0f")
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        t("whatif.col_revenue_before"): money, t("whatif.col_revenue_after"): money,
        t("whatif.col_delta_revenue"): st.column_config.NumberColumn(format="%+,.0f"),
        t("whatif.col_delta_customers"): st.column_config.NumberColumn(format="%+d"),
    })


moved = {"segment": result.moved_segment, "stage": result.moved_stage, "tier": result.moved_tier}
names = {kind: t(f"whatif.tab_{kind}", n=f"{moved[kind]:,}") for kind in moved}
busiest = max(moved, key=lambda kind: moved[kind]) if any(moved.values()) else "segment"
tabs = st.tabs(list(names.values()), default=names[busiest])
for tab, kind, table in zip(tabs, ("segment", "stage", "tier"),
                            (result.segments, result.stages, result.tiers), strict=True):
    with tab:
        left, right = st.columns(2)
        left.altair_chart(charts.before_after_bars(table, kind, "customers", t), width="stretch")
        right.altair_chart(charts.before_after_bars(table, kind, "revenue", t), width="stretch")
        _size_table(table, kind)

st.subheader(t("whatif.matrix_title"))
matrix_kind = st.segmented_control(
    t("whatif.matrix_kind"), ["segment", "stage"], default="segment", key=KEY + "matrix",
    format_func=lambda k: t(f"whatif.kind_{k}"),
) or "segment"
matrix = result.segment_matrix if matrix_kind == "segment" else result.stage_matrix
st.altair_chart(charts.transition_heatmap(
    matrix, matrix_kind, t, t(f"whatif.matrix_chart_{matrix_kind}"),
    t("whatif.axis_from"), t("whatif.axis_to")), width="content")

st.subheader(t("whatif.movers_title"))
if result.movers_total == 0:
    st.info(t("whatif.movers_none"))
else:
    movers = result.movers  # most valuable first, at most EXPORT_LIMIT
    st.caption(t("whatif.movers_caption", total=f"{result.movers_total:,}", shown=min(len(movers), SHOWN)))
    seg, stage, tier = charts.label_of("segment", t), charts.label_of("stage", t), charts.label_of("tier", t)
    shown = pd.DataFrame({
        t("seg.col_customer_id"): movers["customer_id"], t("seg.col_name"): movers["name"],
        t("seg.col_region"): movers["region"], t("seg.col_owner"): movers["owner"],
        t("seg.col_revenue"): movers["monetary"].round(0),
        t("metrics.recency_days"): movers["recency_days"],
        t("metrics.frequency"): movers["frequency"],
        t("whatif.col_segment_before"): movers["segment_before"].map(seg),
        t("whatif.col_segment_after"): movers["segment_after"].map(seg),
        t("whatif.col_stage_before"): movers["stage_before"].map(stage),
        t("whatif.col_stage_after"): movers["stage_after"].map(stage),
        t("whatif.col_tier_before"): movers["tier_before"].map(tier),
        t("whatif.col_tier_after"): movers["tier_after"].map(tier),
    })
    shown = fmt.for_display(shown, optional=(t("seg.col_region"), t("seg.col_owner")))
    st.dataframe(shown.head(SHOWN), hide_index=True, width="stretch", height=380, column_config={
        t("seg.col_revenue"): st.column_config.NumberColumn(format="¥%,.0f"),
    })
    name = f"kehu_whatif_movers_{ctx.as_of.isoformat()}"
    note = t("seg.export_note_rows", limit=f"{len(movers):,}")
    c_csv, c_xlsx, _ = st.columns([1, 1, 4])
    c_csv.download_button(t("common.download_csv"), data=lambda: export.to_csv_bytes(shown), help=note,
                          file_name=f"{name}.csv", mime="text/csv", on_click="ignore", icon=":material/download:")
    c_xlsx.download_button(t("common.download_xlsx"), data=lambda: export.to_xlsx_bytes(shown), help=note,
                           file_name=f"{name}.xlsx", on_click="ignore", icon=":material/download:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.subheader(t("whatif.projection_title"))
who = t("whatif.who_at_risk_churned") if scenario.include_churned else t("whatif.who_at_risk")
st.markdown(t("whatif.projection_text", share=f"{scenario.share:.0%}", n=f"{proj_a.customers:,}", who=who,
              monthly=_money(proj_a.monthly_spend), days=proj_a.horizon_days, revenue=_money(proj_a.revenue)))
st.caption(t("whatif.projection_before", n=f"{proj_b.customers:,}", revenue=_money(proj_b.revenue))
           + "  \n" + t("whatif.projection_help"))

with st.expander(t("whatif.scores_title")):
    sc = result.scores
    st.dataframe(pd.DataFrame({
        t("whatif.col_score"): sc["score"],
        f"R · {t('whatif.before')}": sc["r_before"], f"R · {t('whatif.after')}": sc["r_after"],
        f"F · {t('whatif.before')}": sc["f_before"], f"F · {t('whatif.after')}": sc["f_after"],
        f"M · {t('whatif.before')}": sc["m_before"], f"M · {t('whatif.after')}": sc["m_after"],
    }), hide_index=True, width="stretch")
