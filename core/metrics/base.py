"""The per-customer analytics table: one SQL scan of the facts, then cheap rule-based labels.

``customer_base = classify(customer_facts(...), s)``. ``customer_facts`` is the only step that
reads orders, surveys and follow-ups (one DuckDB query; cache it on data version + as_of +
window). ``classify`` applies every threshold of ``Settings`` to the facts alone, so the what-if
page can change thresholds without rescanning orders.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from core.filters import Filters, customer_where
from core.metrics import rfm
from core.metrics.common import (
    NET_AMOUNT_SQL,
    TREND_DAYS,
    bind,
    fetch_frame,
    resolve_as_of,
    restrict_to_filtered,
    window_start,
)
from core.settings import Settings

# Orders are reduced to one row per (customer, order) and then per customer in one GROUP BY,
# which also collects the distinct days with a counted order for the gap statistics (a list per
# customer is cheaper than a window over 10M rows). Everything is keyed on customer_id and
# left-joined onto the (filtered) customers table, so customers without orders stay as rows.
FACTS_SQL = """
WITH c AS (
    SELECT c.customer_id, c.name, c.region, c.channel, c.owner
    FROM customers c
    WHERE {where}
),
ord AS (
    SELECT customer_id, order_id, min(order_date) AS order_date, sum(net) AS net
    FROM (
        SELECT customer_id, order_id, order_date, {net} AS net
        FROM orders
        WHERE order_date <= $as_of::DATE {only_c}
    )
    GROUP BY customer_id, order_id
),
per_customer AS (
    -- gap statistics are finished here, so only two numbers (not a list) travel through the
    -- joins and the final sort; gaps between consecutive distinct days = the non-zero
    -- differences of the sorted order days (cheaper than de-duplicating the list first)
    SELECT * EXCLUDE (days, gaps),
        CASE WHEN len(gaps) >= 1 THEN (days[-1] - days[1]) / len(gaps) END AS mean_gap_days,
        list_median(gaps)::DOUBLE AS median_gap_days
    FROM (
        SELECT *, list_filter(list_transform(range(1, len(days)), lambda i: days[i + 1] - days[i]),
                              lambda gap: gap > 0) AS gaps
        FROM (
            SELECT
                customer_id,
                count(*) FILTER (WHERE net > 0) AS orders_total,
                count(*) FILTER (WHERE net > 0 AND ($win_start::DATE IS NULL OR order_date > $win_start::DATE))
                    AS frequency,
                sum(net) FILTER (WHERE $win_start::DATE IS NULL OR order_date > $win_start::DATE) AS monetary,
                min(order_date) FILTER (WHERE net > 0) AS first_order_date,
                max(order_date) FILTER (WHERE net > 0) AS last_order_date,
                sum(net) FILTER (WHERE order_date > $last_start::DATE) AS spend_last_90,
                sum(net) FILTER (WHERE order_date > $prev_start::DATE AND order_date <= $last_start::DATE)
                    AS spend_prev_90,
                list_sort(list(order_date) FILTER (WHERE net > 0)) AS days
            FROM ord
            GROUP BY customer_id
        )
    )
),
sv AS (
    SELECT
        customer_id,
        arg_max(score, {'d': survey_date, 'id': survey_id})
            FILTER (WHERE lower(scale) = 'nps' AND score IS NOT NULL) AS last_score_nps,
        avg(score) FILTER (WHERE lower(scale) = 'nps') AS mean_score_nps,
        arg_max(score, {'d': survey_date, 'id': survey_id})
            FILTER (WHERE lower(scale) = 'csat' AND score IS NOT NULL) AS last_csat,
        count(*) FILTER (WHERE lower(kind) = 'complaint') AS complaint_count
    FROM surveys
    WHERE survey_date <= $as_of::DATE {only_c}
    GROUP BY customer_id
),
fu AS (
    SELECT customer_id, max(due_date) AS last_followup_date
    FROM followups
    WHERE status = 'done' AND due_date <= $as_of::DATE
    GROUP BY customer_id
)
SELECT
    c.customer_id, c.name, c.region, c.channel, c.owner,
    p.first_order_date, p.last_order_date,
    $as_of::DATE - p.last_order_date AS recency_days,
    coalesce(p.frequency, 0) AS frequency,
    coalesce(p.monetary, 0)::DOUBLE AS monetary,
    coalesce(p.orders_total, 0) AS orders_total,
    $as_of::DATE - p.first_order_date AS tenure_days,
    p.mean_gap_days, p.median_gap_days,
    coalesce(p.spend_last_90, 0)::DOUBLE AS spend_last_90,
    coalesce(p.spend_prev_90, 0)::DOUBLE AS spend_prev_90,
    CASE WHEN p.spend_prev_90 > 0
         THEN (p.spend_last_90 - p.spend_prev_90)::DOUBLE / p.spend_prev_90 END AS spend_trend,
    sv.last_score_nps, sv.mean_score_nps, sv.last_csat,
    coalesce(sv.last_score_nps <= 6, false) AS is_detractor,
    coalesce(sv.complaint_count, 0) AS complaint_count,
    fu.last_followup_date,
    $as_of::DATE - fu.last_followup_date AS days_since_followup
FROM c
LEFT JOIN per_customer p USING (customer_id)
LEFT JOIN sv USING (customer_id)
LEFT JOIN fu USING (customer_id)
ORDER BY c.customer_id
""".replace("{net}", NET_AMOUNT_SQL)


def customer_facts(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    window_days: int | None = None,
    f: Filters | None = None,
) -> pd.DataFrame:
    """Per-customer facts as of ``as_of`` (the one scan of orders/surveys/follow-ups).

    One row per customer in the (filtered) customers table, ordered by customer_id. Definitions
    (see ``core.metrics.common`` for which orders count):

    * recency_days = as_of − last counted order date; tenure_days = as_of − first counted order
      date (ever, not within the window); both NULL without a counted order.
    * frequency / monetary: counted orders / net amount of all orders dated inside the window
      ``(as_of − window_days, as_of]`` (all history when None); orders_total: counted orders
      ever (used by lifecycle stages: "≥ 3 orders", "≥ loyal_orders").
    * mean/median_gap_days: gaps between consecutive *distinct days* with a counted order (two
      orders on one day are one purchase occasion, so a gap is never 0); NULL with < 2 days.
    * spend_last_90 = net in (as_of − 90, as_of]; spend_prev_90 = net in (as_of − 180, as_of − 90];
      spend_trend = (last − prev) / prev, e.g. −0.6 = "spend down 60 %"; NULL when prev ≤ 0.
    * last_score_nps / last_csat: the latest answer on that scale (ties on a date: highest
      survey_id); is_detractor: last NPS ≤ 6; complaint_count: rows of kind ``complaint``.
    * last_followup_date: latest due date of a *done* follow-up on or before as_of.

    Two helper columns hold the only sort ``classify`` would need: ``m_rank`` (ascending
    min-rank of monetary among customers with a counted order) and ``abc_share_before`` (see
    ``rfm.monetary_positions``). The frame's ``attrs["as_of"]`` and ``attrs["window_days"]``
    record the scan inputs. Orders of customer ids missing from the customers table are left
    out; ingest keeps customer ids unique (a duplicated id would give two rows).
    """
    last_start = as_of.toordinal() - TREND_DAYS
    template = restrict_to_filtered(FACTS_SQL, f)
    sql, params = bind(
        template,
        customer_where(f, "c"),
        as_of=as_of,
        win_start=window_start(as_of, window_days),
        last_start=date.fromordinal(last_start),
        prev_start=date.fromordinal(last_start - TREND_DAYS),
    )
    facts = fetch_frame(con, sql, params)
    scored = facts["recency_days"].notna().to_numpy()
    facts["m_rank"], facts["abc_share_before"] = rfm.monetary_positions(
        facts["monetary"].to_numpy(dtype=float), scored
    )
    facts.attrs["as_of"] = as_of
    facts.attrs["window_days"] = window_days
    return facts


def classify(facts: pd.DataFrame, s: Settings) -> pd.DataFrame:
    """Scores, segment, ABC tier and lifecycle stage from the facts alone (no database access).

    Uses every threshold of ``s`` except ``as_of`` and ``window_days``, which are inputs of the
    scan (``customer_facts``). Customers with a counted order are "scored"; the others get
    NULL scores, segment and tier and the stage ``potential``.
    """
    from core.metrics.lifecycle import stage_of

    out = facts.copy(deep=False)  # new columns only; the cached facts stay untouched
    scored = out["recency_days"].notna()
    recency = out["recency_days"].where(scored)
    frequency = out["frequency"].where(scored)
    monetary = out["monetary"].where(scored)
    out["r_score"] = rfm.bucket_scores(recency, s.score_buckets, higher_is_better=False)
    out["f_score"] = rfm.bucket_scores(frequency, s.score_buckets)
    out["m_score"] = rfm.scores_from_ranks(out["m_rank"].to_numpy(), s.score_buckets)
    out["rfm_segment"] = rfm.segment_codes(recency, frequency, monetary, s.rfm_compare)
    out["abc_tier"] = rfm.abc_from_share(out["abc_share_before"].to_numpy(), scored.to_numpy(), s.abc_a, s.abc_b)
    out["lifecycle_stage"] = stage_of(out, s)
    return out


def customer_base(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None
) -> pd.DataFrame:
    """The per-customer analytics table as of ``s.as_of`` (or the latest order date).

    One row per customer of the customers table within ``f`` (customers only present in
    ``orders`` are not analysed); columns of ``customer_facts`` plus r/f/m_score,
    rfm_segment, abc_tier and lifecycle_stage from ``classify``.
    """
    as_of = resolve_as_of(con, s)
    if f is None or not f.segments:
        return classify(customer_facts(con, as_of, s.window_days, f), s)
    # segments are computed over the population of the other filters, then narrowed
    whole = classify(customer_facts(con, as_of, s.window_days, f.without_segments()), s)
    return narrow_to_segments(con, s, f, whole)


def narrow_to_segments(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters, whole: pd.DataFrame
) -> pd.DataFrame:
    """Rows of ``whole`` (a per-customer frame of ``f``'s population) in ``f``'s chosen segments.

    Membership is the segment as of the reference date the filter was resolved at, so a view
    of an earlier date (e.g. "at risk now, active 30 days ago") follows the same customers.
    """
    from core import segment_scope

    if f.segment_key is None:
        same_scan = (whole.attrs.get("as_of"), whole.attrs.get("window_days")) == (resolve_as_of(con, s), s.window_days)
        f = segment_scope.resolve(con, s, f, whole if same_scan else None)
    ids = segment_scope.members(con, f)
    return whole[whole["customer_id"].isin(ids)].reset_index(drop=True)


def scored_mask(base: pd.DataFrame) -> np.ndarray:
    """Customers with at least one counted order (they have scores, a segment and a tier)."""
    return base["recency_days"].notna().to_numpy()
