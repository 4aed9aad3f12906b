"""Users, passwords, lock-out, sessions, roles, row scope, masking, audit and the cookie key."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from core import auth, secrets_store
from core.db import connect
from core.errors import Conflict, KehuError, NotFound, PermissionDenied
from core.filters import Filters, customer_where

T0 = datetime(2026, 3, 2, 9, 0, 0)  # naive UTC, like every timestamp in users/audit_log
PASSWORD = "correct horse 7"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return connect(":memory:")


def add(con: duckdb.DuckDBPyConnection, name: str, role: str = "manager", **kw: object) -> auth.User:
    return auth.add_user(con, name, PASSWORD, role, now=T0, **kw)


def audit_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT username, action, CAST(detail AS VARCHAR) FROM audit_log ORDER BY audit_id"
    ).fetchall()


def lockout_state(con: duckdb.DuckDBPyConnection, name: str) -> tuple:
    return con.execute(
        "SELECT failed_logins, first_failed_at, locked_until FROM users WHERE username = ?", [name]
    ).fetchone()


# --- hashing ---------------------------------------------------------------------------------


def test_hash_is_bcrypt_salted_and_verifies_only_the_same_password() -> None:
    first, second = auth.hash_password(PASSWORD), auth.hash_password(PASSWORD)
    assert first.startswith("$2b$") and first != second  # a fresh salt each time
    assert PASSWORD not in first
    assert auth.verify_password(PASSWORD, first) and auth.verify_password(PASSWORD, second)
    assert not auth.verify_password("correct horse 8", first)
    assert not auth.verify_password(PASSWORD, "not a hash")


def test_hash_is_readable_by_streamlit_authenticators_hasher() -> None:
    from streamlit_authenticator.utilities.hasher import Hasher

    hashed = auth.hash_password(PASSWORD)
    assert Hasher.is_hash(hashed) and Hasher.check_pw(PASSWORD, hashed)


@pytest.mark.parametrize("password", ["short", "x" * 73, "密" * 25])  # 25 × 3 bytes = 75 > 72
def test_passwords_bcrypt_cannot_hash_whole_or_too_short_are_refused(password: str) -> None:
    with pytest.raises(KehuError):
        auth.hash_password(password)


# --- users -----------------------------------------------------------------------------------


def test_add_user_stores_a_hash_never_the_password_and_lowercases_the_name(con) -> None:
    user = add(con, "  Wang.Fang ", owner_name="王芳", team="east", can_import=True)
    assert user == auth.User("wang.fang", "wang.fang", "manager", "王芳", "east", True, 1)
    stored = con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$2b$") and auth.verify_password(PASSWORD, stored)
    everything = json.dumps(con.execute("SELECT * FROM audit_log").fetchall(), default=str)
    assert PASSWORD not in everything and stored not in everything


def test_usernames_are_unique_whatever_their_case(con) -> None:
    add(con, "li")
    with pytest.raises(Conflict):
        add(con, "LI")


@pytest.mark.parametrize("name", ["", "has space", "a" * 65, "semi;colon"])
def test_bad_usernames_are_refused(con, name: str) -> None:
    with pytest.raises(KehuError):
        add(con, name)


def test_unknown_role_is_refused(con) -> None:
    with pytest.raises(KehuError, match="role"):
        add(con, "li", role="root")


def test_list_users_never_returns_password_hashes(con) -> None:
    add(con, "li", owner_name="李")
    add(con, "zhao", role="viewer")
    users = auth.list_users(con)
    assert list(users.username) == ["li", "zhao"]
    assert not any("hash" in c or "password" in c for c in users.columns)
    assert not users.astype(str).apply(lambda col: col.str.startswith("$2b$")).any().any()


def test_unknown_user_cannot_get_a_password_or_be_disabled(con) -> None:
    with pytest.raises(NotFound):
        auth.set_password(con, "ghost", PASSWORD)
    with pytest.raises(NotFound):
        auth.disable_user(con, "ghost")


# --- sign-in and lock-out --------------------------------------------------------------------


def test_right_password_signs_in_and_is_audited_without_the_password(con) -> None:
    add(con, "li", owner_name="李")
    user = auth.authenticate(con, "LI", PASSWORD, now=T0)
    assert (user.username, user.owner_name) == ("li", "李")
    assert audit_rows(con)[-1][:2] == ("li", "login")
    assert PASSWORD not in json.dumps(audit_rows(con))


def test_wrong_password_and_unknown_user_get_the_same_message(con) -> None:
    add(con, "li")
    with pytest.raises(auth.SignInRefused) as wrong:
        auth.authenticate(con, "li", "wrong password", now=T0)
    with pytest.raises(auth.SignInRefused) as unknown:
        auth.authenticate(con, "nobody", "wrong password", now=T0)
    assert str(wrong.value) == str(unknown.value)
    assert type(wrong.value) is type(unknown.value) is auth.SignInRefused


def test_failed_attempts_are_audited_and_an_unknown_name_is_not_recorded(con) -> None:
    add(con, "li")
    for name in ("li", "my-secret-typed-in-the-name-box"):
        with pytest.raises(auth.SignInRefused):
            auth.authenticate(con, name, "wrong password", now=T0)
    failed = [r for r in audit_rows(con) if r[1] == "login_failed"]
    assert [(r[0], json.loads(r[2])["reason"]) for r in failed] == [
        ("li", "wrong_password"), (None, "unknown_user")]
    assert "my-secret" not in json.dumps(audit_rows(con)) and "wrong password" not in json.dumps(failed)


def fail(con: duckdb.DuckDBPyConnection, at: datetime, name: str = "li") -> auth.SignInRefused:
    with pytest.raises(auth.SignInRefused) as refused:
        auth.authenticate(con, name, "wrong password", now=at)
    return refused.value


def test_five_failures_within_15_minutes_lock_for_15_minutes_even_the_right_password(con) -> None:
    add(con, "li")
    # failures at 9:00, 9:03, 9:06, 9:09 → still only "wrong"; the 5th at 9:12 locks until 9:27
    for minute in (0, 3, 6, 9):
        assert type(fail(con, T0 + timedelta(minutes=minute))) is auth.SignInRefused
    fifth = fail(con, T0 + timedelta(minutes=12))
    assert isinstance(fifth, auth.AccountLocked)
    assert fifth.locked_until == T0 + timedelta(minutes=27)
    with pytest.raises(auth.AccountLocked, match="15"):
        auth.authenticate(con, "li", PASSWORD, now=T0 + timedelta(minutes=12, seconds=1))
    with pytest.raises(auth.AccountLocked, match="1 more minute"):
        auth.authenticate(con, "li", PASSWORD, now=T0 + timedelta(minutes=26, seconds=30))
    assert auth.authenticate(con, "li", PASSWORD, now=T0 + timedelta(minutes=27)).username == "li"
    assert lockout_state(con, "li") == (0, None, None)


def test_attempts_while_locked_do_not_extend_the_lock_and_are_audited(con) -> None:
    add(con, "li")
    for minute in range(5):
        fail(con, T0 + timedelta(minutes=minute))  # locked 9:04 → 9:19
    assert isinstance(fail(con, T0 + timedelta(minutes=10)), auth.AccountLocked)
    assert lockout_state(con, "li")[2] == T0 + timedelta(minutes=19)
    reasons = [json.loads(r[2])["reason"] for r in audit_rows(con) if r[1] == "login_failed"]
    assert reasons == ["wrong_password"] * 5 + ["locked"]


def test_failures_spread_over_more_than_15_minutes_do_not_lock(con) -> None:
    add(con, "li")
    # 9:00, 9:05, 9:10, 9:15 open one window; 9:16 is 16 minutes after its first failure, so a
    # new window starts there with one failure: no lock.
    for minute in (0, 5, 10, 15, 16):
        assert type(fail(con, T0 + timedelta(minutes=minute))) is auth.SignInRefused
    assert lockout_state(con, "li") == (1, T0 + timedelta(minutes=16), None)


def test_a_successful_sign_in_resets_the_failure_count(con) -> None:
    add(con, "li")
    for minute in range(4):
        fail(con, T0 + timedelta(minutes=minute))
    auth.authenticate(con, "li", PASSWORD, now=T0 + timedelta(minutes=5))
    for minute in range(6, 10):
        assert type(fail(con, T0 + timedelta(minutes=minute))) is auth.SignInRefused


def test_after_a_lock_expires_the_user_has_five_fresh_attempts(con) -> None:
    add(con, "li")
    for minute in range(5):
        fail(con, T0 + timedelta(minutes=minute))  # locked until 9:19
    for minute in (20, 21, 22, 23):
        assert type(fail(con, T0 + timedelta(minutes=minute))) is auth.SignInRefused
    assert isinstance(fail(con, T0 + timedelta(minutes=24)), auth.AccountLocked)


def test_an_admin_can_unlock_early(con) -> None:
    add(con, "li")
    for minute in range(5):
        fail(con, T0 + timedelta(minutes=minute))
    auth.unlock(con, "li", actor="admin", now=T0 + timedelta(minutes=5))
    assert auth.authenticate(con, "li", PASSWORD, now=T0 + timedelta(minutes=5)).username == "li"


def test_disabled_account_is_refused_only_after_the_right_password(con) -> None:
    add(con, "li")
    auth.disable_user(con, "li", actor="admin", now=T0)
    assert type(fail(con, T0)) is auth.SignInRefused  # wrong password: nothing revealed
    with pytest.raises(auth.AccountDisabled, match="disabled"):
        auth.authenticate(con, "li", PASSWORD, now=T0)
    assert auth.get_user(con, "li") is None
    auth.set_disabled(con, "li", False, actor="admin", now=T0)
    assert auth.authenticate(con, "li", PASSWORD, now=T0).username == "li"


def test_an_admin_cannot_disable_their_own_account(con) -> None:
    add(con, "boss", role="admin")
    with pytest.raises(PermissionDenied):
        auth.disable_user(con, "boss", actor="boss")


# --- sessions: token_version -----------------------------------------------------------------


@pytest.mark.parametrize(
    "end_it",
    [
        lambda con: auth.sign_out(con, "li", now=T0),
        lambda con: auth.set_password(con, "li", "another pass 9", actor="admin", now=T0),
        lambda con: auth.disable_user(con, "li", actor="admin", now=T0),
    ],
    ids=["sign_out", "new_password", "disabled"],
)
def test_sign_out_new_password_and_disabling_end_existing_sessions(con, end_it) -> None:
    signed_in = add(con, "li")
    assert auth.session_user(con, "li", signed_in.token_version) == signed_in
    end_it(con)
    assert auth.session_user(con, "li", signed_in.token_version) is None


def test_new_password_works_and_the_old_one_no_longer_does(con) -> None:
    add(con, "li")
    auth.set_password(con, "li", "another pass 9", actor="admin", now=T0)
    assert auth.authenticate(con, "li", "another pass 9", now=T0).token_version == 2
    assert type(fail(con, T0)) is auth.SignInRefused


def test_user_administration_is_audited_with_actor_and_target(con) -> None:
    add(con, "li", actor="boss")
    auth.set_password(con, "li", "another pass 9", actor="boss", now=T0)
    auth.disable_user(con, "li", actor="boss", now=T0)
    auth.sign_out(con, "zhao", now=T0)
    rows = [(r[0], r[1], json.loads(r[2])) for r in audit_rows(con)]
    assert [(who, action, d.get("op"), d.get("target")) for who, action, d in rows] == [
        ("boss", "user", "add", "li"),
        ("boss", "user", "password", "li"),
        ("boss", "user", "disable", "li"),
        ("zhao", "logout", None, None),
    ]
    assert "another pass 9" not in json.dumps(audit_rows(con))


def test_audit_log_is_newest_first_filterable_and_paged(con) -> None:
    for minute, action in enumerate(["login", "import", "login", "undo"]):
        auth.audit(con, "li", action, {"n": minute}, now=T0 + timedelta(minutes=minute))
    assert list(auth.audit_log(con, limit=10).action) == ["undo", "login", "import", "login"]
    logins = auth.audit_log(con, limit=10, action="login")
    assert [json.loads(d)["n"] for d in logins.detail] == [2, 0]
    assert list(auth.audit_log(con, limit=2, offset=1).action) == ["login", "import"]
    assert auth.audit_actions(con) == ["import", "login", "undo"]


# --- first start -----------------------------------------------------------------------------


def test_first_admin_gets_a_random_password_once_and_no_default_exists(con) -> None:
    password = auth.ensure_first_admin(con, now=T0)
    assert password and len(password) >= 20
    user = auth.authenticate(con, "admin", password, now=T0)
    assert user.role == "admin"
    for guess in ("admin", "password", "kehu", "admin123", "changeme"):
        with pytest.raises(auth.SignInRefused):
            auth.authenticate(con, "admin", guess + "x" * 8, now=T0)
    assert auth.ensure_first_admin(con, now=T0) is None  # users exist: nothing created, nothing shown
    assert auth.user_count(con) == 1
    assert password not in json.dumps(audit_rows(con))


def test_each_install_gets_a_different_first_password() -> None:
    assert auth.ensure_first_admin(connect(":memory:")) != auth.ensure_first_admin(connect(":memory:"))


def test_no_first_admin_when_someone_added_a_user_with_the_cli(con) -> None:
    add(con, "boss", role="admin")
    assert auth.ensure_first_admin(con) is None and list(auth.list_users(con).username) == ["boss"]


# --- roles and row scope ---------------------------------------------------------------------


@pytest.fixture
def shop(con) -> duckdb.DuckDBPyConnection:
    # customers: c1 王芳/east, c2 王芳/east, c3 李雷/east, c4 赵敏/west, c5 no owner/east
    for cid, owner, team in [("c1", "王芳", "east"), ("c2", "王芳", "east"), ("c3", "李雷", "east"),
                             ("c4", "赵敏", "west"), ("c5", None, "east")]:
        con.execute("INSERT INTO customers (customer_id, owner, team) VALUES (?, ?, ?)",
                    [cid, owner, team])
    return con


def visible(con: duckdb.DuckDBPyConnection, user: auth.User) -> list[str]:
    """The customers a core query returns for this user (the scope applied by customer_where)."""
    where, params = customer_where(Filters(scope_owners=auth.scope_for(user, con)))
    sql = f"SELECT customer_id FROM customers c WHERE {where} ORDER BY customer_id"
    return [r[0] for r in con.execute(sql, params).fetchall()]


def test_admin_and_viewer_see_every_customer(shop) -> None:
    for role in ("admin", "viewer"):
        user = add(shop, role, role=role)
        assert auth.scope_for(user, shop) is None
        assert visible(shop, user) == ["c1", "c2", "c3", "c4", "c5"]


def test_manager_without_team_sees_only_their_own_customers(shop) -> None:
    wang = add(shop, "wang", owner_name="王芳")
    assert auth.scope_for(wang, shop) == ("王芳",)
    assert visible(shop, wang) == ["c1", "c2"]


def test_manager_with_team_sees_every_owner_of_the_team(shop) -> None:
    # east owners from customers: 王芳, 李雷; from users: 陈晨 (a colleague without customers).
    # 赵敏 is west. c5 has no owner, so no manager sees it (admins and viewers do).
    add(shop, "chen", owner_name="陈晨", team="east")
    wang = add(shop, "wang", owner_name="王芳", team="east")
    assert auth.scope_for(wang, shop) == ("李雷", "王芳", "陈晨")
    assert visible(shop, wang) == ["c1", "c2", "c3"]


def test_manager_with_neither_owner_nor_team_sees_nothing(shop) -> None:
    nobody = add(shop, "new")
    assert auth.scope_for(nobody, shop) == ()
    assert visible(shop, nobody) == []


def test_scope_cannot_be_widened_by_the_owner_filter(shop) -> None:
    wang = add(shop, "wang", owner_name="王芳")
    where, params = customer_where(Filters(owners=("赵敏",), scope_owners=auth.scope_for(wang, shop)))
    assert shop.execute(f"SELECT count(*) FROM customers c WHERE {where}", params).fetchone()[0] == 0


@pytest.mark.parametrize(
    ("role", "flag", "edit", "imports", "admin", "mask"),
    [
        ("admin", False, True, True, True, False),
        ("manager", False, True, False, False, False),
        ("manager", True, True, True, False, False),
        ("viewer", True, False, False, False, True),  # the flag never lets a viewer import
    ],
)
def test_what_each_role_may_do(con, role, flag, edit, imports, admin, mask) -> None:
    user = add(con, f"{role}{int(flag)}", role=role, can_import=flag)
    assert (auth.can_edit(user), auth.can_import(user), auth.can_admin(user),
            auth.should_mask(user)) == (edit, imports, admin, mask)


def test_no_user_may_do_nothing_and_sees_masked_data() -> None:
    assert not (auth.can_edit(None) or auth.can_import(None) or auth.can_admin(None))
    assert auth.should_mask(None)


def test_require_raises_permission_denied_naming_the_action() -> None:
    auth.require(True, "import files")
    with pytest.raises(PermissionDenied, match="import files"):
        auth.require(False, "import files")


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("+86 138 1234 5678", "+86**********5678"),
     ("1234567", "*****67"), ("12", "**"), ("", ""), (None, None)],
)
def test_mask_phone_keeps_only_the_ends(phone, masked) -> None:
    assert auth.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [("zhang.san@example.com", "z***@example.com"), ("@example.com", "****@example.com"),
     (None, None)],
)
def test_mask_email_keeps_first_letter_and_domain(email, masked) -> None:
    assert auth.mask_email(email) == masked


def test_mask_contacts_masks_a_table_for_a_viewer_only(con) -> None:
    import pandas as pd

    frame = pd.DataFrame({"name": ["张三"], "phone": ["13812345678"], "email": ["zs@qq.com"]})
    viewer, manager = add(con, "v", role="viewer"), add(con, "m")
    masked = auth.mask_contacts(frame, viewer)
    assert masked.iloc[0].tolist() == ["张三", "138****5678", "z***@qq.com"]
    assert frame.iloc[0].phone == "13812345678"  # the input is not changed
    assert auth.mask_contacts(frame, manager).equals(frame)


# --- the cookie key --------------------------------------------------------------------------


def test_cookie_key_file_is_created_once_with_0600_and_32_plus_chars(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "cookie_key"
    key = secrets_store.cookie_key(path, environ={})
    assert len(key) >= 32 and key != "some_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secrets_store.cookie_key(path, environ={}) == key  # stable across restarts
    other = tmp_path / "other" / "cookie_key"
    assert secrets_store.cookie_key(other, environ={}) != key  # random per install


def test_a_key_file_readable_by_others_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "cookie_key"
    path.write_text("k" * 40)
    os.chmod(path, 0o644)
    assert secrets_store.cookie_key(path, environ={}) == "k" * 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_environment_key_wins_over_the_file(tmp_path: Path) -> None:
    env = {secrets_store.ENV_VAR: "e" * 40}
    assert secrets_store.cookie_key(tmp_path / "cookie_key", environ=env) == "e" * 40
    assert not (tmp_path / "cookie_key").exists()


@pytest.mark.parametrize("bad", ["some_key", "short", "x" * 31, "  " + "y" * 20 + "  "])
def test_short_or_placeholder_keys_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(secrets_store.WeakSecret):
        secrets_store.cookie_key(tmp_path / "k", environ={secrets_store.ENV_VAR: bad})
    path = tmp_path / "cookie_key"
    path.write_text(bad)
    with pytest.raises(secrets_store.WeakSecret):
        secrets_store.cookie_key(path, environ={})


def test_key_file_lives_beside_the_database(tmp_path: Path) -> None:
    assert secrets_store.key_file(tmp_path / "kehu.duckdb") == tmp_path / "secrets" / "cookie_key"


def test_per_user_cookie_key_changes_with_token_version_and_user() -> None:
    master = "m" * 48
    key = secrets_store.cookie_key_for(master, "li", 1)
    assert len(key) == 64 and key == secrets_store.cookie_key_for(master, "li", 1)
    assert key != secrets_store.cookie_key_for(master, "li", 2)
    assert key != secrets_store.cookie_key_for(master, "wang", 1)
    assert key != secrets_store.cookie_key_for("n" * 48, "li", 1)


# --- session lifetime ------------------------------------------------------------------------


def test_session_ends_8_hours_after_sign_in_even_when_busy() -> None:
    policy = auth.SessionPolicy()
    assert policy.end_reason(T0, T0 + timedelta(hours=7, minutes=59), T0 + timedelta(hours=8)) == "expired"
    assert policy.end_reason(T0, T0 + timedelta(hours=7, minutes=50), T0 + timedelta(hours=7, minutes=59)) is None


def test_session_ends_after_30_idle_minutes() -> None:
    policy = auth.SessionPolicy()
    assert policy.end_reason(T0, T0, T0 + timedelta(minutes=29, seconds=59)) is None
    assert policy.end_reason(T0, T0, T0 + timedelta(minutes=30)) == "idle"


def test_session_limits_come_from_the_environment() -> None:
    policy = auth.SessionPolicy.from_env({"KEHU_SESSION_HOURS": "2", "KEHU_IDLE_MINUTES": "5"})
    assert (policy.absolute, policy.idle) == (timedelta(hours=2), timedelta(minutes=5))
    assert auth.SessionPolicy.from_env({}) == auth.SessionPolicy()
    for bad in ({"KEHU_SESSION_HOURS": "eight"}, {"KEHU_IDLE_MINUTES": "0"}):
        with pytest.raises(KehuError):
            auth.SessionPolicy.from_env(bad)


def test_known_owners_and_teams_for_the_admin_forms(shop) -> None:
    add(shop, "chen", owner_name="陈晨", team="north")
    assert auth.known_owners(shop) == sorted(["李雷", "王芳", "赵敏"])
    assert auth.known_teams(shop) == ["east", "north", "west"]


# --- the audit log in words ------------------------------------------------------------------


def test_audit_entries_read_in_the_ui_language() -> None:
    d = auth.describe_audit
    assert d("login", '{"via": "password"}', "zh") == ("登录（密码）", "")
    assert d("login", {"via": "password"}, "en") == ("Sign-in (password)", "")
    assert d("logout", '{"reason": "button"}', "zh") == ("退出登录", "点击“退出登录”")
    assert d("login_failed", '{"reason": "wrong_password", "failures": 5, '
             '"locked_until": "2026-03-11 10:15:00"}', "en") == (
        "Failed sign-in", "wrong password (5 in 15 minutes); locked until 2026-03-11 10:15 (UTC)")
    assert d("login_failed", '{"reason": "unknown_user"}', "zh") == ("登录失败", "用户名不存在")
    assert d("undo", '{"import_id": 7, "kind": "orders", "mode": "append", "removed": 1500}', "en") == (
        "Import undone", "import #7 (orders): 1,500 rows removed")
    assert d("setting", '{"target": "revenue", "month": "2026-03-01", "value": 500000}', "zh") == (
        "修改设置", "2026-03 的“营收”目标设为 500000")
    assert d("user", '{"op": "unlock", "target": "wang"}', "en") == ("Account change", "unlocked wang")
    assert d("remove_demo", '{"customers": 2000, "orders": 31000, "surveys": 900, "followups": 150, '
             '"targets": 12}', "en")[1] == (
        "removed 2,000 customers, 31,000 orders, 900 surveys, 150 follow-ups, 12 targets")
    # what Kehu does not know is shown as recorded, never dropped
    assert d("export", '{"rows": 10}', "en") == ("export", "rows: 10")
    assert d("import", '{"kind": "orders"}', "zh") == ("导入", "kind: orders")
    assert d("import", "not json", "en") == ("Import", "detail: not json")
