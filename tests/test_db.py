"""The DuckDB file: schema, migrations, transactions, locking."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core import db
from core.errors import DatabaseLocked

EXPECTED_TABLES = {
    "customers", "orders", "surveys", "followups", "followup_history", "imports", "rejects",
    "audit_log", "settings", "targets", "users", "data_version", "schema_version",
}


def test_new_database_gets_every_table_and_schema_version_1(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "k.duckdb")
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert EXPECTED_TABLES <= tables
    assert db.schema_version(con) == len(db.MIGRATIONS)
    assert db.is_empty(con)


def test_reopening_does_not_reapply_migrations(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    db.connect(path).close()
    con = db.connect(path)
    # one row per applied migration, not two
    assert con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0] == len(db.MIGRATIONS)


def test_order_columns_follow_metrics_md(tmp_path: Path) -> None:
    con = db.connect(":memory:")
    cols = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'orders'"
    ).fetchall())
    assert cols["order_id"] == "VARCHAR"  # IDs stay text: leading zeros survive
    assert cols["order_date"] == "DATE"
    assert cols["amount"] == "DECIMAL(18,2)"  # money is exact, refunds are negative
    assert cols["status"] == "VARCHAR"


def test_transaction_rolls_back_everything_on_error() -> None:
    con = db.connect(":memory:")
    with pytest.raises(ZeroDivisionError), db.transaction(con):
        con.execute("INSERT INTO customers (customer_id) VALUES ('C1')")
        db.bump_data_version(con)
        1 / 0  # noqa: B018 - the failure under test
    assert con.execute("SELECT count(*) FROM customers").fetchall()[0][0] == 0
    assert db.data_version(con) == 0


def test_data_version_counts_committed_writes() -> None:
    con = db.connect(":memory:")
    with db.transaction(con):
        db.bump_data_version(con)
    with db.transaction(con):
        db.bump_data_version(con)
    assert db.data_version(con) == 2


def test_second_process_gets_a_readable_lock_message(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from core import db
            con = db.connect({str(path)!r})
            print("ready", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1],
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLocked, match="open in another Kehu process"):
            db.connect(path)
    finally:
        holder.communicate("\n", timeout=30)


def test_scalar_leaves_the_connection_usable_for_register() -> None:
    import pandas as pd

    con = db.connect(":memory:")
    assert db.scalar(con, "SELECT 41 + ?", [1]) == 42
    con.register("frame", pd.DataFrame({"a": [1, 2]}))  # DuckDB 2.0 refuses this after fetchone()
    assert db.scalar(con, "SELECT sum(a) FROM frame") == 3
