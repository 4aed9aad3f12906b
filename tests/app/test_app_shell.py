"""AppTest of app.py and every page on the demo database: no exception, real content."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, db
from core.i18n import t
from ui import gate

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture
def app(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("KEHU_DB", str(demo_db_copy))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return at


def sign_in(at: AppTest, db_path: Path, username: str) -> AppTest:
    """Put the gate's session record in place, as a completed sign-in would."""
    con = db.connect(db_path)
    try:
        at.session_state[gate.SESSION_KEY] = gate.session_record(auth.get_user(con, username))
    finally:
        con.close()
    return at


def test_nobody_signed_in_sees_no_data(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert len(app.metric) == 0 and len(app.dataframe) == 0
    assert app.text_input  # the sign-in form


def test_overview_shows_kpis_from_the_database(app: AppTest, demo_db_copy: Path) -> None:
    sign_in(app, demo_db_copy, "boss").run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert len(app.metric) >= 4
    assert any(m.value not in ("", "0", "—") for m in app.metric)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_without_exception(app: AppTest, demo_db_copy: Path, page: str, lang: str) -> None:
    app.query_params["lang"] = lang
    sign_in(app, demo_db_copy, "boss").run()
    app.switch_page(f"pages/{page}")
    app.run()
    assert not app.exception, f"{page} ({lang}): {app.exception}"
    # app.py turns unexpected exceptions into a generic message: that counts as a failure too
    unexpected = t("common.unexpected_error", lang)
    assert not [e for e in app.error if e.value == unexpected], f"{page} ({lang}) failed"
    assert app.title or app.header, f"{page} has no title"
