"""Sign in with Chromium as a new user would: account from the CLI, Overview, sign out, data gone.

This is the one place the re-login cookie of streamlit-authenticator is exercised (AppTest cannot
drive its cookie component): a reload keeps the user signed in, signing out ends it, and a copy
of the cookie taken before signing out no longer opens anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import db
from tests.browser.conftest import ROOT, RunningApp, start_app, stop_app, wait_for_app

PASSWORD = "browser pass 1"
METRIC = '[data-testid="stMetric"]'
TABLE = '[data-testid="stDataFrame"]'


def make_db(folder: Path, demo_db_file: Path) -> Path:
    """A copy of the demo company with an admin and a manager, added with the CLI."""
    db_path = folder / "kehu.duckdb"
    shutil.copy(demo_db_file, db_path)
    con = db.connect(db_path)
    owner = con.execute(
        "SELECT owner FROM customers GROUP BY owner ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    con.close()
    for args in (["li", "--role", "admin"], ["wang", "--role", "manager", "--owner", owner]):
        done = subprocess.run(
            [sys.executable, "-m", "core", "users", "add", *args, "--password-stdin"],
            input=PASSWORD + "\n", text=True, capture_output=True, cwd=ROOT,
            env={**os.environ, "KEHU_DB": str(db_path)}, timeout=120,
        )
        assert done.returncode == 0, done.stderr
    return db_path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, demo_db_file: Path) -> Iterator[RunningApp]:
    folder = tmp_path_factory.mktemp("signin")
    running = start_app(make_db(folder, demo_db_file), folder / "streamlit.log")
    try:
        yield running
    finally:
        stop_app(running)


def shows_login(page) -> bool:
    """Wait for the sign-in form (the script may still be starting); True if no data shows."""
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30000)
    wait_for_app(page)
    return page.locator(METRIC).count() == 0 and page.locator(TABLE).count() == 0


def shows_overview(page) -> bool:
    """Wait for the Overview's KPI cards; True if the sign-in form is gone."""
    page.wait_for_selector(METRIC, timeout=30000)
    wait_for_app(page)
    return page.locator(METRIC).count() >= 4 and page.get_by_role("button", name="登录", exact=True).count() == 0


def sign_in(page, username: str, password: str) -> None:
    # let the cookie component's first rerun pass: a submit during it can be lost
    wait_for_app(page)
    page.wait_for_timeout(1000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def test_sign_in_reach_overview_sign_out_and_the_data_is_gone(app, browser, artifacts) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(app.url)
    assert shows_login(page)
    assert "Kehu" in page.locator("h1").first.inner_text()

    sign_in(page, "li", PASSWORD)
    assert shows_overview(page)
    assert page.get_by_text("已登录").count() == 1
    page.screenshot(path=str(artifacts / "signin_overview.png"), full_page=True)

    page.wait_for_function("() => document.cookie.includes('kehu_session=')", timeout=15000)
    copied = [c for c in context.cookies() if c["name"] == "kehu_session"]
    page.reload()  # the cookie signs the same browser back in, no password
    assert shows_overview(page)

    page.get_by_role("button", name="退出登录").click()
    assert shows_login(page)
    assert page.get_by_text("你已退出登录").count() == 1
    page.reload()  # the cookie is gone: still signed out
    assert shows_login(page)
    page.screenshot(path=str(artifacts / "signin_signed_out.png"), full_page=True)
    context.close()

    # whoever copied the cookie before the sign-out gets nothing with it
    thief = browser.new_context()
    thief.add_cookies(copied)
    stolen = thief.new_page()
    stolen.goto(app.url)
    assert shows_login(stolen)
    thief.close()


def test_wrong_password_is_refused_with_a_readable_message(app, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(app.url)
    assert shows_login(page)
    sign_in(page, "wang", "not the password")
    page.get_by_text("用户名或密码错误").wait_for(timeout=30000)
    assert shows_login(page)
    context.close()


def test_a_manager_signs_in_and_the_admin_page_refuses_them(app, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(app.url)
    assert shows_login(page)
    sign_in(page, "wang", PASSWORD)
    assert shows_overview(page)
    page.wait_for_function("() => document.cookie.includes('kehu_session=')", timeout=15000)
    page.goto(app.url + "/admin")  # a new page load: signed in again by the cookie
    refusal = page.get_by_text("只有管理员可以打开")
    try:
        refusal.wait_for(timeout=30000)
    except Exception:  # on a busy machine the cookie sign-in may land on the Overview first
        assert shows_overview(page)
        page.locator('[data-testid="stSidebarNavLink"][href$="/admin"]').first.click()
        refusal.wait_for(timeout=30000)
    assert page.locator(TABLE).count() == 0
    context.close()


def test_a_page_address_as_the_first_request_of_a_fresh_server_shows_no_data(
    tmp_path: Path, demo_db_file: Path, browser
) -> None:
    # Streamlit runs the files of pages/ on their own ("MPA v1", without app.py) until some run
    # has called st.navigation; on a fresh process /customers must still meet the sign-in.
    fresh = start_app(make_db(tmp_path, demo_db_file), tmp_path / "streamlit.log")
    try:
        context = browser.new_context()
        page = context.new_page()
        for path in ("/customers", "/segments", "/admin"):
            page.goto(fresh.url + path)
            assert shows_login(page), path
        context.close()
    finally:
        stop_app(fresh)
