"""``python -m core users …`` run as a real subprocess, the way an administrator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import auth, db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "secret pass 1"


def kehu(db_file: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run the CLI without a terminal (so getpass falls back to stdin)."""
    env = {**os.environ, "KEHU_DB": str(db_file), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "core", "users", *args], input=stdin, capture_output=True,
        text=True, cwd=ROOT, env=env, timeout=120, start_new_session=True,
    )


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "kehu.duckdb"


def test_add_then_sign_in_with_that_password(db_file: Path) -> None:
    done = kehu(db_file, "add", "Wang", "--role", "manager", "--owner", "王芳", "--team", "east",
                "--can-import", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    con = db.connect(db_file)
    user = auth.authenticate(con, "wang", PASSWORD)
    assert (user.role, user.owner_name, user.team, user.can_import) == ("manager", "王芳", "east", True)


def test_list_shows_accounts_but_no_password_or_hash(db_file: Path) -> None:
    kehu(db_file, "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    listed = kehu(db_file, "list")
    assert listed.returncode == 0
    assert "boss" in listed.stdout and "admin" in listed.stdout and "active" in listed.stdout
    assert PASSWORD not in listed.stdout and "$2b$" not in listed.stdout


def test_list_on_a_fresh_database_says_how_to_add_the_first_user(db_file: Path) -> None:
    assert "users add NAME --role admin" in kehu(db_file, "list").stdout


def test_passwd_changes_the_password_and_ends_sessions(db_file: Path) -> None:
    kehu(db_file, "add", "li", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    changed = kehu(db_file, "passwd", "li", "--password-stdin", stdin="brand new pass\n")
    assert changed.returncode == 0, changed.stderr
    con = db.connect(db_file)
    assert auth.authenticate(con, "li", "brand new pass").token_version == 2
    with pytest.raises(auth.SignInRefused):
        auth.authenticate(con, "li", PASSWORD)


def test_disable_then_enable(db_file: Path) -> None:
    kehu(db_file, "add", "li", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert kehu(db_file, "disable", "li").returncode == 0
    assert "disabled" in kehu(db_file, "list").stdout
    con = db.connect(db_file)
    with pytest.raises(auth.AccountDisabled):
        auth.authenticate(con, "li", PASSWORD)
    con.close()
    assert kehu(db_file, "enable", "li").returncode == 0
    assert auth.authenticate(db.connect(db_file), "li", PASSWORD).username == "li"


def test_typed_passwords_that_differ_change_nothing(db_file: Path) -> None:
    done = kehu(db_file, "add", "li", "--role", "viewer", stdin="first pass 1\nother pass 2\n")
    assert done.returncode == 2 and "differ" in done.stderr
    assert "first pass" not in done.stdout + done.stderr
    assert auth.user_count(db.connect(db_file)) == 0


def test_typed_password_twice_adds_the_user(db_file: Path) -> None:
    done = kehu(db_file, "add", "li", "--role", "viewer", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert auth.authenticate(db.connect(db_file), "li", PASSWORD).role == "viewer"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "li", "--role", "viewer", "--password-stdin"), "short\n", "at least 8"),
        (("add", "li li", "--role", "viewer", "--password-stdin"), PASSWORD + "\n", "username"),
        (("passwd", "ghost", "--password-stdin"), PASSWORD + "\n", "no user called ghost"),
        (("disable", "ghost"), "", "no user called ghost"),
    ],
)
def test_refusals_are_readable_and_exit_2(db_file: Path, args, stdin, message) -> None:
    done = kehu(db_file, *args, stdin=stdin)
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_duplicate_name_is_refused(db_file: Path) -> None:
    kehu(db_file, "add", "li", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    again = kehu(db_file, "add", "LI", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_an_unknown_role_is_refused_by_the_parser(db_file: Path) -> None:
    done = kehu(db_file, "add", "li", "--role", "root", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode != 0 and "invalid choice" in done.stderr


def test_cli_changes_are_in_the_audit_log(db_file: Path) -> None:
    kehu(db_file, "add", "li", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    kehu(db_file, "disable", "li")
    log = auth.audit_log(db.connect(db_file), limit=10)
    assert list(zip(log.username, log.action, strict=True)) == [("cli", "user"), ("cli", "user")]
    assert PASSWORD not in log.to_string()
