"""AppTest of the What-if page: controls move customers as core says, state lives in the URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, db, whatif
from core.filters import Filters
from core.metrics.common import resolve_as_of
from core.settings import Settings
from tests.app.signed_in import signed_in_app
from ui import format as fmt

ROOT = Path(__file__).resolve().parents[2]


def open_whatif(db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str = "boss", **params: str) -> AppTest:
    """app.py signed in as ``username`` (the gate's session record, as after a sign-in), then What-if."""
    at = signed_in_app(db_path, monkeypatch, username, timeout=90, **params)
    at.switch_page("pages/whatif.py")
    at.run()
    assert not at.exception, at.exception
    return at


def expected(db_path: Path, after_changes: dict, share: float = 0.2,
             filters: Filters | None = None) -> whatif.Comparison:
    con = db.connect(db_path)  # same config as the app's connection in this process
    try:
        base = Settings(as_of=resolve_as_of(con, Settings()))
        facts = whatif.facts(con, base, filters)
        return whatif.compare(facts, base, base.with_(**after_changes), share=share)
    finally:
        con.close()


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_renders_without_changes(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang=lang)
    assert at.title[0].value in ("模拟", "What-if")
    assert metric(at, "Change stage" if lang == "en" else "改变生命周期阶段") == "0"
    assert not any(k.startswith("w_") for k in at.query_params)
    assert not at.error


def test_link_with_thresholds_opens_the_same_scenario(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang="en", w_risk_days="60", w_abc_a="0.6", w_share="50")
    want = expected(demo_db_copy, {"risk_days": 60, "abc_a": 0.6}, share=0.5)
    assert at.number_input(key="whatif.risk_days").value == 60
    assert at.slider(key="whatif.abc_a").value == 60
    assert metric(at, "Change stage") == f"{want.moved_stage:,}"
    assert metric(at, "Change ABC tier") == f"{want.moved_tier:,}"
    assert metric(at, "Projected win-back revenue") == fmt.money(want.projection_after.revenue, "en")
    assert at.query_params["w_risk_days"] == ["60"] or at.query_params["w_risk_days"] == "60"


def test_moving_a_control_moves_customers_and_the_url(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang="en")
    at.number_input(key="whatif.loyal_orders").set_value(3).run()
    assert not at.exception, at.exception
    want = expected(demo_db_copy, {"loyal_orders": 3})
    assert want.moved_stage > 0
    assert metric(at, "Change stage") == f"{want.moved_stage:,}"
    assert "w_loyal_orders" in at.query_params
    assert len(at.dataframe[3].value) == min(want.movers_total, 500)  # after the 3 size tables
    assert len(at.get("download_button")) == 2
    # the loyal stage grows by exactly the customers who move into it (METRICS.md: ≥ loyal_orders)
    stages = want.stages.set_index("code")
    assert stages.loc["loyal", "delta_customers"] > 0 and stages.loc["potential", "delta_customers"] == 0


def test_median_comparison_moves_segments(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang="zh", w_rfm_compare="median")
    want = expected(demo_db_copy, {"rfm_compare": "median"})
    assert want.moved_segment > 0
    assert metric(at, "改变客户类型") == f"{want.moved_segment:,}"


def test_contradicting_thresholds_show_an_error_not_a_traceback(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang="en")
    at.number_input(key="whatif.risk_days").set_value(400).run()
    assert not at.exception
    assert at.error and "risk_days" in at.error[0].value


def test_reset_returns_to_defaults(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang="en", w_risk_days="60")
    at.button[0].click().run()
    assert not at.exception
    assert at.number_input(key="whatif.risk_days").value == 90
    assert "w_risk_days" not in at.query_params


def test_a_manager_sees_only_their_own_customers(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, username="lina", lang="en", w_risk_days="60")
    con = db.connect(demo_db_copy)
    try:
        scope = auth.scope_for(auth.get_user(con, "lina"), con)
    finally:
        con.close()
    mine = expected(demo_db_copy, {"risk_days": 60}, filters=Filters(scope_owners=scope))
    everyone = expected(demo_db_copy, {"risk_days": 60})
    assert mine.customers < everyone.customers
    assert metric(at, "Change stage") == f"{mine.moved_stage:,}"
    assert set(mine.movers["owner"]) <= set(scope)


def test_a_contradicting_link_warns_and_opens_the_defaults(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang="en", w_risk_days="200")  # > churn_days 180
    assert not at.exception
    assert at.warning and "contradict" in at.warning[0].value
    assert at.number_input(key="whatif.risk_days").value == 90
    assert "w_risk_days" not in at.query_params


def test_changed_comparison_point_is_named_in_words(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_whatif(demo_db_copy, monkeypatch, lang="zh", w_rfm_compare="median")
    assert any("高/低的比较基准 平均值 → 中位数" in c.value for c in at.caption)
    assert not any("mean → median" in c.value for c in at.caption)
