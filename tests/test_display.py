"""Tables as shown to a manager: never the word None, no column that is empty for every row."""

from __future__ import annotations

import pandas as pd

from ui.format import for_display


def test_missing_text_reads_as_a_dash_and_numbers_stay_numbers() -> None:
    frame = pd.DataFrame({"name": ["李娜", None], "owner": [None, None], "region": pd.Series(["东区", None], dtype="str"),
                          "spend": [12.5, None]})
    shown = for_display(frame, optional=("owner",))
    assert list(shown.columns) == ["name", "region", "spend"]  # owner empty for every row: dropped
    assert shown["name"].tolist() == ["李娜", "—"]
    assert shown["region"].tolist() == ["东区", "—"]
    assert shown["spend"].iloc[0] == 12.5 and pd.isna(shown["spend"].iloc[1])


def test_an_optional_column_with_one_value_stays() -> None:
    frame = pd.DataFrame({"owner": [None, "王强"]})
    assert for_display(frame, optional=("owner",))["owner"].tolist() == ["—", "王强"]


def test_every_segment_and_stage_has_its_own_colour() -> None:
    from core.metrics.lifecycle import STAGES
    from core.metrics.rfm import SEGMENTS
    from ui import palette

    assert set(palette.SEGMENT) == set(SEGMENTS) and len(set(palette.SEGMENT.values())) == len(SEGMENTS)
    assert set(palette.STAGE) == set(STAGES) and len(set(palette.STAGE.values())) == len(STAGES)


def test_the_overview_stage_bars_use_the_shared_stage_colours() -> None:
    from ui import charts_overview, palette

    counts = pd.DataFrame({"stage": list(palette.STAGE), "customers": [1, 2, 3, 4, 5, 6]})
    spec = charts_overview.stage_bars(counts, "en").to_dict()
    assert spec["encoding"]["color"]["scale"]["range"] == list(palette.STAGE.values())


def test_risk_percent_never_reads_zero_for_a_positive_risk() -> None:
    from ui.format import risk

    assert [risk(0.003), risk(0.0), risk(0.006), risk(0.594), risk(None)] == ["<1%", "0%", "1%", "59%", "—"]


def test_money_axes_speak_wan_in_chinese_and_si_in_english() -> None:
    from ui import charts_overview

    trend = pd.DataFrame({"month": pd.to_datetime(["2026-09-01", "2026-10-01"]), "revenue": [90_000.0, 120_000.0],
                          "orders": [10, 12], "active_customers": [5, 6], "buying_customers": [4, 5],
                          "month_start": pd.to_datetime(["2026-09-01", "2026-10-01"]),
                          "month_end": pd.to_datetime(["2026-09-30", "2026-10-31"])})
    zh = charts_overview.revenue_bars(trend, "zh", "2026-09 – 2026-10").to_dict()
    en = charts_overview.revenue_bars(trend, "en", "2026-09 – 2026-10").to_dict()

    def axis(spec: dict) -> dict:
        layer = spec.get("layer", [spec])[0]
        return layer["encoding"]["y"]["axis"]

    assert "'万'" in axis(zh)["labelExpr"] and "'亿'" in axis(zh)["labelExpr"]
    assert axis(en)["labelExpr"] == "format(datum.value, '~s')"


def test_a_customers_spend_chart_runs_to_the_reference_date_with_silent_months_at_zero() -> None:
    from datetime import date

    from core.i18n import t as text
    from ui import charts_views

    spend = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-03-01"]),
                          "net_amount": [100.0, -20.0], "orders": [2, 1]})
    spec = charts_views.spend_by_month(spend, lambda k, **v: text(k, "en", **v), date(2026, 6, 15)).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["label"] for r in rows] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert [r["net_amount"] for r in rows] == [100.0, 0.0, -20.0, 0.0, 0.0, 0.0]
