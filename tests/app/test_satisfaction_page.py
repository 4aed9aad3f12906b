"""AppTest of the Satisfaction page: its numbers are core's, filters change them, every part renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, db
from core.filters import Filters
from core.i18n import t
from core.metrics import satisfaction as sat
from core.settings import Settings
from tests.app.signed_in import signed_in_app
from tests.conftest import DEMO_END
from ui import context
from ui import format as fmt

ROOT = Path(__file__).resolve().parents[2]
S = Settings(as_of=DEMO_END)  # the demo's latest order date = the sidebar's default


def open_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str = "boss",
              **params: str) -> AppTest:
    """app.py signed in as ``username`` (the gate's session record), then the Satisfaction page."""
    at = signed_in_app(db_path, monkeypatch, username, timeout=120, **params)
    at.switch_page("pages/satisfaction.py")
    at.run()
    assert not at.exception, at.exception
    return at


def core_overall(db_path: Path, f: Filters | None = None) -> dict:
    con = db.connect(db_path)
    try:
        return sat.overall(con, S, f)
    finally:
        con.close()


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return values[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_renders_every_section_without_error(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                   lang: str) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang=lang)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == t("nav.satisfaction", lang)
    assert [s.value for s in at.subheader] == [
        t(k, lang) for k in ("sat.trends", "sat.by_group", "sat.dist_and_complaints",
                             "sat.detractors_title", "sat.keywords")]
    # group table, detractors, comments behind the first keyword
    assert len(at.dataframe) == 3


def test_headline_numbers_are_core_numbers(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    expected = core_overall(demo_db_copy)
    # NPS = 100 × (promoters − detractors) / answers, shown rounded and signed
    hand = 100 * (expected["promoters"] - expected["detractors"]) / expected["nps_n"]
    assert metric(at, "NPS") == fmt.score(hand) == fmt.score(expected["nps"])
    assert metric(at, "CSAT") == fmt.pct(expected["csat"])
    assert metric(at, "Detractors") == f"{expected['detractors']:,}"
    assert metric(at, "Complaints") == fmt.count(expected["complaints"])


def test_region_filter_changes_the_numbers(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # AppTest's switch_page runs the page file on its own (Streamlit's pages/ discovery), so the
    # sidebar of app.py never runs here: hand the page the context app.py would have built.
    east_filter = Filters(regions=("华东",))
    at = open_page(demo_db_copy, monkeypatch, lang="en", region="华东")  # what app.py would read
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=context.cursor(), lang="en", settings=S, filters=east_filter,
        user=auth.get_user(context.cursor(), "boss"), data_version=0)
    at.run()
    assert not at.exception, at.exception
    everyone = core_overall(demo_db_copy)
    east = core_overall(demo_db_copy, east_filter)
    assert east["nps_n"] < everyone["nps_n"]
    assert metric(at, "Detractors") == fmt.count(east["detractors"])
    assert metric(at, "NPS") == fmt.score(east["nps"])


def test_group_by_region_lists_every_region_with_its_nps(demo_db_copy: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    at.segmented_control(key="sat.by").set_value("region").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    con = db.connect(demo_db_copy)
    try:
        groups = sat.by_group(con, S, None, "region")
    finally:
        con.close()
    assert sorted(table["label"].str.replace(" ⚠️", "")) == sorted(groups["group"])
    assert table["nps"].round(6).tolist() == groups["nps"].round(6).tolist()


def test_detractors_are_listed_high_value_first(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    det = at.dataframe[1].value
    assert (det["last_score"] <= 6).all()
    assert det["monetary"].is_monotonic_decreasing
    con = db.connect(demo_db_copy)
    try:
        top = sat.detractors(con, S, None, limit=1)["customer_id"].iloc[0]
    finally:
        con.close()
    assert det["link"].iloc[0].endswith(f"customer={top}")


def test_picking_a_keyword_shows_the_comments_behind_it(demo_db_copy: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    box = at.selectbox(key="sat.keyword")
    word = box.options[2]
    box.set_value(word).run()
    assert not at.exception, at.exception
    comments = at.dataframe[2].value
    assert len(comments) > 0
    assert comments["comment"].str.lower().str.contains(word.lower()).all()


def test_viewer_sees_the_page_too(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, username="guest", lang="zh")
    assert not at.error
    assert metric(at, t("ab.sat.detractors", "zh")) == fmt.count(core_overall(demo_db_copy)["detractors"])


def test_manager_sees_only_own_customers_answers(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, username="lina", lang="en")
    con = db.connect(demo_db_copy)
    try:
        scope = auth.scope_for(auth.get_user(con, "lina"), con)
    finally:
        con.close()
    own = core_overall(demo_db_copy, Filters(scope_owners=scope))
    assert own["detractors"] < core_overall(demo_db_copy)["detractors"]
    assert metric(at, "Detractors") == fmt.count(own["detractors"])


def test_weekly_trends_and_csat_distribution_render(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="zh")
    at.segmented_control(key="sat.grain").set_value("week").run()
    at.segmented_control(key="sat.scale").set_value("csat").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not [i for i in at.info if i.value in (t("sat.no_nps", "zh"), t("sat.no_csat", "zh"))]
