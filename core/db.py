"""The DuckDB file: where it lives, how it opens, its schema and forward migrations.

One process owns the file read-write (DuckDB's rule); the app caches one connection and
takes a cursor per session/thread. Writes go through ``transaction``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from core.errors import DatabaseLocked

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "kehu.duckdb"
ENV_VAR = "KEHU_DB"

# Named, ordered migrations. Never edit an applied one: append a new one.
# No PRIMARY KEY / UNIQUE indexes on tables users edit (see PITFALLS.md): uniqueness is
# checked in code, ids come from sequences.
# Versions are reserved by area so that work in parallel never takes the same number:
# 5-9 structure, 10-19 security/backups, 20-29 value/loyalty, 30-39 feedback/contacts,
# 40-49 targets/teams/ownership, 50-59 report/actions, 60-69 import fixes, 70-79 derived tables.
# They are applied in version order; a gap is fine.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
        CREATE SEQUENCE IF NOT EXISTS seq_import_id START 1;
        CREATE SEQUENCE IF NOT EXISTS seq_followup_id START 1;
        CREATE SEQUENCE IF NOT EXISTS seq_audit_id START 1;
        CREATE SEQUENCE IF NOT EXISTS seq_history_id START 1;

        CREATE TABLE customers (
            customer_id VARCHAR NOT NULL,
            name        VARCHAR,
            phone       VARCHAR,
            email       VARCHAR,
            region      VARCHAR,
            city        VARCHAR,
            channel     VARCHAR,
            owner       VARCHAR,          -- account manager 客户经理
            team        VARCHAR,
            signup_date DATE,
            extra       JSON,             -- columns of the source file that Kehu does not use
            import_id   BIGINT
        );

        CREATE TABLE orders (
            order_id    VARCHAR NOT NULL,
            customer_id VARCHAR NOT NULL,
            order_date  DATE NOT NULL,
            amount      DECIMAL(18, 2) NOT NULL,  -- negative = refund/return
            status      VARCHAR NOT NULL DEFAULT 'paid',  -- paid | refunded | cancelled
            product     VARCHAR,
            category    VARCHAR,
            channel     VARCHAR,
            extra       JSON,
            import_id   BIGINT
        );

        CREATE TABLE surveys (
            survey_id   VARCHAR NOT NULL,
            customer_id VARCHAR NOT NULL,
            order_id    VARCHAR,
            survey_date DATE NOT NULL,
            scale       VARCHAR,           -- nps (0-10) | csat (1-5) | ces (1-7); NULL for a bare complaint
            score       INTEGER,
            kind        VARCHAR NOT NULL DEFAULT 'survey',  -- survey | complaint
            comment     VARCHAR,
            channel     VARCHAR,
            extra       JSON,
            import_id   BIGINT
        );

        CREATE TABLE followups (
            followup_id BIGINT NOT NULL DEFAULT nextval('seq_followup_id'),
            customer_id VARCHAR NOT NULL,
            owner       VARCHAR NOT NULL,
            action      VARCHAR NOT NULL,  -- call | visit | email | message | coupon | other
            due_date    DATE NOT NULL,
            status      VARCHAR NOT NULL DEFAULT 'planned',  -- planned | done | cancelled
            outcome     VARCHAR,           -- reached | no_answer | won_back | lost | other
            note        VARCHAR,
            source      VARCHAR,           -- manual | churn_warning
            created_by  VARCHAR,
            created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_by  VARCHAR,
            updated_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
            version     INTEGER NOT NULL DEFAULT 1,
            deleted     BOOLEAN NOT NULL DEFAULT false
        );

        CREATE TABLE followup_history (
            history_id  BIGINT NOT NULL DEFAULT nextval('seq_history_id'),
            followup_id BIGINT NOT NULL,
            version     INTEGER NOT NULL,
            op          VARCHAR NOT NULL,  -- create | update | delete
            changed_by  VARCHAR,
            changed_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
            before      JSON,
            after       JSON
        );

        CREATE TABLE imports (
            import_id     BIGINT NOT NULL,
            kind          VARCHAR NOT NULL,  -- customers | orders | surveys | demo
            file_name     VARCHAR,
            checksum      VARCHAR,           -- sha256 of the file bytes
            mode          VARCHAR,           -- append | upsert | replace
            encoding      VARCHAR,
            mapping       JSON,
            username      VARCHAR,
            started_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
            finished_at   TIMESTAMP,
            rows_read     BIGINT,
            rows_loaded   BIGINT,
            rows_rejected BIGINT,
            status        VARCHAR NOT NULL DEFAULT 'done',  -- done | undone
            backup        JSON               -- what undo needs (e.g. replaced/updated rows' table name)
        );

        CREATE TABLE rejects (
            import_id  BIGINT NOT NULL,
            row_number BIGINT,               -- 1-based line in the file, header = row 1
            column_name VARCHAR,
            raw        VARCHAR,
            reason     VARCHAR NOT NULL
        );

        CREATE TABLE audit_log (
            audit_id BIGINT NOT NULL DEFAULT nextval('seq_audit_id'),
            logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            username VARCHAR,
            action   VARCHAR NOT NULL,      -- login | login_failed | logout | import | undo | plan_edit | setting | user
            detail   JSON
        );

        CREATE TABLE settings (
            key        VARCHAR NOT NULL,
            value      JSON,
            updated_by VARCHAR,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );

        CREATE TABLE targets (
            kpi        VARCHAR NOT NULL,     -- revenue | active_customers | new_customers | repeat_rate | churn_rate | nps | csat | followups_done
            month      DATE NOT NULL,        -- first day of the month
            target     DOUBLE NOT NULL,
            updated_by VARCHAR,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );

        CREATE TABLE users (
            username        VARCHAR NOT NULL,
            display_name    VARCHAR,
            email           VARCHAR,
            role            VARCHAR NOT NULL,   -- admin | manager | viewer
            owner_name      VARCHAR,            -- the value of customers.owner this user is
            team            VARCHAR,
            password_hash   VARCHAR NOT NULL,   -- bcrypt
            disabled        BOOLEAN NOT NULL DEFAULT false,
            can_import      BOOLEAN NOT NULL DEFAULT false,
            token_version   INTEGER NOT NULL DEFAULT 1,
            failed_logins   INTEGER NOT NULL DEFAULT 0,
            first_failed_at TIMESTAMP,
            locked_until    TIMESTAMP,
            created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
        );

        CREATE TABLE data_version (n BIGINT NOT NULL);
        INSERT INTO data_version VALUES (0);
        """,
    ),
    (
        2,
        "segment filter membership",
        """
        -- Derived, rebuildable: which customer is in which RFM segment for one combination of
        -- data version, reference date, window, comparison point and customer filters
        -- (core.segment_scope). Lets every SQL view filter by segment with a semi-join.
        CREATE TABLE segment_member_sets (
            member_key   VARCHAR NOT NULL,
            data_version BIGINT NOT NULL,
            customers    BIGINT NOT NULL,
            created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
        );
        CREATE TABLE segment_members (
            member_key  VARCHAR NOT NULL,
            customer_id VARCHAR NOT NULL,
            rfm_segment VARCHAR NOT NULL
        );
        """,
    ),
    (
        3,
        "source data version",
        """
        -- Changes only with the imported data (customers, orders, surveys), not with the plan or
        -- targets: what is learned from history (the churn model) is keyed on it.
        CREATE TABLE source_version (n BIGINT NOT NULL);
        INSERT INTO source_version SELECT n FROM data_version;
        """,
    ),
    (
        4,
        "imports superseded by a replace",
        """
        -- An import whose rows a later 'replace' import of the same kind took out of the table is
        -- 'replaced' and names that import (undoing the replace makes it 'done' again).
        -- Imports of the demo company that were removed are 'removed'.
        ALTER TABLE imports ADD COLUMN replaced_by BIGINT;
        UPDATE imports SET status = 'replaced', replaced_by = r.by FROM (
            SELECT i.import_id, min(j.import_id) AS by FROM imports i JOIN imports j
              ON j.kind = i.kind AND j.mode = 'replace' AND j.status = 'done' AND j.import_id > i.import_id
            WHERE i.status = 'done' GROUP BY i.import_id
        ) r WHERE imports.import_id = r.import_id;
        """,
    ),
]

DATA_TABLES = ("customers", "orders", "surveys")


def default_db_path() -> Path:
    """``$KEHU_DB`` if set, else ``data/kehu.duckdb`` beside the code."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_DB


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and migrate) the database; a lock held by another process becomes ``DatabaseLocked``."""
    path = Path(path) if path else default_db_path()
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        msg = str(exc)
        if "lock" in msg.lower():
            holder = re.search(r"PID \d+", msg)
            who = f" ({holder.group(0)})" if holder else ""
            raise DatabaseLocked(
                f"The database {path} is open in another Kehu process{who}. "
                "Stop that process (for example the running app) or use a copy of the file."
            ) from exc
        raise
    # The progress bar prints to stdout during long queries (CLI output, server logs): off.
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        migrate(con)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied migration, 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations not yet applied, each in its own transaction; returns the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, name VARCHAR, "
        "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    current = schema_version(con)
    for version, name, sql in sorted(MIGRATIONS):
        if version <= current:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
        con.execute("CHECKPOINT")
        current = version
    return current


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK on any exception, re-raised."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def bump_data_version(con: duckdb.DuckDBPyConnection, sources: bool = True) -> None:
    """Call inside every write transaction that changes analysed data (caches key on it).

    ``sources=False`` for writes that leave customers, orders and surveys alone (the follow-up
    plan, targets): they change ``data_version`` but not ``source_version``.
    """
    con.execute("UPDATE data_version SET n = n + 1")
    if sources:
        con.execute("UPDATE source_version SET n = n + 1")


def source_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter that changes only when customers, orders or surveys change (imports, demo)."""
    return con.execute("SELECT n FROM source_version").fetchall()[0][0]


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter that changes whenever customers, orders, surveys or follow-ups change."""
    return con.execute("SELECT n FROM data_version").fetchall()[0][0]


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of every Kehu table (for ``python -m core info``)."""
    names = [
        "customers", "orders", "surveys", "followups", "followup_history", "imports",
        "rejects", "audit_log", "settings", "targets", "users",
    ]
    return {n: con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in names}  # noqa: S608 - fixed names


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no customers, orders or surveys are loaded (first start)."""
    return all(
        con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] == 0 for t in DATA_TABLES  # noqa: S608
    )


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """First value of the first row. Uses fetchall: DuckDB 2.0 refuses ``sql()``/``register()``
    on a connection whose last ``execute`` result was not read to the end (fetchone leaves it open)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    """A fresh id for the ``imports`` table (and the rows it loads)."""
    return con.execute("SELECT nextval('seq_import_id')").fetchall()[0][0]
