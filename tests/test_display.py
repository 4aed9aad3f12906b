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
