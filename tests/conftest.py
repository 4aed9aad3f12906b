"""Shared fixtures: a demo database built once per test session, fixed in time."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from core import auth, db, demo

DEMO_END = date(2026, 10, 31)  # fixed, so numbers derived from the demo never drift with the clock
PASSWORD = "test pass 1"  # of the demo database's test users below
TEST_USERS = (  # username, role, owner_name (李娜 is one of the demo's account managers)
    ("boss", "admin", None),
    ("lina", "manager", "李娜"),
    ("guest", "viewer", None),
)

# The cookie-signing key comes from the environment in tests, so no key file is written under data/.
os.environ.setdefault("KEHU_COOKIE_KEY", "test-cookie-key-" + "x" * 40)


@pytest.fixture(autouse=True)
def _never_the_repo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may open data/kehu.duckdb (a running app holds its lock, and numbers read from it
    are not the fixture's): unless a test points KEHU_DB elsewhere, it names a fresh file in the
    test's own folder, so an accidental use stays in that folder and sees none of the fixture's data."""
    monkeypatch.setenv("KEHU_DB", str(tmp_path / "not-configured.duckdb"))


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with the default demo company (2,000 customers, seed 42), built once."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=2000, seed=42, end=DEMO_END)
    for username, role, owner in TEST_USERS:
        auth.add_user(con, username, PASSWORD, role, owner_name=owner, actor="test")
    con.close()
    return path


@pytest.fixture
def demo_db_copy(demo_db_file: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database that a test may change."""
    target = tmp_path / "kehu.duckdb"
    shutil.copy(demo_db_file, target)
    return target
