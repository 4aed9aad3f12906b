"""Users, passwords, sign-in lock-out, roles, row scope, contact masking and the audit log.

Roles (the only three):

- **admin** — users, settings, imports, everything; sees every customer unmasked.
- **manager** — sees and edits the customers and follow-ups they own, or their team's
  (``scope_for``); imports only with ``can_import``.
- **viewer** — read-only, sees every customer, but phone and e-mail masked.

Row scope is by ``customers.owner``: ``scope_for`` returns the owner names a user may see, and
``core.filters.Filters.scope_owners`` applies it inside every core query. Contact masking is the
other half: every core function or page that returns or shows a customer's phone or e-mail must
call ``should_mask(user)`` and, if true, pass those columns through ``mask_phone``/``mask_email``
(``mask_contacts`` does it for a DataFrame).

Sign-in lock-out (PITFALLS.md): 5 wrong passwords within 15 minutes of the first one lock the
account for 15 minutes, stored in DuckDB so it survives restarts and holds across sessions.
Every attempt is audited, never the password; a username that does not exist is not recorded
(it may be a password typed into the wrong box).

Times are naive UTC (``utcnow``); every function that depends on the clock takes ``now``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import bcrypt
import duckdb
import pandas as pd

from core.db import transaction
from core.errors import Conflict, KehuError, NotFound, PermissionDenied

Role = Literal["admin", "manager", "viewer"]
ROLES: tuple[str, ...] = ("admin", "manager", "viewer")

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt 5: refuses) anything longer
FIRST_ADMIN = "admin"
CONFLICT_RETRIES = 5  # DuckDB: a concurrent update of the same row fails; the answer is retry
USERNAME_RE = re.compile(r"^[\w.@-]{1,64}$")

# A real bcrypt hash of a random string: checked against when the username does not exist,
# so a wrong username costs as long as a wrong password (no timing hint that a name exists).
_DUMMY_HASH = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt()).decode()


class SignInRefused(KehuError):
    """Wrong username or password (one message for both: it must not reveal which)."""


class AccountLocked(SignInRefused):
    """Too many wrong passwords; ``locked_until`` (naive UTC) says when to try again."""

    def __init__(self, message: str, locked_until: datetime) -> None:
        super().__init__(message)
        self.locked_until = locked_until


class AccountDisabled(SignInRefused):
    """The password was right but an administrator disabled the account."""


@dataclass(frozen=True)
class User:
    """The signed-in user as pages and core see it (never the password hash)."""

    username: str
    display_name: str
    role: str
    owner_name: str | None = None
    team: str | None = None
    can_import: bool = False
    token_version: int = 1

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def utcnow() -> datetime:
    """Now as naive UTC, the form every timestamp in the users and audit tables has."""
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# --- passwords -------------------------------------------------------------------------------


def check_password_rules(password: str) -> None:
    """Refuse passwords bcrypt cannot hash whole, or too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise KehuError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise KehuError(f"The password must be at most {MAX_PASSWORD_BYTES} bytes long.")


def hash_password(password: str) -> str:
    """A bcrypt hash (``$2b$…``), the format streamlit-authenticator's ``Hasher`` also reads."""
    check_password_rules(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches; a malformed hash or over-long password is simply False."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


# --- users -----------------------------------------------------------------------------------

_USER_COLUMNS = "username, display_name, role, owner_name, team, can_import, token_version"


def normalise_username(username: str) -> str:
    """Usernames are compared lower-case and stripped (the authenticator lower-cases too)."""
    return (username or "").strip().lower()


def _user(row: tuple) -> User:
    username, display_name, role, owner_name, team, can_import, token_version = row
    return User(
        username=username,
        display_name=display_name or username,
        role=role,
        owner_name=owner_name,
        team=team,
        can_import=bool(can_import),
        token_version=int(token_version),
    )


def get_user(con: duckdb.DuckDBPyConnection, username: str) -> User | None:
    """The enabled user called ``username``, or None (unknown or disabled)."""
    row = con.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE username = ? AND NOT disabled",  # noqa: S608 - fixed columns
        [normalise_username(username)],
    ).fetchone()
    return _user(row) if row else None


def _exists(con: duckdb.DuckDBPyConnection, username: str) -> bool:
    return con.execute("SELECT count(*) FROM users WHERE username = ?", [username]).fetchone()[0] > 0


def add_user(
    con: duckdb.DuckDBPyConnection,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
    owner_name: str | None = None,
    team: str | None = None,
    can_import: bool = False,
    actor: str | None = None,
    now: datetime | None = None,
) -> User:
    """Create a user (usernames are unique, checked here: no UNIQUE index, see PITFALLS.md)."""
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise KehuError(
            "A username is 1 to 64 letters, digits or . _ @ - (no spaces), e.g. wang.fang."
        )
    if role not in ROLES:
        raise KehuError(f"The role must be one of {', '.join(ROLES)}.")
    password_hash = hash_password(password)
    now = _naive_utc(now)
    with transaction(con):
        if _exists(con, username):
            raise Conflict(f"A user called {username} already exists.")
        con.execute(
            "INSERT INTO users (username, display_name, email, role, owner_name, team, "
            "password_hash, can_import, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [username, display_name or None, email or None, role, owner_name or None,
             team or None, password_hash, bool(can_import), now],
        )
        audit(con, actor, "user", {"op": "add", "target": username, "role": role,
                                   "can_import": bool(can_import)}, now=now)
    user = get_user(con, username)
    assert user is not None
    return user


def set_password(
    con: duckdb.DuckDBPyConnection, username: str, password: str,
    *, actor: str | None = None, now: datetime | None = None,
) -> None:
    """New password; bumps ``token_version`` so every session and cookie of the user ends."""
    username = normalise_username(username)
    password_hash = hash_password(password)
    now = _naive_utc(now)
    with transaction(con):
        if not _exists(con, username):
            raise NotFound(f"There is no user called {username}.")
        con.execute(
            "UPDATE users SET password_hash = ?, token_version = token_version + 1, "
            "failed_logins = 0, first_failed_at = NULL, locked_until = NULL WHERE username = ?",
            [password_hash, username],
        )
        audit(con, actor, "user", {"op": "password", "target": username}, now=now)


def set_disabled(
    con: duckdb.DuckDBPyConnection, username: str, disabled: bool = True,
    *, actor: str | None = None, now: datetime | None = None,
) -> None:
    """Disable (or re-enable) an account; bumps ``token_version`` so open sessions end."""
    username = normalise_username(username)
    now = _naive_utc(now)
    with transaction(con):
        if not _exists(con, username):
            raise NotFound(f"There is no user called {username}.")
        if disabled and username == normalise_username(actor or ""):
            raise PermissionDenied("You cannot disable your own account.")
        con.execute(
            "UPDATE users SET disabled = ?, token_version = token_version + 1 WHERE username = ?",
            [disabled, username],
        )
        audit(con, actor, "user", {"op": "disable" if disabled else "enable", "target": username},
              now=now)


def disable_user(
    con: duckdb.DuckDBPyConnection, username: str,
    *, actor: str | None = None, now: datetime | None = None,
) -> None:
    """Disable an account (kept for the audit trail, never deleted)."""
    set_disabled(con, username, True, actor=actor, now=now)


def list_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every user for the admin page and the CLI — never the password hash."""
    return con.execute(
        "SELECT username, display_name, email, role, owner_name, team, can_import, disabled, "
        "locked_until, created_at FROM users ORDER BY username"
    ).df()


def user_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many accounts exist (disabled included)."""
    return con.execute("SELECT count(*) FROM users").fetchone()[0]


def ensure_first_admin(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> str | None:
    """On a database without users, create ``admin`` with a random password and return it.

    The caller prints it once to the console (never to a log or file); None when users exist.
    There is no default password: each install gets its own, known only to whoever started it.
    """
    if user_count(con) > 0:
        return None
    password = secrets.token_urlsafe(16)
    try:
        add_user(con, FIRST_ADMIN, password, "admin", display_name="Administrator",
                 actor="system", now=now)
    except Conflict:
        return None  # another session created it a moment ago
    return password


def first_admin_pending(con: duckdb.DuckDBPyConnection) -> bool:
    """True while the generated ``admin`` exists and nobody has ever signed in (first-start hint)."""
    if get_user(con, FIRST_ADMIN) is None:
        return False
    return con.execute("SELECT count(*) FROM audit_log WHERE action = 'login'").fetchone()[0] == 0


# --- sign-in ---------------------------------------------------------------------------------


def authenticate(
    con: duckdb.DuckDBPyConnection, username: str, password: str, now: datetime | None = None
) -> User:
    """Check a password, enforcing the DuckDB lock-out; every attempt is audited.

    Raises ``AccountLocked`` while locked (without checking the password), ``SignInRefused``
    for a wrong username or password, ``AccountDisabled`` only after a right password.
    """
    now = _naive_utc(now)
    username = normalise_username(username)
    row = con.execute(
        "SELECT password_hash, disabled, locked_until FROM users WHERE username = ?",
        [username],
    ).fetchone()
    if row is None:
        verify_password(password, _DUMMY_HASH)
        audit(con, None, "login_failed", {"reason": "unknown_user"}, now=now)
        raise SignInRefused("Wrong username or password.")
    password_hash, disabled, locked_until = row

    if locked_until is not None and now < locked_until:
        audit(con, username, "login_failed", {"reason": "locked"}, now=now)
        raise AccountLocked(_locked_message(locked_until, now), locked_until)

    if not verify_password(password, password_hash):
        locked = _record_failure(con, username, now)
        if locked is not None:
            raise AccountLocked(_locked_message(locked, now), locked)
        raise SignInRefused("Wrong username or password.")

    if disabled:
        audit(con, username, "login_failed", {"reason": "disabled"}, now=now)
        raise AccountDisabled("This account is disabled. Ask your Kehu administrator.")

    with transaction(con):
        con.execute(
            "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL "
            "WHERE username = ?",
            [username],
        )
        audit(con, username, "login", {"via": "password"}, now=now)
    user = get_user(con, username)
    assert user is not None
    return user


def _record_failure(con: duckdb.DuckDBPyConnection, username: str, now: datetime) -> datetime | None:
    """Count a wrong password in a window opened by the first one; the 5th locks the account.

    Read and write in one transaction, retried on DuckDB's write conflict, so two wrong
    passwords typed at the same moment both count. Returns ``locked_until`` if now locked.
    """
    for attempt in range(CONFLICT_RETRIES):
        try:
            with transaction(con):
                failures, first_failed_at, locked_until = con.execute(
                    "SELECT failed_logins, first_failed_at, locked_until FROM users "
                    "WHERE username = ?", [username]).fetchone()
                if locked_until is not None and locked_until > now:
                    return locked_until  # a concurrent attempt has just locked it
                if first_failed_at is None or now - first_failed_at > FAILURE_WINDOW:
                    failures, first_failed_at = 0, now
                failures += 1
                detail: dict[str, Any] = {"reason": "wrong_password", "failures": failures}
                if failures >= MAX_FAILURES:
                    locked_until = detail["locked_until"] = now + LOCK_DURATION
                    failures, first_failed_at = 0, None
                else:
                    locked_until = None
                con.execute(
                    "UPDATE users SET failed_logins = ?, first_failed_at = ?, locked_until = ? "
                    "WHERE username = ?",
                    [failures, first_failed_at, locked_until, username],
                )
                audit(con, username, "login_failed", detail, now=now)
            return locked_until
        except duckdb.TransactionException:
            if attempt == CONFLICT_RETRIES - 1:
                raise
    return None


def _locked_message(locked_until: datetime, now: datetime) -> str:
    minutes = max(1, -(-int((locked_until - now).total_seconds()) // 60))
    return (f"Too many wrong passwords: this account is locked for {minutes} more minute(s). "
            "Try again later or ask your Kehu administrator.")


def unlock(
    con: duckdb.DuckDBPyConnection, username: str,
    *, actor: str | None = None, now: datetime | None = None,
) -> None:
    """Lift a lock-out early (admin)."""
    username = normalise_username(username)
    with transaction(con):
        if not _exists(con, username):
            raise NotFound(f"There is no user called {username}.")
        con.execute(
            "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL "
            "WHERE username = ?",
            [username],
        )
        audit(con, actor, "user", {"op": "unlock", "target": username}, now=_naive_utc(now))


def sign_out(
    con: duckdb.DuckDBPyConnection, username: str, reason: str = "button",
    now: datetime | None = None,
) -> None:
    """End every session of the user: bump ``token_version`` (copied cookies die too)."""
    username = normalise_username(username)
    with transaction(con):
        con.execute(
            "UPDATE users SET token_version = token_version + 1 WHERE username = ?", [username]
        )
        audit(con, username, "logout", {"reason": reason}, now=_naive_utc(now))


def session_user(
    con: duckdb.DuckDBPyConnection, username: str, token_version: int
) -> User | None:
    """The user if the session is still valid: enabled and ``token_version`` unchanged."""
    user = get_user(con, username)
    if user is None or user.token_version != token_version:
        return None
    return user


# --- session lifetime ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPolicy:
    """How long a sign-in lasts: ``absolute`` after the password was typed, ``idle`` without use.

    Set with ``$KEHU_SESSION_HOURS`` (default 8) and ``$KEHU_IDLE_MINUTES`` (default 30).
    """

    absolute: timedelta = timedelta(hours=8)
    idle: timedelta = timedelta(minutes=30)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SessionPolicy:
        """Read the two limits from the environment; a bad value is refused, not ignored."""
        environ = os.environ if environ is None else environ
        try:
            hours = float(environ.get("KEHU_SESSION_HOURS") or 8)
            minutes = float(environ.get("KEHU_IDLE_MINUTES") or 30)
        except ValueError as exc:
            raise KehuError("KEHU_SESSION_HOURS and KEHU_IDLE_MINUTES must be numbers.") from exc
        if hours <= 0 or minutes <= 0:
            raise KehuError("KEHU_SESSION_HOURS and KEHU_IDLE_MINUTES must be positive.")
        return cls(absolute=timedelta(hours=hours), idle=timedelta(minutes=minutes))

    def end_reason(self, signed_in_at: datetime, last_seen: datetime, now: datetime) -> str | None:
        """``"expired"`` past the absolute limit, ``"idle"`` after too long unused, else None."""
        if now - signed_in_at >= self.absolute:
            return "expired"
        if now - last_seen >= self.idle:
            return "idle"
        return None


# --- roles and row scope ---------------------------------------------------------------------


def scope_for(user: User, con: duckdb.DuckDBPyConnection) -> tuple[str, ...] | None:
    """The customer owners ``user`` may see: None = all (admin, viewer), else a sorted tuple.

    A manager sees their own ``owner_name`` and, when they have a ``team``, every owner of that
    team: the owners of customers whose ``customers.team`` is it, and the ``owner_name`` of
    users whose ``users.team`` is it (a colleague who has no customers yet still counts).
    A manager with neither sees nothing (an empty tuple), never everything.
    """
    if user.role in ("admin", "viewer"):
        return None
    if user.role != "manager":
        return ()
    owners: set[str] = {user.owner_name} if user.owner_name else set()
    if user.team:
        rows = con.execute(
            "SELECT DISTINCT owner FROM customers WHERE team = ? AND owner IS NOT NULL "
            "UNION SELECT DISTINCT owner_name FROM users "
            "WHERE team = ? AND owner_name IS NOT NULL AND NOT disabled",
            [user.team, user.team],
        ).fetchall()
        owners.update(r[0] for r in rows)
    return tuple(sorted(owners))


def known_owners(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Owner names present in the customers table (to link a user to ``customers.owner``)."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT owner FROM customers WHERE owner IS NOT NULL ORDER BY owner").fetchall()]


def known_teams(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Team names present in customers or users."""
    return [r[0] for r in con.execute(
        "SELECT team FROM customers WHERE team IS NOT NULL UNION "
        "SELECT team FROM users WHERE team IS NOT NULL ORDER BY 1").fetchall()]


def can_edit(user: User | None) -> bool:
    """May change customers and follow-ups (within their scope): admin and manager."""
    return user is not None and user.role in ("admin", "manager")


def can_import(user: User | None) -> bool:
    """May import files: admin always, a manager only with ``can_import``, a viewer never."""
    if user is None:
        return False
    return user.role == "admin" or (user.role == "manager" and user.can_import)


def can_admin(user: User | None) -> bool:
    """May manage users, settings and read the audit log."""
    return user is not None and user.role == "admin"


def require(allowed: bool, what: str) -> None:
    """Raise ``PermissionDenied`` naming the refused action, for core write paths."""
    if not allowed:
        raise PermissionDenied(f"Your role does not allow you to {what}.")


def should_mask(user: User | None) -> bool:
    """Whether phone and e-mail must be masked for this user (viewers; no user at all, too)."""
    return user is None or user.role == "viewer"


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``; short numbers keep only their last two digits."""
    if phone is None or (isinstance(phone, float) and phone != phone):
        return phone
    text = str(phone).strip()
    if not text:
        return text
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) > 2:
        return "*" * (len(text) - 2) + text[-2:]
    return "*" * len(text)


def mask_email(email: str | None) -> str | None:
    """``zhang.san@example.com`` → ``z***@example.com``; the domain stays (it says the company)."""
    if email is None or (isinstance(email, float) and email != email):
        return email
    text = str(email).strip()
    local, at, domain = text.partition("@")
    if not at:
        return mask_phone(text)
    return (local[:1] or "*") + "***@" + domain


def mask_contacts(frame: pd.DataFrame, user: User | None,
                  phone: str = "phone", email: str = "email") -> pd.DataFrame:
    """A copy of ``frame`` with its phone/e-mail columns masked if ``should_mask(user)``."""
    if not should_mask(user):
        return frame
    out = frame.copy()
    if phone in out.columns:
        out[phone] = out[phone].map(mask_phone, na_action="ignore")
    if email in out.columns:
        out[email] = out[email].map(mask_email, na_action="ignore")
    return out


# --- audit log -------------------------------------------------------------------------------


def audit(
    con: duckdb.DuckDBPyConnection, username: str | None, action: str,
    detail: dict[str, Any] | None = None, now: datetime | None = None,
) -> None:
    """Append one audit entry (login, logout, import, undo, plan_edit, setting, user …).

    Never put a password, a hash or customer contact data in ``detail``.
    """
    con.execute(
        "INSERT INTO audit_log (logged_at, username, action, detail) VALUES (?, ?, ?, ?)",
        [_naive_utc(now), username, action,
         json.dumps(detail or {}, ensure_ascii=False, default=str)],
    )


def audit_log(
    con: duckdb.DuckDBPyConnection, limit: int = 200, offset: int = 0, action: str | None = None
) -> pd.DataFrame:
    """Newest entries first, optionally one action only (admin page)."""
    return con.execute(
        "SELECT audit_id, logged_at, username, action, CAST(detail AS VARCHAR) AS detail "
        "FROM audit_log WHERE (? IS NULL OR action = ?) "
        "ORDER BY logged_at DESC, audit_id DESC LIMIT ? OFFSET ?",
        [action, action, int(limit), int(offset)],
    ).df()


def describe_audit(action: str, detail: Any, lang: str = "zh") -> tuple[str, str]:
    """An audit entry in words: ("登录（密码）", "") or ("导入", "订单：orders.csv（追加），载入 …").

    ``detail`` is the stored JSON (text or dict). Codes and keys Kehu does not know are shown as
    they are ("key: value; …"), so nothing recorded is ever hidden.
    """
    from core.i18n import has, t

    info = _detail_dict(detail)

    def word(prefix: str, code: Any) -> str:
        return t(f"{prefix}.{code}", lang) if has(f"{prefix}.{code}") else str(code)

    verb = word("admin.audit.do", action)
    if action == "login" and has(f"admin.audit.do.login.{info.get('via')}"):
        return t(f"admin.audit.do.login.{info.get('via')}", lang), ""
    try:
        if action == "login_failed" and "reason" in info:
            reason = info["reason"]
            text = (t("admin.audit.why.wrong_password", lang, failures=info.get("failures", "?"))
                    if reason == "wrong_password" else word("admin.audit.why", reason))
            if info.get("locked_until"):
                text = t("admin.audit.why.locked_until", lang, text=text, until=str(info["locked_until"])[:16])
            return verb, text
        if action == "logout" and "reason" in info:
            return verb, word("admin.audit.why", info["reason"])
        if action == "import" and info.get("demo"):
            return verb, t("admin.audit.import_demo", lang, customers=f"{int(info.get('customers', 0)):,}")
        if action == "import" and {"kind", "file"} <= info.keys():
            return verb, t("admin.audit.import", lang, kind=word("data.kind", info["kind"]), file=info["file"],
                           mode=word("admin.audit.mode", info.get("mode")),
                           loaded=f"{int(info.get('loaded') or 0):,}", rejected=f"{int(info.get('rejected') or 0):,}")
        if action == "undo" and "import_id" in info:
            return verb, t("admin.audit.undo", lang, import_id=info["import_id"],
                           kind=word("data.kind", info.get("kind")), removed=f"{int(info.get('removed') or 0):,}")
        if action == "plan_edit" and "created" in info:
            return verb, t("admin.audit.plan_edit", lang, **{k: info.get(k, 0) for k in
                                                             ("created", "updated", "deleted", "refused")})
        if action == "setting" and "target" in info:
            return verb, t("admin.audit.setting_target", lang, target=word("kpi", info["target"]),
                           month=str(info.get("month", ""))[:7], value=info.get("value"))
        if action == "remove_demo" and "customers" in info:
            return verb, t("admin.audit.remove_demo", lang, **{
                k: f"{int(info.get(k) or 0):,}" for k in ("customers", "orders", "surveys", "followups", "targets")})
        if action == "user" and has(f"admin.audit.user.{info.get('op')}"):
            return verb, t(f"admin.audit.user.{info['op']}", lang, target=info.get("target", "?"),
                           role=word("auth.role", info.get("role")))
    except (TypeError, ValueError):
        pass  # an entry of an unexpected shape: shown as recorded, below
    return verb, "; ".join(f"{k}: {v}" for k, v in info.items())


def _detail_dict(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return detail
    if detail is None or (isinstance(detail, float) and detail != detail):
        return {}
    try:
        parsed = json.loads(detail)
    except (TypeError, ValueError):
        return {"detail": detail}
    return parsed if isinstance(parsed, dict) else {"detail": parsed}


def audit_log_readable(
    con: duckdb.DuckDBPyConnection, lang: str = "zh", limit: int = 200, offset: int = 0,
    action: str | None = None,
) -> pd.DataFrame:
    """``audit_log`` for people: logged_at, username, action and detail in ``lang``'s words."""
    log = audit_log(con, limit=limit, offset=offset, action=action)
    words = [describe_audit(a, d, lang) for a, d in zip(log["action"], log["detail"], strict=True)]
    return log.assign(action=[w[0] for w in words], detail=[w[1] for w in words])


def audit_actions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The actions present in the log, for the admin page's filter."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT action FROM audit_log ORDER BY action").fetchall()]
