"""Churn warning 流失预警 — who may stop buying, what is at stake and why; model quality; add them to the plan."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core import customer360, followup
from core.errors import KehuError
from core.i18n import has
from core.metrics import churn
from core.metrics.base import customer_base
from core.metrics.lifecycle import STAGES
from core.metrics.rfm import SEGMENTS, TIERS
from ui import assignees, badges, context
from ui import charts_views as charts
from ui import format as fmt
from ui.cache import churn_result, shared

CANDIDATES = "followup.candidates"  # customer ids picked here, for the follow-up page
PREVIEW = "churn.preview"
TABLE = "churn.table"
MISSING = "—"  # what an empty cell shows (never the word None)
NOBODY = ""  # "no fallback assignee"

ctx = context.current()
t = ctx.t
keep = {k: st.query_params.get_all(k) for k in st.query_params}

st.title(t("nav.churn"))
st.caption(t("churnpage.caption", h=ctx.settings.horizon_days, as_of=ctx.as_of.isoformat()))


def model_name(name: str | None) -> str:
    """The catalogue's display name of a model (逻辑回归 (LR)), not its class name."""
    code = next((k for k, v in churn.MODEL_NAMES.items() if v == name), None)
    return t(f"churnpage.model.{code}") if code else (name or "")


def method_banner(result: churn.ChurnResult) -> None:
    if result.method == "model":
        st.success(result.note, icon=":material/model_training:")
    else:
        st.warning(t("churnpage.rules_banner") + " " + result.note, icon=":material/rule:")


def filters(base: pd.DataFrame) -> dict:
    """Segment, tier, owner, minimum risk and whether already churned customers are listed."""
    with st.container(border=True):
        names = sorted(base["owner"].dropna().unique())  # none at all: no owner filter to offer
        cols = st.columns([3, 2, 2, 3, 2] if names else [3, 2, 3, 2], vertical_alignment="center")
        c1, c2, c4, c5 = cols[0], cols[1], cols[-2], cols[-1]
        segments = c1.multiselect(t("metrics.rfm_segment"), list(SEGMENTS), key="churn.segments",
                                  format_func=lambda c: badges.label("segment", c, ctx.lang),
                                  placeholder=t("sidebar.all"))
        tiers = c2.multiselect(t("metrics.abc_tier"), list(TIERS), key="churn.tiers",
                               format_func=lambda c: badges.label("tier", c, ctx.lang),
                               placeholder=t("sidebar.all"))
        owners = cols[2].multiselect(t("sidebar.owner"), names, key="churn.owners",
                                     placeholder=t("sidebar.all")) if names else []
        min_risk = c4.slider(t("churnpage.min_risk"), 0, 100, 50, step=5, format="%d%%", key="churn.min_risk",
                             help=t("churnpage.min_risk_help"))
        churned = c5.toggle(t("churnpage.include_churned"), value=False, key="churn.include_churned",
                            help=t("churnpage.include_churned_help", days=ctx.settings.churn_days))
    stages = () if churned else tuple(s for s in STAGES if s != "churned")
    return {"segments": tuple(segments), "tiers": tuple(tiers), "owners": tuple(owners),
            "stages": stages, "min_risk": min_risk / 100}


def headline(wl: customer360.WarningList, min_risk: float) -> None:
    levels = wl.levels.set_index("level")
    cols = st.columns(4)
    at_least = f"{100 * min_risk:.0f}"
    cols[0].metric(t("churnpage.kpi.warned", min=at_least), fmt.count(wl.total), border=True,
                   help=t("churnpage.kpi.warned_help", min=at_least, h=ctx.settings.horizon_days))
    cols[1].metric(t("churnpage.kpi.high", high=f"{100 * badges.RISK_HIGH:.0f}"),
                   fmt.count(levels.loc["high", "customers"]), border=True, help=t("cust.risk_help"))
    cols[2].metric(t("churnpage.kpi.value"), fmt.money(wl.levels["value"].sum(), ctx.lang), border=True,
                   help=t("churnpage.kpi.value_help"))
    cols[3].metric(t("churnpage.kpi.at_risk"), fmt.money(wl.value_at_risk, ctx.lang), border=True,
                   help=t("churnpage.kpi.at_risk_help"))


def ranked_table(wl: customer360.WarningList) -> list[str]:
    """The ranked list; returns the customer ids the manager ticked."""
    rows = wl.rows
    shown = rows.assign(
        link=[badges.profile_link(c, keep) for c in rows["customer_id"]],
        rfm_segment=badges.as_lists(rows["rfm_segment"].fillna("none")),
        abc_tier=badges.as_lists(rows["abc_tier"]),
        lifecycle_stage=badges.as_lists(rows["lifecycle_stage"]),
        churn_risk=[fmt.risk(p) for p in rows["churn_risk"]],  # a 0.3 % risk reads "<1%", not "0%"
    )
    # what a manager reads first fits a 1440 px screen: risk, value at stake, the reasons
    # (wrapped: Streamlit wraps text only in rows taller than 4 rem) and the badges; spend, last
    # order and owner follow. The owner column only when some customer has an account manager.
    columns = ["link", "name", "churn_risk", "risk_x_value", "churn_reasons", "rfm_segment", "abc_tier",
               "lifecycle_stage", "monetary", "last_order_date", "owner"]
    if rows["owner"].isna().all():
        columns.remove("owner")
    zh = ctx.lang == "zh"  # English words are longer: three lines of reasons, wider badges
    event = st.dataframe(
        shown[columns],
        hide_index=True, width="stretch", height=560, row_height=66 if zh else 84, placeholder=MISSING,
        key=f"{TABLE}.{st.session_state.get('churn.gen', 0)}",
        on_select="rerun", selection_mode="multi-row",
        column_config={
            "link": st.column_config.LinkColumn(t("cust.customer_id"), display_text=badges.LINK_PATTERN,
                                                help=t("sat.open_profile"), pinned=True, width=80),
            "name": st.column_config.TextColumn(t("cust.name"), pinned=True, width=100 if zh else 95),
            "churn_risk": st.column_config.TextColumn(t("ab.churn.churn_risk"), width=65 if zh else 75,
                                                      alignment="right", help=t("cust.risk_help")),
            "risk_x_value": st.column_config.NumberColumn(t("ab.churn.risk_x_value"), format="¥%,.0f",
                                                          help=t("churnpage.rxv_help"), width=85),
            "monetary": st.column_config.NumberColumn(t("metrics.monetary"), format="¥%,.0f", width=90),
            "rfm_segment": {**badges.column("segment", ctx.lang, t("metrics.rfm_segment")),
                            "width": 110 if zh else 190},
            "abc_tier": {**badges.column("tier", ctx.lang, "ABC"), "width": 45},
            "lifecycle_stage": badges.column("stage", ctx.lang, t("cust.stage")),
            "owner": st.column_config.TextColumn(t("sidebar.owner"), width=80),
            "last_order_date": st.column_config.DateColumn(t("cust.last_order"), format="YYYY-MM-DD", width=95),
            "churn_reasons": st.column_config.TextColumn(t("ab.churn.churn_reasons"), width=330 if zh else 290),
        },
    )
    shown_n = len(rows)
    st.caption(t("churnpage.list_caption", shown=f"{shown_n:,}", total=f"{wl.total:,}"))
    picked = event.selection.rows if event is not None else []
    return [str(rows.iloc[i]["customer_id"]) for i in picked if i < shown_n]


def add_to_plan(wl: customer360.WarningList, picked: list[str], include_churned: bool) -> None:
    """Preview follow-ups for the ticked customers (owner = their account manager, else the
    fallback assignee), then create them — never offering to create none."""
    st.subheader(t("churnpage.plan_title"))
    st.session_state[CANDIDATES] = picked
    editable = followup.can_edit(ctx.user)
    if not editable:
        st.info(t("churnpage.plan_readonly"))
        return
    people, people_labels, me = assignees.fallback_choices(ctx, NOBODY)
    c1, c2, c3, c4 = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
    action = c1.selectbox(t("cust.action"), list(followup.ACTIONS), key="churn.action",
                          format_func=lambda a: t(f"followup.action.{a}") if has(f"followup.action.{a}") else a)
    first_due = c2.date_input(t("churnpage.first_due"), date.today() + timedelta(days=1), key="churn.first_due")
    fallback = c3.selectbox(t("followup.gen.fallback"), people, index=me, key="churn.fallback",
                            format_func=lambda p: people_labels.get(p) or t("followup.gen.fallback_none"),
                            help=t("followup.gen.fallback_help")) or None
    clicked = c4.button(t("churnpage.plan_button", n=len(picked)), type="primary", disabled=not picked,
                        icon=":material/playlist_add:", key="churn.plan", width="stretch")
    if not picked:
        st.caption(t("churnpage.plan_hint"))
    if clicked:
        try:
            st.session_state[PREVIEW] = followup.generate_from_warnings(
                ctx.con, ctx.user, wl.rows, customer_ids=picked, action=action, first_due=first_due,
                f=ctx.filters, fallback_owner=fallback, include_churned=include_churned,
            )
        except KehuError as err:
            st.error(str(err))
            return
    preview = st.session_state.get(PREVIEW)
    if preview is None:
        return
    todo = int(preview["skip_reason"].isna().sum())
    with st.container(border=True):
        st.markdown(f"**{t('churnpage.preview_title', n=todo) if todo else t('churnpage.preview_none')}**")
        records = preview.to_dict("records")
        shown = fmt.for_display(pd.DataFrame({
            "customer_id": preview["customer_id"],
            "customer_name": preview["customer_name"],
            "customer_owner": preview["customer_owner"],
            "owner": preview["owner"],
            "assigned_because": [followup.assignment_text(r, ctx.lang) or None
                                 for r in records],
            "action": [t(f"followup.action.{a}") if has(f"followup.action.{a}") else a for a in preview["action"]],
            "due_date": preview["due_date"],
            "note": preview["note"],
            "skip_reason": [t(f"followup.skip.{r}") if isinstance(r, str) and has(f"followup.skip.{r}")
                            else (r if isinstance(r, str) else "") for r in preview["skip_reason"]],
        }), optional=("customer_owner",))
        if todo == len(preview):
            shown = shown.drop(columns="skip_reason")  # nobody skipped: an empty column says nothing
        st.dataframe(
            shown, hide_index=True, width="stretch", placeholder=MISSING, row_height=66 if ctx.lang == "zh" else 84,
            column_config={
                "customer_id": st.column_config.TextColumn(t("cust.customer_id"), width=90),
                "customer_name": st.column_config.TextColumn(t("cust.name"), width=110),
                "customer_owner": st.column_config.TextColumn(t("followup.col.customer_owner"), width=90),
                "owner": st.column_config.TextColumn(t("followup.col.owner"), width=90),
                "assigned_because": st.column_config.TextColumn(t("followup.col.assigned_because"), width=200),
                "action": st.column_config.TextColumn(t("cust.action"), width=70),
                "due_date": st.column_config.DateColumn(t("cust.due"), format="YYYY-MM-DD", width=100),
                "note": st.column_config.TextColumn(t("cust.note"), width=260),
                "skip_reason": st.column_config.TextColumn(t("churnpage.skip"), width=200),
            },
        )
        if todo == 0:  # never a button that would create nothing: say why instead
            st.warning("\n".join([t("followup.gen.nothing"),
                                  *(f"- {line}" for line in followup.skip_summary(preview, ctx.lang))]))
        ok_col, cancel_col, _ = st.columns([2, 1, 3])
        if todo and ok_col.button(t("churnpage.create", n=todo), type="primary",
                                  key="churn.create", icon=":material/check:", width="stretch"):
            try:
                report = followup.create_plan(ctx.con, ctx.user, preview, f=ctx.filters)
            except KehuError as err:
                st.error(str(err))
                return
            del st.session_state[PREVIEW]
            st.session_state["churn.created"] = report.created
            st.session_state["churn.gen"] = st.session_state.get("churn.gen", 0) + 1  # clears the ticks
            st.rerun()
        if cancel_col.button(t("churnpage.cancel"), key="churn.cancel", width="stretch"):
            del st.session_state[PREVIEW]
            st.rerun()


def quality(result: churn.ChurnResult) -> None:
    """How good the model was on a later window than it was trained on."""
    st.subheader(t("churnpage.quality_title"))
    q = result.quality
    if result.method != "model":
        st.info(t("churnpage.quality_rules"))
        return
    train, evaluate = q.get("train_window"), q.get("eval_window")
    st.caption(t("churnpage.quality_caption", model=model_name(result.model_name), t0=train[0], t1=train[1],
                 e0=evaluate[0], e1=evaluate[1], h=q.get("horizon_days")))
    cols = st.columns(4)
    cols[0].metric(t("ab.churn.auc"), f"{q['auc']:.2f}", border=True, help=t("churnpage.auc_help"))
    cols[1].metric(t("ab.churn.precision_top10"), fmt.pct(100 * q["precision_top10"], 0), border=True,
                   help=t("churnpage.precision_help", base=fmt.pct(100 * q.get("base_rate", 0), 0)))
    cols[2].metric(t("churnpage.base_rate"), fmt.pct(100 * q.get("base_rate", 0), 0), border=True,
                   help=t("churnpage.base_rate_help"))
    cols[3].metric(t("churnpage.n_train_eval"), f"{q['n_train']:,} / {q['n_eval']:,}", border=True,
                   help=t("churnpage.n_help"))
    left, right = st.columns([3, 2])
    if q.get("calibration") is not None and len(q["calibration"]):
        left.altair_chart(charts.calibration(q["calibration"], t), width="stretch")
    compare = q.get("compare") or {}
    if compare:
        chosen = next((k for k, v in churn.MODEL_NAMES.items() if v == result.model_name), None)
        with right.container(border=True):
            st.markdown(f"**{t('churnpage.compare_title')}**")
            st.caption(t("churnpage.compare_sub"))
            for code, auc in sorted(compare.items(), key=lambda kv: -kv[1]):
                mark = " ✓ " + t("churnpage.chosen") if code == chosen else ""
                st.metric(t(f"churnpage.model.{code}") + mark, f"{auc:.3f}")
            st.caption(t("churnpage.compare_note"))


try:
    base = shared(customer_base)(ctx)
    if base.empty or base["recency_days"].notna().sum() == 0:
        st.info(t("churnpage.empty"))
        st.page_link("pages/data.py", label=t("sat.go_import"), icon=":material/upload_file:")
        st.stop()
    with st.spinner(t("cust.scoring")):
        result = churn_result(ctx)
    method_banner(result)
    created = st.session_state.pop("churn.created", None)
    if created is not None:
        st.success(t("churnpage.created", n=created))
        st.page_link("pages/followup.py", label=t("cust.to_plan"), icon=":material/event_available:")

    chosen = filters(base)
    if st.session_state.setdefault("churn.last_filters", chosen) != chosen:
        # another list: ticks of the old one must not stay on whoever now has that row number
        st.session_state["churn.last_filters"] = chosen
        st.session_state["churn.gen"] = st.session_state.get("churn.gen", 0) + 1
        st.session_state.pop(PREVIEW, None)
    wl = customer360.warning_list(ctx.con, base, result.scores, high=badges.RISK_HIGH,
                                  medium=badges.RISK_MEDIUM, **chosen)
    headline(wl, chosen["min_risk"])
    if wl.total == 0:
        st.info(t("churnpage.none"))
    else:
        left, right = st.columns([2, 3])
        left.altair_chart(charts.risk_levels(wl.levels, t), width="stretch")
        left.caption(t("churnpage.levels_note"))
        right.altair_chart(
            charts.risk_value_scatter(wl.rows, t, lambda c: badges.label("segment", c, ctx.lang), wl.total),
            width="stretch")
        st.subheader(t("churnpage.list_title"))
        picked = ranked_table(wl)
        add_to_plan(wl, picked, include_churned=not chosen["stages"])
    quality(result)
except KehuError as err:
    st.error(str(err))
