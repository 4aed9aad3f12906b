"""Everything the Segments page and the Lifecycle "now" cards need, from one per-customer table.

Each ``segments`` / ``lifecycle`` function builds ``customer_base`` itself unless it is given one;
a page that cached them one by one would scan the orders once per function (seconds each at a
million customers). These bundles scan once and return only small frames, so the page caches a
few kilobytes instead of the per-customer table.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from core.filters import Filters
from core.metrics import lifecycle, segments
from core.metrics.base import customer_base
from core.metrics.rfm import SEGMENTS
from core.settings import Settings

MEMBERS_LIMIT = 10_000
"""Customers listed (and exported) per segment at most, highest spend first."""


@dataclass(frozen=True)
class SegmentsView:
    """The Segments page's tables (columns as in ``core.metrics.segments``)."""

    summary: pd.DataFrame
    tiers: pd.DataFrame
    pareto: pd.DataFrame
    rf: pd.DataFrame
    breakdown: dict[str, pd.DataFrame]  # by region / channel / owner
    members: pd.DataFrame  # ≤ members_limit per segment, highest monetary first; ``total`` per segment

    def members_of(self, segment: str) -> pd.DataFrame:
        """The listed customers of one segment, in the order of the list."""
        rows = self.members[self.members["rfm_segment"].astype(str) == segment]
        return rows.reset_index(drop=True)


def segments_view(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
                  members_limit: int = MEMBERS_LIMIT) -> SegmentsView:
    """All segment tables over one ``customer_base`` (one scan of the orders)."""
    base = customer_base(con, s, f)
    lists = [segments.members(con, s, f, segment=code, limit=members_limit, base=base) for code in SEGMENTS]
    non_empty = [frame for frame in lists if len(frame)]
    return SegmentsView(
        summary=segments.summary(con, s, f, base=base),
        tiers=segments.abc_summary(con, s, f, base=base),
        pareto=segments.pareto(con, s, f, base=base),
        rf=segments.rf_heatmap(con, s, f, base=base),
        breakdown={by: segments.breakdown(con, s, f, by=by, base=base) for by in segments.GROUP_COLUMNS},
        members=pd.concat(non_empty, ignore_index=True) if non_empty else lists[0],
    )


@dataclass(frozen=True)
class LifecycleNow:
    """Stage counts and the funnel as of ``as_of`` (columns as in ``core.metrics.lifecycle``)."""

    stages: pd.DataFrame
    funnel: pd.DataFrame


def lifecycle_now(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None) -> LifecycleNow:
    """Stage counts and funnel over one ``customer_base``."""
    base = customer_base(con, s, f)
    return LifecycleNow(stages=lifecycle.stage_counts(con, s, f, base=base),
                        funnel=lifecycle.funnel(con, s, f, base=base))
