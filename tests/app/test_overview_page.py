"""AppTest of the Overview page: the trend charts cover the sidebar's date range and the KPI cards
can compare that range with the days just before it — every number equal to core's.

app.py runs first (sign-in record, sidebar from the URL); the page then reruns on its own with
the ``Ctx`` handed to it in the session state, as in test_lifecycle_page.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import daterange, db
from core.filters import Filters
from core.i18n import t
from core.metrics import kpi
from core.settings import Settings
from tests.app.signed_in import signed_in_app
from tests.conftest import DEMO_END
from ui import context
from ui import format as fmt

S = Settings(as_of=DEMO_END)  # the demo's latest order: 2026-10-31
THREE_MONTHS = daterange.from_preset("3m", DEMO_END)  # 2026-08-01 … 2026-10-31


def chart(at: AppTest, index: int) -> tuple[dict, pd.DataFrame]:
    """The Vega-Lite spec and the data of the page's ``index``-th chart (0 revenue, 1 active)."""
    element = at.get("vega_lite_chart")[index]
    spec = json.loads(element.proto.spec)
    data = pa.ipc.open_stream(element.proto.datasets[0].data.data).read_all().to_pandas()
    return spec, data


def core(db_path: Path, fn, *args, **kwargs):
    con = db.connect(db_path)
    try:
        return fn(con, S, Filters(), *args, **kwargs)
    finally:
        con.close()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def card(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no card {label!r} in {[m.label for m in at.metric]}"
    return found[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trend_charts_show_the_months_of_the_sidebar_range(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang=lang, range="3m")
    assert_clean(at)
    trend = core(demo_db_copy, kpi.monthly_trend, start=THREE_MONTHS.start, end=THREE_MONTHS.end)
    assert len(trend) == 3

    spec, revenue = chart(at, 0)
    assert spec["title"]["subtitle"] == "2026-08 – 2026-10"
    assert revenue["month"].dt.strftime("%Y-%m").tolist() == ["2026-08", "2026-09", "2026-10"]
    assert revenue["revenue"].tolist() == trend["revenue"].tolist()
    assert revenue["buying_customers"].tolist() == trend["buying_customers"].tolist()  # the tooltip's n

    spec, active = chart(at, 1)
    assert spec["title"]["subtitle"] == "2026-08 – 2026-10"
    assert active["active_customers"].tolist() == trend["active_customers"].tolist()


def test_a_custom_range_cut_mid_month_counts_only_its_days(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en", range="custom", **{"from": "2026-08-15", "to": "2026-10-20"})
    assert_clean(at)
    spec, revenue = chart(at, 0)
    assert spec["title"]["subtitle"] == "2026-08-15 – 2026-10-20"
    clipped = core(demo_db_copy, kpi.monthly_trend, start=date(2026, 8, 15), end=date(2026, 10, 20))
    whole = core(demo_db_copy, kpi.monthly_trend, months=3)
    assert revenue["revenue"].tolist() == clipped["revenue"].tolist()
    # the cut months really are smaller than the whole ones, and the tooltip says which days
    assert revenue["revenue"].iloc[0] < whole["revenue"].iloc[0]
    assert revenue["revenue"].iloc[-1] < whole["revenue"].iloc[-1]
    assert revenue["days"].tolist() == [
        "2026-08-15 – 2026-08-31", "2026-09-01 – 2026-09-30", "2026-10-01 – 2026-10-20"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_range_option_compares_the_range_with_the_days_before(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    at = signed_in_app(demo_db_copy, monkeypatch, lang=lang, range="3m")
    at.session_state[context.CTX_KEY] = context.Ctx(
        con=context.cursor(), lang=lang, settings=S, filters=Filters(),
        data_version=db.data_version(context.cursor()), period=THREE_MONTHS)
    at.segmented_control(key="overview.period").set_value("range").run()
    assert_clean(at)

    snap = core(demo_db_copy, kpi.range_snapshot, THREE_MONTHS.start, THREE_MONTHS.end).set_index("kpi")
    month = core(demo_db_copy, kpi.snapshot, "month").set_index("kpi")
    assert snap.loc["revenue", "value"] != month.loc["revenue", "value"]  # the option changes the cards
    previous = THREE_MONTHS.previous()
    assert (previous.start.isoformat(), previous.end.isoformat()) == ("2026-05-01", "2026-07-31")
    dates = ("2026-08-01 至 2026-10-31，对比 2026-05-01 至 2026-07-31" if lang == "zh"
             else "2026-08-01 to 2026-10-31, compared with 2026-05-01 to 2026-07-31")
    assert any(dates in c.value for c in at.caption), [c.value for c in at.caption]

    revenue = card(at, t("kpi.revenue", lang))
    assert revenue.value == fmt.money(snap.loc["revenue", "value"], lang)
    assert revenue.delta == fmt.delta(snap.loc["revenue", "change"], "money", lang)
    for code in ("active_customers", "new_customers"):
        assert card(at, t(f"kpi.{code}", lang)).value == fmt.count(snap.loc[code, "value"])

    # the demo sets targets for August–November: the range's revenue target is their sum for
    # August, September and October (whole months, so nothing is pro-rated)
    progress = core(demo_db_copy, kpi.range_progress, THREE_MONTHS.start, THREE_MONTHS.end).set_index("kpi")
    stored = core(demo_db_copy, lambda con, s, f: kpi.targets(con))
    in_range = stored[(stored["kpi"] == "revenue") & stored["month"].between("2026-08-01", "2026-10-01")]
    assert len(in_range) == 3 and progress.loc["revenue", "target"] == pytest.approx(in_range["target"].sum())
    target = fmt.money(progress.loc["revenue", "target"], lang)
    reached = fmt.pct(100 * progress.loc["revenue", "progress"], 0)
    assert any(target in c.value and reached in c.value for c in at.caption), [c.value for c in at.caption]


@pytest.mark.parametrize("option", ["year", "range"])
def test_a_twelve_month_card_shows_no_target_made_of_three_months(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch, option: str) -> None:
    # "year" and the default range are both 2025-11-01…2026-10-31; the demo has targets for
    # August–October only, so revenue, new customers, churn and follow-ups get none (3 of 12
    # months), while NPS takes October's target (+20), not a month target under a year's value.
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en")
    at.segmented_control(key="overview.period").set_value(option).run()
    assert_clean(at)
    captions = [c.value for c in at.caption]
    assert captions.count("Targets cover 3 of 12 months only") == 4, captions
    year = core(demo_db_copy, kpi.range_progress, date(2025, 11, 1), DEMO_END).set_index("kpi")
    assert year.loc["nps", "target"] == 20.0
    reached = fmt.pct(100 * year.loc["nps", "progress"], 0)
    assert f"Target +20 · {reached} reached ✓" in captions


def test_the_default_month_card_keeps_this_months_target(
        demo_db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as_of is October's last day: "the month" is October, with October's revenue target
    at = signed_in_app(demo_db_copy, monkeypatch, lang="en")
    assert_clean(at)
    month = core(demo_db_copy, kpi.progress).set_index("kpi")
    target = fmt.money(month.loc["revenue", "target"], "en")
    reached = fmt.pct(100 * month.loc["revenue", "progress"], 0)
    assert f"Target {target} · {reached} reached ✓" in [c.value for c in at.caption]
