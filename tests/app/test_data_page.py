"""AppTest of the Data page: upload (real bytes through st.file_uploader), encoding shown, mapping
correction, data doctor, ambiguous dates, refusal, import, history and undo, viewer read-only."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from core.filters import Filters
from core.settings import Settings
from ui import context

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "data.py")
GBK_ORDERS = "订单号,客户编号,下单时间,实付金额\r\nA1,007,2024年1月5日,￥100\r\nA2,008,2024/1/6,坏金额\r\n".encode("gbk")
MANAGER = SimpleNamespace(username="li", role="manager", can_import=True)


@pytest.fixture
def con(tmp_path, monkeypatch):
    path = tmp_path / "kehu.duckdb"
    monkeypatch.setenv("KEHU_DB", str(path))
    st.cache_data.clear()
    c = db.connect(path)
    c.execute("INSERT INTO customers (customer_id, name) VALUES ('007', '甲')")  # not empty: no demo
    yield c
    c.close()


def start(user=MANAGER, lang: str = "en") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    cur = context.cursor()
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=cur, lang=lang, settings=Settings(as_of=date(2024, 12, 31)), filters=Filters(), user=user,
        data_version=db.data_version(cur))
    return at.run()


def upload(at: AppTest, *files: tuple[str, bytes], kind: str = "orders") -> AppTest:
    at.selectbox(key="data.kind").set_value(kind)
    at.file_uploader[0].set_value([(n, b, "application/octet-stream") for n, b in files])
    return at.run()


def texts(at: AppTest) -> str:
    return " | ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                      + [w.value for w in at.warning] + [s.value for s in at.success])


def test_gbk_upload_doctor_import_and_undo(con):
    at = upload(start(), ("订单.csv", GBK_ORDERS))
    assert not at.exception
    page = texts(at)
    assert "encoding GBK" in page and "header on row 1" in page
    enc = next(s for s in at.selectbox if (s.key or "").endswith(".enc"))
    assert enc.value == "auto" and enc.format_func("auto") == "automatic (detected GBK)"
    assert "2 rows: 1 will load, 1 will be rejected." in page
    maps = sorted((s for s in at.selectbox if ".map." in (s.key or "")), key=lambda s: int(s.key.rsplit(".", 1)[1]))
    fields = [s.value for s in maps]
    assert fields == ["order_id", "customer_id", "order_date", "amount"]
    doctor = at.dataframe[0].value
    assert doctor.iloc[:, 0].tolist()[:2] == ["rows ready to load", "amount not recognised"]
    assert not at.button(key="data.import").disabled
    at = at.button(key="data.import").click().run()
    assert not at.exception
    # finished: a success that says so, an empty uploader (a new one) and no import button to press again
    assert [s.value for s in at.success] == ["Import finished: 1 rows (订单.csv, import #1: 2 read, 1 rejected)."]
    assert not at.file_uploader[0].value and at.file_uploader[0].key != "data.files.0"
    assert not [b for b in at.button if b.key == "data.import"]
    assert con.execute("SELECT order_id, order_date, amount FROM orders").fetchall() == [
        ("A1", date(2024, 1, 5), 100)]
    assert con.execute("SELECT username, file_name, encoding FROM imports").fetchall() == [("li", "订单.csv", "gb18030")]
    # history tab: undo the import
    at = start()
    assert at.selectbox(key="data.undo_pick").value == 1
    at = at.button(key="data.undo").click().run()
    assert any("Import #1 undone (1 rows removed)." in s.value for s in at.success)
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
    assert con.execute("SELECT action FROM audit_log ORDER BY audit_id").fetchall() == [("import",), ("undo",)]


def test_date_order_is_asked_only_when_a_date_column_is_mapped(con):
    at = upload(start(), ("c.csv", "客户编号,姓名\n101,甲\n".encode()), kind="customers")
    assert not at.exception
    assert not [r for r in at.radio if (r.key or "").endswith(".dayfirst")]
    assert not at.button(key="data.import").disabled
    at = upload(start(), ("c2.csv", "客户编号,注册日期\n101,2024-01-05\n".encode()), kind="customers")
    assert [r for r in at.radio if (r.key or "").endswith(".dayfirst")]


def test_history_shows_modes_and_statuses_in_the_ui_language(con, tmp_path):
    from core.ingest import import_files

    c1 = tmp_path / "c1.csv"
    c1.write_text("customer_id\n1\n")
    c2 = tmp_path / "c2.csv"
    c2.write_text("customer_id\n2\n")
    import_files(con, [c1], "customers", tmp_path, mode="append", username="li")
    import_files(con, [c2], "customers", tmp_path, mode="replace", username="li")
    hist = start(lang="zh").dataframe[0].value
    assert hist["方式"].tolist() == ["整表替换", "追加"]
    assert hist["状态"].tolist() == ["完成", "已被替换（#2）"]
    hist = start(lang="en").dataframe[0].value
    assert hist["mode"].tolist() == ["replace", "append"]
    assert hist["status"].tolist() == ["done", "replaced by #2"]


def test_mapping_correction_unblocks_the_import(con):
    text = "单据,会员,时间,钱,备注\nB1,007,2024-02-01,10,hi\n".encode()
    at = upload(start(), ("odd.csv", text))
    assert any("lacks required columns" in e.value for e in at.error)
    assert at.button(key="data.import").disabled
    maps = sorted((s for s in at.selectbox if ".map." in (s.key or "")), key=lambda s: int(s.key.rsplit(".", 1)[1]))
    for box, field in zip(maps, ["order_id", "customer_id", "order_date", "amount"], strict=False):
        box.set_value(field)
    at = at.run()
    assert not at.error
    at = at.button(key="data.import").click().run()
    assert con.execute("SELECT order_id, customer_id, amount, CAST(extra AS VARCHAR) FROM orders").fetchall() == [
        ("B1", "007", 10, '{"备注":"hi"}')]


def test_ambiguous_dates_must_be_answered(con):
    text = b"order_id,customer_id,order_date,amount\nC1,007,05.01.2024,1\n"
    at = upload(start(), ("eu.csv", text))
    assert any("05.01.2024" in w.value for w in at.warning)
    assert at.button(key="data.import").disabled
    radio = next(r for r in at.radio if (r.key or "").endswith(".dayfirst"))
    at = radio.set_value("yes").run()
    assert not at.button(key="data.import").disabled
    at.button(key="data.import").click().run()
    assert con.execute("SELECT order_date FROM orders").fetchone()[0] == date(2024, 1, 5)


def test_unusable_file_is_refused_with_its_name_and_nothing_written(con):
    at = upload(start(lang="zh"), ("报表.csv", b"%PDF-1.7 binary"), ("订单.csv", GBK_ORDERS))
    assert any("报表.csv" in e.value and "PDF" in e.value for e in at.error)
    assert at.button(key="data.import").disabled  # all or nothing: one bad file blocks the batch
    assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 0


def test_viewer_sees_history_but_cannot_import(con):
    at = start(user=SimpleNamespace(username="v", role="viewer", can_import=False))
    assert not at.exception
    assert any("can view but not import" in i.value for i in at.info)
    assert not [f for f in at.file_uploader]


def test_templates_and_exports_are_offered(con):
    at = start()
    keys = {b.key for b in at.get("download_button")}
    assert {"data.tpl.orders.csv", "data.tpl.surveys.xlsx", "data.exp.customers.csv", "data.exp.orders.xlsx"} <= keys


@pytest.fixture
def demo_con(tmp_path, monkeypatch):
    """The brief's small demo company, then a real customer with a real order."""
    from core import demo
    from core.ingest import import_files

    path = tmp_path / "kehu.duckdb"
    monkeypatch.setenv("KEHU_DB", str(path))
    st.cache_data.clear()
    c = db.connect(path)
    demo.build_demo(c, customers=200, seed=1, end=date(2025, 6, 30))
    (tmp_path / "c.csv").write_text("customer_id,name\nR1,真客户\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text("order_id,customer_id,order_date,amount\nX1,R1,2025-06-01,99\n", encoding="utf-8")
    import_files(c, [tmp_path / "c.csv"], "customers", tmp_path, username="li")
    import_files(c, [tmp_path / "o.csv"], "orders", tmp_path, username="li")
    yield c
    c.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_remove_the_demo_company_after_a_confirmation_with_counts(demo_con, lang):
    orders = demo_con.execute("SELECT count(*) FROM orders WHERE import_id = 2").fetchone()[0]
    surveys = demo_con.execute("SELECT count(*) FROM surveys").fetchone()[0]
    at = start(lang=lang)
    assert not at.exception
    at = at.button(key="data.demo.remove").click().run()
    assert not at.exception
    # nothing is deleted before the confirmation; it names every count (20 follow-ups = max(20, 200 // 12),
    # 24 targets = 6 KPIs x 4 months)
    assert demo_con.execute("SELECT count(*) FROM customers").fetchone()[0] == 201
    warning = [w.value for w in at.warning]
    if lang == "en":
        assert warning == [f"This deletes the demo company for good: 200 customers, {orders:,} orders, {surveys:,} "
                           "surveys, 20 follow-ups (with their history), 24 KPI targets. It cannot be undone. Data "
                           "you imported stays."]
    else:
        assert warning == [f"将永久删除演示数据：200 个客户、{orders:,} 条订单、{surveys:,} 条问卷、20 条跟进（含修改记录）、"
                           "24 个 KPI 目标。此操作不能撤销。你导入的数据不受影响。"]
    at = at.button(key="data.demo.yes").click().run()
    assert not at.exception
    assert len(at.success) == 1 and (f"{orders:,}" in at.success[0].value)
    assert not [b for b in at.button if (b.key or "").startswith("data.demo.")]  # nothing left to remove
    assert demo_con.execute("SELECT customer_id FROM customers").fetchall() == [("R1",)]
    assert demo_con.execute("SELECT order_id FROM orders").fetchall() == [("X1",)]
    assert demo_con.execute("SELECT count(*) FROM surveys").fetchone()[0] == 0
    assert demo_con.execute("SELECT count(*) FROM followups").fetchone()[0] == 0
    assert demo_con.execute("SELECT count(*) FROM targets").fetchone()[0] == 0
    hist = at.dataframe[0].value
    status = hist.columns[3]
    assert hist[status].tolist() == (["done", "done", "removed", "removed", "removed"] if lang == "en"
                                     else ["完成", "完成", "已移除", "已移除", "已移除"])


def test_cancel_keeps_the_demo(demo_con):
    at = start().button(key="data.demo.remove").click().run()
    at = at.button(key="data.demo.cancel").click().run()
    assert not at.warning and at.button(key="data.demo.remove")
    assert demo_con.execute("SELECT count(*) FROM customers").fetchone()[0] == 201


def test_a_viewer_is_not_offered_the_removal(demo_con):
    at = start(user=SimpleNamespace(username="v", role="viewer", can_import=False))
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith("data.demo.")]


def test_customer_replace_warns_about_orders_left_without_customers(demo_con):
    at = start(lang="zh")
    at.radio(key="data.mode").set_value("replace")
    at = upload(at, ("客户.csv", "客户编号,姓名\nR1,真\n".encode()), kind="customers")
    assert not at.exception
    orders = demo_con.execute("SELECT count(*) FROM orders WHERE customer_id <> 'R1'").fetchone()[0]
    surveys = demo_con.execute("SELECT count(*) FROM surveys").fetchone()[0]
    assert (f"{orders:,} 条订单、{surveys:,} 条问卷、20 条跟进将指向不存在的客户；请同时替换订单文件，或先移除演示数据。"
            in [w.value for w in at.warning])
    assert not at.button(key="data.import").disabled  # a warning, not a refusal
