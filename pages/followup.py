"""Follow-up plan 跟进计划 — edit the shared plan, generate it from churn warnings, see what came of it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core import db, export, followup
from core.errors import KehuError
from core.followup import ACTIONS, OUTCOMES, STATUSES
from core.metrics.base import customer_base
from ui import assignees, context
from ui import format as fmt
from ui.cache import churn_result, shared
from ui.errors import show as show_error

ctx = context.current()
t = ctx.t
today = date.today()
editable = followup.can_edit(ctx.user)
actor = followup.actor_of(ctx.user)

SNAP = "followup.snapshot"      # the plan as loaded: params, frame, editor generation
REPORT = "followup.report"      # the last save's report, shown after the reload
PREVIEW = "followup.preview"    # the generated plan waiting for "create"
MAX_ROWS = 2000
# The customer dropdown shows "id name", so the name needs no column of its own in the editor.
EDITOR_COLUMNS = ["followup_id", "customer_id", "owner", "action", "due_date", "status", "outcome",
                  "note", "overdue", "source", "updated_by", "updated_at", "version"]
READ_ONLY = ["followup_id", "overdue", "source", "updated_by", "updated_at", "version"]
EXPORT_COLUMNS = ["followup_id", "customer_id", "customer_name", "owner", "action", "due_date",
                  "status", "outcome", "note", "overdue", "source", "updated_by", "updated_at"]
ALL = ""  # "every customer" in the by-customer filter (None would show as an empty choice)
MAX_CHOICES = 5000  # beyond this a dropdown of customers is too heavy for the browser: type ids
MISSING = "—"  # what an empty cell shows (never the word None)
NOBODY = ""  # "no fallback assignee" in the generate form


def label(kind: str) -> Any:
    """format_func for a coded choice: "call" → 电话 / Call."""
    return lambda code: t(f"followup.{kind}.{code}") if code else ""


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Coded choices (call, done, …) as words, everything as text, "—" for missing values."""
    out = frame.copy()
    for column in ("action", "status", "outcome", "source"):
        if column in out.columns:
            out[column] = out[column].map(lambda c, k=column: label(k)(c) if isinstance(c, str) else c)
    return headers(out.astype("string").fillna(MISSING))


def headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names in the manager's language (for read-only tables and exports)."""
    return frame.rename(columns={c: t(f"followup.col.{c}") for c in frame.columns})


def load(params: dict[str, Any]) -> None:
    """Take a fresh snapshot of the plan; a new editor generation drops the old edits."""
    frame = followup.list_plan(
        ctx.con, ctx.filters, view=params["view"], user=ctx.user, today=today, due=params["due"],
        customer_id=params["customer"], include_closed=params["closed"], limit=MAX_ROWS + 1,
    )
    gen = st.session_state.get(SNAP, {}).get("gen", 0) + 1
    st.session_state[SNAP] = {"params": params, "frame": frame.reset_index(drop=True), "gen": gen,
                              "data_version": db.data_version(ctx.con)}


def show_report(report: followup.SaveReport) -> None:
    """What was saved, and every refused row with its reason (conflicts: both versions)."""
    if report.saved:
        st.success(t("followup.saved", created=report.created, updated=report.updated,
                     deleted=report.deleted))
    if not report.refused:
        return
    st.error(t("followup.refused", n=len(report.refused)) + "\n\n"
             + "\n".join(f"- {r.message(ctx.lang)}" for r in report.refused))
    fields = ("version", *followup.EDITABLE, "updated_by", "updated_at")
    for r in report.refused:
        if r.theirs is None:
            continue
        sides = pd.DataFrame([{"side": t("followup.side.theirs"), **r.theirs},
                              {"side": t("followup.side.yours"), **(r.yours or {})}])
        keep = ["side"] + [c for c in fields if c in sides.columns]
        st.caption(f"#{r.followup_id}")
        st.dataframe(readable(sides[keep]), hide_index=True, width="stretch", placeholder=MISSING)
    typed = [{"row": f"#{r.followup_id}" if r.followup_id is not None else f"+{r.index + 1}",
              **(r.yours or {})} for r in report.refused if r.theirs is None and r.yours]
    if typed:  # what the refused rows tried to write, so nothing typed is lost from sight
        frame = pd.DataFrame(typed)
        keep = ["row"] + [c for c in fields if c in frame.columns]
        st.caption(t("followup.side.yours"))
        st.dataframe(readable(frame[keep]), hide_index=True, width="stretch", placeholder=MISSING)
    st.info(t("followup.refused_hint"))


def export_buttons(frame: pd.DataFrame) -> None:
    """CSV and XLSX of what the table shows, built only when clicked."""
    table = headers(frame.drop(columns=["version"], errors="ignore"))
    left, right = st.columns(2)
    left.download_button(t("followup.export_csv"), lambda: export.to_csv_bytes(table),
                         file_name=f"followups_{today.isoformat()}.csv", mime="text/csv",
                         on_click="ignore", icon=":material/download:")
    right.download_button(t("followup.export_xlsx"), lambda: export.to_xlsx_bytes(table, "followups"),
                          file_name=f"followups_{today.isoformat()}.xlsx", on_click="ignore",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/download:")


def column_config(customers: pd.DataFrame, owners: tuple[str, ...]) -> dict[str, Any]:
    """Types, dropdowns and date pickers; core validates again (the editor drops bad cells)."""
    cc = st.column_config
    names = dict(zip(customers["customer_id"], customers["name"], strict=True))
    ids = list(names)
    customer = (cc.SelectboxColumn(t("followup.col.customer_id"), options=ids, required=True,
                                   format_func=lambda c: f"{c} {names.get(c) or ''}".strip(),
                                   help=t("followup.help.customer_id"), width=220, pinned=True)
                if len(ids) <= MAX_CHOICES
                else cc.TextColumn(t("followup.col.customer_id"), required=True, width=120, pinned=True))
    me = followup.assignee_of(ctx.user)
    return {
        "followup_id": cc.NumberColumn(t("followup.col.followup_id"), format="%d", width=60, pinned=True),
        "customer_id": customer,
        "owner": cc.SelectboxColumn(t("followup.col.owner"), options=list(owners), required=True,
                                    default=me if me in owners else None, width=110),
        "action": cc.SelectboxColumn(t("followup.col.action"), options=list(ACTIONS), required=True,
                                     default="call", format_func=label("action"), width=100),
        "due_date": cc.DateColumn(t("followup.col.due_date"), required=True, format="YYYY-MM-DD",
                                  default=today + timedelta(days=1), width=110),
        "status": cc.SelectboxColumn(t("followup.col.status"), options=list(STATUSES), required=True,
                                     default="planned", format_func=label("status"), width=90),
        "outcome": cc.SelectboxColumn(t("followup.col.outcome"), options=list(OUTCOMES),
                                      format_func=label("outcome"), help=t("followup.help.outcome"),
                                      width=90),
        "note": cc.TextColumn(t("followup.col.note"), max_chars=followup.NOTE_MAX, width="large"),
        "overdue": cc.CheckboxColumn(t("followup.col.overdue"), width=60),
        "source": cc.SelectboxColumn(t("followup.col.source"), options=list(followup.SOURCES),
                                     format_func=label("source"), width=90),
        "updated_by": cc.TextColumn(t("followup.col.updated_by"), width=100),
        "updated_at": cc.DatetimeColumn(t("followup.col.updated_at"), format="YYYY-MM-DD HH:mm", width=140),
        "version": cc.NumberColumn(t("followup.col.version"), format="%d", width=60),
    }


def editor_key() -> str | None:
    """The editor's widget key; a new generation after every load starts with no edits."""
    snap = st.session_state.get(SNAP)
    return f"followup.editor.{snap['gen']}" if snap else None


def pending_changes() -> list[dict[str, Any]]:
    """The unsaved edits in the editor (against the snapshot they were made on)."""
    snap = st.session_state.get(SNAP)
    if not (snap and editable):
        return []
    return followup.changes_from_editor(snap["frame"], st.session_state.get(editor_key()) or {})


def plan_section() -> None:
    """Views, the editor, Save, export and the change history."""
    snap = st.session_state.get(SNAP)
    pending = pending_changes()

    customers = followup.customer_choices(ctx.con, ctx.filters, limit=MAX_CHOICES + 1)
    c1, c2, c3, c4 = st.columns([3, 2, 3, 2], vertical_alignment="bottom")
    default_view = "mine" if actor.role == "manager" and actor.owner_name else "all"
    view = c1.segmented_control(t("followup.view"), list(followup.VIEWS), default=default_view,
                                format_func=label("view"), key="followup.view",
                                disabled=bool(pending)) or default_view
    due = c2.selectbox(t("followup.due"), list(followup.DUE_FILTERS), format_func=label("due"),
                       key="followup.due_filter", disabled=bool(pending))
    names = dict(zip(customers["customer_id"], customers["name"], strict=True))
    if len(names) <= MAX_CHOICES:
        customer = c3.selectbox(t("followup.by_customer"), [ALL, *names], key="followup.customer",
                                format_func=lambda c: t("followup.by_customer_all") if c == ALL
                                else f"{c} {names.get(c) or ''}", disabled=bool(pending)) or None
    else:
        customer = c3.text_input(t("followup.by_customer"), key="followup.customer",
                                 placeholder=t("followup.customer_id_placeholder"),
                                 disabled=bool(pending)).strip() or None
    closed = c4.toggle(t("followup.include_closed"), value=False, key="followup.closed",
                       help=t("followup.include_closed_help"), disabled=bool(pending))
    params = {"view": view, "due": due, "customer": customer, "closed": closed}

    report = st.session_state.pop(REPORT, None)
    if report is not None:
        show_report(report)
    # While nothing is being edited the table follows the database (others' saves appear on the
    # next rerun); once editing starts, the snapshot stays put so versions mean what was seen.
    if snap is None or (not pending and (snap["params"] != params
                                         or snap["data_version"] != db.data_version(ctx.con))):
        load(params)
        st.rerun()
    if pending and snap["params"] != params:
        st.info(t("followup.view_locked"))

    frame: pd.DataFrame = snap["frame"]
    if len(frame) > MAX_ROWS:
        st.warning(t("followup.truncated", n=MAX_ROWS))
        frame = frame.head(MAX_ROWS)
    if not editable:
        st.info(t("followup.readonly"))
    st.caption(t("followup.rows", n=len(frame)))
    st.data_editor(
        frame[EDITOR_COLUMNS], key=editor_key(), hide_index=True, width="stretch",
        num_rows="dynamic" if editable else "fixed", placeholder=MISSING,
        disabled=READ_ONLY if editable else True,
        column_config=column_config(customers, followup.known_owners(ctx.con)),
    )
    if pending:
        st.warning(t("followup.unsaved", n=len(pending)))
    b1, b2, _ = st.columns([1, 1, 4])
    if editable and b1.button(t("followup.save"), type="primary", key="followup.save",
                              disabled=not pending, icon=":material/save:"):
        try:
            saved = followup.save_changes(ctx.con, ctx.user, pending, f=ctx.filters)
        except KehuError as err:
            st.error(str(err))
        else:
            st.session_state[REPORT] = saved
            load(params)
            st.rerun()
    if b2.button(t("followup.discard") if pending else t("followup.reload"), key="followup.reload",
                 icon=":material/refresh:"):
        load(params)
        st.rerun()

    export_buttons(frame[EXPORT_COLUMNS])

    with st.expander(t("followup.history")):
        if customer is not None:
            hist = followup.history(ctx.con, customer_id=customer)
        else:
            ids = frame["followup_id"].tolist()
            pick = st.selectbox(t("followup.col.followup_id"), ids, key="followup.history_id",
                                format_func=lambda i: f"#{i}") if ids else None
            hist = followup.history(ctx.con, followup_id=pick) if pick is not None else pd.DataFrame()
        if hist.empty:
            st.write(t("followup.history_empty"))
        else:
            shown = hist.assign(op=hist["op"].map(label("op")))
            st.dataframe(headers(shown[["followup_id", "version", "op", "changed_by", "changed_at", "changes"]]),
                         hide_index=True, width="stretch", placeholder=MISSING)


def warning_candidates() -> tuple[pd.DataFrame, str, str]:
    """Customers ranked by churn risk × value (model or its rule fallback), with their lifecycle
    stage (the churned ones are left out unless asked for) and the note on how they were ranked."""
    result = churn_result(ctx)
    scores = result.scores.dropna(subset=["risk_x_value"])[["customer_id", "risk_x_value", "churn_reasons"]]
    stages = shared(customer_base)(ctx)[["customer_id", "lifecycle_stage"]]
    return scores.merge(stages, on="customer_id", how="left"), result.method, result.note


def preview_table(preview: pd.DataFrame, fallback: str | None) -> pd.DataFrame:
    """The generated plan as a manager reads it: words, "—" for gaps, and the account-manager
    column only when some customer has one."""
    records = preview.to_dict("records")
    shown = pd.DataFrame({
        "customer_id": preview["customer_id"],
        "customer_name": preview["customer_name"],
        "score": preview["score"].round(0),
        "customer_owner": preview["customer_owner"],
        "owner": preview["owner"],
        "assigned_because": [followup.assignment_text(r, ctx.lang, fallback) or None for r in records],
        "action": preview["action"].map(label("action")),
        "due_date": preview["due_date"],
        "note": preview["note"],
        "skip_reason": preview["skip_reason"].map(
            lambda r: t(f"followup.skip.{r}") if isinstance(r, str) else ""),
    })
    if not preview["skip_reason"].notna().any():
        shown = shown.drop(columns="skip_reason")  # nobody skipped: an empty column says nothing
    return fmt.for_display(shown, optional=("customer_owner",))


def preview_columns() -> dict[str, Any]:
    """Widths that fit a 1440 px screen; long notes and names wrap (rows taller than 4 rem)."""
    cc = st.column_config
    widths = {"customer_id": 90, "customer_name": 110, "customer_owner": 90, "owner": 90,
              "assigned_because": 200, "action": 70, "due_date": 95, "note": 260, "skip_reason": 200}
    config: dict[str, Any] = {t(f"followup.col.{c}"): cc.Column(width=w) for c, w in widths.items()}
    config[t("followup.col.score")] = cc.NumberColumn(format="¥%,.0f", width=85)
    return config


def generate_section() -> None:
    """From the churn-warning list to an assigned plan: choose, preview, create."""
    st.caption(t("followup.gen.caption"))
    if not editable:
        st.info(t("followup.readonly"))
        return
    customers = followup.customer_choices(ctx.con, ctx.filters, limit=MAX_CHOICES + 1)
    names = dict(zip(customers["customer_id"], customers["name"], strict=True))
    people, people_labels, me = assignees.fallback_choices(ctx, NOBODY)
    with st.form("followup.gen"):
        c1, c2 = st.columns(2)
        top_n = c1.number_input(t("followup.gen.top_n"), 1, 1000, 20, key="followup.gen.top_n")
        if len(names) <= MAX_CHOICES:
            picked = c2.multiselect(t("followup.gen.pick"), list(names), key="followup.gen.pick",
                                    format_func=lambda c: f"{c} {names.get(c) or ''}",
                                    placeholder=t("followup.gen.pick_placeholder"))
        else:
            typed = c2.text_input(t("followup.gen.pick"), key="followup.gen.pick",
                                  placeholder=t("followup.customer_ids_placeholder"))
            picked = [c for c in typed.replace("，", ",").replace(" ", ",").split(",") if c]
        c3, c4 = st.columns(2)
        assign = c3.radio(t("followup.gen.assign"), ["own", "capacity"], key="followup.gen.assign",
                          format_func=lambda a: t(f"followup.gen.assign.{a}"))
        capacity = c4.number_input(t("followup.gen.capacity"), 1, 500, 10, key="followup.gen.capacity")
        fallback = c4.selectbox(
            t("followup.gen.fallback"), people, index=me, key="followup.gen.fallback",
            format_func=lambda p: people_labels.get(p) or t("followup.gen.fallback_none"),
            help=t("followup.gen.fallback_help")) or None
        c5, c6 = st.columns(2)
        action = c5.selectbox(t("followup.gen.action"), list(ACTIONS), format_func=label("action"),
                              key="followup.gen.action")
        first_due = c6.date_input(t("followup.gen.first_due"), today + timedelta(days=1),
                                  key="followup.gen.first_due")
        churned = st.checkbox(t("followup.gen.include_churned"), key="followup.gen.include_churned",
                              help=t("followup.gen.include_churned_help", days=ctx.settings.churn_days))
        allow = st.checkbox(t("followup.gen.allow_duplicates"), key="followup.gen.allow")
        go = st.form_submit_button(t("followup.gen.preview"), type="primary", icon=":material/preview:")
    if go:
        with st.spinner(t("followup.gen.preview")):
            candidates, method, note = warning_candidates()
            try:
                preview = followup.generate_from_warnings(
                    ctx.con, ctx.user, candidates, customer_ids=picked or None, top_n=int(top_n),
                    assign=assign, capacity_per_week=int(capacity), action=action,
                    first_due=first_due, allow_duplicates=allow, f=ctx.filters,
                    fallback_owner=fallback, include_churned=churned,
                )
            except KehuError as err:
                st.error(str(err))
                return
        st.session_state[PREVIEW] = {"frame": preview, "method": method, "note": note, "allow": allow,
                                     "fallback": fallback}

    pending = st.session_state.get(PREVIEW)
    if pending is None:
        return
    preview, method = pending["frame"], pending["method"]
    st.caption(" ".join(filter(None, [t(f"followup.gen.source_{method}"), pending["note"]])))
    if preview.empty:
        st.info(t("followup.gen.no_candidates"))
        return
    shown = preview_table(preview, pending.get("fallback"))
    st.dataframe(headers(shown), hide_index=True, width="stretch", placeholder=MISSING, row_height=66 if ctx.lang == "zh" else 84,
                 column_config=preview_columns())
    todo = int(preview["skip_reason"].isna().sum())
    if todo == 0:  # never a button that would create nothing: say why instead
        st.warning("\n".join([t("followup.gen.nothing"),
                              *(f"- {line}" for line in followup.skip_summary(preview, ctx.lang))]))
        return
    if todo < len(preview):
        st.caption(t("followup.gen.skipped", n=len(preview) - todo))
    if st.button(t("followup.gen.create", n=todo), type="primary",
                 key="followup.gen.create", icon=":material/playlist_add:"):
        try:
            report = followup.create_plan(ctx.con, ctx.user, preview, f=ctx.filters,
                                          allow_duplicates=pending["allow"])
        except KehuError as err:
            st.error(str(err))
            return
        del st.session_state[PREVIEW]
        st.session_state.pop(SNAP, None)  # the plan view reloads with the new rows
        st.success(t("followup.gen.created", n=report.created))
        if report.refused:
            show_report(followup.SaveReport(refused=report.refused))


def stats_section() -> None:
    """Planned vs done per owner per week, outcomes, and contacted vs not contacted."""
    s = followup.stats(ctx.con, ctx.settings, ctx.filters, weeks=12, today=today)
    st.subheader(t("followup.stats.weekly"))
    if s.weekly.empty:
        st.write(t("common.no_data"))
    else:
        weekly = s.weekly.melt(id_vars=["owner", "week"], value_vars=["planned", "done"],
                               var_name="kind", value_name="n")
        weekly["kind"] = weekly["kind"].map(lambda k: t(f"followup.col.{k}"))
        weekly["week"] = pd.to_datetime(weekly["week"])
        chart = alt.Chart(weekly).mark_bar().encode(
            x=alt.X("yearmonthdate(week):O", title=t("followup.col.week")),
            xOffset="kind:N",
            y=alt.Y("sum(n):Q", title=t("followup.col.n")),
            color=alt.Color("kind:N", title=""),
            tooltip=["owner:N", "kind:N", "sum(n):Q"],
        )
        st.altair_chart(chart, width="stretch")
        # one row per owner, one column per week: "done / planned"
        cells = s.weekly.assign(
            week=pd.to_datetime(s.weekly["week"]).dt.strftime("%m-%d"),
            cell=s.weekly["done"].astype(str) + " / " + s.weekly["planned"].astype(str))
        table = cells.pivot(index="owner", columns="week", values="cell").fillna("")
        st.caption(t("followup.stats.cell"))
        st.dataframe(table.rename_axis(t("followup.col.owner")), width="stretch")
    left, right = st.columns(2)
    with left:
        st.subheader(t("followup.stats.outcomes"))
        if s.outcomes.empty:
            st.write(t("common.no_data"))
        else:
            outcomes = s.outcomes.assign(outcome=s.outcomes["outcome"].map(label("outcome")))
            st.altair_chart(alt.Chart(outcomes).mark_bar().encode(
                x=alt.X("n:Q", title=t("followup.col.n")),
                y=alt.Y("outcome:N", sort="-x", title=""),
                tooltip=["outcome:N", "n:Q", alt.Tooltip("share:Q", format=".0%")],
            ), width="stretch")
    with right:
        st.subheader(t("followup.stats.effect"))
        effect = s.effect.assign(
            group=s.effect["group"].map(lambda g: t(f"followup.group.{g}")),
            rate=s.effect["rate"].map(lambda r: "—" if pd.isna(r) else f"{r:.0%}"),
        )
        st.dataframe(headers(effect), hide_index=True, width="stretch", placeholder=MISSING)
        st.caption(t("followup.stats.effect_help", start=s.start.isoformat(), end=s.end.isoformat()))
        if s.small_sample:
            st.warning(t("followup.stats.small", n=ctx.settings.small_sample_n))


st.title(t("followup.title"))
st.caption(t("followup.caption"))
# Leaving the plan section would drop the editor and its unsaved edits with it: not until saved.
section = st.segmented_control(
    t("followup.section"), ["plan", "generate", "stats"], default="plan",
    format_func=lambda s: t(f"followup.section.{s}"), key="followup.section", label_visibility="collapsed",
    disabled=bool(pending_changes()),
) or "plan"
try:
    {"plan": plan_section, "generate": generate_section, "stats": stats_section}[section]()
except Exception as exc:  # st.rerun/st.stop are BaseExceptions and pass through
    show_error(exc, ctx.lang)
