"""Lifecycle (METRICS.md "Lifecycle stages" and "Churn"): stages, funnel, cohorts, transitions.

``stage_of`` is the one place the stage rules live; everything else here applies it to the
per-customer facts as of some date, or aggregates order history in DuckDB.

At a past date ``d`` only the customers already **in the customer file** have a stage: those
with ``signup_date <= d``, or no signup date at all (unknown: assumed always there — imported
files often lack it), or a counted order by ``d`` (the data beats a late signup date). Potential
at ``d`` = in the file without a counted order by then; the others are not counted at ``d``.
Between two month ends, a customer in the file at the end but not at the start comes *from*
``JOINED`` (新加入).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import segment_scope
from core.errors import KehuError
from core.filters import Filters, customer_where
from core.metrics.common import (
    NET_AMOUNT_SQL,
    bind,
    fetch_frame,
    month_end,
    month_ends_before,
    query_frame,
    resolve_as_of,
    restrict_to_filtered,
)
from core.metrics.rfm import abc_tiers, labels
from core.settings import Settings

STAGES: tuple[str, ...] = ("potential", "new", "active", "loyal", "at_risk", "churned")
"""Stage codes in display order (names in ``core/i18n/metrics.py``)."""

JOINED = "joined"
"""From-stage of a transition for customers not yet in the customer file at the start month end
(signed up later) but in it at the end: not a stage anyone is *in* at a date."""

FROM_STAGES: tuple[str, ...] = (JOINED, *STAGES)
"""Rows of the transition matrix, in display order (joined first)."""


def stage_of(frame: pd.DataFrame, s: Settings) -> pd.Series:
    """The stage of every row as text (codes of ``STAGES``); rules in ``stage_codes``."""
    return pd.Series(labels(stage_codes(frame, s), STAGES), index=frame.index)


def stage_codes(frame: pd.DataFrame, s: Settings) -> np.ndarray:
    """Exactly one stage per row, rules evaluated in METRICS.md order, as positions in ``STAGES``.

    Needs columns recency_days, tenure_days,
    orders_total, median_gap_days and abc_tier. 1 potential: no counted order; 2 churned: recency > churn_days; 3 at_risk: recency >
    risk_days, or orders_total ≥ 3 and recency > cycle_factor × median gap; 4 new: first order
    ever at most new_days before as_of (tenure ≤ new_days); 5 loyal: orders_total ≥ loyal_orders
    or ABC tier A; 6 active: everyone else.
    """
    recency = frame["recency_days"].to_numpy(dtype=float, na_value=np.nan)
    tenure = frame["tenure_days"].to_numpy(dtype=float, na_value=np.nan)
    orders = frame["orders_total"].to_numpy(dtype=float, na_value=0.0)
    median_gap = frame["median_gap_days"].to_numpy(dtype=float, na_value=np.nan)
    tier_a = (frame["abc_tier"] == "A").fillna(False).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        beyond_cycle = (orders >= 3) & (recency > s.cycle_factor * median_gap)
        conditions = [
            np.isnan(recency),
            recency > s.churn_days,
            (recency > s.risk_days) | beyond_cycle,
            tenure <= s.new_days,
            (orders >= s.loyal_orders) | tier_a,
        ]
    choices = [STAGES.index(code) for code in ("potential", "churned", "at_risk", "new", "loyal")]
    return np.select(conditions, choices, default=STAGES.index("active")).astype(np.int8)


# ---------------------------------------------------------------------------------------------
# Where customers are now (from the per-customer table)

STAGE_COUNTS_SQL = """
WITH labels AS (SELECT unnest(?::VARCHAR[]) AS stage, generate_subscripts(?::VARCHAR[], 1) AS position),
totals AS (SELECT count(*) AS n FROM {frame})
SELECT l.stage, count(b.customer_id) AS customers,
       count(b.customer_id) / nullif(any_value(t.n), 0) AS share,
       coalesce(sum(b.monetary), 0) AS revenue
FROM labels l CROSS JOIN totals t
LEFT JOIN {frame} b ON b.lifecycle_stage::VARCHAR = l.stage
GROUP BY l.stage, l.position
ORDER BY l.position
"""


def _customer_base(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None) -> pd.DataFrame:
    """``base.customer_base`` (imported late: ``base.classify`` uses ``stage_of`` from here)."""
    from core.metrics.base import customer_base as build

    return build(con, s, f)


def stage_counts(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, base: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Customers, share of all customers and revenue per stage (all six, ``STAGES`` order)."""
    frame = _customer_base(con, s, f) if base is None else base
    return query_frame(con, frame, STAGE_COUNTS_SQL, [list(STAGES), list(STAGES)])


FUNNEL_SQL = """
WITH steps AS (
    SELECT count(*) AS all_customers,
           count(*) FILTER (WHERE orders_total >= 1) AS ordered_once,
           count(*) FILTER (WHERE orders_total >= 2) AS ordered_twice,
           count(*) FILTER (WHERE orders_total >= 2 AND (orders_total >= ? OR abc_tier::VARCHAR = 'A')) AS loyal
    FROM {frame}
),
long AS (
    SELECT unnest(['all', 'ordered_once', 'ordered_twice', 'loyal']) AS step,
           unnest([all_customers, ordered_once, ordered_twice, loyal]) AS customers,
           generate_subscripts(['all', 'ordered_once', 'ordered_twice', 'loyal'], 1) AS position
    FROM steps
)
SELECT step, customers,
       customers / nullif(first_value(customers) OVER w, 0) AS share_of_all,
       customers / nullif(lag(customers) OVER w, 0) AS share_of_previous,
       lag(customers) OVER w - customers AS dropped,
       1 - customers / nullif(lag(customers) OVER w, 0) AS drop_off
FROM long
WINDOW w AS (ORDER BY position)
ORDER BY position
"""


def funnel(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, base: pd.DataFrame | None = None
) -> pd.DataFrame:
    """How far customers got: all → ordered once → ordered twice → loyal, with drop-off.

    Steps are nested, so each is a subset of the one before: "loyal" here means reached the
    loyal rule (≥ ``loyal_orders`` orders, or ABC tier A) *with at least two orders*, whatever
    the customer's stage is now (a churned former regular still reached it). Columns: step,
    customers, share_of_all, share_of_previous, dropped (customers lost since the previous
    step) and drop_off (= 1 − share_of_previous); the first step has no previous.
    Step names in the catalogue: ``metrics.funnel.<step>``.
    """
    frame = _customer_base(con, s, f) if base is None else base
    return query_frame(con, frame, FUNNEL_SQL, [s.loyal_orders])


# ---------------------------------------------------------------------------------------------
# History: cohorts, stages at past month ends, transitions, churn rate

ORDERS_CTE = """
c AS (SELECT c.customer_id, c.name, c.region, c.channel, c.owner, c.signup_date FROM customers c WHERE {where}),
ord AS (
    SELECT customer_id, order_id, min(order_date) AS order_date, sum(net) AS net
    FROM (
        SELECT customer_id, order_id, order_date, {net} AS net
        FROM orders
        WHERE order_date <= $as_of::DATE {only_c}
    )
    GROUP BY customer_id, order_id
)
""".replace("{net}", NET_AMOUNT_SQL)

COHORT_SQL = """
WITH {orders},
firsts AS (
    SELECT customer_id, date_trunc('month', min(order_date) FILTER (WHERE net > 0))::DATE AS cohort
    FROM ord SEMI JOIN c USING (customer_id) GROUP BY customer_id
),
sizes AS (
    SELECT cohort, count(*) AS cohort_size FROM firsts
    WHERE cohort >= $first_cohort::DATE GROUP BY cohort
),
cells AS (
    SELECT f.cohort,
           date_diff('month', f.cohort, date_trunc('month', o.order_date)::DATE) AS month_offset,
           count(DISTINCT o.customer_id) FILTER (WHERE o.net > 0) AS customers,
           sum(o.net) AS revenue
    FROM ord o JOIN firsts f USING (customer_id)
    WHERE f.cohort >= $first_cohort::DATE AND o.order_date >= f.cohort
    GROUP BY ALL
),
grid AS (
    SELECT s.cohort, s.cohort_size, r.k AS month_offset
    FROM sizes s, range($months) r(k)
    WHERE s.cohort + to_months(r.k::INTEGER) <= date_trunc('month', $as_of::DATE)
)
SELECT g.cohort, g.cohort_size, g.month_offset,
       coalesce(cl.customers, 0) AS customers,
       coalesce(cl.revenue, 0)::DOUBLE AS revenue,
       coalesce(cl.customers, 0) / g.cohort_size AS customer_retention,
       coalesce(cl.revenue, 0)::DOUBLE
           / nullif(first_value(coalesce(cl.revenue, 0)) OVER (PARTITION BY g.cohort ORDER BY g.month_offset), 0)
           AS revenue_retention
FROM grid g
LEFT JOIN cells cl ON cl.cohort = g.cohort AND cl.month_offset = g.month_offset
ORDER BY g.cohort, g.month_offset
""".replace("{orders}", ORDERS_CTE)


def cohort_retention(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    f: Filters | None = None,
    measure: Literal["customers", "revenue"] = "customers",
    months: int = 12,
    *,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Monthly retention cohorts, long format (one row per observed cell).

    Cohort = month of the customer's first counted order ever. The cohorts shown are the months
    from ``start``'s month to ``end``'s month (a date range); without ``start``, the last
    ``months`` months up to ``end``. ``end`` (default and at most as_of) is the last day
    observed: orders after it have not happened here, and cells of months after it are not
    returned (its own month is included as observed so far). ``month_offset`` k = calendar
    months after the first, 0 … (end month − cohort month).
    ``customer_retention`` = share of the cohort with a counted order in month k (1.0 at k = 0);
    ``revenue_retention`` = net revenue of the cohort in month k ÷ its month-0 revenue.
    ``value`` is the one ``measure`` asks for.
    """
    if measure not in ("customers", "revenue"):
        raise KehuError("measure must be 'customers' or 'revenue'.")
    as_of = resolve_as_of(con, s)
    end = as_of if end is None else min(end, as_of)
    last_cohort = date(end.year, end.month, 1)
    first_cohort = _add_months(last_cohort, -(months - 1)) if start is None else date(start.year, start.month, 1)
    span = (last_cohort.year - first_cohort.year) * 12 + last_cohort.month - first_cohort.month + 1
    sql, params = bind(
        restrict_to_filtered(COHORT_SQL, f), customer_where(f, "c"),
        as_of=end, first_cohort=first_cohort, months=max(span, 0),
    )
    cells = con.execute(sql, params).df()
    cells["value"] = cells["customer_retention" if measure == "customers" else "revenue_retention"]
    return cells


HISTORY_SQL = """
WITH {orders},
monthly AS (
    SELECT customer_id, signup_date, date_trunc('month', order_date)::DATE AS month,
           count(*) FILTER (WHERE net > 0) AS orders, sum(net) AS net,
           min(order_date) FILTER (WHERE net > 0) AS first_day,
           max(order_date) FILTER (WHERE net > 0) AS last_day,
           list(order_date) FILTER (WHERE net > 0) AS month_days
    FROM ord JOIN (SELECT customer_id, signup_date FROM c) USING (customer_id)
    GROUP BY ALL
),
-- sorted days with a counted order (repeats kept: zero differences are dropped below)
days AS (
    SELECT customer_id, list_sort(flatten(list(month_days))) AS days FROM monthly GROUP BY customer_id
),
ends AS (SELECT unnest($ends::DATE[]) AS month_end),
-- running totals per customer and active month; each such row holds for the month ends from
-- its month up to (not including) the customer's next active month
running AS (
    SELECT customer_id, month, signup_date,
           sum(orders) OVER w AS orders_total, sum(net) OVER w AS monetary,
           min(first_day) OVER w AS first_order_date, max(last_day) OVER w AS last_order_date,
           lead(month) OVER (PARTITION BY customer_id ORDER BY month) AS next_month
    FROM monthly
    WINDOW w AS (PARTITION BY customer_id ORDER BY month ROWS UNBOUNDED PRECEDING)
),
per_end AS (
    SELECT e.month_end, r.customer_id, r.orders_total::BIGINT AS orders_total,
           r.monetary::DOUBLE AS monetary,
           e.month_end - r.last_order_date AS recency_days,
           e.month_end - r.first_order_date AS tenure_days,
           coalesce(r.signup_date <= e.month_end, TRUE) AS signed_up  -- NULL signup: always there
    FROM running r
    JOIN ends e ON e.month_end >= r.month AND (r.next_month IS NULL OR e.month_end < r.next_month)
    -- in the customer file: a counted order by then, or signed up by then (or no signup date)
    WHERE r.last_order_date IS NOT NULL OR coalesce(r.signup_date <= e.month_end, TRUE)
)
-- the median gap only decides a stage for recent customers with >= 3 orders
SELECT pe.*, NULL::DOUBLE AS median_gap_days
FROM per_end pe
WHERE NOT (pe.orders_total >= 3 AND pe.recency_days <= $risk_days)
UNION ALL
SELECT pe.*,
       list_median(list_filter(list_transform(
           range(1, len(list_filter(d.days, lambda x: x <= pe.month_end))),
           lambda i: d.days[i + 1] - d.days[i]), lambda gap: gap > 0))::DOUBLE
FROM per_end pe
JOIN days d USING (customer_id)
WHERE pe.orders_total >= 3 AND pe.recency_days <= $risk_days
ORDER BY month_end, customer_id
""".replace("{orders}", ORDERS_CTE)


IN_FILE_SQL = """
WITH ends AS (SELECT unnest($ends::DATE[]) AS month_end),
signups AS (SELECT c.signup_date, count(*) AS n FROM customers c WHERE {where} GROUP BY c.signup_date)
SELECT e.month_end,
       coalesce(sum(s.n) FILTER (WHERE s.signup_date IS NULL OR s.signup_date <= e.month_end), 0)::BIGINT AS signed_up,
       coalesce(sum(s.n), 0)::BIGINT AS customers
FROM ends e LEFT JOIN signups s ON TRUE
GROUP BY e.month_end
ORDER BY e.month_end
"""
"""Per date of ``$ends``: the customers of the filter signed up by then (or with no signup date),
and all customers of the filter. Grouped by signup day first, so the join is days × dates."""


def stages_at(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, ends: list[date]) -> pd.DataFrame:
    """Stages at each date in ``ends`` (one SQL over the list of dates) of the customers in the
    customer file at that date (module docstring: signed up by then, no signup date, or a
    counted order by then) with any order by then; the others in the file there are
    ``potential``. ``attrs["customers_at"]`` = {date: customers in the file at it} (potential
    there = that count − the rows of the date that are not potential); ``attrs["customers"]``
    = all customers of ``f``, whenever they signed up.

    One row per (month_end, customer) with orders_total, monetary, recency_days, tenure_days,
    abc_tier and lifecycle_stage as of that date. Simplifications, stated: an order is judged by
    its net amount as of ``as_of`` (a refund booked after a month end already counts at that
    month end), and ABC tiers use all history up to each date (``window_days`` is ignored).
    """
    history = _history(con, s, f, ends).drop(columns=["stage_code", "signed_up"])
    history["month_end"] = history["month_end"].dt.date
    return history


def _history(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, ends: Sequence[date]) -> pd.DataFrame:
    """``stages_at`` with ``month_end`` left as ``datetime64`` (no Python date per row), plus
    ``stage_code`` and ``signed_up`` (signup date by the row's date, or none known)."""
    as_of = resolve_as_of(con, s)
    ends = sorted({min(e, as_of) for e in ends})
    population = None if f is None else f.without_segments()  # tiers over everyone, then narrow
    where = customer_where(population, "c")
    sql, params = bind(restrict_to_filtered(HISTORY_SQL, population), where, as_of=as_of, ends=ends,
                       risk_days=s.risk_days)
    history = fetch_frame(con, sql, params)
    dates = history["month_end"].to_numpy()  # sorted: one block of rows per date
    bounds = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1], True])
    history["abc_tier"] = pd.concat([
        abc_tiers(part["monetary"], part["recency_days"].notna().to_numpy(), s.abc_a, s.abc_b)
        for part in (history.iloc[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True))
    ]) if len(history) else pd.Series(dtype="str")
    codes = stage_codes(history, s)
    counted = codes != STAGES.index("potential")
    signed_up = history["signed_up"].to_numpy(dtype=bool)  # the SQL kept counted | signed_up
    history["stage_code"] = codes  # for counting; stages_at drops it
    history["lifecycle_stage"] = labels(codes, STAGES)
    if f is not None and f.segments:
        members = history["customer_id"].isin(segment_scope.members(con, f)).to_numpy()
        history = history[members].reset_index(drop=True)
        counted, signed_up = counted[members], signed_up[members]
    count_sql, count_params = bind(IN_FILE_SQL, customer_where(f, "c"), ends=ends)
    in_file = con.execute(count_sql, count_params).fetchall()
    # in the file only through a counted order (signed up later): one per such row
    early = history["month_end"].to_numpy()[counted & ~signed_up]
    at = np.array(ends, dtype="datetime64[D]").astype(history["month_end"].dtype)
    early_per_end = np.bincount(np.searchsorted(at, early), minlength=len(ends)) if len(ends) else []
    history.attrs["customers_at"] = {
        end: int(signed) + int(extra) for (end, signed, _), extra in zip(in_file, early_per_end, strict=True)
    }
    history.attrs["customers"] = int(in_file[0][2]) if in_file else 0
    return history


def previous_month_end(d: date) -> date:
    """The last day of the month before ``d``'s month (where a month ending at ``d`` starts)."""
    return date(d.year, d.month, 1) - timedelta(days=1)


@dataclass(frozen=True)
class StageHistory:
    """Stage counts and churn rates at a list of month ends, from one pass over the history."""

    stages: pd.DataFrame  # month_end, stage, customers (all six stages per month end)
    churn: pd.DataFrame  # month_end, active_start, churned, churn_rate


def stage_history(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, *, ends: Sequence[date]
) -> StageHistory:
    """``stages_at_month_ends`` and ``churn_rate_by_month`` at the same ``ends`` (e.g. the month
    ends of a date range) from one SQL over those dates plus the month end before the first —
    the start of the first month's churn rate. Same results as the two calls, half the cost."""
    ends = _capped_ends(con, s, ends)
    history = _history(con, s, f, [*ends, *(previous_month_end(e) for e in ends)])
    return StageHistory(_stage_counts_at(history, ends), _churn_rates(history, ends, s.churn_days))


def stages_at_month_ends(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    f: Filters | None = None,
    months: int = 12,
    *,
    ends: Sequence[date] | None = None,
) -> pd.DataFrame:
    """Stage counts at each date of ``ends`` (e.g. ``DateRange.month_ends()``; capped at as_of),
    or else at the last ``months`` month ends (the last point is as_of itself when it is not a
    month end). Long format: month_end, stage, customers (all six stages; only the customers in
    the customer file at that date — module docstring — so the total grows with signups)."""
    ends = _capped_ends(con, s, ends) if ends is not None else month_ends_before(resolve_as_of(con, s), months)
    return _stage_counts_at(_history(con, s, f, ends), ends)


def _capped_ends(con: duckdb.DuckDBPyConnection, s: Settings, ends: Sequence[date]) -> list[date]:
    as_of = resolve_as_of(con, s)
    return sorted({min(e, as_of) for e in ends})


def _stage_counts_at(history: pd.DataFrame, ends: list[date]) -> pd.DataFrame:
    """Customers per stage at each of ``ends`` (dates of the history; it may hold more): the
    customers in the file at each date, so the total grows as customers sign up."""
    at = pd.to_datetime(pd.Series(ends, dtype="object")).to_numpy(dtype=history["month_end"].dtype)
    dates = history["month_end"].to_numpy()
    slot = np.searchsorted(at, dates)
    keep = (slot < len(at)) & (at[np.minimum(slot, len(at) - 1)] == dates) if len(at) else np.zeros(len(dates), bool)
    n = len(STAGES)
    cells = np.bincount(slot[keep] * n + history["stage_code"].to_numpy()[keep], minlength=len(at) * n)
    counts = cells.reshape(len(at), n)
    in_file = np.array([history.attrs["customers_at"][e] for e in ends], dtype=np.int64)
    never_ordered = in_file - counts.sum(axis=1)  # in the file, no order at all by that date
    counts[:, STAGES.index("potential")] += never_ordered
    return pd.DataFrame({
        "month_end": np.repeat(np.array(ends, dtype=object), n),
        "stage": np.tile(np.array(STAGES, dtype=object), len(ends)),
        "customers": counts.ravel(),
    })


def _period_ends(con: duckdb.DuckDBPyConnection, s: Settings, from_month: date, to_month: date) -> tuple[date, date]:
    as_of = resolve_as_of(con, s)
    return min(month_end(from_month), as_of), min(month_end(to_month), as_of)


def transitions(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, *, from_month: date, to_month: date
) -> pd.DataFrame:
    """From-stage × to-stage counts between the ends of two months (capped at as_of).

    Long format with all 42 cells, rows in ``FROM_STAGES`` order (``JOINED`` first, then the
    six stages) × the six stages: from_stage, to_stage, customers, share_of_from (the row
    share: of the customers in from_stage, the part now in to_stage). Only customers in the
    customer file at the end month end are counted (module docstring); those not yet in it at
    the start come from ``JOINED`` — e.g. signed up in between and ordered (→ new) or not yet
    (→ potential) — so potential → anything are customers who were in the file at the start.
    """
    start, end = _period_ends(con, s, from_month, to_month)
    moves = _moves(con, s, f, start, end)
    grid = pd.MultiIndex.from_product([FROM_STAGES, STAGES], names=["from_stage", "to_stage"])
    counts = moves.groupby(["from_stage", "to_stage"]).size().reindex(grid, fill_value=0)
    counts[("potential", "potential")] += moves.attrs["customers"] - len(moves)  # in the file, no order by either date
    matrix = counts.rename("customers").reset_index()
    row_total = matrix.groupby("from_stage")["customers"].transform("sum")
    matrix["share_of_from"] = matrix["customers"] / row_total.where(row_total > 0)
    return matrix


def movers(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    f: Filters | None = None,
    *,
    from_month: date,
    to_month: date,
    from_stage: str | None = None,
    to_stage: str | None = None,
    limit: int = 100,
) -> pd.DataFrame:
    """Customers whose stage changed between the two month ends, highest monetary first.

    Customers who joined the file in between all count as moved (``from_stage`` ``JOINED``),
    also those without an order yet (→ potential). Optionally only one cell of the transition
    matrix (``from_stage`` one of ``FROM_STAGES``, ``to_stage`` one of ``STAGES``); ``limit``
    rows; column ``total`` = how many moved in all (before the limit).
    """
    for value, known in ((from_stage, FROM_STAGES), (to_stage, STAGES)):
        if value is not None and value not in known:
            raise KehuError(f"Unknown stage {value!r}.")
    start, end = _period_ends(con, s, from_month, to_month)
    moves = _moves(con, s, f, start, end)
    keep = moves["from_stage"] != moves["to_stage"]
    if from_stage is not None:
        keep &= moves["from_stage"] == from_stage
    if to_stage is not None:
        keep &= moves["to_stage"] == to_stage
    moved = moves[keep].sort_values(["monetary", "customer_id"], ascending=[False, True])
    out = moved.head(max(0, int(limit))).reset_index(drop=True)
    names = con.execute(
        "SELECT customer_id, name, region, channel, owner FROM customers WHERE customer_id IN "
        "(SELECT unnest(?::VARCHAR[]))", [out["customer_id"].tolist()]
    ).df()
    out = out.merge(names.drop_duplicates("customer_id"), on="customer_id", how="left")
    out["total"] = int(keep.sum())
    return out[["customer_id", "from_stage", "to_stage", "name", "region", "channel", "owner",
                "recency_days", "orders_total", "monetary", "total"]]


SIGNED_UP_AFTER_SQL = """
SELECT c.customer_id, min(c.signup_date) AS signup_date
FROM customers c
WHERE {where} AND c.signup_date > $start::DATE
GROUP BY c.customer_id
"""


def _moves(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, start: date, end: date) -> pd.DataFrame:
    """Stage at ``start`` and at ``end`` (plus recency, orders and value as of ``end``) of every
    customer in the file at ``end`` with an order by ``end`` or not in the file at ``start``
    (from ``JOINED``); ``attrs["customers"]`` counts the customers in the file at ``end`` —
    the ones missing here are potential at both dates.

    No row at ``start`` means no counted order by then, so such a customer was in the file at
    ``start`` exactly when signed up by then (or with no signup date).
    """
    history = _history(con, s, f, [start, end])
    stamps = history["month_end"]
    before = history[stamps == pd.Timestamp(start)].set_index("customer_id")
    after = history[stamps == pd.Timestamp(end)].set_index("customer_id")
    sql, params = bind(SIGNED_UP_AFTER_SQL, customer_where(f, "c"), start=start)
    late = fetch_frame(con, sql, params).set_index("customer_id")["signup_date"]  # not in the file at start
    out = after[["recency_days", "orders_total", "monetary"]].copy()
    was = before["lifecycle_stage"].reindex(out.index)
    joined = was.isna().to_numpy() & _is_in(out.index, late.index)
    out.insert(0, "from_stage", was.mask(joined, JOINED).fillna("potential"))
    out.insert(1, "to_stage", after["lifecycle_stage"])
    # signed up after start, by end, and no order at all by end: joined → potential
    fresh = late.index[(pd.to_datetime(late) <= pd.Timestamp(end)).to_numpy() & ~_is_in(late.index, out.index)]
    if len(fresh):
        extra = pd.DataFrame({"from_stage": JOINED, "to_stage": "potential", "recency_days": pd.NA,
                              "orders_total": 0, "monetary": 0.0}, index=fresh)
        out["recency_days"] = out["recency_days"].astype("Int64")  # NULL for the new rows
        out = pd.concat([out, extra.astype(out.dtypes.to_dict())])
    out = out.rename_axis("customer_id").reset_index()
    out.attrs["customers"] = history.attrs["customers_at"][end]
    return out


def _is_in(values: pd.Index, pool: pd.Index) -> np.ndarray:
    """``values.isin(pool)`` through Arrow's hash kernel (pandas loops in Python over Arrow text)."""
    if not len(values) or not len(pool):
        return np.zeros(len(values), dtype=bool)
    found = pc.is_in(pa.array(values.astype(str)), value_set=pa.array(pool.astype(str)))
    return found.to_numpy(zero_copy_only=False)


def churn_rate_by_month(
    con: duckdb.DuckDBPyConnection,
    s: Settings,
    f: Filters | None = None,
    months: int = 12,
    *,
    ends: Sequence[date] | None = None,
) -> pd.DataFrame:
    """Churn rate per month (METRICS.md "Churn") for the months ending at ``ends`` (capped at
    as_of), or else for the last ``months`` months (the last one ends at as_of).

    For the month ending at ``month_end``: it starts at the previous month end (for the first
    month too: that date is read as well). active_start = customers whose last counted order was
    at most ``churn_days`` before the start; churned = those of them whose last order is more
    than ``churn_days`` before ``month_end``; churn_rate = churned / active_start (NULL when
    nobody was active).
    """
    if ends is None:
        ends = month_ends_before(resolve_as_of(con, s), months)
    ends = _capped_ends(con, s, ends)
    history = _history(con, s, f, [*ends, *(previous_month_end(e) for e in ends)])
    return _churn_rates(history, ends, s.churn_days)


def _churn_rates(history: pd.DataFrame, ends: list[date], churn_days: int) -> pd.DataFrame:
    """Churn rate of the month ending at each of ``ends``; the history holds those dates and the
    month end before each.

    A customer churned in a month of D days (start → end) when active at the start and more than
    ``churn_days`` without an order at the end. When churn_days ≥ D − 1 that customer cannot
    have ordered after the start (such an order would be < D days old at the end), so their
    recency at the end is their recency at the start + D: churned = customers with
    churn_days < recency at the end ≤ churn_days + D, read from the end's rows alone. Shorter
    churn_days compare each customer's two rows.
    """
    blocks = {stamp.date(): part for stamp, part in history.groupby("month_end", sort=False)}
    empty = history.iloc[:0]
    rows = []
    for end in ends:
        start = previous_month_end(end)
        at_start, at_end = blocks.get(start, empty), blocks.get(end, empty)
        recency_start = at_start["recency_days"].to_numpy(dtype=float, na_value=np.nan)
        active = recency_start <= churn_days
        span = (end - start).days
        if churn_days >= span - 1:
            recency_end = at_end["recency_days"].to_numpy(dtype=float, na_value=np.nan)
            churned = (recency_end > churn_days) & (recency_end <= churn_days + span)
        else:
            later = at_end.set_index("customer_id")["recency_days"]
            recency_end = later.reindex(at_start["customer_id"]).to_numpy(dtype=float, na_value=np.nan)
            churned = active & (recency_end > churn_days)
        n_active, n_churned = int(active.sum()), int(churned.sum())
        rows.append({
            "month_end": end, "active_start": n_active, "churned": n_churned,
            "churn_rate": n_churned / n_active if n_active else None,
        })
    return pd.DataFrame(rows, columns=["month_end", "active_start", "churned", "churn_rate"])


def _add_months(d: date, months: int) -> date:
    """The first day of the month ``months`` away from ``d``'s month (``d`` is a first day)."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
