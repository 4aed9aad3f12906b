"""AppTest of app.py's shared sidebar: the date range and the segment filter, read from the URL
and applied by the page app.py runs (the Overview).

AppTest reruns only the page script after the first run (not app.py), so every case here is a
first run from a URL; clicking the sidebar is covered by tests/browser/test_sidebar.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core import db, segment_scope
from core.filters import Filters
from core.metrics import kpi
from core.settings import Settings
from tests.app.signed_in import signed_in_app
from tests.conftest import DEMO_END
from ui import format as fmt


def active_customers_card(at) -> str:
    label = "Active buyers"
    return next(m.value for m in at.metric if m.label == label)


def core_active_customers(db_path: Path, f: Filters) -> int:
    con = db.connect(db_path)
    try:
        s = Settings(as_of=DEMO_END)
        f = segment_scope.resolve(con, s, f)
        return int(kpi.snapshot(con, s, f, period="month").set_index("kpi").loc["active_customers", "value"])
    finally:
        con.close()


def test_defaults_last_12_months_and_every_segment(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en")
    assert not at.exception, at.exception
    assert at.selectbox(key="sb.range").value == "12m"
    assert "2025-11-01 to 2026-10-31" in [c.value for c in at.sidebar.caption]
    assert at.multiselect(key="sb.segments").value == []
    assert "range" not in at.query_params and "segment" not in at.query_params


def test_segment_in_the_url_narrows_the_overview_to_its_customers(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", segment="champions")
    assert not at.exception, at.exception
    assert at.multiselect(key="sb.segments").value == ["champions"]
    champions = core_active_customers(demo_db_copy, Filters(segments=("champions",)))
    everyone = core_active_customers(demo_db_copy, Filters())
    assert 0 < champions < everyone
    assert active_customers_card(at) == fmt.count(champions)


def test_two_segments_in_the_url_add_up(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = ["champions", "general_develop"]
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", segment=chosen)
    assert not at.exception, at.exception
    assert at.multiselect(key="sb.segments").value == chosen
    one = core_active_customers(demo_db_copy, Filters(segments=("champions",)))
    other = core_active_customers(demo_db_copy, Filters(segments=("general_develop",)))
    both = core_active_customers(demo_db_copy, Filters(segments=tuple(chosen)))
    assert one > 0 and other > 0
    assert both == one + other  # a customer is in exactly one segment
    assert active_customers_card(at) == fmt.count(both)


def test_custom_range_is_capped_at_the_reference_date(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", range="custom", **{"from": "2026-02-10", "to": "2026-12-31"})
    assert not at.exception, at.exception
    assert at.selectbox(key="sb.range").value == "custom"
    assert at.query_params["from"] == "2026-02-10" and at.query_params["to"] == "2026-10-31"


def test_nonsense_in_the_url_falls_back_to_defaults(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", range="9m", segment="vip")
    assert not at.exception, at.exception
    assert not at.error
    assert at.selectbox(key="sb.range").value == "12m"
    assert at.multiselect(key="sb.segments").value == []


def test_preset_in_the_url_is_shown_with_its_dates(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="zh", range="3m")
    assert not at.exception, at.exception
    assert at.selectbox(key="sb.range").value == "3m"
    assert "2026-08-01 至 2026-10-31" in [c.value for c in at.sidebar.caption]


def test_active_filters_are_named_above_the_page(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(demo_db_copy)
    region = con.execute("SELECT min(region) FROM customers").fetchall()[0][0]
    con.close()
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", segment="champions", region=region, range="3m")
    assert not at.exception, at.exception
    line = [c.value for c in at.main.caption if "Filtered:" in c.value]
    assert line == [f":material/filter_alt: Filtered: segment Champions (important value) · region {region} · "
                    "date range 2026-08-01 to 2026-10-31"]
    assert at.button(key="filterbar.clear")


def test_no_filter_no_line(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="zh")
    assert not [c.value for c in at.main.caption if "当前筛选" in c.value]


def test_company_targets_are_not_compared_with_a_filtered_total(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", segment="champions")
    captions = [c.value for c in at.main.caption]
    assert any(c.startswith("Company target ¥720.0K (filtered: not compared)") for c in captions)
    assert not any(c.startswith("Target ¥720.0K") for c in captions)
    assert any(c.startswith("Target +20") for c in captions)  # NPS: a rate target still applies
    whole = signed_in_app(demo_db_copy, monkeypatch, lang="en")
    assert any(c.value.startswith("Target ¥720.0K") for c in whole.main.caption)


def test_overview_period_comes_from_the_url_and_cards_define_themselves(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", period="quarter")
    assert not at.exception, at.exception
    assert at.button_group(key="overview.period").value == "quarter"
    # the quarter ending 2026-10-31 vs the one before
    assert any("2026-08-01 to 2026-10-31, compared with 2026-05-01 to 2026-07-31" in c.value for c in at.main.caption)
    card = next(m for m in at.metric if m.label == "Active buyers")
    assert "at most 180 days old" in card.help and "not the lifecycle stage" in card.help


def test_filters_without_values_are_not_offered(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(demo_db_copy)
    con.execute("UPDATE customers SET channel = NULL")  # an export without a channel column
    con.close()
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", channel="web")
    assert not at.exception, at.exception
    keys = [m.key for m in at.sidebar.multiselect]
    assert "sb.channels" not in keys and "sb.regions" in keys and "sb.segments" in keys
    assert "channel" not in at.query_params
