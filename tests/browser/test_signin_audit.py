"""The audit log records a sign-in once: reloads and new tabs signed back in by the cookie add
nothing (ui/gate.py explains why a cookie re-sign-in is not an event of its own)."""

from __future__ import annotations

import shutil
from pathlib import Path

from core import auth, db
from tests.browser.conftest import sign_in, start_app, stop_app, wait_for_app
from tests.conftest import PASSWORD

METRIC = '[data-testid="stMetric"]'


def test_reloads_and_new_tabs_add_no_login_entries(tmp_path: Path, demo_db_file: Path, browser) -> None:
    db_path = tmp_path / "kehu.duckdb"
    shutil.copy(demo_db_file, db_path)
    app = start_app(db_path, tmp_path / "streamlit.log")
    try:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.goto(app.url)
        sign_in(page, app, "boss", PASSWORD)
        page.wait_for_function("() => document.cookie.includes('kehu_session=')", timeout=15000)
        for _ in range(2):
            page.reload()  # a new Streamlit session, signed back in by the cookie
            page.wait_for_selector(METRIC, timeout=60000)
            wait_for_app(page)
        tab = context.new_page()
        tab.goto(app.url + "/followup")
        tab.get_by_role("button", name="退出登录").wait_for(timeout=60000)
        wait_for_app(tab)
        context.close()
    finally:
        stop_app(app)
    con = db.connect(db_path)
    try:
        logins = auth.audit_log(con, action="login")
    finally:
        con.close()
    assert list(logins.username) == ["boss"], logins
    assert list(logins.detail) == ['{"via": "password"}']
