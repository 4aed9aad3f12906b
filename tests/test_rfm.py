"""RFM scores with ties, the eight segments, and ABC tiers (METRICS.md "RFM", "ABC value tiers")."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from core.metrics.base import customer_base
from core.metrics.rfm import SEGMENTS, bucket_scores, min_ranks, monetary_positions
from core.settings import Settings
from tests.metrics_fixtures import Shop, d, days_before, demo_con

AS_OF = "2024-12-31"
S = Settings(as_of=d(AS_OF))


def by_id(base: pd.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(base["customer_id"], base[column], strict=True))


def test_min_ranks_give_ties_their_lowest_rank() -> None:
    # values 5, 1, 5, 3 → ascending order 1 (rank 1), 3 (rank 2), 5, 5 (both rank 3)
    assert min_ranks(np.array([5.0, 1.0, 5.0, 3.0])).tolist() == [3, 1, 3, 2]
    assert min_ranks(np.array([2.5, 0.5, 2.5])).tolist() == [2, 1, 2]  # the sorting path


def test_frequency_scores_by_quintile_never_split_ties() -> None:
    # n = 10, values 1,1,1,2,3,4,5,6,7,8 → min ranks 1,1,1,4,5,6,7,8,9,10
    # NTILE(5) of 10 positions = 2 per bucket: positions 1–2 → 1, 3–4 → 2, 5–6 → 3, 7–8 → 4,
    # 9–10 → 5; so rank 1 → 1, 4 → 2, 5 → 3, 6 → 3, 7 → 4, 8 → 4, 9 → 5, 10 → 5.
    # The three tied 1s all score 1.
    values = pd.Series([1, 1, 1, 2, 3, 4, 5, 6, 7, 8], dtype=float)
    assert bucket_scores(values, 5).tolist() == [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]


def test_scores_follow_ntile_bucket_sizes_when_n_is_not_a_multiple_of_five() -> None:
    # n = 7 → NTILE(5) buckets of 2, 2, 1, 1, 1 positions: values 1..7 → 1,1,2,2,3,4,5.
    # n = 2 → one position per bucket: 1, 2 (the best of two customers scores 2, not 5).
    assert bucket_scores(pd.Series(range(1, 8), dtype=float)).tolist() == [1, 1, 2, 2, 3, 4, 5]
    assert bucket_scores(pd.Series([10.0, 20.0])).tolist() == [1, 2]


def test_recency_scores_are_reversed_with_ties_sharing_a_score() -> None:
    # Five one-order customers with recency 0, 10, 10, 30, 50 days (n = 5).
    # Ranked by recency descending: 50 → 1, 30 → 2, 10 and 10 → 3 (tie, lowest rank), 0 → 5.
    # NTILE(5) of 5 positions: score = position = rank → R scores 5, 3, 3, 2, 1.
    shop = Shop()
    for cid, recency in (("a", 0), ("b", 10), ("c", 10), ("d", 30), ("e", 50)):
        shop.customer(cid).order(cid, days_before(AS_OF, recency), 100)
    assert by_id(customer_base(shop.con, S), "r_score") == {"a": 5, "b": 3, "c": 3, "d": 2, "e": 1}


def test_monetary_scores_through_the_table_keep_ties_together() -> None:
    # M = 100, 200, 200, 200, 900 → ascending min ranks 1, 2, 2, 2, 5 → scores 1, 2, 2, 2, 5.
    shop = Shop()
    for cid, amount in (("a", 100), ("b", 200), ("c", 200), ("d", 200), ("e", 900)):
        shop.customer(cid).order(cid, AS_OF, amount)
    assert by_id(customer_base(shop.con, S), "m_score") == {"a": 1, "b": 2, "c": 2, "d": 2, "e": 5}


def test_monetary_ranks_and_abc_shares_come_from_one_sort() -> None:
    # M = 5, 3, 3, 1 (all scored): ascending min ranks 4, 2, 2, 1; total 12, starts before
    # each customer in M-descending order (ties by position): 0, 5/12, 8/12, 11/12.
    m_rank, share = monetary_positions(np.array([5.0, 3.0, 3.0, 1.0]), np.ones(4, dtype=bool))
    assert m_rank.tolist() == [4, 2, 2, 1]
    assert np.allclose(share, [0, 5 / 12, 8 / 12, 11 / 12])


def eight_segment_shop() -> Shop:
    """One customer per R/F/M combination; means: recency 55, frequency 2.5, monetary 550.

    R high = 10 days (< 55), low = 100; F high = 4 orders (> 2.5), low = 1; M high = 1000
    (> 550), low = 100. Orders of a 4-order customer are 1 day apart, the last at its recency.
    """
    shop = Shop()
    for r_high in (True, False):
        for f_high in (True, False):
            for m_high in (True, False):
                cid = "".join(("R" if r_high else "r", "F" if f_high else "f", "M" if m_high else "m"))
                shop.customer(cid)
                n_orders, total = (4 if f_high else 1), (1000 if m_high else 100)
                last = days_before(AS_OF, 10 if r_high else 100)
                for i in range(n_orders):
                    shop.order(cid, last - timedelta(days=i), total / n_orders)
    return shop


def test_each_of_the_eight_segments() -> None:
    segments = by_id(customer_base(eight_segment_shop().con, S), "rfm_segment")
    assert segments == {
        "RFM": "champions",
        "RfM": "important_develop",
        "rFM": "important_keep",
        "rfM": "important_win_back",
        "RFm": "general_value",
        "Rfm": "general_develop",
        "rFm": "general_keep",
        "rfm": "general_win_back",
    }


def test_median_comparison_point_changes_who_is_high() -> None:
    # All four bought once on the same day (R and F equal → both "low"). M = 100, 200, 300, 10000:
    # mean 2650 → only d is M-high; median 250 → c and d are M-high.
    shop = Shop()
    for cid, amount in (("a", 100), ("b", 200), ("c", 300), ("d", 10000)):
        shop.customer(cid).order(cid, AS_OF, amount)
    by_mean = by_id(customer_base(shop.con, S), "rfm_segment")
    by_median = by_id(customer_base(shop.con, S.with_(rfm_compare="median")), "rfm_segment")
    assert by_mean["c"] == "general_win_back" and by_mean["d"] == "important_win_back"
    assert by_median["c"] == "important_win_back" and by_median["b"] == "general_win_back"


def abc_shop() -> Shop:
    # M = 60, 25, 8, 5, 2 (total positive 100) and z: a 50 order plus a −80 return under its
    # own id → one counted order, M = −30.
    shop = Shop()
    for cid, amount in (("a", 60), ("b", 25), ("c", 8), ("d", 5), ("e", 2)):
        shop.customer(cid).order(cid, AS_OF, amount)
    shop.customer("z").order("z", AS_OF, 50).order("z", AS_OF, -80)
    return shop


def test_abc_crossing_customer_keeps_the_tier_it_starts_in() -> None:
    # Cumulative share before each customer: a 0, b 0.60, c 0.85, d 0.93, e 0.98.
    # b starts below 0.70 and crosses it (to 0.85) → A; c starts below 0.90, crosses → B;
    # d and e start above 0.90 → C; z has M ≤ 0 → C.
    tiers = by_id(customer_base(abc_shop().con, S), "abc_tier")
    assert tiers == {"a": "A", "b": "A", "c": "B", "d": "C", "e": "C", "z": "C"}


def test_abc_customer_starting_exactly_at_the_cut_off_is_in_the_next_tier() -> None:
    # With abc_a = 0.60: b starts at exactly 0.60 → the A share is already reached → B.
    tiers = by_id(customer_base(abc_shop().con, S.with_(abc_a=0.60)), "abc_tier")
    assert (tiers["a"], tiers["b"]) == ("A", "B")


def test_customer_with_only_a_cancelled_order_has_no_segment_or_tier() -> None:
    shop = Shop().customer("a").order("a", AS_OF, 100).customer("x").order("x", AS_OF, 500, "cancelled")
    base = customer_base(shop.con, S).set_index("customer_id")
    assert pd.isna(base.loc["x", "rfm_segment"]) and pd.isna(base.loc["x", "abc_tier"])
    assert base.loc["a", "rfm_segment"] == "general_win_back"  # alone: equal to every mean → all low


# --- properties on the seeded demo company -------------------------------------------------


def test_demo_every_ordered_customer_in_exactly_one_segment_and_tier() -> None:
    base = customer_base(demo_con(), Settings())
    ordered = base["orders_total"] > 0
    assert base.loc[ordered, "rfm_segment"].isin(SEGMENTS).all()
    assert base.loc[ordered, "abc_tier"].isin(["A", "B", "C"]).all()
    assert base.loc[~ordered, "rfm_segment"].isna().all() and base.loc[~ordered, "abc_tier"].isna().all()


def test_demo_scores_stay_within_one_to_five_and_ties_share_scores() -> None:
    base = customer_base(demo_con(), Settings())
    scored = base[base["orders_total"] > 0]
    for value, score in (("recency_days", "r_score"), ("frequency", "f_score"), ("monetary", "m_score")):
        assert scored[score].between(1, 5).all()
        assert (scored.groupby(value)[score].nunique() == 1).all()  # equal behaviour, equal score
