"""The page bundles equal the individual segment/lifecycle functions they replace (one scan each)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from core import db, views_analyse
from core.filters import Filters
from core.metrics import lifecycle, segments
from core.settings import Settings

AS_OF = date(2026, 10, 31)


def test_segments_view_matches_the_functions(demo_db_file: Path) -> None:
    con = db.connect(demo_db_file, read_only=True)
    try:
        s, f = Settings(as_of=AS_OF), Filters(regions=("华东", "华南"))
        view = views_analyse.segments_view(con, s, f, members_limit=30)
        pd.testing.assert_frame_equal(view.summary, segments.summary(con, s, f))
        pd.testing.assert_frame_equal(view.tiers, segments.abc_summary(con, s, f))
        pd.testing.assert_frame_equal(view.rf, segments.rf_heatmap(con, s, f))
        pd.testing.assert_frame_equal(view.breakdown["owner"], segments.breakdown(con, s, f, by="owner"))
        # the list is limited per segment (in SQL) and keeps the order of members()
        champions = view.members_of("champions")
        expected = segments.members(con, s, f, segment="champions", limit=30)
        assert champions["customer_id"].tolist() == expected["customer_id"].tolist()
        sizes = view.summary.set_index("segment")["customers"]
        for code, n in sizes.items():
            assert len(view.members_of(code)) == min(int(n), 30)
    finally:
        con.close()


def test_lifecycle_now_matches_the_functions(demo_db_file: Path) -> None:
    con = db.connect(demo_db_file, read_only=True)
    try:
        s = Settings(as_of=AS_OF, loyal_orders=3)
        now = views_analyse.lifecycle_now(con, s)
        pd.testing.assert_frame_equal(now.stages, lifecycle.stage_counts(con, s))
        pd.testing.assert_frame_equal(now.funnel, lifecycle.funnel(con, s))
        assert int(now.stages["customers"].sum()) == 2000
    finally:
        con.close()


def test_empty_filter_gives_empty_tables(demo_db_file: Path) -> None:
    con = db.connect(demo_db_file, read_only=True)
    try:
        view = views_analyse.segments_view(con, Settings(as_of=AS_OF), Filters(regions=("nowhere",)))
        assert int(view.summary["customers"].sum()) == 0 and view.members.empty
        assert view.members_of("champions").empty
    finally:
        con.close()
