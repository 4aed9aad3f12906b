"""Customer 360: the searchable, paginated customer list and one customer's full profile."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from core.errors import NotFound
from core.filters import Filters, customer_where
from core.metrics.common import NET_AMOUNT_SQL, resolve_as_of
from core.settings import Settings

# Sort keys a page may offer → column of the list query. Nothing else reaches ORDER BY.
SORTS: dict[str, str] = {
    "customer_id": "customer_id",
    "name": "name",
    "monetary": "monetary",
    "orders": "orders_total",
    "last_order": "last_order_date",
    "risk": "churn_risk",
    "risk_x_value": "risk_x_value",
}
MAX_PAGE = 500  # one page of the list never carries more rows than this
ORDER_LIMIT = 200  # orders shown in a profile (most recent first)
SURVEY_LIMIT = 100

LIST_COLUMNS: tuple[str, ...] = (
    "customer_id", "name", "phone", "email", "region", "city", "channel", "owner",
    "rfm_segment", "abc_tier", "lifecycle_stage", "churn_risk", "risk_x_value",
    "monetary", "orders_total", "last_order_date", "recency_days",
)

# The base frame (one row per customer already in the filter) is registered as {base}, the churn
# scores as {risk}; customers gives the contact columns. {cond} is a fixed fragment of this module.
_LIST_FROM = """
FROM {base} b
LEFT JOIN (
    SELECT customer_id, any_value(phone) AS phone, any_value(email) AS email,
           any_value(city) AS city
    FROM customers WHERE customer_id IN (SELECT customer_id FROM {base})
    GROUP BY customer_id
) c ON c.customer_id = b.customer_id
LEFT JOIN {risk} r ON r.customer_id = b.customer_id
WHERE {cond}
"""
_LIST_SELECT = """
SELECT b.customer_id, b.name, c.phone, c.email, b.region, c.city, b.channel, b.owner,
       b.rfm_segment, b.abc_tier, b.lifecycle_stage,
       r.churn_risk::DOUBLE AS churn_risk, r.risk_x_value::DOUBLE AS risk_x_value,
       b.monetary::DOUBLE AS monetary, b.orders_total::BIGINT AS orders_total,
       b.last_order_date, b.recency_days
"""
_SEARCH_COND = """(
    $q = ''
    OR contains(lower(b.customer_id), $q)
    OR contains(lower(coalesce(b.name, '')), $q)
    OR ($digits <> '' AND $contacts
        AND contains(regexp_replace(coalesce(c.phone, ''), '[^0-9]', '', 'g'), $digits))
)"""


@dataclass(frozen=True)
class CustomerPage:
    """One page of the customer list and how many customers match in all."""

    rows: pd.DataFrame
    total: int
    offset: int
    limit: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> Iterator[str]:
    """Register ``frame`` under a unique name for one query (sessions share the connection)."""
    name = f"_kehu_c360_{uuid.uuid4().hex}"
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def _risk_frame(risk: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["customer_id", "churn_risk", "risk_x_value"]
    if risk is None or risk.empty:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"),
                             "churn_risk": pd.Series(dtype="float64"),
                             "risk_x_value": pd.Series(dtype="float64")})
    out = risk.copy()
    for c in cols[1:]:
        if c not in out.columns:
            out[c] = float("nan")
    return out[cols]


def customer_list(
    con: duckdb.DuckDBPyConnection,
    base: pd.DataFrame,
    risk: pd.DataFrame | None = None,
    *,
    query: str = "",
    sort: str = "monetary",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
    search_contacts: bool = True,
) -> CustomerPage:
    """A page of the customers in ``base`` matching ``query``, sorted in SQL, LIMIT/OFFSET.

    ``base`` is ``core.metrics.base.customer_base`` (already filtered and scoped); ``risk`` the
    churn scores (customer_id, churn_risk, risk_x_value) or None. ``query`` matches customer id
    and name case-insensitively and, when ``search_contacts`` (not for users who see contacts
    masked), the phone number by its digits (≥ 3 digits typed). Ties sort by customer id;
    missing values sort last either way.
    """
    column = SORTS.get(sort)
    if column is None:
        raise ValueError(f"sort must be one of {sorted(SORTS)}")
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = max(0, int(offset))
    q = (query or "").strip().lower()
    digits = re.sub(r"\D", "", q)
    params = {"q": q, "digits": digits if len(digits) >= 3 else "", "contacts": bool(search_contacts)}
    direction = "DESC" if descending else "ASC"
    needed = ["customer_id", "name", "region", "channel", "owner", "rfm_segment", "abc_tier",
              "lifecycle_stage", "monetary", "orders_total", "last_order_date", "recency_days"]
    with _registered(con, base[needed]) as b_name, _registered(con, _risk_frame(risk)) as r_name:
        from_sql = _LIST_FROM.format(base=b_name, risk=r_name, cond=_SEARCH_COND)
        total = con.execute(f"SELECT count(*) {from_sql}", params).fetchall()[0][0]
        # column comes from SORTS and direction from a bool: no user text reaches ORDER BY
        sql = (f"{_LIST_SELECT} {from_sql} ORDER BY {column} {direction} NULLS LAST, "
               f"b.customer_id LIMIT $limit OFFSET $offset")
        rows = con.execute(sql, {**params, "limit": limit, "offset": offset}).df()
    if offset >= total > 0:
        # the filter shrank the list under the current page: show the last page instead
        return customer_list(con, base, risk, query=query, sort=sort, descending=descending,
                             limit=limit, offset=((total - 1) // limit) * limit,
                             search_contacts=search_contacts)
    return CustomerPage(rows=rows[list(LIST_COLUMNS)], total=int(total), offset=offset, limit=limit)


# --- the churn-warning list ----------------------------------------------------------------

_WARN_FROM = """
FROM {base} b
JOIN {risk} r ON r.customer_id = b.customer_id
WHERE r.churn_risk IS NOT NULL AND r.churn_risk >= $min_risk
  AND (len($segments) = 0 OR list_contains($segments, coalesce(b.rfm_segment, 'none')))
  AND (len($tiers) = 0 OR list_contains($tiers, b.abc_tier))
  AND (len($owners) = 0 OR list_contains($owners, b.owner))
  AND (len($stages) = 0 OR list_contains($stages, b.lifecycle_stage))
"""
_WARN_ROWS = """
SELECT b.customer_id, b.name, b.owner, b.region, b.rfm_segment, b.abc_tier, b.lifecycle_stage,
       r.churn_risk::DOUBLE AS churn_risk, b.monetary::DOUBLE AS monetary,
       r.risk_x_value::DOUBLE AS risk_x_value, r.churn_reasons, r.reason_codes,
       b.last_order_date, b.recency_days
{from_}
ORDER BY r.risk_x_value DESC NULLS LAST, r.churn_risk DESC, b.customer_id
LIMIT $limit
"""
_WARN_LEVELS = """
SELECT CASE WHEN r.churn_risk >= $high THEN 'high' WHEN r.churn_risk >= $medium THEN 'medium'
            ELSE 'low' END AS level,
       count(*) AS customers, coalesce(sum(b.monetary), 0)::DOUBLE AS value,
       coalesce(sum(r.risk_x_value), 0)::DOUBLE AS value_at_risk
{from_}
GROUP BY level
"""
WARNING_LIMIT = 500
LEVELS: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class WarningList:
    """The top of the ranked churn-warning list and the totals over every matching customer."""

    rows: pd.DataFrame  # at most ``limit`` customers, highest risk × value first
    total: int  # customers matching the filters
    value_at_risk: float  # Σ churn_risk × spend over all matching customers
    levels: pd.DataFrame  # level (high/medium/low), customers, value, value_at_risk


def warning_list(
    con: duckdb.DuckDBPyConnection,
    base: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    segments: tuple[str, ...] = (),
    tiers: tuple[str, ...] = (),
    owners: tuple[str, ...] = (),
    stages: tuple[str, ...] = (),
    min_risk: float = 0.0,
    limit: int = WARNING_LIMIT,
    high: float = 0.6,
    medium: float = 0.3,
) -> WarningList:
    """Customers with a churn score ranked by risk × value, filtered and limited in SQL.

    ``base`` is ``customer_base`` (already filtered and scoped), ``scores`` the churn scores
    (customer_id, churn_risk, risk_x_value, churn_reasons, reason_codes). Empty filter tuples
    mean "all"; segment ``"none"`` matches customers without a segment. Customers without a
    score (no counted order) are never listed. ``high``/``medium``: risk-level cut-offs.
    """
    limit = max(1, min(int(limit), 10_000))
    params = {"min_risk": float(min_risk), "segments": list(segments), "tiers": list(tiers),
              "owners": list(owners), "stages": list(stages)}
    needed = ["customer_id", "name", "owner", "region", "rfm_segment", "abc_tier", "lifecycle_stage",
              "monetary", "last_order_date", "recency_days"]
    risk_cols = ["customer_id", "churn_risk", "risk_x_value", "churn_reasons", "reason_codes"]
    with _registered(con, base[needed]) as b_name, _registered(con, scores[risk_cols]) as r_name:
        from_sql = _WARN_FROM.format(base=b_name, risk=r_name)
        rows = con.execute(_WARN_ROWS.format(from_=from_sql), {**params, "limit": limit}).df()
        levels = con.execute(_WARN_LEVELS.format(from_=from_sql),
                             {**params, "high": high, "medium": medium}).df()
    levels = (pd.DataFrame({"level": list(LEVELS)})
              .merge(levels, on="level", how="left")
              .fillna({"customers": 0, "value": 0.0, "value_at_risk": 0.0}))
    levels["customers"] = levels["customers"].astype(int)
    return WarningList(rows=rows, total=int(levels["customers"].sum()),
                       value_at_risk=float(levels["value_at_risk"].sum()), levels=levels)


# --- one customer's profile ----------------------------------------------------------------

_DETAILS_SQL = """
SELECT c.customer_id, c.name, c.phone, c.email, c.region, c.city, c.channel, c.owner, c.team,
       c.signup_date
FROM customers c
WHERE c.customer_id = ? AND ({where})
LIMIT 1
"""

_ORDERS_SQL = """
SELECT order_id, order_date, amount::DOUBLE AS amount, {net}::DOUBLE AS net_amount,
       lower(trim(status)) AS status, product, category, channel
FROM orders
WHERE customer_id = ? AND order_date <= ?
ORDER BY order_date DESC, order_id DESC
LIMIT ?
""".replace("{net}", NET_AMOUNT_SQL)

_ORDER_TOTALS_SQL = """
SELECT count(*) AS lines, coalesce(sum({net}), 0)::DOUBLE AS net
FROM orders WHERE customer_id = ? AND order_date <= ?
""".replace("{net}", NET_AMOUNT_SQL)

# Per month: net spend of all rows, and counted orders (net > 0 per order, dated by first row).
_SPEND_SQL = """
WITH ord AS (
    SELECT order_id, min(order_date) AS order_date, sum({net}) AS net
    FROM orders WHERE customer_id = ? AND order_date <= ?
    GROUP BY order_id
)
SELECT CAST(date_trunc('month', order_date) AS DATE) AS month,
       sum(net)::DOUBLE AS net_amount,
       count(*) FILTER (WHERE net > 0) AS orders
FROM ord GROUP BY month ORDER BY month
""".replace("{net}", NET_AMOUNT_SQL)

_SURVEYS_SQL = """
SELECT survey_date, lower(kind) AS kind, lower(scale) AS scale, score, comment, order_id, channel
FROM surveys
WHERE customer_id = ? AND survey_date <= ?
ORDER BY survey_date DESC, survey_id DESC
LIMIT ?
"""

_FOLLOWUPS_SQL = """
SELECT followup_id, due_date, action, owner, status, outcome, note, source,
       (status = 'planned' AND due_date < current_date) AS overdue,
       created_by, created_at, updated_by, updated_at, version
FROM followups
WHERE customer_id = ? AND NOT deleted
ORDER BY due_date DESC, followup_id DESC
"""

_HISTORY_SQL = """
SELECT h.changed_at, h.changed_by, h.followup_id, h.op, h.version,
       h.after->>'status' AS status, h.after->>'action' AS action,
       h.after->>'owner' AS owner, h.after->>'outcome' AS outcome, h.after->>'note' AS note
FROM followup_history h
WHERE h.followup_id IN (SELECT followup_id FROM followups WHERE customer_id = ?)
ORDER BY h.changed_at DESC, h.history_id DESC
LIMIT 200
"""


@dataclass(frozen=True)
class Profile:
    """Everything the 360 view shows about one customer, as of ``as_of``."""

    customer_id: str
    details: dict[str, Any]
    orders: pd.DataFrame  # most recent ORDER_LIMIT order rows (refund rows included)
    order_lines: int  # all order rows up to as_of
    net_spend: float  # sum of net amounts up to as_of
    spend_by_month: pd.DataFrame  # month, net_amount, orders
    surveys: pd.DataFrame
    followups: pd.DataFrame
    followup_changes: pd.DataFrame
    as_of: Any = None
    notes: list[str] = field(default_factory=list)


def customer_details(
    con: duckdb.DuckDBPyConnection, f: Filters | None, customer_id: str
) -> dict[str, Any]:
    """The customer's row (name, contacts, region, owner …) if the filters let this user see it."""
    where, params = customer_where(f, "c")
    frame = con.execute(_DETAILS_SQL.format(where=where), [customer_id, *params]).df()
    if frame.empty:
        raise NotFound(
            f"客户 {customer_id} 不存在，或不在当前筛选/权限范围内。"
            f" Customer {customer_id} does not exist or is outside the current filters."
        )
    return {k: (None if _missing(v) else v) for k, v in frame.iloc[0].to_dict().items()}


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def profile(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None, customer_id: str
) -> Profile:
    """One customer's details, orders, monthly spend, surveys and follow-ups (with changes).

    Orders and survey answers dated after ``as_of`` have not happened yet and are left out;
    follow-ups are shown whatever their date (the plan looks forward). ``NotFound`` when the
    customer is unknown or outside the filters / row scope.
    """
    details = customer_details(con, f, customer_id)
    as_of = resolve_as_of(con, s)
    orders = con.execute(_ORDERS_SQL, [customer_id, as_of, ORDER_LIMIT]).df()
    lines, net = con.execute(_ORDER_TOTALS_SQL, [customer_id, as_of]).fetchall()[0]
    spend = con.execute(_SPEND_SQL, [customer_id, as_of]).df()
    surveys = con.execute(_SURVEYS_SQL, [customer_id, as_of, SURVEY_LIMIT]).df()
    followups = con.execute(_FOLLOWUPS_SQL, [customer_id]).df()
    changes = con.execute(_HISTORY_SQL, [customer_id]).df()
    return Profile(
        customer_id=customer_id, details=details, orders=orders, order_lines=int(lines),
        net_spend=float(net), spend_by_month=spend, surveys=surveys, followups=followups,
        followup_changes=changes, as_of=as_of,
    )
