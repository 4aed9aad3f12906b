"""AppTest of the Lifecycle page: stage cards equal core's and stay as of the reference date, the
history follows the sidebar's date range, filters narrow it, transitions list movers.

The page runs on its own with the ``Ctx`` app.py would build, so the tests do not depend on
the sign-in gate; app.py + page is covered by test_app_shell.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import daterange, db
from core.daterange import DateRange
from core.filters import NO_FILTER, Filters
from core.metrics import lifecycle
from core.settings import Settings
from ui import context

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "lifecycle.py")


@pytest.fixture(autouse=True)
def on_demo(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cursor of a test, also the ones before the page runs, reads the demo copy."""
    monkeypatch.setenv("KEHU_DB", str(demo_db_copy))


def settings() -> Settings:
    return Settings(as_of=context.latest_order_date(context.cursor()))  # the demo's 2026-10-31


def default_range() -> DateRange:
    """What the page shows without a sidebar choice: the last 12 months."""
    return daterange.from_preset("12m", settings().as_of)


def open_tab(at: AppTest, label: str) -> None:
    """Select a lazy tab (only the open tab's content runs)."""
    at.session_state["life.tab"] = label
    at.run()
    assert not at.exception, at.exception


def run_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str = "en",
             filters: Filters = NO_FILTER, period: DateRange | None = None) -> AppTest:
    monkeypatch.setenv("KEHU_DB", str(db_path))
    con = context.cursor()
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=con, lang=lang, settings=settings(), filters=filters, data_version=db.data_version(con),
        period=period)
    at.run()
    assert not at.exception, at.exception
    return at


def chart(at: AppTest, index: int, column: str) -> tuple[dict, pd.DataFrame]:
    """Spec and data of the ``index``-th chart on screen (the dataset that has ``column``)."""
    element = at.get("vega_lite_chart")[index]
    spec = json.loads(element.proto.spec)
    for dataset in element.proto.datasets:
        frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        if column in frame.columns:
            return spec, frame
    raise AssertionError(f"no dataset with {column!r} in chart {index}")


def subtitle(spec: dict) -> str:
    title = spec.get("title") or spec["layer"][0]["title"]
    return title["subtitle"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_stage_cards_equal_core(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = run_page(demo_db_copy, monkeypatch, lang)
    counts = lifecycle.stage_counts(context.cursor(), settings(), Filters())
    assert [m.value for m in at.metric] == [f"{n:,}" for n in counts["customers"]]
    assert at.metric[4].label == ("预警客户" if lang == "zh" else "At risk")
    assert not at.error


def test_cards_stay_as_of_the_reference_date_whatever_the_range(demo_db_copy: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    as_of = settings().as_of
    short = run_page(demo_db_copy, monkeypatch, "en", period=daterange.from_preset("3m", as_of))
    long = run_page(demo_db_copy, monkeypatch, "en", period=daterange.from_preset("24m", as_of))
    assert [m.value for m in short.metric] == [m.value for m in long.metric]
    note = short.caption[1].value  # under the cards (the first caption is the page intro)
    assert f"as of the reference date {as_of.isoformat()} and do not follow" in note
    assert "2026-08 – 2026-10" in note  # and where the range applies: the charts below


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_stage_trend_and_churn_rate_have_the_six_month_ends_of_the_range(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    period = daterange.from_preset("6m", settings().as_of)  # 2026-05-01 … 2026-10-31
    at = run_page(demo_db_copy, monkeypatch, lang, period=period)
    assert not at.error
    ends = period.month_ends()
    assert len(ends) == 6 and ends[0] == date(2026, 5, 31) and ends[-1] == date(2026, 10, 31)
    con = context.cursor()

    spec, trend = chart(at, 0, "stage")
    assert sorted(set(pd.to_datetime(trend["month_end"]).dt.date)) == ends
    core = lifecycle.stages_at_month_ends(con, settings(), Filters(), ends=ends)
    got = trend.assign(month_end=pd.to_datetime(trend["month_end"]).dt.date)[["month_end", "stage", "customers"]]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), core, check_dtype=False)
    assert subtitle(spec).startswith("2026-05 – 2026-10 · ")
    assert len(spec["encoding"]["x"]["axis"]["values"]) == 6  # a tick per month end, not per week

    spec, rates = chart(at, 1, "churn_rate")
    core_rates = lifecycle.churn_rate_by_month(con, settings(), Filters(), ends=ends)
    assert pd.to_datetime(rates["month_end"]).dt.date.tolist() == ends  # May's rate starts at Apr 30
    assert rates["churn_rate"].tolist() == pytest.approx(core_rates["churn_rate"].tolist())
    assert rates["active_start"].tolist() == core_rates["active_start"].tolist()
    assert subtitle(spec).startswith("2026-05 – 2026-10")


def test_a_one_month_range_starts_the_trend_at_the_month_end_before(demo_db_copy: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    period = daterange.custom(date(2026, 10, 1), date(2026, 10, 31), settings().as_of)
    at = run_page(demo_db_copy, monkeypatch, "en", period=period)
    _, trend = chart(at, 0, "stage")
    assert sorted(set(pd.to_datetime(trend["month_end"]).dt.date)) == [date(2026, 9, 30), date(2026, 10, 31)]
    assert any("month end before it (2026-09-30)" in c.value for c in at.caption)
    open_tab(at, "Transitions")
    assert at.selectbox(key="life.from").options == ["2026-09-30", "2026-10-31"]
    assert (at.selectbox(key="life.from").value, at.selectbox(key="life.to").value) == (
        date(2026, 9, 30), date(2026, 10, 31))


def test_a_range_ending_before_the_reference_date_stops_its_history_there(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    period = daterange.custom(date(2026, 1, 1), date(2026, 3, 15), settings().as_of)
    at = run_page(demo_db_copy, monkeypatch, "en", period=period)
    at_end = Settings(as_of=date(2026, 3, 15))  # nothing after the range's end has happened yet
    ends = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 15)]
    _, trend = chart(at, 0, "stage")
    assert sorted(set(pd.to_datetime(trend["month_end"]).dt.date)) == ends
    core = lifecycle.stages_at_month_ends(context.cursor(), at_end, Filters(), ends=ends)
    assert trend["customers"].tolist() == core["customers"].tolist()
    cards = lifecycle.stage_counts(context.cursor(), settings(), Filters())
    assert [m.value for m in at.metric] == [f"{n:,}" for n in cards["customers"]]  # still as of 2026-10-31
    open_tab(at, "Cohort retention")
    _, cells = chart(at, 0, "cohort_label")
    assert sorted(set(cells["cohort_label"])) == ["2026-01", "2026-02", "2026-03"]
    assert cells.groupby("cohort_label")["month_offset"].max().to_dict() == {"2026-01": 2, "2026-02": 1, "2026-03": 0}
    open_tab(at, "Transitions")
    assert at.selectbox(key="life.to").options[-1] == "2026-03-15"


def test_cohort_rows_are_the_first_order_months_of_the_range(demo_db_copy: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    period = daterange.from_preset("6m", settings().as_of)
    at = run_page(demo_db_copy, monkeypatch, "en", period=period)
    keys = {w.key for w in at.segmented_control}
    assert "life.measure" not in keys  # lazy tabs: the cohort tab has not run
    open_tab(at, "Cohort retention")
    spec, cells = chart(at, 0, "cohort_label")
    assert sorted(set(cells["cohort_label"])) == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    core = lifecycle.cohort_retention(context.cursor(), settings(), Filters(), start=period.start, end=period.end)
    assert cells["value"].tolist() == pytest.approx(core["value"].tolist())
    assert cells["month_offset"].max() == 5  # May's cohort is seen up to October, no further
    assert subtitle(spec).startswith("2026-05 – 2026-10")
    assert not any("newest" in c.value for c in at.caption)

    at.segmented_control(key="life.measure").set_value("revenue").run()
    assert not at.exception, at.exception
    _, cells = chart(at, 0, "cohort_label")
    revenue = lifecycle.cohort_retention(context.cursor(), settings(), Filters(), measure="revenue",
                                         start=period.start, end=period.end)
    assert cells["value"].tolist() == pytest.approx(revenue["value"].tolist())


def test_a_range_longer_than_24_months_shows_the_newest_24_cohorts_and_says_so(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    period = daterange.custom(date(2023, 11, 1), date(2026, 10, 31), settings().as_of)  # 36 months
    at = run_page(demo_db_copy, monkeypatch, "en", period=period)
    open_tab(at, "Cohort retention")
    _, cells = chart(at, 0, "cohort_label")
    labels = sorted(set(cells["cohort_label"]))
    assert len(labels) == 24 and (labels[0], labels[-1]) == ("2024-11", "2026-10")
    assert any("has 36 months" in c.value and "newest 24" in c.value for c in at.caption)


def test_transitions_offer_the_month_ends_of_the_range(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en")
    open_tab(at, "Transitions")
    ends = default_range().month_ends()  # 2025-11-30 … 2026-10-31
    assert at.selectbox(key="life.from").options == [e.isoformat() for e in ends]
    assert (at.selectbox(key="life.from").value, at.selectbox(key="life.to").value) == (ends[0], ends[-1])

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


def test_a_shorter_range_resets_a_month_it_no_longer_has(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en")
    open_tab(at, "Transitions")
    at.selectbox(key="life.from").set_value(date(2025, 12, 31)).run()
    three = daterange.from_preset("3m", settings().as_of)  # the sidebar moves to the last 3 months
    at.session_state[context.CTX_KEY] = replace(at.session_state[context.CTX_KEY], period=three)
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="life.from").options == ["2026-08-31", "2026-09-30", "2026-10-31"]
    assert at.selectbox(key="life.from").value == date(2026, 8, 31)


def test_end_before_start_is_a_warning(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "zh")
    open_tab(at, "阶段迁移")
    at.selectbox(key="life.to").set_value(default_range().month_ends()[0]).run()
    assert not at.exception
    assert at.warning and "结束月份" in at.warning[0].value


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


def test_funnel_tab_shows_core_steps_as_of_the_reference_date(demo_db_copy: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en", period=daterange.from_preset("3m", settings().as_of))
    open_tab(at, "Funnel")
    loyal = lifecycle.funnel(context.cursor(), settings(), Filters())
    assert not at.exception
    assert "5 orders" in at.caption[-1].value  # the loyal rule is spelled out with the threshold
    spec, steps = chart(at, 0, "step")
    assert steps["customers"].tolist() == loyal["customers"].tolist()  # not narrowed to the 3 months
    assert loyal["customers"].is_monotonic_decreasing
    assert subtitle(spec).startswith(f"as of the reference date {settings().as_of.isoformat()} · n = ")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_tab_renders_with_a_range_in_both_languages(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                          lang: str) -> None:
    at = run_page(demo_db_copy, monkeypatch, lang, period=daterange.from_preset("6m", settings().as_of))
    tabs = ("阶段趋势", "漏斗", "同期群留存", "阶段迁移") if lang == "zh" else (
        "Stages over time", "Funnel", "Cohort retention", "Transitions")
    for label in tabs:
        open_tab(at, label)
        assert not at.error, [e.value for e in at.error]
        assert at.get("vega_lite_chart"), label


def test_no_customers_gives_a_helpful_empty_state(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(demo_db_copy, monkeypatch, "en", Filters(owners=("nobody",)))
    assert not at.error and not at.metric
    assert at.info and "No customers" in at.info[0].value


def test_month_ends_are_real_dates() -> None:
    from core.metrics.common import month_ends_before

    assert month_ends_before(date(2026, 10, 15), 2) == [date(2026, 9, 30), date(2026, 10, 15)]
    assert lifecycle.previous_month_end(date(2024, 3, 15)) == date(2024, 2, 29)


# --- the customer file grows: stages count only who had signed up (or ordered) by then -------


def signed_up_by(con: duckdb.DuckDBPyConnection, day: date) -> int:
    return con.execute("SELECT count(*) FROM customers WHERE signup_date <= ?", [day]).fetchall()[0][0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_stage_trend_counts_the_customers_signed_up_by_each_month_end(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    period = daterange.from_preset("24m", settings().as_of)  # 2024-11-30 … 2026-10-31
    at = run_page(demo_db_copy, monkeypatch, lang, period=period)
    assert not at.error
    con = context.cursor()
    ends = period.month_ends()
    _, trend = chart(at, 0, "stage")
    core = lifecycle.stages_at_month_ends(con, settings(), Filters(), ends=ends)
    got = trend.assign(month_end=pd.to_datetime(trend["month_end"]).dt.date)[["month_end", "stage", "customers"]]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), core, check_dtype=False)
    # The demo grows over three years; every customer has a signup date and none orders before
    # it, so the customers at a month end are exactly those signed up by then.
    assert con.execute("SELECT count(*) FROM customers WHERE signup_date IS NULL").fetchall()[0][0] == 0
    totals = got.groupby("month_end")["customers"].sum()
    assert totals.tolist() == [signed_up_by(con, e) for e in ends]
    assert totals.iloc[0] < totals.iloc[-1] == con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    note = "总数随新客户注册而增长" if lang == "zh" else "the total grows as customers sign up"
    assert any(note in c.value for c in at.caption)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_transition_matrix_starts_with_the_customers_who_joined(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = run_page(demo_db_copy, monkeypatch, lang)
    open_tab(at, "阶段迁移" if lang == "zh" else "Transitions")
    assert not at.error, [e.value for e in at.error]
    con = context.cursor()
    ends = default_range().month_ends()
    start, end = ends[0], ends[-1]  # 2025-11-30 → 2026-10-31
    spec, cells = chart(at, 0, "from_stage")
    core = lifecycle.transitions(con, settings(), Filters(), from_month=start, to_month=end)
    got = cells[["from_stage", "to_stage", "customers"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, core[["from_stage", "to_stage", "customers"]], check_dtype=False)
    joined_label = "新加入" if lang == "zh" else "Joined"
    assert spec["layer"][0]["encoding"]["y"]["sort"][0] == joined_label  # the first row
    assert set(cells.loc[cells.from_stage == "joined", "from_label"]) == {joined_label}
    # joined = signed up after the start month end, by the end one (no demo order precedes a signup)
    joined = cells[cells.from_stage == "joined"]
    assert joined["customers"].sum() == signed_up_by(con, end) - signed_up_by(con, start) > 0
    # potential → anything: only who was potential at the start, i.e. in the file then
    at_start = lifecycle.stages_at_month_ends(con, settings(), Filters(), ends=[start])
    potential_then = int(at_start.set_index("stage").loc["potential", "customers"])
    assert cells.loc[cells.from_stage == "potential", "customers"].sum() == potential_then
    assert cells["customers"].sum() == signed_up_by(con, end)

    # the movers' from-stage filter offers "joined"
    assert at.selectbox(key="life.mv_from").options[1] == joined_label
    at.selectbox(key="life.mv_from").set_value("joined").run()
    assert not at.exception, at.exception
    moved = lifecycle.movers(con, settings(), Filters(), from_month=start, to_month=end, from_stage="joined", limit=200)
    assert int(moved["total"].iloc[0]) == joined["customers"].sum()
    table = at.dataframe[0].value
    assert len(table) == min(int(moved["total"].iloc[0]), 200)
    assert set(table["起始阶段" if lang == "zh" else "Stage at start"]) == {joined_label}
    assert not at.error


def test_few_cohorts_point_to_all_history(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    as_of = settings().as_of
    month = daterange.custom(date(2026, 10, 1), as_of, as_of)
    lina = Filters(owners=("李娜",))
    at = run_page(demo_db_copy, monkeypatch, "en", filters=lina, period=month)
    open_tab(at, "Cohort retention")
    cells = lifecycle.cohort_retention(context.cursor(), settings(), lina, start=month.start, end=month.end)
    n = int(cells.drop_duplicates("cohort")["cohort_size"].sum())
    assert 0 < n < 30  # one manager's first orders of one month
    assert [i.value for i in at.info if "All history" in i.value] == [
        f"Only {n} customers placed their first order in the selected date range, so there are few cohorts. "
        "Set the sidebar's date range to \"All history\" to see every first-order month."]
    wide = run_page(demo_db_copy, monkeypatch, "en", period=daterange.from_preset("24m", as_of))
    open_tab(wide, "Cohort retention")
    assert not [i for i in wide.info if "All history" in i.value]
