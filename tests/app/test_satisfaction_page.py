"""AppTest of the Satisfaction page: its numbers are core's over the sidebar's date range, filters
and the range change them, every part renders.

AppTest's switch_page runs the page file on its own, without app.py's sidebar: the page then
falls back to the default range (the last 12 months), or a test hands it the ``Ctx`` app.py would
have built (``with_context``).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import auth, daterange, db
from core.daterange import DateRange
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
TWELVE_MONTHS = daterange.from_preset("12m", DEMO_END)  # 2025-11-01 … 2026-10-31, the default
THREE_MONTHS = daterange.from_preset("3m", DEMO_END)  # 2026-08-01 … 2026-10-31


def open_page(db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str = "boss",
              **params: str) -> AppTest:
    """app.py signed in as ``username`` (the gate's session record), then the Satisfaction page."""
    at = signed_in_app(db_path, monkeypatch, username, timeout=120, **params)
    at.switch_page("pages/satisfaction.py")
    at.run()
    assert not at.exception, at.exception
    return at


def core(db_path: Path, fn, *args, f: Filters | None = None, rng: DateRange = TWELVE_MONTHS, **kwargs):
    """``fn`` of core.metrics.satisfaction over ``rng`` as the page calls it."""
    con = db.connect(db_path)
    try:
        return fn(con, S, f, *args, start=rng.start, end=rng.end, **kwargs)
    finally:
        con.close()


def core_overall(db_path: Path, f: Filters | None = None, rng: DateRange = TWELVE_MONTHS) -> dict:
    return core(db_path, sat.overall, f=f, rng=rng)


def with_context(at: AppTest, lang: str, period: DateRange | None = None,
                 f: Filters | None = None, username: str = "boss") -> AppTest:
    """Rerun the page with the context app.py would build for this sidebar choice."""
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=context.cursor(), lang=lang, settings=S, filters=f or Filters(),
        user=auth.get_user(context.cursor(), username), data_version=0, period=period)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def chart_data(at: AppTest, index: int, column: str) -> pd.DataFrame:
    """The data behind the page's ``index``-th chart (the dataset that has ``column``)."""
    element = at.get("vega_lite_chart")[index]
    spec = json.loads(element.proto.spec)
    for dataset in element.proto.datasets:
        frame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        if column in frame.columns:
            return frame
    raise AssertionError(f"no dataset with {column!r} in chart {spec.get('title')}")


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
    # the range and its n right under the title (the default: the last 12 months)
    n = f"{core_overall(demo_db_copy)['responses']:,}"
    assert at.caption[0].value == t("sat.range_line", lang, start="2025-11-01", end="2026-10-31",
                                    preset=t("sidebar.range.12m", lang), n=n)


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
    with_context(at, "en", f=east_filter)
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
    groups = core(demo_db_copy, sat.by_group, by="region")
    assert sorted(table["label"].str.replace(" ⚠️", "")) == sorted(groups["group"])
    assert table["nps"].round(6).tolist() == groups["nps"].round(6).tolist()


def test_detractors_are_listed_high_value_first(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    det = at.dataframe[1].value
    assert (det["last_score"] <= 6).all()
    assert det["monetary"].is_monotonic_decreasing
    top = core(demo_db_copy, sat.detractors, limit=1)["customer_id"].iloc[0]
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
    dates = pd.to_datetime(comments["survey_date"]).dt.date
    assert dates.min() >= TWELVE_MONTHS.start and dates.max() <= TWELVE_MONTHS.end


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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_three_month_range_gives_core_numbers_over_those_months(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = with_context(open_page(demo_db_copy, monkeypatch, lang=lang), lang, THREE_MONTHS)
    three, twelve = core_overall(demo_db_copy, rng=THREE_MONTHS), core_overall(demo_db_copy)
    nps_label = t("kpi.nps", lang)
    # the demo: +21 over Aug–Oct 2026, +26 over the 12 months; the page shows the 3 months
    assert metric(at, nps_label) == fmt.score(three["nps"]) != fmt.score(twelve["nps"])
    assert metric(at, t("kpi.csat", lang)) == fmt.pct(three["csat"])
    assert metric(at, t("ab.sat.complaints", lang)) == fmt.count(three["complaints"])
    assert at.caption[0].value == t("sat.range_line", lang, start="2026-08-01", end="2026-10-31",
                                    preset=t("sidebar.range.3m", lang), n=f"{three['responses']:,}")
    # the monthly trends have the range's three months, with core's NPS and n
    nps = chart_data(at, 0, "nps")
    assert len(nps) <= 3
    assert pd.to_datetime(nps["period"]).dt.strftime("%Y-%m").tolist() == ["2026-08", "2026-09", "2026-10"]
    trend = core(demo_db_copy, sat.nps_trend, rng=THREE_MONTHS, grain="month")
    assert nps["n"].tolist() == trend["n"].tolist() and nps["n"].sum() == three["nps_n"]
    assert nps["days"].tolist() == ["2026-08-01 – 2026-08-31", "2026-09-01 – 2026-09-30",
                                    "2026-10-01 – 2026-10-31"]
    complaints = chart_data(at, 4, "complaints")
    assert complaints["complaints"].sum() == three["complaints"]


def test_headline_compares_with_the_days_just_before_the_range(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 3 months 2026-08-01 … 10-31 = 92 days; the 92 days before: 2026-05-01 … 07-31.
    at = with_context(open_page(demo_db_copy, monkeypatch, lang="en"), "en", THREE_MONTHS)
    before = THREE_MONTHS.previous()
    assert (before.start, before.end) == (date(2026, 5, 1), date(2026, 7, 31))
    now, then = core_overall(demo_db_copy, rng=THREE_MONTHS), core_overall(demo_db_copy, rng=before)
    cards = {m.label: m for m in at.metric}
    assert cards["NPS"].delta == fmt.delta(now["nps"] - then["nps"], "nps", "en")
    assert cards["CSAT"].delta == fmt.delta(now["csat"] - then["csat"], "pct", "en")
    assert t("sat.vs_previous", "en", start="2026-05-01", end="2026-07-31") in [c.value for c in at.caption]


def test_lists_follow_the_range(demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = with_context(open_page(demo_db_copy, monkeypatch, lang="en"), "en", THREE_MONTHS)
    det = at.dataframe[1].value
    expected = core(demo_db_copy, sat.detractors, rng=THREE_MONTHS, limit=200)
    assert len(det) == len(expected)
    assert [link.rsplit("=", 1)[1] for link in det["link"]] == expected["customer_id"].tolist()
    last = pd.to_datetime(det["last_survey_date"]).dt.date
    assert last.min() >= THREE_MONTHS.start and last.max() <= THREE_MONTHS.end
    groups = at.dataframe[0].value
    assert groups["nps_n"].sum() == core_overall(demo_db_copy, rng=THREE_MONTHS)["nps_n"]


def test_weekly_trend_shows_at_most_26_weeks_and_says_so(demo_db_copy: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # 12 months touch 53 ISO weeks (Mon 2025-10-27 … Mon 2026-10-26): the newest 26 are shown,
    # from Mon 2026-05-04.
    at = open_page(demo_db_copy, monkeypatch, lang="en")
    at.segmented_control(key="sat.grain").set_value("week").run()
    assert not at.exception, at.exception
    assert t("sat.weeks_capped", "en", total=53, start="2026-05-04") in [c.value for c in at.caption]
    weekly = chart_data(at, 0, "nps")
    weeks = pd.to_datetime(weekly["period"])
    assert len(weeks) == 26 and weeks.min() == pd.Timestamp("2026-05-04")
    assert weekly["days"].iloc[-1] == "2026-10-26 – 2026-10-31"  # the range ends on a Saturday
    # 3 months touch 14 weeks (Mon 2026-07-27 … Mon 2026-10-26): all shown, no note
    with_context(at, "en", THREE_MONTHS)
    weekly = core(demo_db_copy, sat.nps_trend, rng=THREE_MONTHS, grain="week")
    assert len(chart_data(at, 0, "nps")) == len(weekly) <= 14
    assert not [c for c in at.caption if "26" in c.value and "weeks" in c.value]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_range_without_answers_says_where_the_answers_are(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    # The demo's feedback runs 2023-11-16 … 2026-10-31; January 2020 has none.
    empty = daterange.custom(date(2020, 1, 1), date(2020, 1, 31), DEMO_END)
    at = with_context(open_page(demo_db_copy, monkeypatch, lang=lang), lang, empty)
    assert [i.value for i in at.info] == [t("sat.empty_range", lang, start="2020-01-01", end="2020-01-31",
                                             first="2023-11-16", last="2026-10-31")]
    assert not at.metric and not at.subheader
