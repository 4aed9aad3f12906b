"""KPIs and targets (METRICS.md "KPIs and targets"): period snapshot, monthly trend, targets, progress.

Definitions (orders count as in ``core.metrics.common``; a period is a closed date range):

* **revenue** — net amount of the orders dated in the period (refund orders subtract);
  **orders** — counted orders dated in the period.
* **buying customers** — customers with a counted order in the period.
* **active customers** — at the period end, customers whose last counted order is at most
  ``churn_days`` old, i.e. not churned (METRICS.md "Churn": "active … last order within
  churn_days"). A stock, not a flow: it is counted at one date.
* **new customers** — first counted order *ever* dated in the period.
* **repeat rate** — % of the period's buying customers with ≥ 2 counted orders ever by the period end.
* **churn rate** — of the customers active on the day before the period starts, % churned at its
  end (METRICS.md "Churn rate").
* **NPS / CSAT** — ``satisfaction.overall`` over the answers dated in the period.
* **follow-ups** — not deleted, due in the period: done vs all not cancelled (planned + done).

A period is either the month/quarter/year ending at as_of (``snapshot``, compared with the one
before) or any closed range such as the sidebar's date range (``range_snapshot``, compared with
the same number of days just before). Targets are monthly; ``range_progress`` makes the target
of any period from them (the Overview uses it under every card, so a quarter's card shows the
quarter's target); ``progress`` is the calendar month of as_of against its own target.

An order's net amount uses every row dated up to ``as_of``: an order refunded later counts as
refunded in its own period too (the same order-level rule as monetary in the customer table).
"""

from __future__ import annotations

import calendar
import json
import math
from datetime import date, timedelta
from typing import Any, Literal

import duckdb
import pandas as pd

from core.daterange import DateRange, month_end
from core.db import bump_data_version, transaction
from core.errors import KehuError
from core.filters import Filters, customer_where
from core.metrics import satisfaction
from core.metrics.common import NET_AMOUNT_SQL, bind, resolve_as_of
from core.settings import Settings

Period = Literal["month", "quarter", "year"]
PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}

# kpi code → (unit, higher_is_better). Units: money, count, pct (0–100), nps (−100…100).
KPIS: dict[str, tuple[str, bool]] = {
    "revenue": ("money", True),
    "orders": ("count", True),
    "active_customers": ("count", True),
    "buying_customers": ("count", True),
    "new_customers": ("count", True),
    "repeat_rate": ("pct", True),
    "churn_rate": ("pct", False),
    "nps": ("nps", True),
    "csat": ("pct", True),
    "followups_done": ("count", True),
    "followups_planned": ("count", True),
    "followups_done_rate": ("pct", True),
}
TARGET_KPIS: tuple[str, ...] = (
    "revenue", "active_customers", "new_customers", "repeat_rate", "churn_rate", "nps", "csat",
    "followups_done",
)
"""KPIs that can have a monthly target (the ``targets.kpi`` values of the schema)."""

_TARGET_RANGES: dict[str, tuple[float, float]] = {
    "money": (0.0, math.inf), "count": (0.0, math.inf), "pct": (0.0, 100.0), "nps": (-100.0, 100.0),
}

# Several periods in one pass over the orders: the per-order netting is the expensive step.
_PERIOD_SQL = """
WITH c AS (SELECT c.customer_id FROM customers c WHERE {where}),
ord AS (
    SELECT customer_id, order_id, min(order_date) AS order_date, sum(net) AS net
    FROM (
        SELECT customer_id, order_id, order_date, {net} AS net
        FROM orders
        WHERE order_date <= $as_of::DATE AND customer_id IN (SELECT customer_id FROM c)
    )
    GROUP BY customer_id, order_id
),
periods AS (
    SELECT unnest($ids::INTEGER[]) AS p, unnest($starts::DATE[]) AS p_start,
           unnest($ends::DATE[]) AS p_end
),
per AS (
    SELECT p, p_start, p_end, customer_id,
        min(order_date) FILTER (WHERE net > 0) AS first_order,
        max(order_date) FILTER (WHERE net > 0 AND order_date < p_start) AS last_before,
        max(order_date) FILTER (WHERE net > 0 AND order_date <= p_end) AS last_by_end,
        count(*) FILTER (WHERE net > 0 AND order_date <= p_end) AS orders_by_end,
        count(*) FILTER (WHERE net > 0 AND order_date BETWEEN p_start AND p_end) AS orders_in,
        coalesce(sum(net) FILTER (WHERE order_date BETWEEN p_start AND p_end), 0) AS revenue_in
    FROM ord CROSS JOIN periods
    GROUP BY p, p_start, p_end, customer_id
)
SELECT
    p,
    coalesce(sum(revenue_in), 0)::DOUBLE AS revenue,
    coalesce(sum(orders_in), 0)::BIGINT AS orders,
    count(*) FILTER (WHERE orders_in > 0) AS buying_customers,
    count(*) FILTER (WHERE last_by_end >= p_end - $churn_days::INTEGER) AS active_customers,
    count(*) FILTER (WHERE first_order BETWEEN p_start AND p_end) AS new_customers,
    count(*) FILTER (WHERE orders_in > 0 AND orders_by_end >= 2) AS repeat_customers,
    count(*) FILTER (WHERE last_before >= p_start - 1 - $churn_days::INTEGER) AS active_at_start,
    count(*) FILTER (WHERE last_before >= p_start - 1 - $churn_days::INTEGER
                       AND last_by_end < p_end - $churn_days::INTEGER) AS churned
FROM per
GROUP BY p, p_start, p_end
""".replace("{net}", NET_AMOUNT_SQL)

_FOLLOWUPS_SQL = """
SELECT count(*) FILTER (WHERE lower(f.status) = 'done') AS done,
       count(*) AS planned
FROM followups f
WHERE NOT f.deleted AND lower(f.status) <> 'cancelled'
  AND f.due_date BETWEEN $start::DATE AND $end::DATE
  AND f.customer_id IN (SELECT c.customer_id FROM customers c WHERE {where})
"""

# Spells: a customer is active from an order until churn_days after it; orders closer than
# churn_days chain into one spell. Active customers at a month end = spells covering it.
_TREND_SQL = """
WITH c AS (SELECT c.customer_id FROM customers c WHERE {where}),
ord AS (
    SELECT customer_id, order_id, min(order_date) AS order_date, sum(net) AS net
    FROM (
        SELECT customer_id, order_id, order_date, {net} AS net
        FROM orders
        WHERE order_date <= $as_of::DATE AND customer_id IN (SELECT customer_id FROM c)
    )
    GROUP BY customer_id, order_id
),
months AS (  -- every month the range touches, clipped to the range's days
    SELECT m::DATE AS month,
           greatest(m::DATE, $start::DATE) AS month_start,
           least((m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE, $end::DATE) AS month_end
    FROM range(date_trunc('month', $start::DATE), $end::DATE + INTERVAL 1 DAY, INTERVAL 1 MONTH) r(m)
),
flows AS (
    SELECT date_trunc('month', order_date)::DATE AS month,
           sum(net)::DOUBLE AS revenue,
           count(*) FILTER (WHERE net > 0) AS orders,
           count(DISTINCT customer_id) FILTER (WHERE net > 0) AS buying_customers
    FROM ord WHERE order_date BETWEEN $start::DATE AND $end::DATE GROUP BY 1
),
firsts AS (
    SELECT date_trunc('month', first_order)::DATE AS month, customer_id
    FROM (SELECT customer_id, min(order_date) AS first_order FROM ord WHERE net > 0 GROUP BY customer_id)
    WHERE first_order BETWEEN $start::DATE AND $end::DATE
),
days AS (  -- an order older than the range start − churn_days covers none of the month ends
    SELECT DISTINCT customer_id, order_date FROM ord
    WHERE net > 0 AND order_date >= $start::DATE - $churn_days::INTEGER
),
marks AS (
    SELECT customer_id, order_date,
           CASE WHEN order_date - lag(order_date) OVER w <= $churn_days::INTEGER THEN 0 ELSE 1 END AS starts
    FROM days WINDOW w AS (PARTITION BY customer_id ORDER BY order_date)
),
numbered AS (
    SELECT customer_id, order_date,
           sum(starts) OVER (PARTITION BY customer_id ORDER BY order_date) AS spell
    FROM marks
),
spells AS (
    SELECT min(order_date) AS spell_start, max(order_date) + $churn_days::INTEGER AS spell_end
    FROM numbered GROUP BY customer_id, spell
),
active AS (
    SELECT m.month, count(*) AS active_customers
    FROM months m JOIN spells s ON s.spell_start <= m.month_end AND s.spell_end >= m.month_end
    GROUP BY m.month
)
SELECT m.month, m.month_start, m.month_end,
       coalesce(fl.revenue, 0) AS revenue,
       coalesce(fl.orders, 0) AS orders,
       coalesce(fl.buying_customers, 0) AS buying_customers,
       (SELECT count(*) FROM firsts WHERE firsts.month = m.month) AS new_customers,
       coalesce(a.active_customers, 0) AS active_customers
FROM months m
LEFT JOIN flows fl ON fl.month = m.month
LEFT JOIN active a ON a.month = m.month
ORDER BY m.month
""".replace("{net}", NET_AMOUNT_SQL)


def shift_months(d: date, months: int) -> date:
    """``d`` moved by ``months``, clamped to the month's length; a month end stays a month end."""
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    at_end = d.day == calendar.monthrange(d.year, d.month)[1]
    return date(year, month + 1, last if at_end else min(d.day, last))


def period_bounds(as_of: date, period: Period = "month") -> tuple[date, date, date, date]:
    """(start, end, previous_start, previous_end) of the period ending at as_of and the one before.

    "The month ending at as_of" runs from the day after the same date a month earlier; when as_of
    is a month's last day that is exactly the calendar month (likewise quarter = 3 months,
    year = 12). E.g. as_of 2024-03-15 → 02-16…03-15, before it 01-16…02-15; as_of 2024-06-30 →
    06-01…06-30, before it 05-01…05-31.
    """
    months = PERIOD_MONTHS.get(period)
    if months is None:
        raise ValueError(f"period must be one of {sorted(PERIOD_MONTHS)}")
    prev_end = shift_months(as_of, -months)
    prev_start = shift_months(prev_end, -months) + timedelta(days=1)
    return prev_end + timedelta(days=1), as_of, prev_start, prev_end


def periods_values(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None,
    periods: list[tuple[date, date]],
) -> list[dict[str, float | int | None]]:
    """Every KPI of ``KPIS`` for each closed range [start, end] (end capped at as_of); rates in %."""
    as_of = resolve_as_of(con, s)
    periods = [(start, min(end, as_of)) for start, end in periods]
    where = customer_where(f, "c")
    sql, params = bind(_PERIOD_SQL, where, as_of=as_of, ids=list(range(len(periods))),
                       starts=[p[0] for p in periods], ends=[p[1] for p in periods],
                       churn_days=s.churn_days)
    rows = con.execute(sql, params).df().set_index("p")
    out: list[dict[str, float | int | None]] = []
    for i, (start, end) in enumerate(periods):
        if i in rows.index:
            row = rows.loc[i]
        else:  # no order at all (or none visible): every count is 0
            row = pd.Series(0, index=rows.columns)
        sql, params = bind(_FOLLOWUPS_SQL, where, start=start, end=end)
        done, planned = con.execute(sql, params).fetchall()[0]
        sat = satisfaction.overall(con, s, f, start=start, end=end)
        buyers, at_start = int(row["buying_customers"]), int(row["active_at_start"])
        out.append({
            "revenue": float(row["revenue"]),
            "orders": int(row["orders"]),
            "active_customers": int(row["active_customers"]),
            "buying_customers": buyers,
            "new_customers": int(row["new_customers"]),
            "repeat_rate": 100.0 * int(row["repeat_customers"]) / buyers if buyers else None,
            "churn_rate": 100.0 * int(row["churned"]) / at_start if at_start else None,
            "nps": sat["nps"],
            "csat": sat["csat"],
            "followups_done": int(done),
            "followups_planned": int(planned),
            "followups_done_rate": 100.0 * done / planned if planned else None,
        })
    return out


def period_values(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, start: date, end: date,
) -> dict[str, float | int | None]:
    """Every KPI of ``KPIS`` over the closed range [start, end] (end ≤ as_of); rates in %."""
    return periods_values(con, s, f, [(start, end)])[0]


def snapshot(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, period: Period = "month",
) -> pd.DataFrame:
    """Each KPI for the period ending at as_of and the period before (see ``period_bounds``).

    Columns: kpi, unit, higher_is_better, value, previous, change (value − previous; points for
    rates), change_pct (relative change in %, None when previous is 0 or missing),
    period_start, period_end, previous_start, previous_end.
    """
    start, end, prev_start, prev_end = period_bounds(resolve_as_of(con, s), period)
    return _compare(con, s, f, (start, end), (prev_start, prev_end))


def range_snapshot(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, start: date, end: date,
) -> pd.DataFrame:
    """Each KPI over the closed range [start, end] and over the range of the same number of days
    just before it (``DateRange.previous``: 2026-08-01…10-31, 92 days, is compared with
    05-01…07-31). ``end`` is capped at as_of first. Same columns as ``snapshot``.
    """
    end = min(end, resolve_as_of(con, s))
    previous = DateRange(start, end).previous()
    return _compare(con, s, f, (start, end), (previous.start, previous.end))


def _compare(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None,
    current: tuple[date, date], before: tuple[date, date],
) -> pd.DataFrame:
    now, then = periods_values(con, s, f, [current, before])
    rows = []
    for kpi, (unit, higher) in KPIS.items():
        value, previous = now[kpi], then[kpi]
        change = value - previous if value is not None and previous is not None else None
        change_pct = 100.0 * change / abs(previous) if change is not None and previous else None
        rows.append((kpi, unit, higher, value, previous, change, change_pct, *current, *before))
    return pd.DataFrame(rows, columns=[
        "kpi", "unit", "higher_is_better", "value", "previous", "change", "change_pct",
        "period_start", "period_end", "previous_start", "previous_end",
    ])


def monthly_trend(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None, months: int = 24,
    start: date | None = None, end: date | None = None,
) -> pd.DataFrame:
    """Revenue, orders, buying/new customers per calendar month and active customers at each month
    end, for every month of the closed range [start, end] — by default the ``months`` calendar
    months up to as_of.

    ``end`` defaults to as_of and is capped at it; ``start`` defaults to the first day of the
    ``months``-th month back. A month cut by the range counts only its days inside the range: a
    range from 11-15 gives November the orders of 11-15…11-30, and the last month runs only to
    ``end``, where its active customers are counted. Net amounts follow the module rule (rows up
    to as_of), so the months of a range add up to ``period_values`` over the same range.

    Columns: month (first day of the calendar month), month_start and month_end (the days of that
    month counted), revenue, orders, buying_customers, new_customers (first order ever in those
    days), active_customers (at month_end). Months without orders are listed with zeros.
    """
    as_of = resolve_as_of(con, s)
    end = as_of if end is None else min(end, as_of)
    if start is None:
        start = shift_months(date(end.year, end.month, 1), -(max(1, int(months)) - 1))
    if start > end:
        raise ValueError(f"the trend range starts after it ends: {start} > {end}")
    sql, params = bind(_TREND_SQL, customer_where(f, "c"), as_of=as_of, start=start, end=end,
                       churn_days=s.churn_days)
    return con.execute(sql, params).df()


def _check_target(kpi: str, target: float) -> float:
    if kpi not in TARGET_KPIS:
        raise KehuError(f"Unknown KPI {kpi!r}; targets can be set for: {', '.join(TARGET_KPIS)}.")
    try:
        value = float(target)
    except (TypeError, ValueError) as exc:
        raise KehuError(f"The target for {kpi} must be a number.") from exc
    lo, hi = _TARGET_RANGES[KPIS[kpi][0]]
    if not (math.isfinite(value) and lo <= value <= hi):
        raise KehuError(f"The target for {kpi} must be between {lo:g} and {hi:g}.")
    return value


def set_target(
    con: duckdb.DuckDBPyConnection, kpi: str, month: date, target: float, user: str | None,
) -> None:
    """Store (or replace) the target of ``kpi`` for ``month`` (any day of it), audited.

    One row per (kpi, month) without a unique index (PITFALLS.md): delete + insert in one
    transaction. Bumps the data version so cached progress is recomputed.
    """
    value = _check_target(kpi, target)
    first = date(month.year, month.month, 1)
    with transaction(con):
        con.execute("DELETE FROM targets WHERE kpi = ? AND month = ?", [kpi, first])
        con.execute(
            "INSERT INTO targets (kpi, month, target, updated_by) VALUES (?, ?, ?, ?)",
            [kpi, first, value, user],
        )
        con.execute(
            "INSERT INTO audit_log (username, action, detail) VALUES (?, 'setting', ?)",
            [user, json.dumps({"target": kpi, "month": first.isoformat(), "value": value})],
        )
        bump_data_version(con, sources=False)


def targets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All stored targets: kpi, month, target, updated_by, updated_at (newest month first)."""
    return con.execute(
        "SELECT kpi, month, target, updated_by, updated_at FROM targets ORDER BY month DESC, kpi"
    ).df()


def progress(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
) -> pd.DataFrame:
    """This month (calendar month of as_of, to as_of) against its targets, one row per target KPI.

    Columns: kpi, unit, higher_is_better, month, value, target (None if unset), progress
    (value ÷ target), met (value ≥ target, or ≤ for churn rate), month_elapsed (share of the
    month's days up to as_of, to judge the pace of additive KPIs such as revenue).
    """
    as_of = resolve_as_of(con, s)
    first = date(as_of.year, as_of.month, 1)
    values = period_values(con, s, f, first, as_of)
    stored = dict(con.execute(
        "SELECT kpi, arg_max(target, updated_at) FROM targets WHERE month = ? GROUP BY kpi", [first]
    ).fetchall())
    elapsed = as_of.day / calendar.monthrange(as_of.year, as_of.month)[1]
    rows: list[tuple[Any, ...]] = []
    for kpi in TARGET_KPIS:
        unit, higher = KPIS[kpi]
        value, target = values[kpi], stored.get(kpi)
        rows.append((kpi, unit, higher, first, value, target, *_reached(value, target, higher), elapsed))
    return pd.DataFrame(rows, columns=[
        "kpi", "unit", "higher_is_better", "month", "value", "target", "progress", "met",
        "month_elapsed",
    ])


FLOW_TARGETS: tuple[str, ...] = ("revenue", "new_customers", "followups_done")
"""Target KPIs that add up over time: a range's target is the sum of its months' targets."""


def range_progress(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, start: date, end: date,
) -> pd.DataFrame:
    """The closed range [start, end] (end capped at as_of) against a target made from the
    monthly targets, one row per target KPI. Values are ``period_values`` over the range.

    How a range's target is made from monthly targets:

    * **flows** (``FLOW_TARGETS``: revenue, new customers, follow-ups done) — the sum over the
      months the range touches of each month's target × the share of that month's days inside
      the range (pro-rated by days: 2026-08-01…10-15 = August + September + 15/31 of October).
      Every one of those months needs a target, otherwise there is none (a sum over some months
      would look like a target for all of them).
    * **churn rate** — a rate over the whole range, so it grows with the range's length; the
      monthly targets are compounded with the same day shares:
      100 × (1 − ∏ (1 − target_m / 100) ^ share_m), e.g. 5 % a month over three whole months
      allows 14.3 %. Every month needs a target, as for flows.
    * **stocks and rates** (active customers, repeat rate, NPS, CSAT) — the target of the month
      of ``end`` (the level the range should end at).

    Columns: kpi, unit, higher_is_better, value, target (None when it cannot be made), progress
    (value ÷ target), met (value ≥ target, or ≤ for churn rate), months_needed (monthly targets
    the range's target is made of), months_set (how many of them are stored).
    """
    end = min(end, resolve_as_of(con, s))
    period = DateRange(start, end)
    months = period.month_starts()
    shares = {  # month → share of its days inside the range
        m: DateRange(max(m, start), min(month_end(m), end)).days / DateRange(m, month_end(m)).days
        for m in months
    }
    values = period_values(con, s, f, start, end)
    stored: dict[tuple[str, date], float] = {
        (kpi, month): target for kpi, month, target in con.execute(
            "SELECT kpi, month, arg_max(target, updated_at) FROM targets "
            "WHERE month BETWEEN ? AND ? GROUP BY kpi, month", [months[0], months[-1]],
        ).fetchall()
    }
    rows: list[tuple[Any, ...]] = []
    for kpi in TARGET_KPIS:
        unit, higher = KPIS[kpi]
        needed = months if kpi in FLOW_TARGETS or kpi == "churn_rate" else months[-1:]
        monthly = [stored[(kpi, m)] for m in needed if (kpi, m) in stored]
        target: float | None = None
        if len(monthly) == len(needed):
            if kpi in FLOW_TARGETS:
                target = sum(t * shares[m] for t, m in zip(monthly, needed, strict=True))
            elif kpi == "churn_rate":
                kept = math.prod((1 - t / 100) ** shares[m] for t, m in zip(monthly, needed, strict=True))
                target = 100 * (1 - kept)
            else:
                target = monthly[0]
        value = values[kpi]
        rows.append((kpi, unit, higher, value, target, *_reached(value, target, higher),
                     len(needed), len(monthly)))
    return pd.DataFrame(rows, columns=[
        "kpi", "unit", "higher_is_better", "value", "target", "progress", "met",
        "months_needed", "months_set",
    ])


def _reached(value: float | None, target: float | None, higher: bool) -> tuple[float | None, bool | None]:
    """(value ÷ target, whether the target is met) — None where either is missing."""
    ratio = value / target if value is not None and target else None
    met = None
    if value is not None and target is not None:
        met = value >= target if higher else value <= target
    return ratio, met
