"""The seeded demo company: deterministic, realistic in size and shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from core import db, demo
from tests.conftest import DEMO_END


def _q(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def test_same_seed_and_end_give_identical_tables() -> None:
    a = demo.generate(customers=200, seed=7, end=date(2025, 6, 30))
    b = demo.generate(customers=200, seed=7, end=date(2025, 6, 30))
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])


def test_another_seed_gives_another_company() -> None:
    a = demo.generate(customers=200, seed=7, end=date(2025, 6, 30))
    b = demo.generate(customers=200, seed=8, end=date(2025, 6, 30))
    assert not a["orders"]["amount"].equals(b["orders"]["amount"])


def test_default_demo_has_the_promised_size(demo_db_file: Path) -> None:
    con = duckdb.connect(str(demo_db_file), read_only=True)
    assert _q(con, "SELECT count(*) FROM customers") == 2000
    assert 20_000 <= _q(con, "SELECT count(*) FROM orders") <= 40_000
    assert 4_000 <= _q(con, "SELECT count(*) FROM surveys") <= 6_500
    # three years of history ending on the chosen day
    assert _q(con, "SELECT max(order_date) FROM orders") == DEMO_END
    assert (DEMO_END - _q(con, "SELECT min(order_date) FROM orders")).days > 3 * 365 - 40


def test_demo_has_every_kind_of_customer_and_row(demo_db_file: Path) -> None:
    con = duckdb.connect(str(demo_db_file), read_only=True)
    # potential customers (no order), repeat buyers, refunds, cancellations, complaints
    assert _q(con, "SELECT count(*) FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders)") > 50
    assert _q(con, "SELECT count(*) FROM (SELECT customer_id FROM orders GROUP BY 1 HAVING count(*) >= 5)") > 500
    assert _q(con, "SELECT count(*) FROM orders WHERE amount < 0 AND status = 'refunded'") > 100
    assert _q(con, "SELECT count(*) FROM orders WHERE status = 'cancelled'") > 100
    assert _q(con, "SELECT count(*) FROM surveys WHERE kind = 'complaint'") > 100
    # both scales within their ranges
    assert _q(con, "SELECT count(*) FROM surveys WHERE scale = 'nps' AND score NOT BETWEEN 0 AND 10") == 0
    assert _q(con, "SELECT count(*) FROM surveys WHERE scale = 'csat' AND score NOT BETWEEN 1 AND 5") == 0
    # names in both languages; phones are 11-digit text
    assert _q(con, "SELECT count(*) FROM customers WHERE regexp_matches(name, '^[A-Za-z]+ [A-Za-z]+$')") > 200
    assert _q(con, "SELECT count(*) FROM customers WHERE regexp_matches(name, '[\\x{4e00}-\\x{9fff}]')") > 1000
    assert _q(con, "SELECT count(*) FROM customers WHERE NOT regexp_matches(phone, '^1[0-9]{10}$')") == 0


def test_customers_who_leave_score_lower_before_they_go(demo_db_file: Path) -> None:
    """The planted churn signal: mean NPS of customers silent for 180+ days is lower."""
    con = duckdb.connect(str(demo_db_file), read_only=True)
    churned, staying = con.execute("""
        WITH last AS (SELECT customer_id, max(order_date) AS last FROM orders GROUP BY 1)
        SELECT avg(score) FILTER (WHERE last < DATE '2026-10-31' - 180),
               avg(score) FILTER (WHERE last >= DATE '2026-10-31' - 90)
        FROM surveys JOIN last USING (customer_id) WHERE scale = 'nps'
    """).fetchall()[0]
    assert churned < staying - 0.5


def test_demo_is_recorded_as_undoable_imports(demo_db_file: Path) -> None:
    con = duckdb.connect(str(demo_db_file), read_only=True)
    kinds = {r[0] for r in con.execute("SELECT kind FROM imports WHERE username = 'demo'").fetchall()}
    assert kinds == {"customers", "orders", "surveys"}
    # every loaded row carries its import id
    assert _q(con, "SELECT count(*) FROM orders WHERE import_id IS NULL") == 0


def test_build_demo_bumps_the_data_version(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "k.duckdb")
    demo.build_demo(con, customers=50, seed=1, end=date(2025, 1, 31))
    assert db.data_version(con) == 1
    assert not db.is_empty(con)


def test_is_loaded_until_every_demo_import_is_undone(tmp_path: Path) -> None:
    from core.ingest import undo

    con = db.connect(tmp_path / "k.duckdb")
    demo.build_demo(con, customers=50, seed=1, end=date(2025, 1, 31))  # imports 1, 2, 3
    assert demo.is_loaded(con)
    undo(con, 3)
    undo(con, 2)
    assert demo.is_loaded(con)  # the demo customers are still there
    undo(con, 1)
    assert not demo.is_loaded(con)
    assert db.is_empty(con)
