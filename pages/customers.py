"""Customers 客户 — find any customer, then see everything about them: orders, surveys, follow-ups, scores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import auth, customer360
from core.errors import KehuError
from core.i18n import has
from core.metrics import churn
from core.metrics.base import customer_base
from ui import badges, context
from ui import charts_views as charts
from ui import format as fmt
from ui.cache import cached, churn_result, shared

PAGE_SIZE = 50
SORT_OPTIONS = ("monetary", "risk_x_value", "risk", "last_order", "orders", "name", "customer_id")
QP_CUSTOMER = "customer"

ctx = context.current()
t = ctx.t
mask = auth.should_mask(ctx.user)

st.title(t("nav.customers"))
st.caption(t("cust.caption", as_of=ctx.as_of.isoformat()))


def _value(v: object, missing: str = "—") -> str:
    return missing if v is None or (isinstance(v, float) and v != v) or v is pd.NaT else str(v)


def _date(v: object) -> object:
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    return v.date() if hasattr(v, "date") else v


def _code_text(prefix: str, code: object) -> str:
    key = f"{prefix}.{code}"
    return t(key) if has(key) else _value(code)


def show_list(base: pd.DataFrame, scores: pd.DataFrame | None) -> None:
    """Search box, sort, one page of the list; a selected row opens the profile."""
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    query = c1.text_input(
        t("cust.search"), key="cust.q",
        placeholder=t("cust.search_ph_masked") if mask else t("cust.search_ph"),
    )
    sort = c2.selectbox(t("cust.sort"), SORT_OPTIONS, key="cust.sort",
                        format_func=lambda s: t(f"cust.sort.{s}"))
    descending = c3.toggle(t("cust.desc"), value=sort not in ("name", "customer_id"), key=f"cust.desc.{sort}")
    state = (query, sort, descending)
    if st.session_state.get("cust.list_state") != state:
        st.session_state["cust.list_state"] = state
        st.session_state["cust.page"] = 0
    page_no = int(st.session_state.get("cust.page", 0))

    page = customer360.customer_list(
        ctx.con, base, scores, query=query, sort=sort, descending=descending,
        limit=PAGE_SIZE, offset=page_no * PAGE_SIZE, search_contacts=not mask,
    )
    page_no = page.offset // PAGE_SIZE
    st.session_state["cust.page"] = page_no
    if page.total == 0:
        st.info(t("cust.no_match", q=query))
        return

    rows = auth.mask_contacts(page.rows, ctx.user)
    shown = rows.assign(
        rfm_segment=badges.as_lists(rows["rfm_segment"].fillna("none")),
        lifecycle_stage=badges.as_lists(rows["lifecycle_stage"]),
        abc_tier=badges.as_lists(rows["abc_tier"]),
        risk=badges.as_lists(badges.risk_level(p) for p in rows["churn_risk"]),
        churn_risk=rows["churn_risk"] * 100,
    )
    closes = st.session_state.get("cust.closes", 0)
    event = st.dataframe(
        shown[["customer_id", "name", "rfm_segment", "lifecycle_stage", "risk", "churn_risk", "abc_tier",
               "monetary", "orders_total", "last_order_date", "owner", "region", "phone"]],
        hide_index=True, width="stretch", height=420,
        on_select="rerun", selection_mode="single-row",
        key=f"cust.table.{page_no}.{hash(state)}.{closes}",
        column_config={
            "customer_id": st.column_config.TextColumn(t("cust.customer_id"), pinned=True),
            "name": st.column_config.TextColumn(t("cust.name"), pinned=True),
            "rfm_segment": badges.column("segment", ctx.lang, t("metrics.rfm_segment")),
            "lifecycle_stage": badges.column("stage", ctx.lang, t("cust.stage")),
            "risk": badges.column("risk", ctx.lang, t("cust.risk"), help=t("cust.risk_help")),
            "churn_risk": st.column_config.NumberColumn(t("cust.risk_pct"), format="%.1f%%"),
            "abc_tier": badges.column("tier", ctx.lang, "ABC", help=t("metrics.abc_tier")),
            "monetary": st.column_config.NumberColumn(t("metrics.monetary"), format="¥%,.0f"),
            "orders_total": st.column_config.NumberColumn(t("cust.orders"), format="%d"),
            "last_order_date": st.column_config.DateColumn(t("cust.last_order"), format="YYYY-MM-DD"),
            "owner": t("sidebar.owner"),
            "region": t("sidebar.region"),
            "phone": t("cust.phone"),
        },
    )
    selected = event.selection.rows if event is not None else []
    if selected:
        cid = str(page.rows.iloc[selected[0]]["customer_id"])
        if st.query_params.get(QP_CUSTOMER) != cid:
            st.query_params[QP_CUSTOMER] = cid

    prev_col, info_col, next_col = st.columns([1, 4, 1], vertical_alignment="center")
    if prev_col.button(t("cust.prev"), disabled=page_no == 0, key="cust.prev", width="stretch"):
        st.session_state["cust.page"] = page_no - 1
        st.rerun()
    info_col.caption(t("cust.page_info", first=page.offset + 1, last=page.offset + len(page.rows),
                       total=f"{page.total:,}", page=page_no + 1, pages=page.pages) + " · " + t("cust.pick_hint"))
    if next_col.button(t("cust.next"), disabled=page_no + 1 >= page.pages, key="cust.next",
                       width="stretch"):
        st.session_state["cust.page"] = page_no + 1
        st.rerun()


def _close_profile() -> None:
    if QP_CUSTOMER in st.query_params:
        del st.query_params[QP_CUSTOMER]
    st.session_state["cust.closes"] = st.session_state.get("cust.closes", 0) + 1


def show_profile(cid: str, base: pd.DataFrame, result: churn.ChurnResult | None) -> None:
    """The 360 view of one customer."""
    try:
        prof = cached(customer360.profile)(ctx, cid)
    except KehuError as err:
        st.warning(str(err))
        st.button(t("cust.close"), on_click=_close_profile, key="cust.close_missing")
        return
    d = prof.details
    facts = base[base["customer_id"] == cid]
    fact = facts.iloc[0] if len(facts) else pd.Series(dtype=object)
    scores = result.scores if result is not None else None
    srow = scores[scores["customer_id"] == cid] if scores is not None else pd.DataFrame()
    risk = float(srow["churn_risk"].iloc[0]) if len(srow) and pd.notna(srow["churn_risk"].iloc[0]) else None
    reasons = str(srow["churn_reasons"].iloc[0]) if len(srow) else ""

    with st.container(border=True):
        head, close = st.columns([6, 1], vertical_alignment="center")
        head.subheader(f"{_value(d.get('name'), cid)} · {cid}", anchor=False)
        close.button(t("cust.close"), on_click=_close_profile, key="cust.close", icon=":material/close:",
                     width="stretch")
        with st.container(horizontal=True, gap="small"):
            badges.show("segment", fact.get("rfm_segment"), ctx.lang)
            badges.show("tier", fact.get("abc_tier"), ctx.lang)
            badges.show("stage", fact.get("lifecycle_stage"), ctx.lang)
            level = badges.risk_level(risk)
            if level:
                badges.show("risk", level, ctx.lang)
        if reasons and level in ("high", "medium"):
            st.markdown(f"**{t('cust.why_risk')}** {reasons}")

        phone = auth.mask_phone(d.get("phone")) if mask else d.get("phone")
        email = auth.mask_email(d.get("email")) if mask else d.get("email")
        signup = d.get("signup_date")
        cols = st.columns(4)
        cols[0].markdown(f"**{t('cust.phone')}**  \n{_value(phone)}  \n**{t('cust.email')}**  \n{_value(email)}")
        cols[1].markdown(f"**{t('sidebar.region')}**  \n{_value(d.get('region'))} {_value(d.get('city'), '')}  \n"
                         f"**{t('sidebar.channel')}**  \n{_value(d.get('channel'))}")
        cols[2].markdown(f"**{t('sidebar.owner')}**  \n{_value(d.get('owner'))}  \n"
                         f"**{t('cust.team')}**  \n{_value(d.get('team'))}")
        cols[3].markdown(f"**{t('cust.signup')}**  \n{_value(signup.date() if hasattr(signup, 'date') else signup)}  \n"
                         f"**{t('cust.first_order')}**  \n{_value(_date(fact.get('first_order_date')))}")
        if mask:
            st.caption(t("cust.masked_note"))

    gap = fact.get("median_gap_days")
    nps = fact.get("last_score_nps")
    recency = fact.get("recency_days")
    m = st.columns(4)
    m[0].metric(t("cust.net_spend"), fmt.money(prof.net_spend, ctx.lang), border=True)
    m[1].metric(t("cust.orders"), fmt.count(fact.get("orders_total")), border=True,
                help=t("cust.usual_gap") + ": " + (t("cust.days", n=int(round(gap))) if pd.notna(gap) else "—"))
    m[2].metric(t("cust.since_last"), t("cust.days", n=int(recency)) if pd.notna(recency) else "—",
                border=True, help=_value(_date(fact.get("last_order_date"))))
    m[3].metric(t("ab.churn.churn_risk"), fmt.risk(risk), border=True,
                help=result.note if result is not None else None)
    st.caption(" · ".join([
        t("cust.usual_gap") + ": " + (t("cust.days", n=int(round(gap))) if pd.notna(gap) else "—"),
        t("cust.last_nps") + ": " + _value(int(nps) if pd.notna(nps) else None),
        t("cust.complaints", n=int(fact.get("complaint_count") or 0)) if not fact.empty else "",
    ]))

    tabs = st.tabs([t("cust.tab.orders"), t("cust.tab.surveys"), t("cust.tab.followups"), t("cust.tab.scores")])
    with tabs[0]:
        if prof.orders.empty:
            st.info(t("cust.no_orders"))
        else:
            left, right = st.columns(2)
            left.altair_chart(charts.spend_by_month(prof.spend_by_month, t, ctx.as_of), width="stretch")
            right.altair_chart(charts.order_timeline(prof.orders, t, prof.order_lines), width="stretch")
            orders = prof.orders.assign(status=[_code_text("cust.status", s) for s in prof.orders["status"]])
            st.dataframe(
                fmt.for_display(orders[["order_date", "order_id", "net_amount", "status", "product", "category",
                                        "channel"]], optional=("product", "category", "channel")),
                hide_index=True, width="stretch", height=260,
                column_config={
                    "order_date": st.column_config.DateColumn(t("cust.order_date"), format="YYYY-MM-DD"),
                    "order_id": t("cust.order_id"),
                    "net_amount": st.column_config.NumberColumn(t("cust.net_amount"), format="¥%,.2f"),
                    "status": t("cust.status"),
                    "product": t("cust.product"),
                    "category": t("cust.category"),
                    "channel": t("sidebar.channel"),
                },
            )
            if prof.order_lines > len(prof.orders):
                st.caption(t("cust.orders_capped", shown=len(prof.orders), total=prof.order_lines))
    with tabs[1]:
        if prof.surveys.empty:
            st.info(t("cust.no_surveys"))
        else:
            surveys = prof.surveys.assign(
                kind=[_code_text("sat.kind", k) for k in prof.surveys["kind"]],
                answer=[f"{str(sc).upper()} {int(v)}" if isinstance(sc, str) and pd.notna(v) else "—"
                        for sc, v in zip(prof.surveys["scale"], prof.surveys["score"], strict=True)],
            )
            st.dataframe(
                surveys[["survey_date", "kind", "answer", "comment", "order_id"]],
                hide_index=True, width="stretch",
                column_config={
                    "survey_date": st.column_config.DateColumn(t("sat.date"), format="YYYY-MM-DD"),
                    "kind": t("sat.kind"), "answer": t("sat.answer"),
                    "comment": st.column_config.TextColumn(t("sat.comment"), width="large"),
                    "order_id": t("cust.order_id"),
                },
            )
    with tabs[2]:
        if prof.followups.empty:
            st.info(t("cust.no_followups"))
        else:
            fu = prof.followups.assign(
                action=[_code_text("followup.action", a) for a in prof.followups["action"]],
                status=[_code_text("followup.status", s) + (" ⚠️" if o else "")
                        for s, o in zip(prof.followups["status"], prof.followups["overdue"], strict=True)],
                outcome=[_code_text("followup.outcome", o) if o else "" for o in prof.followups["outcome"]],
            )
            st.dataframe(
                fu[["due_date", "action", "owner", "status", "outcome", "note", "updated_by", "version"]],
                hide_index=True, width="stretch",
                column_config={
                    "due_date": st.column_config.DateColumn(t("cust.due"), format="YYYY-MM-DD"),
                    "action": t("cust.action"), "owner": t("sidebar.owner"), "status": t("cust.fu_status"),
                    "outcome": t("cust.outcome"),
                    "note": st.column_config.TextColumn(t("cust.note"), width="large"),
                    "updated_by": t("cust.updated_by"),
                    "version": st.column_config.NumberColumn(t("cust.version"), format="%d"),
                },
            )
            st.markdown(f"**{t('cust.fu_history')}**")
            hist = prof.followup_changes.assign(
                op=[_code_text("cust.op", o) for o in prof.followup_changes["op"]],
                status=[_code_text("followup.status", s) for s in prof.followup_changes["status"]],
            )
            st.dataframe(
                hist[["changed_at", "changed_by", "followup_id", "op", "version", "status", "note"]],
                hide_index=True, width="stretch",
                column_config={
                    "changed_at": st.column_config.DatetimeColumn(t("cust.changed_at"), format="YYYY-MM-DD HH:mm"),
                    "changed_by": t("cust.changed_by"), "followup_id": t("cust.followup_id"),
                    "op": t("cust.op"), "version": t("cust.version"), "status": t("cust.fu_status"),
                    "note": t("cust.note"),
                },
            )
        st.page_link("pages/followup.py", label=t("cust.to_plan"), icon=":material/event_available:")
    with tabs[3]:
        if fact.empty or pd.isna(fact.get("recency_days")):
            st.info(t("cust.no_scores"))
        else:
            s1, s2, s3, s4 = st.columns(4)
            s1.metric(t("metrics.r_score"), _value(fact.get("r_score")),
                      help=t("cust.r_help", n=int(fact["recency_days"])))
            s2.metric(t("metrics.f_score"), _value(fact.get("f_score")),
                      help=t("cust.f_help", n=int(fact["frequency"])))
            s3.metric(t("metrics.m_score"), _value(fact.get("m_score")),
                      help=t("cust.m_help", v=fmt.money(fact["monetary"], ctx.lang)))
            trend = fact.get("spend_trend")
            s4.metric(t("cust.spend_trend"), f"{trend * 100:+.0f}%" if pd.notna(trend) else "—",
                      help=t("cust.trend_help"))
            st.markdown(f"**{t('cust.reasons')}**")
            if reasons:
                for line in reasons.replace("；", "; ").split("; "):
                    st.markdown(f"- {line}")
            else:
                st.caption(t("cust.no_reasons"))
            if result is not None:
                method = t("ab.churn.method.model") if result.method == "model" else t("ab.churn.method.rules")
                st.caption(t("cust.method", method=method) + " " + result.note)


try:
    base = shared(customer_base)(ctx)
    if base.empty:
        st.info(t("cust.empty"))
        st.page_link("pages/data.py", label=t("sat.go_import"), icon=":material/upload_file:")
        st.stop()
    with st.spinner(t("cust.scoring")):
        result = churn_result(ctx)
    show_list(base, result.scores)
    customer = st.query_params.get(QP_CUSTOMER)
    if customer:
        show_profile(customer, base, result)
    else:
        st.info(t("cust.pick_prompt"), icon=":material/touch_app:")
except KehuError as err:
    st.error(str(err))
