"""AppTest of the Lifecycle page: stage counts equal core's, filters narrow them, transitions list movers.

The page runs on its own with the ``Ctx`` app.py would build, so the tests do not depend on
the sign-in gate; app.py + page is covered by test_app_shell.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import db
from core.filters import NO_FILTER, Filters
from core.metrics import lifecycle
from core.metrics.common import month_ends_before
from core.settings import Settings
from ui import context

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "lifecycle.py")


def settings() -> Settings:
    return Settings(as_of=context.latest_order_date(context.cursor()))


def open_tab(at: AppTest, label: str) -> None:
    """Select a lazy tab (only the open tab's content runs)."""
    at.session_state["life.tab"] = label
    at.run()
    assert not at.exception, at.exception


def run_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str = "en",
             filters: Filters = NO_FILTER) -> AppTest:
    monkeypatch.setenv("KEHU_DB", str(db_path))
    con = context.cursor()
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=con, lang=lang, settings=settings(), filters=filters, data_version=db.data_version(con))
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_stage_cards_equal_core(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = run_page(demo_db_copy, monkeypatch, lang)
    counts = lifecycle.stage_counts(context.cursor(), settings(), Filters())
    assert [m.value for m in at.metric] == [f"{n:,}" for n in counts["customers"]]
    assert at.metric[4].label == ("预警客户" if lang == "zh" else "At risk")
    assert not at.error


def test_owner_filter_narrows_the_stages(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEHU_DB", str(demo_db_copy))
    con = context.cursor()
    owner = con.execute("SELECT owner FROM customers GROUP BY owner ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
    one = Filters(owners=(owner,))
    at = run_page(demo_db_copy, monkeypatch, "en", one)
    mine = lifecycle.stage_counts(con, settings(), one)
    everyone = lifecycle.stage_counts(con, settings(), Filters())
    assert 0 < mine["customers"].sum() < everyone["customers"].sum()
    assert [m.value for m in at.metric] == [f"{n:,}" for n in mine["customers"]]


def test_transitions_between_two_months_list_who_moved(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en")
    open_tab(at, "Transitions")
    ends = month_ends_before(settings().as_of, 24)
    start, end = ends[-7], ends[-1]
    at.selectbox(key="life.from").set_value(start).run()
    assert not at.exception, at.exception
    moved = lifecycle.movers(context.cursor(), settings(), Filters(), from_month=start, to_month=end, limit=200)
    total = int(moved["total"].iloc[0])
    assert f"{total:,} customers changed stage" in " ".join(c.value for c in at.caption)
    table = at.dataframe[0].value
    assert len(table) == min(total, 200)
    assert table.iloc[0, 0] == moved["customer_id"].iloc[0]
    assert len(at.get("download_button")) == 2  # CSV and Excel of the movers, built on click

    # one cell of the matrix: at risk → churned
    at.selectbox(key="life.mv_from").set_value("at_risk").run()
    at.selectbox(key="life.mv_to").set_value("churned").run()
    cell = lifecycle.movers(context.cursor(), settings(), Filters(), from_month=start, to_month=end,
                            from_stage="at_risk", to_stage="churned", limit=200)
    assert len(at.dataframe[0].value) == min(int(cell["total"].iloc[0]), 200) > 0
    assert set(at.dataframe[0].value["Stage at end"]) == {"Churned"}


def test_end_before_start_is_a_warning(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "zh")
    open_tab(at, "阶段迁移")
    ends = month_ends_before(settings().as_of, 24)
    at.selectbox(key="life.to").set_value(ends[0]).run()
    assert not at.exception
    assert at.warning and "结束月份" in at.warning[0].value


def test_cohort_revenue_measure_and_longer_trend(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en")
    at.segmented_control(key="life.months").set_value(24).run()
    assert not at.exception, at.exception
    keys = {w.key for w in at.segmented_control}
    assert "life.measure" not in keys  # lazy tabs: the cohort tab has not run
    open_tab(at, "Cohort retention")
    at.segmented_control(key="life.measure").set_value("revenue").run()
    assert not at.exception, at.exception
    assert {w.key for w in at.segmented_control} == {"life.measure"}


def test_funnel_tab_shows_core_steps(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en")
    open_tab(at, "Funnel")
    loyal = lifecycle.funnel(context.cursor(), settings(), Filters())
    assert not at.exception
    assert "5 orders" in at.caption[-1].value  # the loyal rule is spelled out with the threshold
    assert loyal["customers"].is_monotonic_decreasing


def test_no_customers_gives_a_helpful_empty_state(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en", Filters(owners=("nobody",)))
    assert not at.error and not at.metric
    assert at.info and "No customers" in at.info[0].value


def test_month_ends_are_real_dates() -> None:
    assert month_ends_before(date(2026, 10, 15), 2) == [date(2026, 9, 30), date(2026, 10, 15)]
