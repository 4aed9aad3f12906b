"""Admin 管理 — users and roles, and the audit log; administrators only."""

from __future__ import annotations

import streamlit as st

from core import auth
from core.errors import KehuError
from ui import context

AUDIT_PAGE_SIZE = 100
MISSING = "—"  # what an empty cell shows (never the word None)
FLASH_KEY = "admin.flash"  # the last change's confirmation, shown after the rerun that redraws

ctx = context.current()
st.title(ctx.t("nav.admin"))
if not auth.can_admin(ctx.user):
    st.error(ctx.t("admin.refused"))
    st.stop()

con, me = ctx.con, ctx.user.username
roles = list(auth.ROLES)


def role_label(role: str) -> str:
    return ctx.t(f"auth.role.{role}")


def run(change, done: str) -> None:
    """Apply one account change, then redraw the lists; a refusal is shown, never raised."""
    try:
        change()
    except KehuError as exc:
        st.error(str(exc))
    else:
        st.session_state[FLASH_KEY] = done
        st.rerun()


if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)


users_tab, audit_tab = st.tabs([ctx.t("admin.tab.users"), ctx.t("admin.tab.audit")])

with users_tab:
    st.caption(ctx.t("admin.users.caption"))
    users = auth.list_users(con)  # never contains password hashes
    st.dataframe(
        users.assign(role=users.role.map(role_label)),
        hide_index=True, placeholder=MISSING,
        column_config={c: ctx.t(f"admin.col.{c}") for c in users.columns},
    )

    st.subheader(ctx.t("admin.add.title"))
    with st.form("admin_add_user", clear_on_submit=True):
        left, right = st.columns(2)
        username = left.text_input(ctx.t("admin.col.username"), key="admin_add_username")
        display_name = right.text_input(ctx.t("admin.col.display_name"), key="admin_add_display")
        role = left.selectbox(ctx.t("admin.col.role"), roles, index=roles.index("viewer"),
                              format_func=role_label, key="admin_add_role")
        email = right.text_input(ctx.t("admin.col.email"), key="admin_add_email")
        owner = left.selectbox(ctx.t("admin.col.owner_name"), auth.known_owners(con), index=None,
                               accept_new_options=True, help=ctx.t("admin.add.owner_help"),
                               placeholder=ctx.t("admin.add.choose"), key="admin_add_owner")
        team = right.selectbox(ctx.t("admin.col.team"), auth.known_teams(con), index=None,
                               accept_new_options=True, help=ctx.t("admin.add.team_help"),
                               placeholder=ctx.t("admin.add.choose"), key="admin_add_team")
        password = left.text_input(ctx.t("auth.login.password"), type="password",
                                   key="admin_add_password")
        repeat = right.text_input(ctx.t("admin.add.password_repeat"), type="password",
                                  key="admin_add_repeat")
        may_import = st.checkbox(ctx.t("admin.col.can_import"), key="admin_add_can_import")
        if st.form_submit_button(ctx.t("admin.add.submit"), key="admin_add_submit"):
            if password != repeat:
                st.error(ctx.t("admin.password.differ"))
            else:
                run(lambda: auth.add_user(
                        con, username, password, role, display_name=display_name, email=email,
                        owner_name=owner, team=team, can_import=may_import, actor=me),
                    ctx.t("admin.add.done", username=auth.normalise_username(username)))

    names = list(auth.list_users(con).username)
    left, right = st.columns(2)
    with left, st.form("admin_password", clear_on_submit=True):
        st.subheader(ctx.t("admin.password.title"))
        target = st.selectbox(ctx.t("admin.status.user"), names, key="admin_pw_user")
        new = st.text_input(ctx.t("admin.password.new"), type="password", key="admin_pw_new")
        again = st.text_input(ctx.t("admin.add.password_repeat"), type="password",
                              key="admin_pw_repeat")
        if st.form_submit_button(ctx.t("admin.password.submit"), key="admin_pw_submit"):
            if new != again:
                st.error(ctx.t("admin.password.differ"))
            else:
                run(lambda: auth.set_password(con, target, new, actor=me),
                    ctx.t("admin.password.done", username=target))

    with right, st.form("admin_status"):
        st.subheader(ctx.t("admin.status.title"))
        target = st.selectbox(ctx.t("admin.status.user"), names, key="admin_status_user")
        action = st.radio(ctx.t("admin.status.action"), ["disable", "enable", "unlock"],
                          format_func=lambda a: ctx.t(f"admin.status.{a}"), horizontal=True,
                          key="admin_status_action")
        if st.form_submit_button(ctx.t("admin.status.submit"), key="admin_status_submit"):
            changes = {
                "disable": lambda: auth.disable_user(con, target, actor=me),
                "enable": lambda: auth.set_disabled(con, target, False, actor=me),
                "unlock": lambda: auth.unlock(con, target, actor=me),
            }
            run(changes[action], ctx.t("admin.status.done", username=target))

with audit_tab:
    st.caption(ctx.t("admin.audit.caption"))
    all_label = ctx.t("admin.audit.all")
    left, right = st.columns([3, 1])
    chosen = left.selectbox(ctx.t("admin.audit.action"), [all_label, *auth.audit_actions(con)],
                            format_func=lambda a: a if a == all_label
                            else auth.describe_audit(a, None, ctx.lang)[0],
                            key="admin_audit_action")
    page = right.number_input(ctx.t("admin.audit.page"), min_value=1, value=1, step=1,
                              key="admin_audit_page")
    log = auth.audit_log_readable(con, ctx.lang, limit=AUDIT_PAGE_SIZE,
                                  offset=(int(page) - 1) * AUDIT_PAGE_SIZE,
                                  action=None if chosen == all_label else chosen)
    if log.empty:
        st.info(ctx.t("admin.audit.empty"))
    else:
        cc = st.column_config
        st.dataframe(
            log.drop(columns="audit_id"), hide_index=True, width="stretch", placeholder=MISSING,
            column_config={
                "logged_at": cc.DatetimeColumn(ctx.t("admin.audit.col.logged_at"),
                                               format="YYYY-MM-DD HH:mm:ss", width=150),
                "username": cc.TextColumn(ctx.t("admin.audit.col.username"), width=90),
                "action": cc.TextColumn(ctx.t("admin.audit.col.action"), width=220),
                "detail": cc.TextColumn(ctx.t("admin.audit.col.detail"), width="large"),
            },
        )
