"""Import history, undo, audit, remembered mappings, the data doctor, exports, templates and the CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core import db, export
from core.errors import ImportRefused
from core.ingest import Options, diagnose, history, import_files, load, prepare, rejects_frame, stage, undo
from core.ingest.mapping import layout_key, suggest
from core.ingest.templates import template_csv, template_frame, template_xlsx

from .test_corpus import state_checksum

ROOT = Path(__file__).resolve().parents[2]
ORDERS = "订单号,客户编号,下单时间,实付金额\nA1,007,2024-01-05,100\nA2,008,2024-01-06,50\n"


@pytest.fixture
def con():
    c = db.connect(":memory:")
    yield c
    c.close()


def write(tmp: Path, name: str, text: str, enc: str = "utf-8") -> Path:
    p = tmp / name
    p.write_bytes(text.encode(enc))
    return p


def test_import_records_history_audit_and_data_version(con, tmp_path):
    v0 = db.data_version(con)
    [rep] = import_files(con, [write(tmp_path, "o.csv", ORDERS, "gbk")], "orders", tmp_path, username="li")
    row = con.execute("SELECT kind, file_name, mode, encoding, username, rows_read, rows_loaded, rows_rejected, "
                      "status, checksum FROM imports WHERE import_id = ?", [rep.import_id]).fetchone()
    import hashlib
    sha = hashlib.sha256(ORDERS.encode("gbk")).hexdigest()
    assert row == ("orders", "o.csv", "append", "gb18030", "li", 2, 2, 0, "done", sha)
    audit = con.execute("SELECT username, action, detail FROM audit_log").fetchall()
    assert [(u, a) for u, a, _ in audit] == [("li", "import")]
    assert "007" not in audit[0][2]  # no customer data in the audit log
    assert db.data_version(con) == v0 + 1
    assert con.execute("SELECT count(*) FROM orders WHERE import_id = ?", [rep.import_id]).fetchone()[0] == 2


def test_undo_append_removes_exactly_its_rows(con, tmp_path):
    import_files(con, [write(tmp_path, "a.csv", ORDERS)], "orders", tmp_path)
    before = con.execute("SELECT * FROM orders ORDER BY ALL").fetchall()
    [rep] = import_files(con, [write(tmp_path, "b.csv", "order_id,customer_id,order_date,amount\nB1,9,2024-02-01,5\n")],
                         "orders", tmp_path)
    assert undo(con, rep.import_id, username="li") == 1
    assert con.execute("SELECT * FROM orders ORDER BY ALL").fetchall() == before
    assert con.execute("SELECT status FROM imports WHERE import_id = ?", [rep.import_id]).fetchone()[0] == "undone"
    assert con.execute("SELECT action FROM audit_log ORDER BY audit_id DESC LIMIT 1").fetchone()[0] == "undo"


@pytest.mark.parametrize("mode", ["upsert", "replace"])
def test_undo_upsert_and_replace_restore_the_previous_rows(con, tmp_path, mode):
    import_files(con, [write(tmp_path, "c.csv", "客户编号,姓名,城市\n001,甲,上海\n002,乙,北京\n")], "customers", tmp_path)
    before = con.execute("SELECT * FROM customers ORDER BY ALL").fetchall()
    [rep] = import_files(con, [write(tmp_path, "d.csv", "客户编号,姓名\n001,甲改\n003,丙\n")], "customers", tmp_path,
                         mode=mode)
    after = con.execute("SELECT customer_id, name FROM customers ORDER BY ALL").fetchall()
    assert after == ([("001", "甲改"), ("002", "乙"), ("003", "丙")] if mode == "upsert"
                     else [("001", "甲改"), ("003", "丙")])
    assert rep.replaced == (1 if mode == "upsert" else 2)
    undo(con, rep.import_id)
    assert con.execute("SELECT * FROM customers ORDER BY ALL").fetchall() == before
    assert con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE table_name = 'backup_{rep.import_id}_customers'"
                       ).fetchone()[0] == 0


def test_only_the_latest_import_of_a_kind_can_be_undone(con, tmp_path):
    [first] = import_files(con, [write(tmp_path, "a.csv", ORDERS)], "orders", tmp_path)
    import_files(con, [write(tmp_path, "b.csv", "order_id,customer_id,order_date,amount\nB1,9,2024-02-01,5\n")],
                 "orders", tmp_path)
    before = state_checksum(con)
    with pytest.raises(ImportRefused, match="latest"):
        undo(con, first.import_id)
    assert state_checksum(con) == before
    h = history(con)
    assert list(h["can_undo"]) == [True, False]


def test_several_files_are_all_or_nothing(con, tmp_path):
    good = write(tmp_path, "good.csv", ORDERS)
    bad = write(tmp_path, "bad.csv", "")
    before = state_checksum(con)
    with pytest.raises(ImportRefused, match="bad.csv"):
        import_files(con, [good, bad], "orders", tmp_path)
    assert state_checksum(con) == before
    reps = import_files(con, [good, write(tmp_path, "good2.csv", ORDERS.replace("A", "Z"))], "orders", tmp_path)
    assert [r.loaded for r in reps] == [2, 2]


def test_confirmed_mapping_is_remembered_for_the_same_layout(con, tmp_path):
    text = "单据,会员,时间,钱\nA1,007,2024-01-05,100\n"
    st = stage(con, write(tmp_path, "odd.csv", text), "orders", tmp_path)
    assert st.mapping == [None, None, None, None]
    with pytest.raises(ImportRefused, match="order id"):
        prepare(con, st)
    prepare(con, st, ["order_id", "customer_id", "order_date", "amount"])
    load(con, [st], "append")
    again = stage(con, write(tmp_path, "odd2.csv", text.replace("A1", "A2")), "orders", tmp_path)
    assert again.mapping == ["order_id", "customer_id", "order_date", "amount"]
    assert con.execute("SELECT count(*) FROM settings WHERE key = ?",
                       [layout_key(["单据", "会员", "时间", "钱"], "orders")]).fetchone()[0] == 1


def test_doctor_explains_every_group_before_writing(con, tmp_path):
    import_files(con, [write(tmp_path, "c.csv", "customer_id\n007\n")], "customers", tmp_path)
    text = ("订单号,客户编号,下单时间,实付金额\nA1,007,2024-01-05,100\nA2,999,2024/1/6,-5\nA3,007,坏日期,1\n"
            "A4,007,2099-01-01,abc\nA5,007,2099-01-01,3\n")
    st = stage(con, write(tmp_path, "o.csv", text), "orders", tmp_path)
    before = state_checksum(con)
    d = diagnose(con, st, "append")
    assert state_checksum(con) == before
    assert (d.rows_read, d.will_load, d.will_reject) == (5, 3, 2)
    groups = {(g.code, g.action): (g.count, g.rows) for g in d.groups}
    assert groups[("ok", "load")] == (3, [])
    assert groups[("bad_date", "reject")] == (1, [4])
    assert groups[("bad_amount", "reject")] == (1, [5])
    assert groups[("unknown_customer", "warn")][0] == 1
    assert groups[("negative_amount", "warn")][0] == 1
    assert groups[("future_date", "warn")][0] == 1
    cols = {c.field: c for c in d.columns}
    assert (cols["order_date"].non_empty, cols["order_date"].parsed, cols["order_date"].bad_examples) == (5, 4, ["坏日期"])
    assert cols["amount"].bad_examples == ["abc"]
    [rep] = load(con, [st], "append")
    assert (rep.loaded, rep.rejected) == (d.will_load, d.will_reject)


def test_doctor_asks_for_day_order_and_names_same_file(con, tmp_path):
    p = write(tmp_path, "eu.csv", "order_id,customer_id,order_date,amount\nA,1,05.01.2024,1\n")
    st = stage(con, p, "orders", tmp_path)
    d = diagnose(con, st, "append")
    assert d.needs_dayfirst and d.blocking and d.ambiguous_examples == ["05.01.2024"]
    with pytest.raises(ImportRefused, match="05.01.2024"):
        load(con, [st], "append")
    import_files(con, [p], "orders", tmp_path, dayfirst=True)
    st2 = stage(con, p, "orders", tmp_path)
    prepare(con, st2, opts=Options(dayfirst=True))
    d2 = diagnose(con, st2, "append")
    assert d2.same_file_import == 1 and d2.will_load == 0
    assert {g.code for g in d2.groups} >= {"already_exists"}


def test_rejects_frame_gives_the_original_cells_and_reason_in_words(con, tmp_path):
    [rep] = import_files(con, [write(tmp_path, "r.csv", "订单号,客户编号,下单时间,实付金额\nA1,007,坏,1\n")],
                         "orders", tmp_path)
    df = rejects_frame(con, rep.import_id, "zh")
    assert list(df.columns) == ["行号", "原因", "列", "订单号", "客户编号", "下单时间", "实付金额"]
    assert df.iloc[0].tolist() == [2, "无法识别的日期", "order_date", "A1", "007", "坏", "1"]


def test_export_csv_has_bom_and_neutralised_formulas():
    df = pd.DataFrame({"名称": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "正常", None], "amount": [1, -5, 0, 2, 3, 4]})
    data = export.to_csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["名称", "amount"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "正常", ""]
    assert rows[2][1] == "-5"  # numbers are not text: a refund stays negative


def test_export_xlsx_round_trips_text_without_formulas():
    df = pd.DataFrame({"客户编号": ["007", "=1+1"], "金额": [1.5, -2.0]})
    data = export.to_xlsx_bytes(df, sheet_name="客户")
    back = pd.read_excel(io.BytesIO(data), sheet_name="客户", engine="calamine", dtype=str)
    assert back["客户编号"].tolist() == ["007", "'=1+1"]
    import zipfile
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


@pytest.mark.parametrize("kind", ["customers", "orders", "surveys"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_templates_map_to_themselves_and_import(con, tmp_path, kind, lang):
    frame = template_frame(kind, lang)
    assert None not in suggest(list(frame.columns), kind)
    p = tmp_path / f"t_{kind}_{lang}.xlsx"
    p.write_bytes(template_xlsx(kind, lang))
    [rep] = import_files(con, [p], kind, tmp_path)
    assert (rep.loaded, rep.rejected) == (1, 0)
    p2 = tmp_path / f"t_{kind}_{lang}.csv"
    p2.write_bytes(template_csv(kind, lang))
    [rep2] = import_files(con, [p2], kind, tmp_path, mode="upsert")
    assert (rep2.loaded, rep2.rejected) == (1, 0)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_cli_prints_summary_and_exits_zero(tmp_path):
    dbp = tmp_path / "k.duckdb"
    f = write(tmp_path, "订单.csv", ORDERS + "A3,009,bad,1\n", "gbk")
    out = run_cli("import", "--db", str(dbp), "--kind", "orders", str(f), "--user", "li")
    assert out.returncode == 0, out.stderr
    assert "订单.csv: read 3, loaded 2, rejected 1" in out.stdout
    assert "bad_date" in out.stdout


def test_cli_refusal_exits_non_zero_and_writes_nothing(tmp_path):
    dbp = tmp_path / "k.duckdb"
    c = db.connect(dbp)
    before = state_checksum(c)
    c.close()
    good = write(tmp_path, "good.csv", ORDERS)
    wrong = write(tmp_path, "nps.csv", "客户编号,调查日期,NPS\n007,2024-01-05,9\n")
    out = run_cli("import", "--db", str(dbp), "--kind", "orders", str(good), str(wrong))
    assert out.returncode != 0
    assert "nps.csv" in out.stderr
    c = db.connect(dbp)
    assert state_checksum(c) == before
    assert json.loads(json.dumps(db.table_counts(c)))["imports"] == 0
    c.close()
