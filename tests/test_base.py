"""The per-customer table: which orders count, reference date, filters, facts vs classify."""

from __future__ import annotations

import pandas as pd
import pytest

from core.filters import Filters
from core.metrics.base import classify, customer_base, customer_facts
from core.metrics.common import resolve_as_of
from core.metrics.lifecycle import STAGES
from core.settings import Settings
from tests.metrics_fixtures import Shop, d, demo_con

AS_OF = d("2024-03-01")


def row(base: pd.DataFrame, customer_id: str) -> pd.Series:
    return base.set_index("customer_id").loc[customer_id]


def test_refund_row_nets_down_its_order_and_cancelled_orders_count_zero() -> None:
    # a: o1 100 paid, o1 again "refunded" 40 (positive amount → −40): order o1 net 60, counts.
    #    o2 500 cancelled → 0, does not count.  frequency 1, monetary 60.
    # b: o3 80 paid and a return filed under its own id o4 with amount −30 (a negative row
    #    subtracts): o3 counts, o4 (net −30) does not. frequency 1, monetary 50.
    # c: o5 70 paid and o5 −70 (full refund): order net 0 → no counted order, monetary 0.
    shop = Shop().customers("a", "b", "c")
    shop.order("a", "2024-02-01", 100, order_id="o1").order("a", "2024-02-05", 40, "refunded", "o1")
    shop.order("a", "2024-02-10", 500, "cancelled", "o2")
    shop.order("b", "2024-02-01", 80, order_id="o3").order("b", "2024-02-03", -30, order_id="o4")
    shop.order("c", "2024-02-01", 70, order_id="o5").order("c", "2024-02-02", -70, order_id="o5")
    base = customer_base(shop.con, Settings(as_of=AS_OF))
    assert (row(base, "a").frequency, row(base, "a").monetary) == (1, 60.0)
    assert (row(base, "b").frequency, row(base, "b").monetary) == (1, 50.0)
    assert (row(base, "c").frequency, row(base, "c").monetary) == (0, 0.0)


def test_a_cancelled_order_does_not_make_the_last_order_date() -> None:
    # Paid 2024-01-10, cancelled 2024-02-20: last (counted) order is Jan 10 → recency 51 days
    # (21 to Jan 31, 29 in Feb 2024, 1 to Mar 1).
    shop = Shop().customer("a").order("a", "2024-01-10", 100).order("a", "2024-02-20", 100, "cancelled")
    assert row(customer_base(shop.con, Settings(as_of=AS_OF)), "a").recency_days == 51


def test_reference_date_in_the_past_ignores_later_orders_and_surveys() -> None:
    # Orders Jan 10 (100) and Jun 1 (300), NPS 9 on Feb 1 and 2 on Jul 1; as of Mar 1 only the
    # January order and the February survey exist: F 1, M 100, R 51, last NPS 9, not a detractor.
    shop = Shop().customer("a").order("a", "2024-01-10", 100).order("a", "2024-06-01", 300)
    shop.survey("a", "2024-02-01", "nps", 9).survey("a", "2024-07-01", "nps", 2)
    r = row(customer_base(shop.con, Settings(as_of=AS_OF)), "a")
    assert (r.frequency, r.monetary, r.recency_days) == (1, 100.0, 51)
    assert (r.last_score_nps, bool(r.is_detractor)) == (9, False)


def test_reference_date_defaults_to_the_latest_order_date() -> None:
    shop = Shop().customer("a").order("a", "2024-01-10", 100).order("a", "2024-06-01", 300)
    assert resolve_as_of(shop.con, Settings()) == d("2024-06-01")
    assert row(customer_base(shop.con, Settings()), "a").recency_days == 0


def test_orders_of_customers_missing_from_the_customer_file_are_ignored() -> None:
    shop = Shop().customer("a").order("a", "2024-02-01", 100).order("ghost", "2024-02-01", 900)
    base = customer_base(shop.con, Settings(as_of=AS_OF))
    assert list(base.customer_id) == ["a"]


def test_customer_without_orders_is_a_row_without_scores() -> None:
    shop = Shop().customers("a", "p").order("a", "2024-02-01", 100)
    r = row(customer_base(shop.con, Settings(as_of=AS_OF)), "p")
    assert (r.frequency, r.monetary, r.lifecycle_stage) == (0, 0.0, "potential")
    assert pd.isna(r.recency_days) and pd.isna(r.r_score) and pd.isna(r.rfm_segment) and pd.isna(r.abc_tier)


def test_filters_restrict_customers_and_the_scored_population() -> None:
    # East: e1 (1 order), e2 (2 orders); west: w1 (3 orders). Filtered to east, n = 2:
    # F min ranks 1, 2 → NTILE(5) of 2 rows → scores 1 and 2.
    shop = Shop().customers("e1", "e2", region="east").customer("w1", region="west")
    for cid, n in (("e1", 1), ("e2", 2), ("w1", 3)):
        for i in range(n):
            shop.order(cid, f"2024-02-0{i + 1}", 10)
    base = customer_base(shop.con, Settings(as_of=AS_OF), Filters(regions=("east",)))
    assert list(base.customer_id) == ["e1", "e2"]
    assert list(base.f_score) == [1, 2]


def test_empty_owner_scope_sees_no_customers() -> None:
    shop = Shop().customer("a").order("a", "2024-02-01", 100)
    assert customer_base(shop.con, Settings(as_of=AS_OF), Filters(scope_owners=())).empty


def test_gaps_are_between_distinct_order_days() -> None:
    # Orders Jan 1, Jan 1, Jan 11, Jan 31, Mar 1: distinct days Jan 1, 11, 31, Mar 1 →
    # gaps 10, 20, 30 → mean 20, median 20; tenure Jan 1 → Mar 1 = 60 days.
    shop = Shop().customer("a")
    for day in ("2024-01-01", "2024-01-01", "2024-01-11", "2024-01-31", "2024-03-01"):
        shop.order("a", day, 10)
    r = row(customer_base(shop.con, Settings(as_of=AS_OF)), "a")
    assert (r.mean_gap_days, r.median_gap_days, r.tenure_days, r.frequency) == (20.0, 20.0, 60, 5)


def test_spend_trend_compares_last_90_days_with_the_90_before() -> None:
    # as_of Mar 1 2024: last 90 days = (Dec 2, Mar 1], previous = (Sep 3, Dec 2].
    # Dec 2 (200) is in the previous window, Dec 3 (80) in the last: trend (80 − 200)/200 = −0.6.
    shop = Shop().customer("a").order("a", "2023-12-02", 200).order("a", "2023-12-03", 80)
    r = row(customer_base(shop.con, Settings(as_of=AS_OF)), "a")
    assert (r.spend_last_90, r.spend_prev_90) == (80.0, 200.0)
    assert r.spend_trend == pytest.approx(-0.6)


def test_satisfaction_and_follow_up_facts() -> None:
    # NPS 9 (Jan 5) then 4 (Feb 5): last 4 → detractor, mean 6.5; CSAT 5; two complaints;
    # done follow-up Feb 20 (planned Feb 25 does not count): 10 days before Mar 1.
    shop = Shop().customer("a").order("a", "2024-01-01", 10)
    shop.survey("a", "2024-01-05", "nps", 9).survey("a", "2024-02-05", "nps", 4)
    shop.survey("a", "2024-02-06", "csat", 5)
    shop.survey("a", "2024-02-07", None, None, "complaint").survey("a", "2024-02-08", None, None, "complaint")
    shop.followup("a", "2024-02-20").followup("a", "2024-02-25", "planned")
    r = row(customer_base(shop.con, Settings(as_of=AS_OF)), "a")
    assert (r.last_score_nps, r.mean_score_nps, r.last_csat, bool(r.is_detractor)) == (4, 6.5, 5, True)
    assert (r.complaint_count, r.days_since_followup) == (2, 10)


def test_window_limits_frequency_and_monetary_but_not_first_order() -> None:
    # Window 60 days before Mar 1 = (Jan 1, Mar 1]: the Jan 1 order is outside.
    shop = Shop().customer("a").order("a", "2024-01-01", 100).order("a", "2024-02-01", 30)
    r = row(customer_base(shop.con, Settings(as_of=AS_OF, window_days=60)), "a")
    assert (r.frequency, r.monetary, r.orders_total, r.tenure_days) == (1, 30.0, 2, 60)


def test_threshold_change_through_classify_equals_full_recompute() -> None:
    shop = Shop().customers("a", "b", "c", "d", "p")
    for cid, days, amount in (
        ("a", ["2024-01-01", "2024-01-20", "2024-02-10", "2024-02-28"], 50),
        ("b", ["2023-10-01", "2023-11-01"], 300),
        ("c", ["2023-05-01"], 20),
        ("d", ["2024-02-15"], 90),
    ):
        for day in days:
            shop.order(cid, day, amount)
    facts = customer_facts(shop.con, AS_OF)
    changed = Settings(as_of=AS_OF, risk_days=30, churn_days=100, abc_a=0.5, rfm_compare="median")
    pd.testing.assert_frame_equal(classify(facts, changed), customer_base(shop.con, changed))


def test_classify_leaves_the_cached_facts_untouched() -> None:
    # The what-if page keeps one facts frame and classifies it again and again.
    shop = Shop().customers("a", "b").order("a", "2024-02-01", 100)
    facts = customer_facts(shop.con, AS_OF)
    before = facts.copy()
    classify(facts, Settings(as_of=AS_OF, abc_a=0.5))
    pd.testing.assert_frame_equal(facts, before)


# --- properties on the seeded demo company -------------------------------------------------


def test_demo_every_customer_has_exactly_one_row_and_one_stage() -> None:
    con = demo_con()
    base = customer_base(con, Settings())
    n_customers = con.execute("SELECT count(DISTINCT customer_id) FROM customers").fetchall()[0][0]
    assert len(base) == base["customer_id"].nunique() == n_customers
    assert base["lifecycle_stage"].isin(STAGES).all()


def test_demo_table_matches_an_independent_pandas_computation() -> None:
    # The benchmark's plain-pandas implementation of METRICS.md, column by column.
    from benchmarks.bench_analytics import compare, load_frames, pandas_customer_base

    con = demo_con()
    s = Settings()
    reference = pandas_customer_base(*load_frames(con), resolve_as_of(con, s), s)
    check = compare(customer_base(con, s), reference)
    assert check["all_equal"], check["differing_by_column"]

