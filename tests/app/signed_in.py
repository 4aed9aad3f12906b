"""Open app.py under AppTest as a signed-in user — the one setup every page AppTest shares."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, db
from ui import gate

ROOT = Path(__file__).resolve().parents[2]


def signed_in_app(db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str = "boss",
                  timeout: float = 120, **params: str | list[str]) -> AppTest:
    """app.py on ``db_path`` with ``username`` signed in (the gate's session record), run once.

    AppTest cannot drive the sign-in cookie; the record is what a completed sign-in leaves.
    """
    monkeypatch.setenv("KEHU_DB", str(db_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    con = db.connect(db_path)
    try:
        at.session_state[gate.SESSION_KEY] = gate.session_record(auth.get_user(con, username))
    finally:
        con.close()
    return at.run()
