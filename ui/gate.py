"""The sign-in gate: ``user = gate.require_user(con, lang)`` returns the signed-in user or stops.

How the pieces fit (see PITFALLS.md for why each exists):

- The **password check** is ``core.auth.authenticate``: DuckDB lock-out (5 wrong in 15 min →
  15 min), disabled accounts, an audit entry per attempt. The form is drawn here with
  ``st.form`` rather than by ``Authenticate.login``, because the library checks the password
  itself and offers no hook to refuse a locked account first or to count failures per user
  outside the browser session; an own form also lets AppTest sign in.
- **streamlit-authenticator** keeps the session and the re-login cookie: an ``Authenticate``
  built fresh on every rerun (never module-level, streamlit 5581) with only the one user
  concerned in its credentials (no password hash is handed to it). Its session keys
  (``authentication_status``, ``username``, ``name``) are kept in step with Kehu's; its
  ``login(location="unrendered")`` signs a returning browser in from the cookie, its
  ``logout`` clears the session and deletes the cookie.
- The cookie is a JWT signed with a **per-user key** derived from the secret master key, the
  username and the user's ``token_version`` (``core.secrets_store``). Signing out, a new
  password or disabling bumps the version, so every earlier cookie — copies included — fails.
- On **every rerun** the session is checked against DuckDB (account enabled, same
  ``token_version``) and against the ``SessionPolicy``: 8 h after the password was typed
  (the cookie expires then too) and 30 min without activity, set by ``$KEHU_SESSION_HOURS``
  and ``$KEHU_IDLE_MINUTES``. Idle time is also tracked per user across sessions so that
  reloading the page does not revive an idle sign-in; after a server restart everyone signs in
  again.
- The **audit log** records the password sign-in (``core.auth.authenticate``), not the cookie
  re-sign-ins: every reload and every new tab is a new Streamlit session signed back in from
  the cookie, and writing ``login`` for each buried the real events. A cookie re-sign-in is
  only accepted within the idle limit of activity this process has seen from the same sign-in
  (same user and ``token_version``), so it is always the continuation of a sign-in already
  recorded, and it carries nothing new to record (no per-browser identity exists to make "once
  per browser session" mean more than "once per cookie").
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import duckdb
import jwt
import streamlit as st
import streamlit_authenticator as stauth

from core import auth, db, secrets_store
from core.errors import KehuError
from core.i18n import t

SESSION_KEY = "kehu.auth"  # {"username", "token_version", "signed_in_at", "last_seen"}
PENDING_COOKIE_KEY = "kehu.auth.set_cookie"
NOTICE_KEY = "kehu.auth.notice"
COOKIE_NAME = "kehu_session"
LOGIN_FORM_KEY = "kehu_login"

_first_admin_lock = threading.Lock()  # not per-user state: serialises the first-start check


class _RecentActivity:
    """Last activity per (username, token_version) in this process, for idle time across reloads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int], datetime] = {}

    def touch(self, username: str, token_version: int, now: datetime) -> None:
        with self._lock:
            self._seen[(username, token_version)] = now

    def last(self, username: str, token_version: int) -> datetime | None:
        with self._lock:
            return self._seen.get((username, token_version))


@st.cache_resource(show_spinner=False)
def _recent_activity() -> _RecentActivity:
    return _RecentActivity()


# --- the public entry points -----------------------------------------------------------------


def require_user(con: duckdb.DuckDBPyConnection, lang: str) -> auth.User:
    """The signed-in user for this rerun; otherwise draw the sign-in page and ``st.stop()``."""
    now = auth.utcnow()
    try:
        policy = auth.SessionPolicy.from_env()
        master = secrets_store.cookie_key(secrets_store.key_file(db.default_db_path()))
    except KehuError as exc:
        st.error(t("auth.error.config", lang, detail=str(exc)))
        st.stop()
    _first_start(con)

    state = st.session_state
    session = state.get(SESSION_KEY)
    claims = None if session else _cookie_claims()
    who = session["username"] if session else (claims or {}).get("username")
    authenticator = _authenticator(con, master, who, policy)

    if session:
        user, reason = _check_session(con, session, policy, now)
        if user is None:
            _end(authenticator, reason)
        elif _sidebar(authenticator, con, user, lang):
            _keep_alive(session, user, now)
            if state.pop(PENDING_COOKIE_KEY, False):
                authenticator.cookie_controller.set_cookie()
            return user
    elif claims:
        user = _cookie_sign_in(con, authenticator, claims, policy, now)
        if user is not None and _sidebar(authenticator, con, user, lang):
            return user

    def sign_in() -> None:
        _login_page(con, lang, policy)

    # A navigation with the sign-in page only: whatever page the address names, nothing else
    # runs, and the pages/ folder is not listed (Streamlit lists and runs it as "MPA v1" pages
    # until some run calls st.navigation).
    st.navigation([st.Page(sign_in, title=t("auth.login.title", lang), default=True)],
                  position="hidden").run()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def session_record(user: auth.User, now: datetime | None = None) -> dict[str, Any]:
    """What the gate keeps in ``st.session_state[SESSION_KEY]``; AppTest puts one there to sign in."""
    now = now or auth.utcnow()
    return {"username": user.username, "token_version": user.token_version,
            "signed_in_at": now, "last_seen": now}


# --- session checks --------------------------------------------------------------------------


def _check_session(
    con: duckdb.DuckDBPyConnection, session: dict[str, Any], policy: auth.SessionPolicy,
    now: datetime,
) -> tuple[auth.User | None, str | None]:
    """The user if the session still holds, else None and why it ended."""
    user = auth.session_user(con, session["username"], session["token_version"])
    if user is None:
        return None, "revoked"
    reason = policy.end_reason(session["signed_in_at"], session["last_seen"], now)
    if reason is not None:
        return None, reason
    return user, None


def _keep_alive(session: dict[str, Any], user: auth.User, now: datetime) -> None:
    session["last_seen"] = now
    _recent_activity().touch(user.username, user.token_version, now)
    _sync_library_state(user)


def _sync_library_state(user: auth.User) -> None:
    """Keep streamlit-authenticator's own session keys in step (its logout button needs them)."""
    state = st.session_state
    state["authentication_status"] = True
    state["username"] = user.username
    state["name"] = user.display_name
    state["roles"] = [user.role]


def _end(authenticator: stauth.Authenticate, reason: str | None) -> None:
    """Forget the session here and delete the cookie in the browser (no version bump)."""
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[NOTICE_KEY] = reason
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")


def _sign_out(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """The sign-out button: bump ``token_version`` so every cookie of this user dies."""
    auth.sign_out(con, username, reason="button")
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[NOTICE_KEY] = "signed_out"


# --- the cookie ------------------------------------------------------------------------------


def _cookie_claims() -> dict[str, Any] | None:
    """The cookie's claims *unverified*, only to know whose key verifies it (the library does)."""
    raw = st.context.cookies.get(COOKIE_NAME) if st.context.cookies else None
    if not raw:
        return None
    try:
        claims = jwt.decode(raw, options={"verify_signature": False}, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    if not isinstance(claims.get("username"), str) or not isinstance(claims.get("exp_date"), (int, float)):
        return None
    return claims


def _authenticator(
    con: duckdb.DuckDBPyConnection, master: str, username: str | None, policy: auth.SessionPolicy
) -> stauth.Authenticate:
    """A fresh ``Authenticate`` for this rerun, knowing only ``username`` and keyed for them."""
    user = auth.get_user(con, username) if username else None
    if user is not None:
        credentials = {"usernames": {user.username: {
            "name": user.display_name, "email": None, "roles": [user.role]}}}
        key = secrets_store.cookie_key_for(master, user.username, user.token_version)
    else:
        credentials = {"usernames": {}}
        key = secrets_store.cookie_key_for(master, "", 0)  # verifies no real user's cookie
    # login_sleep_time=0: the library pauses 0.7 s before a cookie sign-in (a leftover from when
    # it read cookies through its component); during that pause the component's first value
    # reruns the script and the page named in the address is lost (/admin opens the Overview).
    return stauth.Authenticate(
        credentials, COOKIE_NAME, key, policy.absolute.total_seconds() / 86400, auto_hash=False,
        login_sleep_time=0,
    )


def _cookie_sign_in(
    con: duckdb.DuckDBPyConnection, authenticator: stauth.Authenticate, claims: dict[str, Any],
    policy: auth.SessionPolicy, now: datetime,
) -> auth.User | None:
    """A returning browser: the library verifies the cookie; Kehu adds the idle check."""
    try:
        authenticator.login(location="unrendered")
    except stauth.LoginError:
        return None
    state = st.session_state
    if not state.get("authentication_status") or state.get("username") != claims["username"]:
        return None
    user = auth.get_user(con, claims["username"])
    last = _recent_activity().last(user.username, user.token_version) if user else None
    # the cookie expires ``absolute`` after the password was typed: that is when it was typed
    issued = datetime.fromtimestamp(claims["exp_date"], UTC).replace(tzinfo=None) - policy.absolute
    reason = "revoked" if user is None else (
        "idle" if last is None else policy.end_reason(issued, last, now))
    if reason is not None:
        _end(authenticator, reason)
        return None
    st.session_state[SESSION_KEY] = {"username": user.username, "token_version": user.token_version,
                                     "signed_in_at": issued, "last_seen": now}
    _keep_alive(st.session_state[SESSION_KEY], user, now)
    return user  # not audited: the continuation of the password sign-in (module docstring)


# --- what is drawn ---------------------------------------------------------------------------


def _sidebar(
    authenticator: stauth.Authenticate, con: duckdb.DuckDBPyConnection, user: auth.User, lang: str
) -> bool:
    """Who is signed in and the sign-out button; False once the button was pressed."""
    _sync_library_state(user)
    role = t(f"auth.role.{user.role}", lang)
    st.sidebar.caption(t("auth.sidebar.signed_in_as", lang, name=user.display_name, role=role))
    authenticator.logout(t("auth.sidebar.logout", lang), location="sidebar", key="kehu_logout",
                         callback=lambda _info: _sign_out(con, user.username))
    return bool(st.session_state.get("authentication_status"))


def _first_start(con: duckdb.DuckDBPyConnection) -> None:
    """No account yet: create ``admin`` and print its password once, to the console only."""
    if auth.user_count(con) > 0:
        return
    with _first_admin_lock:
        password = auth.ensure_first_admin(con)
    if password:
        print(
            "\n" + "=" * 72
            + "\nKehu first start: created the administrator account 'admin'."
            + f"\nIts password, shown only this once: {password}"
            + "\nSign in with it, then change it (Admin page, or: python -m core users passwd admin)."
            + "\n" + "=" * 72 + "\n",
            flush=True,
        )


def _login_page(con: duckdb.DuckDBPyConnection, lang: str, policy: auth.SessionPolicy) -> None:
    """What Kehu is, why it asks, and the form; nothing from the customer data."""
    st.title(t("app.title", lang))
    st.write(t("app.tagline", lang))
    st.caption(t("auth.login.why", lang))
    # kept until the next attempt: the cookie component's own reruns must not wipe it
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        st.info(t(f"auth.notice.{notice}", lang, hours=_num(policy.absolute.total_seconds() / 3600),
                  minutes=_num(policy.idle.total_seconds() / 60)))
    if auth.first_admin_pending(con):
        st.info(t("auth.login.first_start", lang))
    with st.form(LOGIN_FORM_KEY, clear_on_submit=True):
        st.subheader(t("auth.login.title", lang))
        username = st.text_input(t("auth.login.username", lang), key="kehu_login_username",
                                 autocomplete="username")
        password = st.text_input(t("auth.login.password", lang), type="password",
                                 key="kehu_login_password", autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.login.submit", lang), type="primary",
                                          key="kehu_login_submit")
    if not submitted:
        return
    st.session_state.pop(NOTICE_KEY, None)
    if not username or not password:
        st.warning(t("auth.login.missing", lang))
        return
    now = auth.utcnow()
    try:
        user = auth.authenticate(con, username, password, now=now)
    except auth.AccountLocked as exc:
        minutes = max(1, -(-int((exc.locked_until - now).total_seconds()) // 60))
        st.error(t("auth.error.locked", lang, minutes=minutes))
        return
    except auth.AccountDisabled:
        st.error(t("auth.error.disabled", lang))
        return
    except auth.SignInRefused:
        st.error(t("auth.error.wrong", lang))
        return
    st.session_state[SESSION_KEY] = session_record(user, now)
    st.session_state[PENDING_COOKIE_KEY] = True  # set next rerun, by an authenticator keyed for them
    _keep_alive(st.session_state[SESSION_KEY], user, now)
    st.rerun()


def _num(value: float) -> str:
    return f"{value:g}"
