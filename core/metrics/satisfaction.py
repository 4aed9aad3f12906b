"""Satisfaction (METRICS.md "Satisfaction"): NPS with margin, CSAT, CES, complaints, keywords.

Every function reads the ``surveys`` rows dated on or before ``as_of`` whose customer is in the
customers table and passes the filters (sidebar + row scope); like orders (``core.metrics.common``),
answers of customers missing from the customer file are not analysed. Every function also takes
an optional date range ``start``/``end`` (both included, ``end`` capped at ``as_of``): only answers
dated in it count. Who a customer *is* (RFM segment, value, tier, stage) stays as of ``as_of``.

Scores outside their scale (NPS 0–10, CSAT 1–5, CES 1–7) are ignored. Each NPS answer is coded
+1 (9–10), 0 (7–8) or −1 (0–6): NPS = 100 × mean code. Its margin of error is
1.96 × sd / √n × 100 with the **sample** standard deviation (n − 1 in the denominator), so a
single answer has no margin (None).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Literal

import duckdb
import pandas as pd

from core.filters import Filters, customer_where
from core.metrics import keywords as kw
from core.metrics.common import resolve_as_of
from core.settings import Settings

Grain = Literal["month", "week"]
Group = Literal["segment", "region", "channel", "owner"]
Scale = Literal["nps", "csat", "ces"]

GRAINS: dict[str, str] = {"month": "month", "week": "week"}
GROUP_COLUMNS: dict[str, str] = {"region": "region", "channel": "channel", "owner": "owner",
                                 "segment": "segment"}
SCALE_RANGES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
KEYWORD_COMMENT_CAP = 50_000  # most recent comments looked at for keywords

# The filtered survey rows, one per answer, with its codes. Placeholders: {where} (customer
# filter on alias c), {extra} (more columns from a registered table), {extra_join}.
_SURVEYS_SQL = """
WITH cust AS (
    SELECT customer_id, any_value(name) AS name, any_value(region) AS region,
           any_value(channel) AS channel, any_value(owner) AS owner
    FROM customers c
    WHERE {where}
    GROUP BY customer_id
),
sv AS (
    SELECT s.survey_id, s.customer_id, s.survey_date, s.score, s.comment,
           lower(s.scale) AS scale, lower(s.kind) = 'complaint' AS is_complaint,
           cust.name, cust.region, cust.channel, cust.owner{extra},
           CASE WHEN lower(s.scale) = 'nps' AND s.score BETWEEN 0 AND 10 THEN
               CASE WHEN s.score >= 9 THEN 1 WHEN s.score >= 7 THEN 0 ELSE -1 END
           END AS nps_code,
           CASE WHEN lower(s.scale) = 'csat' AND s.score BETWEEN 1 AND 5 THEN s.score END AS csat_score,
           CASE WHEN lower(s.scale) = 'ces' AND s.score BETWEEN 1 AND 7 THEN s.score END AS ces_score
    FROM surveys s
    JOIN cust ON cust.customer_id = s.customer_id{extra_join}
    WHERE s.survey_date <= ? AND s.survey_date >= ?
)
"""

# The aggregates every summary shares (over the rows of ``sv`` in the group).
_AGG_SQL = """
    count(nps_code) AS nps_n,
    count(*) FILTER (WHERE nps_code = 1) AS promoters,
    count(*) FILTER (WHERE nps_code = 0) AS passives,
    count(*) FILTER (WHERE nps_code = -1) AS detractors,
    100.0 * avg(nps_code) AS nps,
    196.0 * stddev_samp(nps_code) / sqrt(count(nps_code)) AS nps_margin,
    count(csat_score) AS csat_n,
    100.0 * avg(CASE WHEN csat_score IS NOT NULL THEN (csat_score >= 4)::INTEGER END) AS csat,
    avg(csat_score) AS csat_mean,
    count(ces_score) AS ces_n,
    avg(ces_score) AS ces_mean,
    count(*) FILTER (WHERE is_complaint) AS complaints,
    count(*) AS responses
"""

# Bodies with {slots} filled from whitelists (str.format), then run after the CTEs by _query.
_OVERALL_SQL = "SELECT {agg} FROM sv"
_TREND_SQL = """
    SELECT CAST(date_trunc('{unit}', survey_date) AS DATE) AS period, {agg}
    FROM sv GROUP BY period HAVING {n_filter} > 0 ORDER BY period
"""
_GROUP_SQL = 'SELECT {column} AS "group", {agg} FROM sv GROUP BY 1 ORDER BY responses DESC, 1'
_DETRACTORS_SQL = """
    , last_nps AS (
        SELECT customer_id, name, owner, region, score AS last_score,
               survey_date AS last_survey_date, comment
        FROM sv WHERE nps_code IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY customer_id ORDER BY survey_date DESC, survey_id DESC) = 1
    ),
    complained AS (
        SELECT customer_id, count(*) AS complaint_count FROM sv WHERE is_complaint GROUP BY customer_id
    )
    SELECT l.customer_id, l.name, l.owner, l.region, l.last_score, l.last_survey_date,
           l.comment, b.monetary, b.abc_tier, b.lifecycle_stage,
           coalesce(k.complaint_count, 0) AS complaint_count
    FROM last_nps l LEFT JOIN {name} b ON b.customer_id = l.customer_id
    LEFT JOIN complained k ON k.customer_id = l.customer_id
    WHERE l.last_score <= 6
    ORDER BY b.monetary DESC NULLS LAST, l.last_survey_date DESC, l.customer_id
    LIMIT ?
"""

_EARLIEST = date(1, 1, 1)
_COUNTS = {"promoters", "passives", "detractors", "complaints", "responses"}


def _query(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, body: str,
    params: list[Any] | None = None, start: date | None = None, end: date | None = None,
    extra: str = "", extra_join: str = "",
) -> pd.DataFrame:
    """Run ``body`` (a SELECT over ``sv``, with ``?`` for ``params``) after the survey CTEs.

    ``end`` is capped at as_of. ``body``, ``extra`` and ``extra_join`` are constants of this
    module or whitelisted names; every value is bound.
    """
    where, where_params = customer_where(f, "c")
    as_of = resolve_as_of(con, s)
    stop = min(end, as_of) if end is not None else as_of
    sql = _SURVEYS_SQL.format(where=where, extra=extra, extra_join=extra_join) + body
    return con.execute(sql, [*where_params, stop, start or _EARLIEST, *(params or [])]).df()


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> Iterator[str]:
    """Register ``df`` under a unique name for one query (several sessions may share a database)."""
    name = f"_kehu_{uuid.uuid4().hex}"
    con.register(name, df)
    try:
        yield name
    finally:
        con.unregister(name)


def _flag_small(df: pd.DataFrame, s: Settings, n_column: str, flag: str = "small_sample") -> pd.DataFrame:
    df[flag] = df[n_column] < s.small_sample_n
    return df


def overall(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
    start: date | None = None, end: date | None = None,
) -> dict[str, Any]:
    """One summary over [start, end] ∩ (…, as_of]: NPS (+ margin, counts), CSAT, CES, complaints.

    Keys: nps_n, promoters, passives, detractors, nps, nps_margin, csat_n, csat, csat_mean,
    ces_n, ces_mean, complaints, responses, small_sample (NPS n below ``s.small_sample_n``).
    Rates are percentages; a metric without answers is None.
    """
    row = _query(con, s, f, _OVERALL_SQL.format(agg=_AGG_SQL), start=start, end=end).iloc[0]
    out = {k: (None if pd.isna(v) else (int(v) if k.endswith("_n") or k in _COUNTS else float(v)))
           for k, v in row.items()}
    out["small_sample"] = out["nps_n"] < s.small_sample_n
    return out


def answer_dates(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
) -> tuple[date | None, date | None]:
    """The first and the last date of any survey answer or complaint as of ``as_of`` (within
    the filters); (None, None) when there is none. Tells an empty range from an empty database."""
    row = _query(con, s, f, "SELECT min(survey_date) AS first, max(survey_date) AS last FROM sv").iloc[0]
    return (None if pd.isna(row["first"]) else pd.Timestamp(row["first"]).date(),
            None if pd.isna(row["last"]) else pd.Timestamp(row["last"]).date())


def _trend(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, grain: str,
           start: date | None, end: date | None, n_filter: str) -> pd.DataFrame:
    unit = GRAINS.get(grain)
    if unit is None:
        raise ValueError(f"grain must be one of {sorted(GRAINS)}")
    body = _TREND_SQL.format(unit=unit, n_filter=n_filter, agg=_AGG_SQL)
    return _query(con, s, f, body, start=start, end=end)


def nps_trend(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
    grain: Grain = "month", start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """NPS per month (or ISO week, starting Monday): period, n, promoters, passives, detractors,
    nps, margin, small_sample. Periods without NPS answers are left out.

    A period cut by ``start``/``end`` counts only its days inside the range."""
    df = _trend(con, s, f, grain, start, end, "nps_n")
    df = df.rename(columns={"nps_n": "n", "nps_margin": "margin"})
    df = df[["period", "n", "promoters", "passives", "detractors", "nps", "margin"]]
    return _flag_small(df, s, "n")


def csat_trend(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
    grain: Grain = "month", start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """CSAT per month (or week): period, n, csat (% of 4–5), csat_mean, ces_n, ces_mean,
    small_sample (CSAT n below ``s.small_sample_n``). Periods without CSAT or CES are left out."""
    df = _trend(con, s, f, grain, start, end, "csat_n + ces_n")
    df = df.rename(columns={"csat_n": "n"})
    df = df[["period", "n", "csat", "csat_mean", "ces_n", "ces_mean"]]
    return _flag_small(df, s, "n")


def by_group(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, by: Group = "region",
    start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """NPS, margin, CSAT and CES per RFM segment, region, channel or owner, most answers first.

    Answers dated in [start, end]; the segment of a customer is the one as of ``as_of`` (not
    the one at the answer's date); customers without a counted order have none (group None). Flags ``nps_small`` / ``csat_small`` mark groups with n below
    ``s.small_sample_n``.
    """
    column = GROUP_COLUMNS.get(by)
    if column is None:
        raise ValueError(f"by must be one of {sorted(GROUP_COLUMNS)}")
    body = _GROUP_SQL.format(column=column, agg=_AGG_SQL)
    if by == "segment":
        from core.metrics.base import customer_base

        base = customer_base(con, s, f)[["customer_id", "rfm_segment"]]
        with _registered(con, base) as name:
            df = _query(
                con, s, f, body, start=start, end=end, extra=", seg.rfm_segment AS segment",
                extra_join=f" LEFT JOIN {name} seg ON seg.customer_id = s.customer_id",
            )
    else:
        df = _query(con, s, f, body, start=start, end=end)
    df = df[["group", "nps_n", "nps", "nps_margin", "csat_n", "csat", "csat_mean", "ces_n",
             "ces_mean", "complaints", "responses"]]
    df = _flag_small(df, s, "nps_n", "nps_small")
    return _flag_small(df, s, "csat_n", "csat_small")


def score_distribution(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, scale: Scale = "nps",
    start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """How many answers in [start, end] gave each score of ``scale`` (every score of the scale
    listed, 0 if none): score, n, share (%)."""
    bounds = SCALE_RANGES.get(scale)
    if bounds is None:
        raise ValueError(f"scale must be one of {sorted(SCALE_RANGES)}")
    lo, hi = bounds
    body = """
        , counts AS (
            SELECT score, count(*) AS n FROM sv
            WHERE scale = ? AND score BETWEEN ? AND ? GROUP BY score
        )
        SELECT r.score::INTEGER AS score, coalesce(counts.n, 0) AS n,
               coalesce(100.0 * counts.n / nullif(sum(counts.n) OVER (), 0), 0.0) AS share
        FROM range(?, ? + 1) r(score) LEFT JOIN counts ON counts.score = r.score
        ORDER BY r.score
    """
    return _query(con, s, f, body, [scale, lo, hi, lo, hi], start=start, end=end)


def detractors(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, limit: int = 200,
    start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """Customers whose latest NPS answer in [start, end] (default: as of as_of) is 0–6, highest
    value first. A later answer after ``end`` does not matter; an earlier one before ``start`` is
    not looked at.

    Columns: customer_id, name, owner, region, last_score, last_survey_date, comment, monetary,
    abc_tier, lifecycle_stage, complaint_count. Value (monetary, abc_tier) and stage are as of
    as_of; complaint_count counts the customer's complaints in the same range.
    """
    from core.metrics.base import customer_base

    base = customer_base(con, s, f)[["customer_id", "monetary", "abc_tier", "lifecycle_stage"]]
    with _registered(con, base) as name:
        body = _DETRACTORS_SQL.format(name=name)
        return _query(con, s, f, body, [int(limit)], start=start, end=end)


def complaints_by_month(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
    start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """Complaints per month of the rows dated in [start, end]: month, complaints, customers (distinct complainers), responses (all
    survey/feedback rows that month) and share = complaints ÷ responses (%). Months without any
    row are left out."""
    body = """
        SELECT CAST(date_trunc('month', survey_date) AS DATE) AS month,
               count(*) FILTER (WHERE is_complaint) AS complaints,
               count(DISTINCT customer_id) FILTER (WHERE is_complaint) AS customers,
               count(*) AS responses,
               100.0 * count(*) FILTER (WHERE is_complaint) / count(*) AS share
        FROM sv GROUP BY month ORDER BY month
    """
    return _query(con, s, f, body, start=start, end=end)


def keywords(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, top: int = 30,
    start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """Top comment words (Chinese and English) of the most recent 50,000 comments in [start, end].

    Columns: keyword, lang ('zh'/'en'), comments (how many comments contain it), share (%),
    negative_share (% of those from a complaint, an NPS detractor or a CSAT of 1–2).
    """
    body = """
        SELECT comment,
               coalesce(is_complaint OR nps_code = -1 OR csat_score <= 2, false) AS negative
        FROM sv WHERE comment IS NOT NULL AND trim(comment) <> ''
        ORDER BY survey_date DESC, survey_id DESC
        LIMIT ?
    """
    comments = _query(con, s, f, body, [KEYWORD_COMMENT_CAP], start=start, end=end)
    return kw.count_keywords(comments, top)


def comments_for_keyword(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
    keyword: str = "", limit: int = 50, start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """The most recent comments in [start, end] containing ``keyword`` (case-insensitive):
    survey_date, customer_id, name, kind, scale, score, comment."""
    body = """
        SELECT survey_date, customer_id, name,
               CASE WHEN is_complaint THEN 'complaint' ELSE 'survey' END AS kind,
               scale, score, comment
        FROM sv WHERE comment IS NOT NULL AND contains(lower(comment), lower(?))
        ORDER BY survey_date DESC, survey_id DESC
        LIMIT ?
    """
    return _query(con, s, f, body, [keyword, int(limit)], start=start, end=end)
