"""Replacing the demo and removing it: superseded imports, ``is_loaded``, the one-step removal, the
doctor's warning about rows left without their customer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from core import db, demo
from core import followup as fu
from core.errors import Conflict, ImportRefused
from core.followup import Actor
from core.ingest import diagnose, history, import_files, orphan_text, stage, undo
from core.metrics import kpi

END = date(2025, 6, 30)
LI = Actor("li", "admin")


@pytest.fixture
def con(tmp_path: Path):
    c = db.connect(tmp_path / "k.duckdb")
    yield c
    c.close()


def q(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def small_demo(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """The brief's small demo; returns its (orders, surveys) as counted straight after building it."""
    demo.build_demo(con, customers=200, seed=1, end=END)
    return q(con, "SELECT count(*) FROM orders")[0][0], q(con, "SELECT count(*) FROM surveys")[0][0]


def status(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return q(con, "SELECT import_id, kind, status, replaced_by FROM imports ORDER BY import_id")


# ------------------------------------------------------------------ replace supersedes


def test_a_replace_supersedes_the_imports_it_replaced_and_undo_brings_them_back(con, tmp_path):
    small_demo(con)  # imports 1 customers, 2 orders, 3 surveys
    assert demo.is_loaded(con)
    [c] = import_files(con, [write(tmp_path, "c.csv", "customer_id,name\nR1,真\n")], "customers", tmp_path,
                       mode="replace", username="li")
    assert status(con) == [(1, "customers", "replaced", c.import_id), (2, "orders", "done", None),
                           (3, "surveys", "done", None), (c.import_id, "customers", "done", None)]
    assert demo.is_loaded(con)  # the demo's orders and surveys are still there
    [o] = import_files(con, [write(tmp_path, "o.csv", "order_id,customer_id,order_date,amount\nX1,R1,2025-06-01,9\n")],
                       "orders", tmp_path, mode="replace", username="li")
    [s] = import_files(con, [write(tmp_path, "s.csv", "customer_id,survey_date,score\nR1,2025-06-02,9\n")],
                       "surveys", tmp_path, mode="replace", username="li")
    assert [r[2] for r in status(con)] == ["replaced", "replaced", "replaced", "done", "done", "done"]
    assert not demo.is_loaded(con)  # the Overview banner goes
    h = history(con).set_index("import_id")
    assert h.loc[1, "status"] == "replaced" and h.loc[1, "replaced_by"] == c.import_id
    assert not h.loc[1, "can_undo"] and h.loc[s.import_id, "can_undo"]
    with pytest.raises(ImportRefused, match=f"replaced by import #{s.import_id}"):
        undo(con, 3)
    # undoing the surveys replace puts the demo surveys back: that import is done again
    undo(con, s.import_id)
    assert status(con)[2] == (3, "surveys", "done", None)
    assert demo.is_loaded(con)
    # a replace of a replace: only the latest one is done
    [c2] = import_files(con, [write(tmp_path, "c2.csv", "customer_id\nR2\n")], "customers", tmp_path, mode="replace")
    assert status(con)[3] == (c.import_id, "customers", "replaced", c2.import_id)
    assert status(con)[0] == (1, "customers", "replaced", c.import_id)
    assert o.import_id  # (used above)


def test_migration_4_marks_imports_an_earlier_replace_superseded(tmp_path):
    """A database from before migration 4, where a replace left the demo import 'done'."""
    path = tmp_path / "old.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, name VARCHAR, "
                "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    for version, name, sql in db.MIGRATIONS[:3]:
        raw.execute(sql)
        raw.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
    demo.build_demo(raw, customers=50, seed=1, end=END)  # imports 1, 2, 3
    raw.execute("INSERT INTO imports (import_id, kind, mode, username, checksum, status) VALUES "
                "(4, 'customers', 'replace', 'li', 'x', 'done'), (5, 'orders', 'replace', 'li', 'y', 'undone'), "
                "(6, 'customers', 'replace', 'li', 'z', 'done')")
    raw.close()
    con = db.connect(path)
    assert status(con) == [(1, "customers", "replaced", 4), (2, "orders", "done", None), (3, "surveys", "done", None),
                           (4, "customers", "replaced", 6), (5, "orders", "undone", None),
                           (6, "customers", "done", None)]
    assert demo.is_loaded(con)
    con.close()


# ------------------------------------------------------------------ removing the demo


def real_data(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A real customer R1 with an order and a follow-up, a real follow-up for a demo customer, and a
    target a user changed."""
    import_files(con, [write(tmp_path, "c.csv", "customer_id,name,owner\nR1,真客户,王经理\n")], "customers", tmp_path,
                 username="li")
    import_files(con, [write(tmp_path, "o.csv", "order_id,customer_id,order_date,amount\nX1,R1,2025-06-01,99\n")],
                 "orders", tmp_path, username="li")
    rep = fu.save_changes(con, LI, [
        {"op": "create", "customer_id": "R1", "owner": "王经理", "action": "call", "due_date": "2025-07-10"},
        {"op": "create", "customer_id": "C000001", "owner": "王经理", "action": "visit", "due_date": "2025-07-11"},
    ])
    assert len(rep.saved) == 2
    kpi.set_target(con, "nps", date(2025, 6, 1), 30.0, "boss")  # one of the demo's 24 targets, now the user's


def test_remove_demo_deletes_exactly_the_demo_and_nothing_real(con, tmp_path):
    orders, surveys = small_demo(con)
    real_data(con, tmp_path)
    v = db.data_version(con)
    # by hand: 200 customers; follow-ups max(20, 200 // 12) = 20 from the demo + li's one for C000001;
    # targets 6 KPIs x 4 months = 24, less the one boss changed
    expect = demo.DemoFootprint(customers=200, orders=orders, surveys=surveys, followups=21, targets=23)
    assert demo.footprint(con) == expect
    assert demo.remove_demo(con, "boss") == expect
    assert q(con, "SELECT customer_id, name, owner FROM customers") == [("R1", "真客户", "王经理")]
    assert q(con, "SELECT order_id, customer_id, amount FROM orders") == [("X1", "R1", 99)]
    assert q(con, "SELECT count(*) FROM surveys") == [(0,)]
    assert q(con, "SELECT customer_id, created_by FROM followups") == [("R1", "li")]
    assert q(con, "SELECT f.customer_id, h.op FROM followup_history h JOIN followups f USING (followup_id)") == [
        ("R1", "create")]
    assert q(con, "SELECT count(*) FROM followup_history") == [(1,)]
    assert q(con, "SELECT kpi, month, target, updated_by FROM targets") == [("nps", date(2025, 6, 1), 30.0, "boss")]
    assert [r[2] for r in status(con)] == ["removed", "removed", "removed", "done", "done"]
    assert not demo.is_loaded(con)
    assert demo.footprint(con).total == 0
    assert db.data_version(con) == v + 1
    [(user, detail)] = q(con, "SELECT username, CAST(detail AS VARCHAR) FROM audit_log WHERE action = 'remove_demo'")
    assert user == "boss" and '"followups": 21' in detail and '"targets": 23' in detail
    with pytest.raises(ImportRefused, match="removed demo"):
        undo(con, 1)


def test_removed_demo_does_not_come_back_by_undoing_a_replace(con, tmp_path):
    small_demo(con)
    [c] = import_files(con, [write(tmp_path, "c.csv", "customer_id\nR1\nR2\n")], "customers", tmp_path,
                       mode="replace")
    # the demo customers are only in the copy kept for undo; their follow-ups still go
    assert demo.footprint(con).customers == 0 and demo.footprint(con).followups == 20
    demo.remove_demo(con, "boss")
    assert q(con, "SELECT count(*) FROM followups") == [(0,)]
    undo(con, c.import_id)  # the table as before the replace: the demo was removed, so empty
    assert q(con, "SELECT count(*) FROM customers") == [(0,)]
    assert not demo.is_loaded(con)
    assert status(con)[0][2] == "removed"


def test_remove_demo_is_all_or_nothing(con, tmp_path):
    """Another session is half-way through changing a demo target (set_target deletes, then inserts):
    the removal meets its uncommitted delete after deleting customers, orders and surveys in its own
    transaction, is refused with a clear message and leaves every table as it was."""
    small_demo(con)
    real_data(con, tmp_path)
    tables = ["customers", "orders", "surveys", "followups", "followup_history", "targets", "imports", "audit_log"]

    def snapshot():
        return {t: q(con, f"SELECT * FROM {t} ORDER BY ALL") for t in tables} | {"v": db.data_version(con)}

    before = snapshot()
    other = con.cursor()
    other.execute("BEGIN TRANSACTION")
    other.execute("DELETE FROM targets WHERE kpi = 'revenue' AND month = DATE '2025-06-01'")
    with pytest.raises(Conflict, match="nothing was deleted"):
        demo.remove_demo(con, "boss")
    other.execute("ROLLBACK")
    assert snapshot() == before
    assert demo.is_loaded(con)
    demo.remove_demo(con, "boss")  # once the other write is over, it goes through
    assert q(con, "SELECT count(*) FROM customers") == [(1,)]


def test_nothing_to_remove_without_a_demo(con, tmp_path):
    real_data_free = write(tmp_path, "c.csv", "customer_id\nR1\n")
    import_files(con, [real_data_free], "customers", tmp_path, username="demo")  # a real user called demo
    assert demo.footprint(con) == demo.DemoFootprint(0, 0, 0, 0, 0)
    assert not demo.is_loaded(con)


# ------------------------------------------------------------------ the doctor's warning


def test_doctor_counts_rows_a_customer_replace_leaves_without_their_customer(con, tmp_path):
    import_files(con, [write(tmp_path, "c.csv", "customer_id,owner\n1,王经理\n2,王经理\n")], "customers", tmp_path)
    import_files(con, [write(tmp_path, "o.csv", "order_id,customer_id,order_date,amount\n"
                             "A,1,2025-01-01,1\nB,1,2025-01-02,1\nC,1,2025-01-03,1\nD,2,2025-01-01,1\n"
                             "E,2,2025-01-02,1\nF,9,2025-01-01,1\n")], "orders", tmp_path)
    import_files(con, [write(tmp_path, "s.csv", "customer_id,survey_date,score\n2,2025-01-05,9\n1,2025-01-05,8\n")],
                 "surveys", tmp_path)
    fu.save_changes(con, LI, [{"op": "create", "customer_id": "2", "owner": "王经理", "action": "call",
                               "due_date": "2025-02-01"}])
    st = stage(con, write(tmp_path, "new.csv", "customer_id\n1\n3\n"), "customers", tmp_path)
    d = diagnose(con, st, "replace")
    # customer 2 goes: orders D, E; order F's customer 9 was never there; survey of 2; the follow-up of 2
    assert d.orphans == {"orders": 3, "surveys": 1, "followups": 1}
    assert orphan_text(d, "en") == ("3 orders, 1 surveys, 1 follow-ups will point to customers that are not in "
                                    "this file; replace the orders or surveys file too, or add those customers "
                                    "to this file.")
    assert diagnose(con, st, "upsert").orphans == {}  # nothing leaves the table
    ok = stage(con, write(tmp_path, "all.csv", "customer_id\n1\n2\n9\n"), "customers", tmp_path)
    assert diagnose(con, ok, "replace").orphans == {}
    assert orphan_text(diagnose(con, ok, "replace")) is None


def test_doctor_advises_removing_the_demo_while_it_is_loaded(con, tmp_path):
    orders, surveys = small_demo(con)
    st = stage(con, write(tmp_path, "c.csv", "customer_id\nR1\n"), "customers", tmp_path)
    d = diagnose(con, st, "replace")
    assert d.orphans == {"orders": orders, "surveys": surveys, "followups": 20}
    assert orphan_text(d, "zh") == (f"{orders:,} 条订单、{surveys:,} 条问卷、20 条跟进将指向不存在的客户；"
                                    "请同时替换订单文件，或先移除演示数据。")
