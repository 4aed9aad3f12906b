"""Segment views of the per-customer table: RFM segment and ABC summaries, Pareto curve,
segment × region/channel/owner breakdowns, the R × F heat map and drill-down member lists.

Every function takes an optional ``base`` (the output of ``customer_base`` for the same
``s`` and ``f``) so a page that already holds it does not recompute it; the aggregation itself
runs in DuckDB over that frame.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pandas as pd

from core.errors import KehuError
from core.filters import Filters
from core.metrics.base import customer_base
from core.metrics.common import query_frame
from core.metrics.lifecycle import STAGES
from core.metrics.rfm import SEGMENTS, TIERS
from core.settings import Settings

GROUP_COLUMNS: dict[str, str] = {"region": "region", "channel": "channel", "owner": "owner"}
"""Whitelist of ``breakdown(by=...)``: user choice → column of the per-customer table."""

MEMBER_COLUMNS = (
    "customer_id", "name", "region", "channel", "owner", "recency_days", "frequency", "monetary",
    "r_score", "f_score", "m_score", "rfm_segment", "abc_tier", "lifecycle_stage",
)


def _base(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, base: pd.DataFrame | None) -> pd.DataFrame:
    return customer_base(con, s, f) if base is None else base


SUMMARY_SQL = """
WITH scored AS (SELECT * FROM {frame} WHERE rfm_segment IS NOT NULL),
totals AS (SELECT count(*) AS n, sum(monetary) AS revenue FROM scored),
labels AS (SELECT unnest(?::VARCHAR[]) AS label, generate_subscripts(?::VARCHAR[], 1) AS position)
SELECT
    l.label AS {label},
    count(b.customer_id) AS customers,
    coalesce(sum(b.monetary), 0) AS revenue,
    coalesce(sum(b.monetary), 0) / nullif(any_value(t.revenue), 0) AS revenue_share,
    count(b.customer_id) / nullif(any_value(t.n), 0) AS customer_share,
    avg(b.recency_days) AS avg_recency_days,
    avg(b.frequency) AS avg_frequency,
    avg(b.monetary) AS avg_monetary{extra}
FROM labels l
CROSS JOIN totals t
LEFT JOIN scored b ON b.{column}::VARCHAR = l.label
GROUP BY l.label, l.position
ORDER BY l.position
"""


def summary(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, base: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per RFM segment (all eight, in ``SEGMENTS`` order, empty ones as zeros): customers,
    revenue, revenue_share and customer_share (of customers with a counted order), and the
    average recency, frequency and monetary."""
    sql = SUMMARY_SQL.replace("{label}", "segment").replace("{column}", "rfm_segment").replace("{extra}", "")
    return query_frame(con, _base(con, s, f, base), sql, [list(SEGMENTS), list(SEGMENTS)])


def abc_summary(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, base: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per ABC tier (A, B, C): the same columns as ``summary`` plus min and max monetary."""
    extra = ",\n    min(b.monetary) AS min_monetary,\n    max(b.monetary) AS max_monetary"
    sql = SUMMARY_SQL.replace("{label}", "tier").replace("{column}", "abc_tier").replace("{extra}", extra)
    return query_frame(con, _base(con, s, f, base), sql, [list(TIERS), list(TIERS)])


PARETO_SQL = """
WITH ranked AS (
    SELECT row_number() OVER (ORDER BY monetary DESC, customer_id) AS k,
           sum(greatest(monetary, 0)) OVER (ORDER BY monetary DESC, customer_id
                                            ROWS UNBOUNDED PRECEDING) AS cum_revenue
    FROM {frame}
    WHERE rfm_segment IS NOT NULL
),
totals AS (SELECT count(*) AS n, max(cum_revenue) AS revenue FROM ranked)
SELECT 0.0 AS customer_share, 0.0 AS revenue_share
UNION ALL
SELECT k / n AS customer_share, cum_revenue / nullif(revenue, 0) AS revenue_share
FROM ranked, totals
WHERE k % greatest(1, ceil(n / ?)::BIGINT) = 0 OR k = n
ORDER BY customer_share
"""


def pareto(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    f: Filters | None = None,
    points: int = 200,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The Pareto curve: customers sorted by monetary descending; cumulative customer share vs
    cumulative share of positive revenue, from (0, 0) to (1, 1), thinned to about ``points``
    evenly spaced customers (every k-th, plus the last)."""
    return query_frame(con, _base(con, s, f, base), PARETO_SQL, [max(1, points)])


BREAKDOWN_SQL = """
SELECT rfm_segment::VARCHAR AS segment, {column} AS "group",
       count(*) AS customers, sum(monetary) AS revenue
FROM {frame}
WHERE rfm_segment IS NOT NULL
GROUP BY 1, 2
ORDER BY list_position(?::VARCHAR[], segment), "group" NULLS LAST
"""


def breakdown(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    f: Filters | None = None,
    by: Literal["region", "channel", "owner"] = "region",
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Segment × region/channel/owner: customers and revenue per non-empty cell (long format)."""
    column = GROUP_COLUMNS.get(by)
    if column is None:
        raise KehuError(f"Cannot break segments down by {by!r}; choose region, channel or owner.")
    sql = BREAKDOWN_SQL.replace("{column}", column)
    return query_frame(con, _base(con, s, f, base), sql, [list(SEGMENTS)])


RF_HEATMAP_SQL = """
WITH grid AS (
    SELECT r.r_score, fs.f_score
    FROM range(1, ? + 1) r(r_score), range(1, ? + 1) fs(f_score)
)
SELECT g.r_score, g.f_score, count(b.customer_id) AS customers, coalesce(sum(b.monetary), 0) AS revenue
FROM grid g
LEFT JOIN {frame} b ON b.r_score = g.r_score AND b.f_score = g.f_score
GROUP BY ALL
ORDER BY g.r_score DESC, g.f_score
"""


def rf_heatmap(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, base: pd.DataFrame | None = None
) -> pd.DataFrame:
    """R score × F score: customers and revenue in every cell of the buckets × buckets grid."""
    b = s.score_buckets
    return query_frame(con, _base(con, s, f, base), RF_HEATMAP_SQL, [b, b])


MEMBERS_SQL = """
SELECT {columns}, count(*) OVER () AS total
FROM {frame}
WHERE (?::VARCHAR IS NULL OR rfm_segment::VARCHAR = ?)
  AND (?::VARCHAR IS NULL OR abc_tier::VARCHAR = ?)
  AND (?::VARCHAR IS NULL OR lifecycle_stage::VARCHAR = ?)
ORDER BY monetary DESC, customer_id
LIMIT ? OFFSET ?
"""


def members(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    f: Filters | None = None,
    segment: str | None = None,
    tier: str | None = None,
    stage: str | None = None,
    limit: int = 100,
    offset: int = 0,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Drill-down: the customers of a segment / tier / stage (any combination), highest
    monetary first, one page of ``limit`` rows; column ``total`` = how many match in all."""
    for value, known, what in ((segment, SEGMENTS, "segment"), (tier, TIERS, "tier"), (stage, STAGES, "stage")):
        if value is not None and value not in known:
            raise KehuError(f"Unknown {what} {value!r}.")
    sql = MEMBERS_SQL.replace("{columns}", ", ".join(MEMBER_COLUMNS))
    params = [segment, segment, tier, tier, stage, stage, max(0, int(limit)), max(0, int(offset))]
    return query_frame(con, _base(con, s, f, base), sql, params)
