"""AppTest of the Admin page and of the sign-in gate in front of it.

The page is run on its own with a ``Ctx`` in ``st.session_state["kehu.ctx"]`` (what app.py puts
there each rerun). The gate tests run a small script wired like app.py — gate, then Ctx, then the
page — and sign in through the gate's own form, which AppTest can drive (the cookie cannot be:
that part is covered by tests/browser/test_signin.py).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core import auth, db
from core.filters import Filters
from core.settings import Settings
from ui import gate
from ui.context import CTX_KEY, Ctx

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PAGE = str(ROOT / "pages" / "admin.py")
PASSWORD = "secret pass 1"


@pytest.fixture
def con(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> duckdb.DuckDBPyConnection:
    path = tmp_path / "kehu.duckdb"
    monkeypatch.setenv("KEHU_DB", str(path))
    monkeypatch.setenv("KEHU_COOKIE_KEY", "k" * 48)  # keep the key file out of the repo's data/
    connection = db.connect(path)
    connection.execute("INSERT INTO customers (customer_id, owner, team) VALUES ('c1', '李雷', 'east')")
    for name, role, owner in [("boss", "admin", None), ("wang", "manager", "王芳"),
                              ("zhao", "viewer", None)]:
        auth.add_user(connection, name, PASSWORD, role, owner_name=owner, actor="setup")
    yield connection
    connection.close()


def admin_page(con: duckdb.DuckDBPyConnection, username: str | None, lang: str = "en") -> AppTest:
    """The page with ``username`` signed in (None: nobody), run once."""
    at = AppTest.from_file(ADMIN_PAGE, default_timeout=30)
    user = auth.get_user(con, username) if username else None
    at.session_state[CTX_KEY] = Ctx(con=con.cursor(), lang=lang, settings=Settings(),
                                    filters=Filters(), user=user)
    return at.run()


def shown_usernames(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value.username)


def test_admin_sees_every_user_without_password_hashes(con) -> None:
    at = admin_page(con, "boss")
    assert not at.exception, at.exception
    assert shown_usernames(at) == ["boss", "wang", "zhao"]
    table = at.dataframe[0].value
    assert not any("password" in c or "hash" in c for c in table.columns)
    assert "$2b$" not in table.to_string()


@pytest.mark.parametrize("username", ["wang", "zhao", None])
def test_everyone_else_is_refused_and_sees_no_account(con, username) -> None:
    at = admin_page(con, username)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Only administrators can open the Admin page. Ask an administrator to change accounts "
        "or permissions."]
    assert len(at.dataframe) == 0 and len(at.text_input) == 0
    assert "wang" not in str([m.value for m in at.markdown])


def test_admin_adds_a_manager_who_can_then_sign_in(con) -> None:
    at = admin_page(con, "boss")
    at.text_input(key="admin_add_username").input("li.lei")
    at.selectbox(key="admin_add_role").set_value("manager")
    at.selectbox(key="admin_add_owner").set_value("李雷")
    at.text_input(key="admin_add_password").input("new user pass")
    at.text_input(key="admin_add_repeat").input("new user pass")
    at.checkbox(key="admin_add_can_import").check()
    at.button(key="admin_add_submit").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Added li.lei."]
    assert "li.lei" in shown_usernames(at)
    user = auth.authenticate(con, "li.lei", "new user pass")
    assert (user.role, user.owner_name, user.can_import) == ("manager", "李雷", True)
    entry = auth.audit_log(con, limit=1, action="user").iloc[0]
    assert (entry.username, entry.action, json.loads(entry.detail)["target"]) == ("boss", "user", "li.lei")


def test_passwords_that_differ_add_nobody(con) -> None:
    at = admin_page(con, "boss")
    at.text_input(key="admin_add_username").input("li")
    at.text_input(key="admin_add_password").input("new user pass")
    at.text_input(key="admin_add_repeat").input("other user pass")
    at.button(key="admin_add_submit").click().run()
    assert [e.value for e in at.error] == ["The two passwords differ."]
    assert auth.get_user(con, "li") is None


def test_a_refused_account_shows_the_reason(con) -> None:
    at = admin_page(con, "boss")
    at.text_input(key="admin_add_username").input("wang")
    at.text_input(key="admin_add_password").input("new user pass")
    at.text_input(key="admin_add_repeat").input("new user pass")
    at.button(key="admin_add_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["A user called wang already exists."]


def test_admin_resets_a_password_and_the_users_sessions_end(con) -> None:
    before = auth.get_user(con, "wang")
    at = admin_page(con, "boss")
    at.selectbox(key="admin_pw_user").set_value("wang")
    at.text_input(key="admin_pw_new").input("fresh pass 22")
    at.text_input(key="admin_pw_repeat").input("fresh pass 22")
    at.button(key="admin_pw_submit").click().run()
    assert not at.exception, at.exception
    assert auth.authenticate(con, "wang", "fresh pass 22").username == "wang"
    assert auth.session_user(con, "wang", before.token_version) is None


def test_admin_disables_and_cannot_disable_themself(con) -> None:
    at = admin_page(con, "boss")
    at.selectbox(key="admin_status_user").set_value("zhao")
    at.radio(key="admin_status_action").set_value("disable")
    at.button(key="admin_status_submit").click().run()
    assert auth.get_user(con, "zhao") is None
    at.selectbox(key="admin_status_user").set_value("boss")
    at.radio(key="admin_status_action").set_value("disable")
    at.button(key="admin_status_submit").click().run()
    assert [e.value for e in at.error] == ["You cannot disable your own account."]
    assert auth.get_user(con, "boss") is not None


def test_audit_log_can_be_filtered_by_action(con) -> None:
    auth.audit(con, "wang", "import", {"file": "orders.csv"})
    at = admin_page(con, "boss")
    shown = at.dataframe[1].value
    assert set(shown.action) == {"Account change", "Import"}
    at.selectbox(key="admin_audit_action").set_value("import")
    at.run()
    shown = at.dataframe[1].value
    assert list(shown.action) == ["Import"] and list(shown.username) == ["wang"]
    assert list(shown.detail) == ["file: orders.csv"]  # a shape Kehu does not know: as recorded


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit_log_speaks_the_page_language(con, lang) -> None:
    auth.authenticate(con, "wang", PASSWORD)
    with pytest.raises(auth.SignInRefused):
        auth.authenticate(con, "wang", "wrong password")
    auth.audit(con, "wang", "plan_edit", {"created": 2, "updated": 1, "deleted": 0, "refused": 1})
    auth.audit(con, "boss", "import", {"import_id": 3, "kind": "orders", "mode": "append",
                                       "file": "orders.csv", "loaded": 1200, "rejected": 4})
    auth.audit(con, "wang", "login", {"via": "cookie"})  # written by earlier versions
    at = admin_page(con, "boss", lang)
    assert not at.exception, at.exception
    shown = at.dataframe[1].value
    rows = list(zip(shown.action, shown.detail, strict=True))
    expected = {
        "zh": [("登录（浏览器会话恢复）", ""),
               ("导入", "订单：orders.csv（追加），载入 1,200 行，拒绝 4 行"),
               ("修改跟进计划", "新增 2，修改 1，删除 0，未保存 1"),
               ("登录失败", "密码错误（15 分钟内第 1 次）"),
               ("登录（密码）", ""),
               ("账号变更", "添加用户 zhao（只读）"),
               ("账号变更", "添加用户 wang（客户经理）"),
               ("账号变更", "添加用户 boss（管理员）")],
        "en": [("Sign-in (browser session resumed)", ""),
               ("Import", "orders: orders.csv (append), 1,200 rows loaded, 4 rejected"),
               ("Follow-up plan edited", "2 added, 1 changed, 0 deleted, 1 refused"),
               ("Failed sign-in", "wrong password (1 in 15 minutes)"),
               ("Sign-in (password)", ""),
               ("Account change", "added zhao (viewer)"),
               ("Account change", "added wang (manager)"),
               ("Account change", "added boss (administrator)")],
    }[lang]
    assert rows == expected
    assert not any("{" in d for d in shown.detail)  # no raw JSON
    # the filter offers the actions in words, filtering by their codes
    options = at.selectbox(key="admin_audit_action").options
    assert ("登录失败" if lang == "zh" else "Failed sign-in") in options


# --- the gate in front of it -----------------------------------------------------------------


def gated_admin() -> None:
    """app.py's wiring in miniature: gate, context, then the page."""
    from pathlib import Path

    import streamlit as st

    from core.filters import Filters
    from core.settings import Settings
    from ui import context, gate

    con = context.cursor()
    user = gate.require_user(con, "en")
    st.session_state[context.CTX_KEY] = context.Ctx(
        con=con, lang="en", settings=Settings(), filters=Filters(), user=user)
    st.navigation([st.Page(Path(context.__file__).parents[1] / "pages" / "admin.py")]).run()


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="kehu_login_username").input(username)
    at.text_input(key="kehu_login_password").input(password)
    return at.button(key="kehu_login_submit").click().run()


@pytest.fixture
def gated(con) -> AppTest:
    return AppTest.from_function(gated_admin, default_timeout=30).run()


def test_without_signing_in_only_the_login_form_shows(gated) -> None:
    assert not gated.exception, gated.exception
    assert len(gated.dataframe) == 0 and len(gated.error) == 0
    assert [t.value for t in gated.title] == ["Kehu customer dashboard"]
    assert {t.key for t in gated.text_input} == {"kehu_login_username", "kehu_login_password"}


def test_admin_signs_in_sees_users_then_signs_out_and_sees_nothing(gated, con) -> None:
    sign_in(gated, "BOSS", PASSWORD)
    assert not gated.exception, gated.exception
    assert shown_usernames(gated) == ["boss", "wang", "zhao"]
    assert [c.value for c in gated.sidebar.caption] == ["Signed in as boss (administrator)"]
    version = auth.get_user(con, "boss").token_version
    gated.sidebar.button(key="kehu_logout").click().run()
    assert len(gated.dataframe) == 0
    assert [i.value for i in gated.info] == ["You have signed out."]
    assert auth.get_user(con, "boss").token_version == version + 1  # old cookies are dead
    assert list(auth.audit_log(con, limit=2).action) == ["logout", "login"]


def test_a_signed_in_session_adds_no_login_entry_per_rerun(gated, con) -> None:
    sign_in(gated, "boss", PASSWORD)
    for _ in range(3):  # reruns of the same session (clicks, page changes) are not sign-ins
        gated.run()
    logins = auth.audit_log(con, action="login")
    assert list(logins.username) == ["boss"]
    assert [json.loads(d) for d in logins.detail] == [{"via": "password"}]


def test_a_manager_who_signs_in_is_refused_by_the_page(gated) -> None:
    sign_in(gated, "wang", PASSWORD)
    assert not gated.exception
    assert len(gated.dataframe) == 0 and "Only administrators" in gated.error[0].value


def test_wrong_password_and_lock_out_messages(gated) -> None:
    for _ in range(4):
        sign_in(gated, "boss", "wrong password")
        assert [e.value for e in gated.error] == ["Wrong username or password."]
    sign_in(gated, "boss", "wrong password")
    assert "locked" in gated.error[0].value and "15 minute" in gated.error[0].value
    sign_in(gated, "boss", PASSWORD)  # the right password does not open a locked account
    assert "locked" in gated.error[0].value and len(gated.dataframe) == 0


def test_a_disabled_account_is_told_so_after_the_right_password(gated, con) -> None:
    auth.disable_user(con, "wang", actor="boss")
    sign_in(gated, "wang", PASSWORD)
    assert [e.value for e in gated.error] == ["This account is disabled. Ask your administrator."]


def test_a_session_ends_on_the_next_rerun_when_the_password_changes_elsewhere(gated, con) -> None:
    sign_in(gated, "boss", PASSWORD)
    assert len(gated.dataframe) == 2
    auth.set_password(con, "boss", "changed pass 3", actor="cli")
    gated.run()
    assert len(gated.dataframe) == 0
    assert "session has ended" in gated.info[0].value


@pytest.mark.parametrize(
    ("field", "ago", "message"),
    [("last_seen", timedelta(minutes=31), "after 30 minutes without activity"),
     ("signed_in_at", timedelta(hours=8, minutes=1), "more than 8 hours old")],
)
def test_idle_and_old_sessions_end(gated, field, ago, message) -> None:
    sign_in(gated, "boss", PASSWORD)
    assert len(gated.dataframe) == 2
    record = dict(gated.session_state[gate.SESSION_KEY])
    record[field] = auth.utcnow() - ago  # as if that much time had passed, no waiting
    gated.session_state[gate.SESSION_KEY] = record
    gated.run()
    assert len(gated.dataframe) == 0
    assert message in gated.info[0].value


def test_first_start_creates_admin_and_prints_the_password_only_to_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KEHU_DB", str(tmp_path / "fresh.duckdb"))
    monkeypatch.setenv("KEHU_COOKIE_KEY", "k" * 48)
    at = AppTest.from_function(gated_admin, default_timeout=30).run()
    console = capsys.readouterr().out
    password = console.split("shown only this once: ")[1].split()[0]
    assert "first start" in at.info[0].value.lower()
    page_text = json.dumps([e.value for e in [*at.markdown, *at.info, *at.caption]])
    assert password not in page_text
    sign_in(at, "admin", password)
    assert shown_usernames(at) == ["admin"]
    at.run()
    assert "shown only this once" not in capsys.readouterr().out  # printed once, never again
