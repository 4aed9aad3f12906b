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
    at.file_uploader(key="data.files").set_value([(n, b, "application/octet-stream") for n, b in files])
    return at.run()


def texts(at: AppTest) -> str:
    return " | ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                      + [w.value for w in at.warning] + [s.value for s in at.success])


def test_gbk_upload_doctor_import_and_undo(con):
    at = upload(start(), ("订单.csv", GBK_ORDERS))
    assert not at.exception
    page = texts(at)
    assert "encoding gb18030" in page and "header on row 1" in page
    assert "2 rows: 1 will load, 1 will be rejected." in page
    maps = sorted((s for s in at.selectbox if ".map." in (s.key or "")), key=lambda s: int(s.key.rsplit(".", 1)[1]))
    fields = [s.value for s in maps]
    assert fields == ["order_id", "customer_id", "order_date", "amount"]
    doctor = at.dataframe[0].value
    assert doctor.iloc[:, 0].tolist()[:2] == ["rows ready to load", "amount not recognised"]
    assert not at.button(key="data.import").disabled
    at = at.button(key="data.import").click().run()
    assert not at.exception
    assert any("2 rows read, 1 loaded, 1 rejected" in s.value for s in at.success)
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
