"""The follow-up plan store (跟进计划): versioned rows, append-only history, validation, row scope.

Optimistic locking: every row carries a ``version``; a save names the version each row was loaded
at and is refused *for that row* when someone else changed it since (both versions are returned),
while the other rows of the save still go through — all accepted rows in one transaction.
Rows are never removed: delete sets ``deleted`` (the history stays simple and complete).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from core import db
from core.errors import Conflict, PermissionDenied
from core.filters import Filters, customer_where
from core.i18n import t

ACTIONS: tuple[str, ...] = ("call", "visit", "email", "message", "coupon", "other")
STATUSES: tuple[str, ...] = ("planned", "done", "cancelled")
OUTCOMES: tuple[str, ...] = ("reached", "no_answer", "won_back", "lost", "other")
SOURCES: tuple[str, ...] = ("manual", "churn_warning")
VIEWS: tuple[str, ...] = ("mine", "team", "all")
DUE_FILTERS: tuple[str, ...] = ("any", "overdue", "this_week")
EDITABLE: tuple[str, ...] = ("customer_id", "owner", "action", "due_date", "status", "outcome", "note")
ROW_FIELDS: tuple[str, ...] = (*EDITABLE, "source", "version", "deleted")
NOTE_MAX = 2000
ATTEMPTS = 5

# Sessions of one process save one at a time: every save bumps the single data_version row, so
# two overlapping saves would always hit DuckDB's "Conflict on update" anyway, and serialising
# also makes the "no duplicate open follow-up" check race-free. Conflicts with other writers
# (imports, settings) are still retried. A lock is process-wide state, not per-user state.
_SAVE_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Who is acting


@dataclass(frozen=True)
class Actor:
    """The parts of a signed-in user the store needs (None in bare tests = admin "admin")."""

    username: str
    role: str
    owner_name: str | None = None
    team: str | None = None


def actor_of(user: Any) -> Actor:
    """Normalise ``core.auth.User`` into an ``Actor``; no user is a read-only viewer, never an admin."""
    if user is None:
        return Actor("anonymous", "viewer")
    if isinstance(user, Actor):
        return user
    return Actor(
        username=str(getattr(user, "username", "") or "unknown"),
        role=str(getattr(user, "role", "viewer") or "viewer"),
        owner_name=getattr(user, "owner_name", None) or None,
        team=getattr(user, "team", None) or None,
    )


def can_edit(user: Any) -> bool:
    """Admins and managers edit the plan; viewers only read it."""
    return actor_of(user).role in ("admin", "manager")


def _require_editor(actor: Actor) -> None:
    if actor.role not in ("admin", "manager"):
        raise PermissionDenied(
            "Viewers can read the follow-up plan but not change it. 只读用户不能修改跟进计划。"
        )


# ---------------------------------------------------------------------------------------------
# Reading


PLAN_SQL = """
SELECT fu.followup_id, fu.customer_id, c.name AS customer_name, fu.owner, fu.action,
       fu.due_date, fu.status, fu.outcome, fu.note, fu.source,
       (fu.status = 'planned' AND fu.due_date < $today::DATE) AS overdue,
       fu.created_by, fu.created_at, fu.updated_by, fu.updated_at, fu.version
FROM followups fu
LEFT JOIN (SELECT customer_id, any_value(name) AS name, any_value(owner) AS owner,
                  any_value(region) AS region, any_value(channel) AS channel
           FROM customers GROUP BY customer_id) c USING (customer_id)
WHERE NOT fu.deleted AND ({where}) AND ({view}) AND ({due}) AND ({closed}) AND ({customer})
ORDER BY fu.due_date, fu.followup_id
LIMIT $limit OFFSET $offset
"""

PLAN_COLUMNS: tuple[str, ...] = (
    "followup_id", "customer_id", "customer_name", "owner", "action", "due_date", "status",
    "outcome", "note", "source", "overdue", "created_by", "created_at", "updated_by",
    "updated_at", "version",
)


def _named(where: str, params: list[Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """Turn the ``?`` placeholders of a ``customer_where`` fragment into ``$prefixN`` names."""
    parts = where.split("?")
    out = parts[0]
    named: dict[str, Any] = {}
    for i, (value, rest) in enumerate(zip(params, parts[1:], strict=True)):
        named[f"{prefix}{i}"] = value
        out += f"${prefix}{i}" + rest
    return out, named


def week_start(d: date) -> date:
    """Monday of ``d``'s week (weeks run Monday–Sunday, as DuckDB's ``date_trunc('week')``)."""
    return d - timedelta(days=d.weekday())


def team_owners(con: duckdb.DuckDBPyConnection, user: Any) -> tuple[str, ...]:
    """Owners of the user's team: users of that team and owners of the team's customers."""
    actor = actor_of(user)
    owners: set[str] = {actor.owner_name} if actor.owner_name else set()
    if actor.team:
        rows = con.execute(
            "SELECT owner_name FROM users WHERE team = ? AND owner_name IS NOT NULL "
            "UNION SELECT DISTINCT owner FROM customers WHERE team = ? AND owner IS NOT NULL",
            [actor.team, actor.team],
        ).fetchall()
        owners |= {r[0] for r in rows}
    return tuple(sorted(owners))


ACCOUNT_MANAGERS_SQL = (
    "SELECT DISTINCT owner FROM customers WHERE owner IS NOT NULL AND trim(owner) <> '' "
    "UNION SELECT owner_name FROM users WHERE owner_name IS NOT NULL AND trim(owner_name) <> ''"
)

# The name a user is assigned follow-ups under: their account-manager name, else their username
# (an administrator of a shop whose export has no account-manager column has only the latter).
ASSIGNEE_SQL = "coalesce(nullif(trim(owner_name), ''), username)"


def account_managers(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Customers' owners and users' owner names: who capacity mode spreads follow-ups over."""
    return tuple(r[0] for r in con.execute(ACCOUNT_MANAGERS_SQL + " ORDER BY 1").fetchall())


def known_owners(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """Every name a follow-up may be assigned to: customers' owners, users' owner names, and the
    username of every admin or manager without an owner name (see ``assignee_of``)."""
    rows = con.execute(
        ACCOUNT_MANAGERS_SQL + f" UNION SELECT {ASSIGNEE_SQL} FROM users "  # noqa: S608 - fixed SQL
        "WHERE role IN ('admin', 'manager') ORDER BY 1"
    ).fetchall()
    return tuple(r[0] for r in rows)


def assignee_of(user: Any) -> str:
    """The name follow-ups are assigned to this user under (owner name, else username)."""
    actor = actor_of(user)
    return actor.owner_name or actor.username


def assignees(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The active users who may own follow-ups (admins and managers): ``assignee`` (the name a
    follow-up carries), ``username``, ``display_name`` — the choices of a fallback assignee."""
    return con.execute(
        f"SELECT {ASSIGNEE_SQL} AS assignee, username, coalesce(display_name, username) AS display_name "  # noqa: S608
        "FROM users WHERE role IN ('admin', 'manager') AND NOT disabled ORDER BY assignee, username"
    ).df()


def customer_choices(con: duckdb.DuckDBPyConnection, f: Filters | None = None,
                     limit: int | None = None) -> pd.DataFrame:
    """customer_id, name, owner of the customers this user may plan for (dropdowns).

    ``limit`` caps the rows fetched: a page that offers a dropdown only up to N customers asks for
    N + 1 and so never pulls a million names into Python.
    """
    where, params = customer_where(f, "c")
    return con.execute(
        f"SELECT customer_id, any_value(name) AS name, any_value(owner) AS owner "  # noqa: S608 - fragment from customer_where
        f"FROM customers c WHERE {where} GROUP BY customer_id ORDER BY customer_id LIMIT ?",
        [*params, limit],
    ).df()


def list_plan(
    con: duckdb.DuckDBPyConnection,
    f: Filters | None = None,
    view: str = "all",
    user: Any = None,
    today: date | None = None,
    due: str = "any",
    customer_id: str | None = None,
    include_closed: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """The plan rows this user may see, one per live follow-up, ordered by due date.

    ``view``: mine (assigned to the user's owner name; an admin without one: created by them),
    team (assigned to an owner of the user's team) or all (everything in the row scope ``f``).
    ``due``: any, overdue (planned and due before ``today``) or this_week (due Monday–Sunday of
    ``today``'s week). ``version`` is what a later ``save_changes`` must hand back.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    if due not in DUE_FILTERS:
        raise ValueError(f"due must be one of {DUE_FILTERS}")
    today = today or date.today()
    actor = actor_of(user)
    where, where_params = _named(*customer_where(f, "c"), prefix="w")
    params: dict[str, Any] = {**where_params, "today": today, "limit": limit, "offset": offset}
    if view == "mine":
        if actor.owner_name:
            view_sql, params["me"] = "fu.owner = $me", actor.owner_name
        else:
            view_sql, params["me"] = "fu.created_by = $me", actor.username
    elif view == "team":
        owners = team_owners(con, actor)
        view_sql, team_params = _named(
            f"fu.owner IN ({', '.join('?' for _ in owners)})" if owners else "FALSE", list(owners), "t"
        )
        params.update(team_params)
    else:
        view_sql = "TRUE"
    due_sql = {
        "any": "TRUE",
        "overdue": "fu.status = 'planned' AND fu.due_date < $today::DATE",
        "this_week": "fu.due_date BETWEEN $week0::DATE AND $week0::DATE + 6",
    }[due]
    if due == "this_week":
        params["week0"] = week_start(today)
    customer_sql = "TRUE"
    if customer_id is not None:
        customer_sql, params["customer"] = "fu.customer_id = $customer", customer_id
    closed_sql = "TRUE" if include_closed else "fu.status = 'planned'"
    sql = (
        PLAN_SQL.replace("{where}", where).replace("{view}", view_sql).replace("{due}", due_sql)
        .replace("{closed}", closed_sql).replace("{customer}", customer_sql)
    )
    frame = con.execute(sql, params).df()
    if len(frame):
        frame["due_date"] = pd.to_datetime(frame["due_date"]).dt.date
    return frame


HISTORY_SQL = """
SELECT h.history_id, h.followup_id, h.version, h.op, h.changed_by, h.changed_at,
       h.before, h.after,
       coalesce(h.after->>'customer_id', h.before->>'customer_id') AS customer_id
FROM followup_history h
WHERE ({cond})
ORDER BY h.followup_id, h.version, h.history_id
"""


def history(
    con: duckdb.DuckDBPyConnection, customer_id: str | None = None, followup_id: int | None = None
) -> pd.DataFrame:
    """Every recorded change (oldest first): who, when, op, version and the row before/after.

    ``before``/``after`` are JSON texts of the row's fields; ``changes`` lists "field: old → new".
    """
    conds, params = [], []
    if customer_id is not None:
        conds.append("coalesce(h.after->>'customer_id', h.before->>'customer_id') = ?")
        params.append(customer_id)
    if followup_id is not None:
        conds.append("h.followup_id = ?")
        params.append(followup_id)
    sql = HISTORY_SQL.replace("{cond}", " AND ".join(conds) or "TRUE")
    frame = con.execute(sql, params).df()
    frame["changes"] = [
        _describe(b, a) for b, a in zip(frame["before"], frame["after"], strict=True)
    ] if len(frame) else pd.Series(dtype="str")
    return frame


def _describe(before: Any, after: Any) -> str:
    """"field: old → new" for the editable fields that differ."""
    b = json.loads(before) if isinstance(before, str) else {}
    a = json.loads(after) if isinstance(after, str) else {}
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    parts = []
    for name in (*EDITABLE, "deleted"):
        if b.get(name) != a.get(name):
            parts.append(f"{name}: {text(b.get(name))} → {text(a.get(name))}" if b
                         else f"{name}: {text(a.get(name))}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Saving


@dataclass(frozen=True)
class Saved:
    """One accepted change: its position in the request, the row and its new version."""

    index: int
    op: str
    followup_id: int
    version: int


@dataclass(frozen=True)
class Refusal:
    """One refused change with a reason code; for conflicts, both versions of the row.

    ``theirs`` is the row as it is now in the database (with ``updated_by``/``updated_at``);
    ``yours`` is what this save tried to write.
    """

    index: int
    followup_id: int | None
    code: str
    detail: dict[str, Any] = field(default_factory=dict)
    theirs: dict[str, Any] | None = None
    yours: dict[str, Any] | None = None

    def message(self, lang: str = "zh") -> str:
        """The reason in the manager's language."""
        row = f"#{self.followup_id}" if self.followup_id is not None else f"+{self.index + 1}"
        return t(f"followup.refuse.{self.code}", lang, row=row, **self.detail)


@dataclass
class SaveReport:
    """What a save did: accepted changes (all in one transaction) and refused ones with reasons."""

    saved: list[Saved] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    attempts: int = 1

    def count(self, op: str) -> int:
        return sum(1 for s in self.saved if s.op == op)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def deleted(self) -> int:
        return self.count("delete")

    @property
    def ok(self) -> bool:
        return not self.refused


def parse_date(value: Any) -> date | None:
    """A date from what an editor or a file gives (date, datetime, Timestamp, 'YYYY-MM-DD',
    'YYYY/M/D'); None when it is missing or not a date."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip().replace("/", "-").replace(".", "-")
        text = text.split("T")[0].split(" ")[0]
        try:
            y, m, d = (int(p) for p in text.split("-"))
            return date(y, m, d)
        except ValueError:
            return None
    return None


def _clean_text(value: Any) -> str | None:
    """Empty cells (None, NaN, '') become None; other values their stripped text."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return text or None


def _as_int(value: Any) -> int | None:
    """An id or version as sent by an editor (7, 7.0, "7"); None when missing or not a number."""
    text = _clean_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _row_json(row: dict[str, Any]) -> str:
    return json.dumps({k: row.get(k) for k in ROW_FIELDS}, default=str, ensure_ascii=False)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A row as shown in a conflict message (dates as ISO text)."""
    out = {k: row.get(k) for k in (*EDITABLE, "version", "deleted", "updated_by", "updated_at")}
    for k in ("due_date", "updated_at"):
        if out.get(k) is not None:
            out[k] = str(out[k])
    return out


def _in(values: Iterable[Any]) -> tuple[str, list[Any]]:
    vals = list(dict.fromkeys(values))
    if not vals:
        return "(NULL)", []
    return "(" + ", ".join("?" for _ in vals) + ")", vals


def _ensure_sequence_ahead(con: duckdb.DuckDBPyConnection) -> None:
    """Advance ``seq_followup_id`` past ids that were inserted explicitly (e.g. by a loader)."""
    top = db.scalar(con, "SELECT max(followup_id) FROM followups")
    if top is None:
        return
    nxt = db.scalar(con, "SELECT nextval('seq_followup_id')")
    if nxt <= top:
        con.execute("SELECT max(nextval('seq_followup_id')) FROM range(?)", [top - nxt + 1]).fetchall()


def _is_write_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, duckdb.TransactionException) or "conflict" in text


def save_changes(
    con: duckdb.DuckDBPyConnection,
    user: Any,
    changes: Sequence[dict[str, Any]],
    f: Filters | None = None,
    attempts: int = ATTEMPTS,
) -> SaveReport:
    """Write the accepted changes in one transaction; refuse the others row by row, with reasons.

    A change is a dict with ``op``: ``create`` (customer_id, owner, action, due_date, optional
    status/outcome/note/source, and ``no_duplicate=True`` to refuse it when the customer already
    has an open follow-up), ``update`` (followup_id, the ``version`` it was loaded at, and the
    fields to change) or ``delete`` (followup_id, version). ``f.scope_owners`` is the row scope:
    only customers of those owners may be touched (None = all). Viewers get ``PermissionDenied``.
    DuckDB write conflicts with other writers are retried ``attempts`` times, then ``Conflict``.
    """
    actor = actor_of(user)
    _require_editor(actor)
    scope = f.scope_owners if f is not None else None
    last_exc: BaseException | None = None
    for attempt in range(1, attempts + 1):
        with _SAVE_LOCK:
            try:
                con.execute("BEGIN TRANSACTION")
                report = _apply(con, actor, changes, scope)
                report.attempts = attempt
                con.execute("COMMIT")
                return report
            except Exception as exc:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # a failed COMMIT has already ended the transaction
                if not _is_write_conflict(exc):
                    raise
                last_exc = exc
        time.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    raise Conflict(
        "The plan could not be saved because other changes were being written at the same "
        "moment. Nothing was saved; please press Save again. "
        "其他人正在同时写入数据，本次未保存任何内容，请重新点击保存。"
    ) from last_exc


def _apply(
    con: duckdb.DuckDBPyConnection,
    actor: Actor,
    changes: Sequence[dict[str, Any]],
    scope: tuple[str, ...] | None,
) -> SaveReport:
    """Validate every change against one snapshot and write the accepted ones (inside a txn)."""
    report = SaveReport()
    ids = [i for i in (_as_int(c.get("followup_id")) for c in changes) if i is not None]
    current: dict[int, list[dict[str, Any]]] = {}
    if ids:
        marks, vals = _in(ids)
        cur = con.execute(
            f"SELECT followup_id, {', '.join(ROW_FIELDS)}, updated_by, updated_at "  # noqa: S608 - fixed names
            f"FROM followups WHERE followup_id IN {marks}", vals,
        )
        names = [d[0] for d in cur.description]
        for values in cur.fetchall():
            row = dict(zip(names, values, strict=True))
            current.setdefault(row["followup_id"], []).append(row)
    customer_ids = [c.get("customer_id") for c in changes] + [
        r["customer_id"] for rows in current.values() for r in rows]
    marks, vals = _in(str(x) for x in customer_ids if _clean_text(x) is not None)
    owner_of = dict(con.execute(
        f"SELECT customer_id, any_value(owner) FROM customers WHERE customer_id IN {marks} "  # noqa: S608
        "GROUP BY customer_id", vals).fetchall())
    owners = set(known_owners(con))
    open_customers = {r[0] for r in con.execute(
        f"SELECT DISTINCT customer_id FROM followups WHERE status = 'planned' AND NOT deleted "  # noqa: S608
        f"AND customer_id IN {marks}", vals).fetchall()}

    seen_ids: set[int] = set()
    creates: list[tuple[int, dict[str, Any]]] = []
    writes: list[tuple[int, str, dict[str, Any], dict[str, Any]]] = []  # index, op, before, after
    for index, change in enumerate(changes):
        op = change.get("op")
        fid_int = _as_int(change.get("followup_id"))

        def refuse(code: str, theirs: dict | None = None, _i: int = index,
                   _fid: int | None = fid_int, _ch: dict = change, **detail: Any) -> None:
            yours = {k: _ch.get(k) for k in (*EDITABLE, "version") if k in _ch}
            if "due_date" in yours and yours["due_date"] is not None:
                yours["due_date"] = str(yours["due_date"])
            report.refused.append(Refusal(_i, _fid, code, detail, theirs, yours))

        if op not in ("create", "update", "delete"):
            refuse("bad_op", value=str(op))
            continue
        before: dict[str, Any] | None = None
        if op != "create":
            if fid_int is None:
                refuse("not_found")
                continue
            if fid_int in seen_ids:
                refuse("twice")
                continue
            seen_ids.add(fid_int)
            rows = current.get(fid_int, [])
            if len(rows) != 1:  # no PRIMARY KEY (PITFALLS): uniqueness is checked here
                refuse("not_found" if not rows else "duplicate_id")
                continue
            before = rows[0]
            loaded = _as_int(change.get("version"))
            if before["deleted"]:
                refuse("gone", theirs=_public(before), by=before["updated_by"] or "?")
                continue
            if loaded != before["version"]:
                refuse("conflict", theirs=_public(before), by=before["updated_by"] or "?",
                       at=str(before["updated_at"])[:16], theirs_version=before["version"],
                       yours_version="?" if loaded is None else loaded)
                continue
            if scope is not None and owner_of.get(before["customer_id"]) not in scope:
                refuse("out_of_scope", customer=before["customer_id"])
                continue
        if op == "delete":
            assert before is not None
            after = {**before, "deleted": True, "version": before["version"] + 1}
            writes.append((index, op, before, after))
            continue

        base = dict(before) if before else {
            "status": "planned", "outcome": None, "note": None, "source": "manual",
            "version": 0, "deleted": False}
        row = dict(base)
        for name in EDITABLE:
            if name in change:
                row[name] = change[name]
        if op == "create" and _clean_text(change.get("source")) is not None:
            row["source"] = _clean_text(change.get("source"))
        for name in ("customer_id", "owner", "action", "status", "outcome", "note", "source"):
            row[name] = _clean_text(row.get(name))
        raw_due = row.get("due_date")
        row["due_date"] = parse_date(raw_due)
        code, detail = _invalid(row, raw_due, owner_of, owners, scope)
        if code:
            refuse(code, **detail)
            continue
        if op == "create":
            if change.get("no_duplicate") and row["status"] == "planned":
                if row["customer_id"] in open_customers:
                    refuse("duplicate_open", customer=row["customer_id"])
                    continue
                open_customers.add(row["customer_id"])
            creates.append((index, row))
            continue
        assert before is not None
        if all(row[k] == before[k] for k in EDITABLE):
            continue  # nothing changed: no new version
        after = {**row, "version": before["version"] + 1}
        writes.append((index, op, before, after))

    if creates:
        _ensure_sequence_ahead(con)
    for index, row in creates:
        fid = con.execute(
            "INSERT INTO followups (customer_id, owner, action, due_date, status, outcome, note, "
            "source, created_by, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING followup_id",
            [row["customer_id"], row["owner"], row["action"], row["due_date"], row["status"],
             row["outcome"], row["note"], row["source"], actor.username, actor.username],
        ).fetchall()[0][0]
        after = {**row, "version": 1, "deleted": False}
        _log(con, fid, 1, "create", actor, None, after)
        report.saved.append(Saved(index, "create", fid, 1))
    for index, op, before, after in writes:
        n = con.execute(
            "UPDATE followups SET customer_id = ?, owner = ?, action = ?, due_date = ?, status = ?, "
            "outcome = ?, note = ?, deleted = ?, version = version + 1, updated_by = ?, "
            "updated_at = current_timestamp "
            "WHERE followup_id = ? AND version = ? AND NOT deleted",
            [after["customer_id"], after["owner"], after["action"], after["due_date"],
             after["status"], after["outcome"], after["note"], after["deleted"], actor.username,
             before["followup_id"], before["version"]],
        ).fetchall()[0][0]
        if n != 1:  # cannot happen inside one snapshot; fail the whole save rather than half-write
            raise Conflict(f"Follow-up #{before['followup_id']} changed while saving; nothing was saved.")
        _log(con, before["followup_id"], after["version"], op, actor, before, after)
        report.saved.append(Saved(index, op, before["followup_id"], after["version"]))
    report.saved.sort(key=lambda s: s.index)
    con.execute(
        "INSERT INTO audit_log (username, action, detail) VALUES (?, 'plan_edit', ?::JSON)",
        [actor.username, json.dumps({
            "created": report.created, "updated": report.updated, "deleted": report.deleted,
            "refused": len(report.refused)})],
    )
    if report.saved:
        db.bump_data_version(con, sources=False)
    return report


def _invalid(
    row: dict[str, Any], raw_due: Any, owner_of: dict[str, str], owners: set[str],
    scope: tuple[str, ...] | None,
) -> tuple[str | None, dict[str, Any]]:
    """The first reason the row cannot be saved, or (None, {})."""
    customer = row["customer_id"]
    if customer is None or customer not in owner_of:
        return "unknown_customer", {"value": customer or ""}
    if scope is not None and owner_of.get(customer) not in scope:
        return "out_of_scope", {"customer": customer}
    if row["owner"] is None or row["owner"] not in owners:
        return "unknown_owner", {"value": row["owner"] or ""}
    if row["action"] not in ACTIONS:
        return "bad_action", {"value": row["action"] or ""}
    if row["due_date"] is None:
        return "bad_date", {"value": "" if raw_due is None else str(raw_due)}
    if row["status"] not in STATUSES:
        return "bad_status", {"value": row["status"] or ""}
    if row["outcome"] is not None and row["outcome"] not in OUTCOMES:
        return "bad_outcome", {"value": row["outcome"]}
    if row["status"] == "done" and row["outcome"] is None:
        return "outcome_required", {}
    if row["source"] not in SOURCES:
        return "bad_source", {"value": row["source"] or ""}
    if row["note"] is not None and len(row["note"]) > NOTE_MAX:
        return "note_too_long", {"limit": NOTE_MAX}
    return None, {}


def _log(con: duckdb.DuckDBPyConnection, followup_id: int, version: int, op: str, actor: Actor,
         before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    con.execute(
        "INSERT INTO followup_history (followup_id, version, op, changed_by, before, after) "
        "VALUES (?, ?, ?, ?, ?::JSON, ?::JSON)",
        [followup_id, version, op, actor.username,
         None if before is None else _row_json(before), _row_json(after)],
    )


# ---------------------------------------------------------------------------------------------
# Editor → changes


def changes_from_editor(loaded: pd.DataFrame, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The changes a ``st.data_editor`` editing state describes, against the frame it was given.

    ``state`` is ``{"edited_rows": {pos: {col: value}}, "added_rows": [{col: value}],
    "deleted_rows": [pos]}`` (positions into ``loaded``). Only changed rows become changes, each
    carrying the version it was loaded at; added rows that are entirely empty are ignored.
    """
    out: list[dict[str, Any]] = []
    deleted = {int(p) for p in state.get("deleted_rows", [])}
    for pos in sorted(deleted):
        row = loaded.iloc[pos]
        out.append({"op": "delete", "followup_id": int(row["followup_id"]), "version": int(row["version"])})
    for pos, cells in sorted(state.get("edited_rows", {}).items(), key=lambda kv: int(kv[0])):
        if int(pos) in deleted:
            continue
        row = loaded.iloc[int(pos)]
        fields = {k: v for k, v in cells.items() if k in EDITABLE}
        if not fields:
            continue
        out.append({"op": "update", "followup_id": int(row["followup_id"]),
                    "version": int(row["version"]), **fields})
    for cells in state.get("added_rows", []):
        fields = {k: v for k, v in cells.items() if k in EDITABLE}
        if not any(_clean_text(v) is not None for v in fields.values()):
            continue
        out.append({"op": "create", **fields})
    return out


# ---------------------------------------------------------------------------------------------
# Generating a plan from the churn warnings


PREVIEW_COLUMNS: tuple[str, ...] = (
    "customer_id", "customer_name", "customer_owner", "score", "owner", "assigned_because", "week",
    "action", "due_date", "note", "skip_reason",
)
ASSIGNED_BECAUSE: tuple[str, ...] = ("own", "fallback", "capacity")
"""Why a previewed follow-up went to its owner: the customer's account manager (``own``), the
fallback assignee because the customer has none (``fallback``), or someone else because that
one was full that week (``capacity``, capacity mode only)."""


def generate_from_warnings(
    con: duckdb.DuckDBPyConnection,
    user: Any,
    candidates: pd.DataFrame,
    *,
    score_column: str = "risk_x_value",
    customer_ids: Sequence[str] | None = None,
    top_n: int | None = 20,
    assign: str = "own",
    capacity_per_week: int = 10,
    owners: Sequence[str] | None = None,
    fallback_owner: str | None = None,
    include_churned: bool = False,
    stage_column: str = "lifecycle_stage",
    action: str = "call",
    first_due: date | None = None,
    allow_duplicates: bool = False,
    f: Filters | None = None,
    reasons_column: str = "churn_reasons",
) -> pd.DataFrame:
    """A preview of follow-ups for warned customers (nothing is written; ``create_plan`` does).

    ``candidates`` has ``customer_id``, a score column (risk × value from the churn model, or
    any ranking when the model is not available) and, for the churned rule, the lifecycle stage
    (``stage_column``; without it nobody counts as churned). The chosen ``customer_ids`` or else
    the ``top_n`` by score are planned, best first.

    Churned customers (stage ``churned`` as of the reference date: a win-back case, not a
    warning) are left out unless ``include_churned`` — the churn page's default: from the top N
    they are dropped before counting, picked ones are kept in the preview as skipped
    (``churned``).

    ``assign="own"``: each customer's account manager; customers without one go to
    ``fallback_owner`` (the user picks it; without one they are skipped as ``no_owner``).
    ``"capacity"``: that person while they have room that week, else the least-loaded owner of
    ``owners`` (default: every account manager in the row scope; the fallback assignee joins
    them for owner-less customers). Either way no owner gets more than ``capacity_per_week``
    open follow-ups in a week (existing planned ones count): the overflow moves to the next
    week, same weekday as ``first_due``. ``assigned_because`` says why each row got its owner
    (``ASSIGNED_BECAUSE``), ``week`` how many weeks after ``first_due`` it is due. Customers that
    already have an open follow-up (unless ``allow_duplicates``) or that are outside the row
    scope are kept in the preview with ``skip_reason`` set.
    """
    actor = actor_of(user)
    _require_editor(actor)
    if assign not in ("own", "capacity"):
        raise ValueError("assign must be 'own' or 'capacity'")
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}")
    capacity = max(1, int(capacity_per_week))
    first_due = first_due or date.today() + timedelta(days=1)
    scope = f.scope_owners if f is not None else None
    fallback = _clean_text(fallback_owner)

    cand = candidates.copy()
    if score_column not in cand.columns:
        cand[score_column] = 0.0
    cand = cand.drop_duplicates("customer_id")
    churned = (cand[stage_column] == "churned") if stage_column in cand.columns else None
    cand["_churned"] = False if churned is None else churned.fillna(False).astype(bool)
    if customer_ids is not None:
        wanted = set(customer_ids)
        cand = cand[cand["customer_id"].isin(wanted)]
    elif not include_churned:
        cand = cand[~cand["_churned"]]
    cand = cand.sort_values([score_column, "customer_id"], ascending=[False, True], kind="stable")
    if customer_ids is None and top_n is not None:
        cand = cand.head(int(top_n))

    info = customer_choices(con)
    cand = cand.merge(info.rename(columns={"name": "customer_name", "owner": "customer_owner"}),
                      on="customer_id", how="left")
    marks, vals = _in(cand["customer_id"].astype(str))
    open_customers = {r[0] for r in con.execute(
        f"SELECT DISTINCT customer_id FROM followups WHERE status = 'planned' AND NOT deleted "  # noqa: S608
        f"AND customer_id IN {marks}", vals).fetchall()}
    pool = [o for o in (owners if owners is not None else account_managers(con))
            if scope is None or o in scope]
    pool_without_owner = pool if fallback is None or fallback in pool else sorted([*pool, fallback])
    week0 = week_start(first_due)
    load: dict[tuple[str, int], int] = {}
    for owner, wk, n in con.execute(
        "SELECT owner, (date_trunc('week', due_date)::DATE - ?::DATE) // 7 AS wk, count(*) "
        "FROM followups WHERE status = 'planned' AND NOT deleted AND due_date >= ? GROUP BY ALL",
        [week0, week0],
    ).fetchall():
        load[(owner, int(wk))] = int(n)

    existing = set(info["customer_id"])
    rows = []
    for rec in cand.to_dict("records"):
        cid = rec["customer_id"]
        own = _clean_text(rec.get("customer_owner"))
        skip = None
        if cid not in existing:
            skip = "unknown_customer"
        elif scope is not None and own not in scope:
            skip = "out_of_scope"
        elif rec["_churned"] and not include_churned:
            skip = "churned"
        elif cid in open_customers and not allow_duplicates:
            skip = "open_followup"
        owner, wk, because = None, None, None
        if skip is None:
            first_choice = own or fallback
            owner, wk = _place(first_choice, assign, pool if own else pool_without_owner, load, capacity)
            if owner is None:
                skip = "no_owner"
            else:
                load[(owner, wk)] = load.get((owner, wk), 0) + 1
                because = "capacity" if owner != first_choice else ("own" if own else "fallback")
        reasons = rec.get(reasons_column)
        if isinstance(reasons, list | tuple):
            reasons = "; ".join(str(r) for r in reasons)
        rows.append({
            "customer_id": cid,
            "customer_name": _clean_text(rec.get("customer_name")),
            "customer_owner": own,
            "score": float(rec[score_column]) if pd.notna(rec[score_column]) else None,
            "owner": owner,
            "assigned_because": because,
            "week": wk,
            "action": action,
            "due_date": first_due + timedelta(days=7 * wk) if wk is not None else None,
            "note": _clean_text(reasons),
            "skip_reason": skip,
        })
    frame = pd.DataFrame(rows, columns=list(PREVIEW_COLUMNS))
    frame["week"] = frame["week"].astype("Int64")
    return frame


def _place(own: str | None, assign: str, pool: list[str], load: dict[tuple[str, int], int],
           capacity: int) -> tuple[str | None, int]:
    """The owner and week (0 = the first) for one customer, filling weeks in order.

    ``own`` is who should get it first (the account manager, or the fallback assignee)."""
    if assign == "own":
        if own is None:
            return None, 0
        wk = 0
        while load.get((own, wk), 0) >= capacity:
            wk += 1
        return own, wk
    candidates = pool or ([own] if own else [])
    if not candidates:
        return None, 0
    wk = 0
    while True:
        if own in candidates and load.get((own, wk), 0) < capacity:
            return own, wk
        free = [o for o in candidates if load.get((o, wk), 0) < capacity]
        if free:
            return min(free, key=lambda o: (load.get((o, wk), 0), o)), wk
        wk += 1


def assignment_text(row: dict[str, Any], lang: str = "zh", fallback: str | None = None) -> str:
    """Why a preview row went to its owner, in words: "无客户经理 → 分配给 boss"; "" when skipped.

    ``fallback`` names who owner-less customers went to first (for the capacity wording)."""
    because, owner = _clean_text(row.get("assigned_because")), _clean_text(row.get("owner"))
    if because is None or owner is None:
        return ""
    first = _clean_text(row.get("customer_owner")) or fallback or "?"
    text = t(f"followup.assigned.{because}", lang, owner=owner, first=first)
    week = row.get("week")
    if week is not None and not pd.isna(week) and int(week) > 0:
        text = t("followup.assigned.later", lang, text=text, n=int(week))
    return text


def skip_summary(preview: pd.DataFrame, lang: str = "zh") -> list[str]:
    """One line per skip reason with how many customers it kept out, most frequent first."""
    reasons = preview["skip_reason"].dropna() if "skip_reason" in preview else pd.Series(dtype=str)
    counts = reasons.value_counts(sort=False)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [t("followup.gen.skip_line", lang, reason=t(f"followup.skip.{code}", lang), n=int(n))
            for code, n in ordered]


def create_plan(
    con: duckdb.DuckDBPyConnection, user: Any, preview: pd.DataFrame, f: Filters | None = None,
    allow_duplicates: bool = False,
) -> SaveReport:
    """Create the previewed follow-ups (rows without ``skip_reason``) in one transaction."""
    changes = []
    for rec in preview.to_dict("records"):
        if _clean_text(rec.get("skip_reason")) is not None:
            continue
        changes.append({
            "op": "create", "customer_id": rec["customer_id"], "owner": rec["owner"],
            "action": rec["action"], "due_date": rec["due_date"], "status": "planned",
            "note": rec.get("note"), "source": "churn_warning",
            "no_duplicate": not allow_duplicates,
        })
    return save_changes(con, user, changes, f=f)


# ---------------------------------------------------------------------------------------------
# Reminders and statistics


OVERDUE_SQL = """
SELECT fu.followup_id, fu.customer_id, c.name AS customer_name, fu.owner, fu.action,
       fu.due_date, $today::DATE - fu.due_date AS days_overdue, fu.note
FROM followups fu
JOIN (SELECT customer_id, any_value(name) AS name, any_value(owner) AS owner,
             any_value(region) AS region, any_value(channel) AS channel
      FROM customers GROUP BY customer_id) c USING (customer_id)
WHERE NOT fu.deleted AND fu.status = 'planned' AND fu.due_date < $today::DATE AND ({where})
ORDER BY fu.due_date, fu.followup_id
"""

# Net spend per customer = the sum of the net amounts of all their orders up to the reference
# date (sums are associative, so grouping by customer directly equals summing per order first,
# ~4× faster). Only the valuable few are then netted per order, for their last counted order
# (net > 0) and so their lifecycle stage: churned = that order more than churn_days before the
# reference date (METRICS.md rule 2). The threshold row comes back even when nobody is
# neglected (LEFT JOIN from ``cut``).
NEGLECTED_SQL = """
WITH c AS (
    SELECT customer_id, any_value(name) AS name, any_value(owner) AS owner
    FROM customers c WHERE {where} GROUP BY customer_id
),
spend AS (
    SELECT o.customer_id, sum({net}) AS spend
    FROM orders o {semi_join}
    WHERE o.order_date <= $ref::DATE
    GROUP BY o.customer_id
),
valued AS (SELECT s.* FROM spend s JOIN c USING (customer_id) WHERE s.spend > 0),
cut AS (
    SELECT coalesce($min_value::DOUBLE, quantile_cont(spend::DOUBLE, $share::DOUBLE)) AS min_value
    FROM valued
),
high AS (SELECT v.* FROM valued v WHERE v.spend >= (SELECT min_value FROM cut)),
last_counted AS (
    SELECT customer_id, max(order_date) AS last_order
    FROM (
        SELECT o.customer_id, o.order_id, min(o.order_date) AS order_date
        FROM orders o SEMI JOIN high ON o.customer_id = high.customer_id
        WHERE o.order_date <= $ref::DATE
        GROUP BY o.customer_id, o.order_id
        HAVING sum({net}) > 0
    )
    GROUP BY customer_id
),
fu AS (
    SELECT customer_id, max(due_date) FILTER (WHERE due_date <= $ref::DATE) AS last_followup,
           count(*) FILTER (WHERE due_date >= $since::DATE) AS recent_or_planned
    FROM followups WHERE NOT deleted AND status <> 'cancelled'
    GROUP BY customer_id
),
neglected AS (
    SELECT c.customer_id, c.name AS customer_name, c.owner, v.spend::DOUBLE AS spend,
           l.last_order, fu.last_followup, $ref::DATE - fu.last_followup AS days_since_followup
    FROM c JOIN high v USING (customer_id) LEFT JOIN last_counted l USING (customer_id)
    LEFT JOIN fu USING (customer_id)
    WHERE coalesce(fu.recent_or_planned, 0) = 0
      AND (l.last_order IS NULL OR $ref::DATE - l.last_order <= $churn_days)
)
SELECT cut.min_value, n.*
FROM cut LEFT JOIN neglected n ON TRUE
ORDER BY n.spend DESC, n.customer_id
"""

TOP_SPEND_SHARE = 0.8
"""Without an explicit ``min_value``, "valuable" = the top 20 % of customers by net spend."""


@dataclass(frozen=True)
class Reminders:
    """What the Overview reminds a manager of."""

    overdue: pd.DataFrame
    neglected: pd.DataFrame
    no_followup_days: int
    min_value: float | None  # the spend threshold actually used (None: nobody has spent yet)
    reference: date | None = None  # the date "valuable", "churned" and "N days" were judged at


def reminders(
    con: duckdb.DuckDBPyConnection,
    f: Filters | None = None,
    today: date | None = None,
    no_followup_days: int = 30,
    min_value: float | None = None,
    as_of: date | None = None,
    churn_days: int = 180,
) -> Reminders:
    """Overdue follow-ups, and valuable customers nobody has followed up for ``no_followup_days``.

    Overdue = planned and due before ``today`` (METRICS.md), whatever the reference date.
    The rest is judged at the reference date ``ref`` = ``as_of`` (the data's reference date)
    when it is before ``today``, else ``today``. Valuable = net spend up to ``ref`` > 0 and ≥
    ``min_value``; without one, ≥ the 80th percentile of net spend of the customers in view
    with any (the top 20 %). Customers churned at ``ref`` (last counted order more than
    ``churn_days`` before it) are left out: they are a win-back case, and in old data they
    would be nearly everyone. "Followed up" = a live, not cancelled follow-up due within the N
    days before ``ref`` or later (planned ones included); customers with none are listed
    (``last_followup`` NULL when they never had one before ``ref``).
    """
    from core.metrics.common import NET_AMOUNT_SQL

    today = today or date.today()
    ref = min(as_of, today) if as_of is not None else today
    where, params = _named(*customer_where(f, "c"), prefix="w")
    overdue = con.execute(OVERDUE_SQL.replace("{where}", where), {**params, "today": today}).df()

    semi_join = "" if where == "TRUE" else "SEMI JOIN c ON o.customer_id = c.customer_id"
    sql = (NEGLECTED_SQL.replace("{where}", where).replace("{net}", NET_AMOUNT_SQL)
           .replace("{semi_join}", semi_join))
    found = con.execute(sql, {**params, "ref": ref, "min_value": min_value, "share": TOP_SPEND_SHARE,
                              "since": ref - timedelta(days=no_followup_days),
                              "churn_days": int(churn_days)}).df()
    used = found["min_value"].iloc[0] if len(found) else None
    used = None if used is None or pd.isna(used) else float(used)
    neglected = (found.dropna(subset=["customer_id"]).drop(columns=["min_value", "last_order"])
                 .reset_index(drop=True))
    for frame, col in ((overdue, "due_date"), (neglected, "last_followup")):
        if len(frame):
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return Reminders(overdue, neglected, no_followup_days, used, ref)


WEEKLY_SQL = """
SELECT fu.owner, date_trunc('week', fu.due_date)::DATE AS week,
       count(*) FILTER (WHERE fu.status <> 'cancelled') AS planned,
       count(*) FILTER (WHERE fu.status = 'done') AS done,
       count(*) FILTER (WHERE fu.status = 'cancelled') AS cancelled
FROM followups fu
JOIN (SELECT customer_id, any_value(owner) AS owner, any_value(region) AS region,
             any_value(channel) AS channel FROM customers GROUP BY customer_id) c USING (customer_id)
WHERE NOT fu.deleted AND fu.due_date BETWEEN $start::DATE AND $end::DATE AND ({where})
GROUP BY ALL
ORDER BY week, fu.owner
"""

OUTCOMES_SQL = """
SELECT fu.outcome, count(*) AS n
FROM followups fu
JOIN (SELECT customer_id, any_value(owner) AS owner, any_value(region) AS region,
             any_value(channel) AS channel FROM customers GROUP BY customer_id) c USING (customer_id)
WHERE NOT fu.deleted AND fu.status = 'done' AND fu.due_date BETWEEN $start::DATE AND $end::DATE
  AND ({where})
GROUP BY ALL
ORDER BY n DESC, fu.outcome
"""

EFFECT_SQL = """
WITH warned AS (SELECT UNNEST($warned::VARCHAR[]) AS customer_id),
contacted AS (
    SELECT DISTINCT customer_id FROM followups
    WHERE NOT deleted AND status = 'done' AND due_date > $start::DATE AND due_date <= $end::DATE
),
bought AS (
    SELECT DISTINCT customer_id
    FROM (SELECT customer_id, order_id, sum({net}) AS net FROM orders
          WHERE order_date <= $end::DATE
          GROUP BY customer_id, order_id
          HAVING min(order_date) > $start::DATE)
    WHERE net > 0
)
SELECT (w.customer_id IN (SELECT customer_id FROM contacted)) AS contacted,
       count(*) AS customers,
       count(*) FILTER (WHERE w.customer_id IN (SELECT customer_id FROM bought)) AS bought_again
FROM warned w
GROUP BY ALL
"""


@dataclass(frozen=True)
class PlanStats:
    """Follow-up statistics (see ``stats``)."""

    weekly: pd.DataFrame   # owner, week, planned, done, cancelled, done_rate
    outcomes: pd.DataFrame  # outcome, n, share
    effect: pd.DataFrame    # group (contacted | not_contacted), customers, bought_again, rate
    start: date
    end: date
    small_sample: bool


def stats(
    con: duckdb.DuckDBPyConnection,
    s: Any,
    f: Filters | None = None,
    weeks: int = 12,
    today: date | None = None,
    ahead: int = 4,
) -> PlanStats:
    """Planned vs done per owner per week, outcomes, and whether contacted warned customers
    bought again more often than warned customers nobody contacted.

    Weekly counts and outcomes cover the ``weeks`` weeks up to ``today``'s week and the ``ahead``
    weeks after it (the load to come), by due date; planned = not cancelled. The comparison (observational, not a controlled test): with
    ``end = s.as_of`` and ``start = end − s.horizon_days``, *warned* customers are those in the
    lifecycle stage ``at_risk`` as of ``start`` (METRICS.md rule: last order more than
    ``risk_days`` ago, or more than ``cycle_factor`` × their usual gap, and not yet churned);
    *contacted* = a follow-up marked done with a due date in (start, end]; *bought again* = an
    order that counts (net > 0) placed in (start, end]. ``small_sample`` when either group has
    fewer than ``s.small_sample_n`` customers.
    """
    from core.metrics.base import customer_base
    from core.metrics.common import NET_AMOUNT_SQL, resolve_as_of

    today = today or date.today()
    end_week = week_start(today) + timedelta(days=6 + 7 * ahead)
    start_week = week_start(today) - timedelta(days=7 * (weeks - 1))
    where, params = _named(*customer_where(f, "c"), prefix="w")
    weekly = con.execute(WEEKLY_SQL.replace("{where}", where),
                         {**params, "start": start_week, "end": end_week}).df()
    if len(weekly):
        weekly["week"] = pd.to_datetime(weekly["week"]).dt.date
        weekly["done_rate"] = weekly["done"] / weekly["planned"].where(weekly["planned"] > 0)
    else:
        weekly = pd.DataFrame(columns=["owner", "week", "planned", "done", "cancelled", "done_rate"])
    outcomes = con.execute(OUTCOMES_SQL.replace("{where}", where),
                           {**params, "start": start_week, "end": end_week}).df()
    total = outcomes["n"].sum() if len(outcomes) else 0
    outcomes["share"] = outcomes["n"] / total if total else 0.0

    end = resolve_as_of(con, s)
    start = end - timedelta(days=s.horizon_days)
    base = customer_base(con, s.with_(as_of=start), f)
    warned = base.loc[base["lifecycle_stage"] == "at_risk", "customer_id"].astype(str).tolist()
    counts = con.execute(
        EFFECT_SQL.replace("{net}", NET_AMOUNT_SQL),
        {"warned": warned, "start": start, "end": end},
    ).fetchall()
    by_group = {bool(c): (int(n), int(b)) for c, n, b in counts}
    effect_rows = []
    for group, flag in (("contacted", True), ("not_contacted", False)):
        n, b = by_group.get(flag, (0, 0))
        effect_rows.append({"group": group, "customers": n, "bought_again": b,
                            "rate": b / n if n else None})
    effect = pd.DataFrame(effect_rows)
    small = bool((effect["customers"] < s.small_sample_n).any())
    return PlanStats(weekly, outcomes, effect, start, end, small)
