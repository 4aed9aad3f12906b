"""Lifecycle stages, funnel, cohorts, month-end stages, transitions and churn rate
(METRICS.md "Lifecycle stages" and "Churn")."""

from __future__ import annotations

from datetime import date

import pytest

from core import segment_scope
from core.errors import KehuError
from core.filters import Filters
from core.metrics import lifecycle
from core.metrics.base import customer_base
from core.settings import Settings
from tests.metrics_fixtures import Shop, d, days_before, demo_con

AS_OF = "2024-12-31"
S = Settings(as_of=d(AS_OF))  # churn 180, risk 90, new 90, cycle 2.0, loyal 5 orders


def shop_with_whale() -> Shop:
    """A customer worth 2,000,000 (orders 120 and 10 days ago): tier A, stage loyal via tier A.
    Everyone else in these tests spends ≤ 1,000, so they start after 70 % of revenue: not A."""
    shop = Shop().customer("whale")
    shop.order("whale", days_before(AS_OF, 120), 1_000_000).order("whale", days_before(AS_OF, 10), 1_000_000)
    return shop


def order_days(shop: Shop, cid: str, *days_ago: int, amount: float = 100) -> Shop:
    shop.customer(cid)
    for n in days_ago:
        shop.order(cid, days_before(AS_OF, n), amount)
    return shop


def stages(shop: Shop, s: Settings = S) -> dict[str, str]:
    base = customer_base(shop.con, s)
    return dict(zip(base["customer_id"], base["lifecycle_stage"], strict=True))


def test_potential_means_no_counted_order() -> None:
    shop = shop_with_whale().customer("p").customer("x").order("x", AS_OF, 50, "cancelled")
    got = stages(shop)
    assert (got["p"], got["x"]) == ("potential", "potential")


def test_churned_after_more_than_churn_days() -> None:
    # recency 181 > 180 → churned; recency 180 is not "more than" → at_risk (180 > 90).
    shop = order_days(order_days(shop_with_whale(), "c181", 300, 181), "c180", 300, 180)
    got = stages(shop)
    assert (got["c181"], got["c180"]) == ("churned", "at_risk")


def test_at_risk_after_more_than_risk_days() -> None:
    # recency 91 → at_risk. recency 90 is not more than 90; its first order was 300 days ago (not
    # new) and it has 2 orders and is not tier A (not loyal) → active.
    shop = order_days(order_days(shop_with_whale(), "r91", 300, 91), "r90", 300, 90)
    got = stages(shop)
    assert (got["r91"], got["r90"]) == ("at_risk", "active")


def test_cycle_rule_with_three_orders_flags_a_late_regular() -> None:
    # Orders 45, 35, 25 days ago: gaps 10, 10 → median 10; recency 25 > 2.0 × 10 → at_risk
    # (although 25 ≤ 90 days and the first order is only 45 days ago, which would make it new).
    shop = order_days(shop_with_whale(), "late", 45, 35, 25)
    assert stages(shop)["late"] == "at_risk"


def test_cycle_rule_needs_three_orders() -> None:
    # Orders 35 and 25 days ago: gap 10, recency 25 > 20 but only 2 orders → rule off → new.
    shop = order_days(shop_with_whale(), "two", 35, 25)
    assert stages(shop)["two"] == "new"


def test_cycle_rule_spares_a_regular_within_its_rhythm() -> None:
    # Orders 35, 25, 15 days ago: median gap 10, recency 15 ≤ 20 → not at risk → new (first 35 days ago).
    shop = order_days(shop_with_whale(), "on_time", 35, 25, 15)
    assert stages(shop)["on_time"] == "new"


def test_cycle_factor_is_a_setting() -> None:
    # Same late regular (recency 25, median gap 10) with cycle_factor 3.0: 25 ≤ 30 → new.
    shop = order_days(shop_with_whale(), "late", 45, 35, 25)
    assert stages(shop, S.with_(cycle_factor=3.0))["late"] == "new"


def test_new_means_first_order_ever_not_first_in_window() -> None:
    # "old": first order 400 days ago, again 10 days ago. With a 60-day analysis window its
    # first order *inside the window* is 10 days ago, but it is not new: first ever is 400 days
    # ago → active. "fresh": first order ever 30 days ago → new.
    shop = order_days(order_days(shop_with_whale(), "old", 400, 10), "fresh", 30)
    got = stages(shop, S.with_(window_days=60))
    assert (got["old"], got["fresh"]) == ("active", "new")


def test_loyal_by_number_of_orders() -> None:
    # 5 orders 160, 120, 80, 40, 0 days ago (median gap 40, recency 0, tenure 160) → loyal;
    # the same with 4 orders (120 … 0) → active.
    shop = order_days(order_days(shop_with_whale(), "five", 160, 120, 80, 40, 0), "four", 120, 80, 40, 0)
    got = stages(shop)
    assert (got["five"], got["four"]) == ("loyal", "active")


def test_loyal_by_abc_tier_a() -> None:
    # The whale has 2 orders (120 and 10 days ago): not new (tenure 120), not at risk; tier A → loyal.
    shop = order_days(shop_with_whale(), "small", 300, 10)
    got = stages(shop)
    assert (got["whale"], got["small"]) == ("loyal", "active")


def test_stage_counts_list_all_six_stages() -> None:
    # whale loyal, p potential, c churned (200 days) → the other three stages are 0.
    shop = order_days(shop_with_whale().customer("p"), "c", 200)
    counts = lifecycle.stage_counts(shop.con, S).set_index("stage")["customers"].to_dict()
    assert counts == {"potential": 1, "new": 0, "active": 0, "loyal": 1, "at_risk": 0, "churned": 1}


def test_funnel_steps_and_drop_off() -> None:
    # p: no order; o1: 1 order; o2: 2 orders; l5: 5 orders; whale: 2 orders, tier A.
    # all 5 → ordered once 4 (drop 20 %) → twice 3 (o2, l5, whale; drop 25 %) →
    # loyal 2 (l5 by orders, whale by tier A; drop 1/3).
    shop = shop_with_whale().customer("p")
    order_days(shop, "o1", 5)
    order_days(shop, "o2", 20, 5)
    order_days(shop, "l5", 50, 40, 30, 20, 10)
    f = lifecycle.funnel(shop.con, S).set_index("step")
    assert f["customers"].tolist() == [5, 4, 3, 2]
    assert f["drop_off"].tolist()[1:] == pytest.approx([0.2, 0.25, 1 / 3])
    assert f.loc["loyal", "share_of_all"] == pytest.approx(0.4)


def cohort_shop() -> Shop:
    # Jan 2024 cohort: a (Jan 100, Feb 50, Mar 100), b (Jan 300, Feb 70 cancelled, Mar 100).
    # Feb 2024 cohort: c (Feb 80, Mar 40). Dec 2023 cohort: d (outside a 3-month view).
    shop = Shop().customers("a", "b", "c", "d")
    shop.order("a", "2024-01-05", 100).order("a", "2024-02-05", 50).order("a", "2024-03-05", 100)
    shop.order("b", "2024-01-20", 300).order("b", "2024-02-20", 70, "cancelled").order("b", "2024-03-20", 100)
    shop.order("c", "2024-02-10", 80).order("c", "2024-03-10", 40)
    shop.order("d", "2023-12-10", 10).order("d", "2024-03-01", 10)
    return shop


def test_cohort_customer_retention_cells() -> None:
    # Jan cohort (2): k0 2/2 = 1, k1 only a (b's Feb order was cancelled) = 0.5, k2 a and b = 1.
    # Feb cohort (1): k0 1, k1 1; its k2 (April) is after as_of (Mar 31) → not returned.
    cells = lifecycle.cohort_retention(cohort_shop().con, Settings(as_of=d("2024-03-31")), months=3)
    got = {(c.cohort.date().isoformat(), c.month_offset): c.value for c in cells.itertuples()}
    assert got == {("2024-01-01", 0): 1.0, ("2024-01-01", 1): 0.5, ("2024-01-01", 2): 1.0,
                   ("2024-02-01", 0): 1.0, ("2024-02-01", 1): 1.0}


def test_cohort_revenue_retention_is_relative_to_month_zero() -> None:
    # Jan cohort month-0 revenue 100 + 300 = 400; month 1: 50 → 0.125; month 2: 200 → 0.5.
    # Feb cohort: 80, then 40 → 0.5.
    cells = lifecycle.cohort_retention(
        cohort_shop().con, Settings(as_of=d("2024-03-31")), measure="revenue", months=3
    )
    assert cells["value"].tolist() == pytest.approx([1.0, 0.125, 0.5, 1.0, 0.5])


def test_cohorts_ignore_orders_after_the_reference_date() -> None:
    # as_of Feb 15 2024, 3 months → cohorts Dec 2023 … Feb 2024. Dec: d (its Mar 1 order has
    # not happened) → k1 0, k2 0. Jan: a, b → k1 only a's Feb 5 order (b's Feb 20 is later) = 0.5.
    # Feb: c → k0 1.
    cells = lifecycle.cohort_retention(cohort_shop().con, Settings(as_of=d("2024-02-15")), months=3)
    got = {(c.cohort.date().isoformat(), c.month_offset): c.value for c in cells.itertuples()}
    assert got == {("2023-12-01", 0): 1.0, ("2023-12-01", 1): 0.0, ("2023-12-01", 2): 0.0,
                   ("2024-01-01", 0): 1.0, ("2024-01-01", 1): 0.5, ("2024-02-01", 0): 1.0}


def test_filters_restrict_history_views() -> None:
    # Only the west: c and d; c is the only first order in Feb → one cohort row at k0 (as_of Feb 29).
    shop = Shop().customers("a", "b", region="east").customers("c", "d", region="west")
    shop.order("a", "2024-02-01", 10).order("c", "2024-02-03", 10)
    s = Settings(as_of=d("2024-02-29"))
    cells = lifecycle.cohort_retention(shop.con, s, Filters(regions=("west",)), months=1)
    assert (cells["cohort_size"].tolist(), cells["customers"].tolist()) == ([1], [1])
    history = lifecycle.stages_at_month_ends(shop.con, s, Filters(regions=("west",)), months=1)
    assert history.set_index("stage")["customers"][["new", "potential"]].tolist() == [1, 1]


def test_history_views_ignore_orders_of_unknown_customers() -> None:
    # "ghost" is not in the customer file: only a counts, in the cohort and at every month end.
    shop = Shop().customer("a").order("a", "2024-02-01", 10).order("ghost", "2024-02-02", 99)
    s = Settings(as_of=d("2024-02-29"))
    assert lifecycle.cohort_retention(shop.con, s, months=1)["cohort_size"].tolist() == [1]
    history = lifecycle.stages_at_month_ends(shop.con, s, months=2)
    assert history.groupby("month_end")["customers"].sum().tolist() == [1, 1]


def transition_shop() -> Shop:
    # as_of 2024-03-31. a: first and only order 2023-12-20 (100) → Jan 31: new (42 days);
    # Mar 31: at_risk (102 days). b: first order 2024-02-15 (300) → Jan 31: potential;
    # Mar 31: new. p: never orders → potential both times.
    shop = Shop().customers("a", "b", "p")
    return shop.order("a", "2023-12-20", 100).order("b", "2024-02-15", 300)


def test_transition_matrix_between_two_month_ends() -> None:
    m = lifecycle.transitions(
        transition_shop().con, Settings(as_of=d("2024-03-31")),
        from_month=date(2024, 1, 1), to_month=date(2024, 3, 1),
    )
    nonzero = {(r.from_stage, r.to_stage): r.customers for r in m.itertuples() if r.customers}
    assert nonzero == {("new", "at_risk"): 1, ("potential", "new"): 1, ("potential", "potential"): 1}
    assert len(m) == 42  # joined + six stages → six stages
    assert m["from_stage"].drop_duplicates().tolist() == list(lifecycle.FROM_STAGES)


def test_movers_are_the_customers_who_changed_stage_by_value() -> None:
    moved = lifecycle.movers(
        transition_shop().con, Settings(as_of=d("2024-03-31")),
        from_month=date(2024, 1, 1), to_month=date(2024, 3, 1),
    )
    assert moved["customer_id"].tolist() == ["b", "a"]  # 300 before 100; p did not move
    assert moved["total"].tolist() == [2, 2]


def test_stages_at_month_ends_count_each_month() -> None:
    # Jan 31: a new, b and p potential. Feb 29: a new (71 days), b new, p potential.
    counts = lifecycle.stages_at_month_ends(transition_shop().con, Settings(as_of=d("2024-03-31")), months=3)
    table = counts[counts.customers > 0].set_index(["month_end", "stage"])["customers"].to_dict()
    assert table[(date(2024, 1, 31), "new")] == 1 and table[(date(2024, 1, 31), "potential")] == 2
    assert table[(date(2024, 2, 29), "new")] == 2 and table[(date(2024, 3, 31), "at_risk")] == 1


def test_last_month_end_point_equals_the_current_stage_counts() -> None:
    shop = cohort_shop()
    s = Settings(as_of=d("2024-03-20"))
    history = lifecycle.stages_at_month_ends(shop.con, s, months=2)
    last = history[history.month_end == d("2024-03-20")].set_index("stage")["customers"]
    now = lifecycle.stage_counts(shop.con, s).set_index("stage")["customers"]
    assert last.to_dict() == now.to_dict()


def test_churn_rate_per_month() -> None:
    # as_of Mar 31 2024, churn_days 180. Last orders: a 2023-08-20, b 2023-10-01,
    # c 2023-09-01 and 2024-02-10, d 2023-01-01.
    # Feb (Jan 31 → Feb 29): active at Jan 31 = a (164 days), b (122), c (152); d is 395.
    #   At Feb 29 a is 193 > 180 → churned; b 151, c 19 → rate 1/3.
    # Mar (Feb 29 → Mar 31): active = b (151), c (19); at Mar 31 b is 182 → churned → 1/2.
    shop = Shop().customers("a", "b", "c", "d")
    shop.order("a", "2023-08-20", 10).order("b", "2023-10-01", 10)
    shop.order("c", "2023-09-01", 10).order("c", "2024-02-10", 10).order("d", "2023-01-01", 10)
    rates = lifecycle.churn_rate_by_month(shop.con, Settings(as_of=d("2024-03-31")), months=2)
    assert rates["month_end"].tolist() == [date(2024, 2, 29), date(2024, 3, 31)]
    assert rates["active_start"].tolist() == [3, 2] and rates["churned"].tolist() == [1, 1]
    assert rates["churn_rate"].tolist() == pytest.approx([1 / 3, 1 / 2])


# --- a date range: explicit month ends, the month before the first, cohorts of the range ----


def range_shop() -> Shop:
    """as_of 2024-06-30; the range is Feb–Apr 2024 (month ends Feb 29, Mar 31, Apr 30).

    a: one order 2023-12-20 (100). b: first order 2024-03-15 (300). c: 2023-06-01 and
    2023-07-01 (50 each), again 2024-05-10 (after the range). d: 2023-10-01, 2024-01-15,
    2024-03-20 (10 each). late: first order 2024-04-10 (10). p: never orders.
    """
    shop = Shop().customers("a", "b", "c", "d", "late", "p")
    shop.order("a", "2023-12-20", 100).order("b", "2024-03-15", 300)
    shop.order("c", "2023-06-01", 50).order("c", "2023-07-01", 50).order("c", "2024-05-10", 50)
    shop.order("d", "2023-10-01", 10).order("d", "2024-01-15", 10).order("d", "2024-03-20", 10)
    return shop.order("late", "2024-04-10", 10)


RANGE_ENDS = [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_stages_at_the_month_ends_of_a_range() -> None:
    # Feb 29: a new (recency = tenure = 71 ≤ 90); c churned (243 days; its May order has not
    #   happened yet); d active (2 orders, recency 45, tenure 151, tier C: 20 of 220 starts at
    #   91 %); b, late, p potential.
    # Mar 31: a at_risk (102 > 90); b new (16); c churned; d active (3 orders, recency 11 ≤ 2 ×
    #   median gap 85.5; tier C: starts at 500 of 530); late, p potential.
    # Apr 30: a at_risk (132); b new (46), late new (20); c churned; d active (41); p potential.
    counts = lifecycle.stages_at_month_ends(range_shop().con, Settings(as_of=d("2024-06-30")), ends=RANGE_ENDS)
    got = {end: dict(zip(part["stage"], part["customers"], strict=True)) for end, part in counts.groupby("month_end")}
    zero = dict.fromkeys(lifecycle.STAGES, 0)
    assert list(got) == RANGE_ENDS and len(counts) == 18
    assert got[date(2024, 2, 29)] == {**zero, "new": 1, "churned": 1, "active": 1, "potential": 3}
    assert got[date(2024, 3, 31)] == {**zero, "new": 1, "at_risk": 1, "churned": 1, "active": 1, "potential": 2}
    assert got[date(2024, 4, 30)] == {**zero, "new": 2, "at_risk": 1, "churned": 1, "active": 1, "potential": 1}


def test_stage_history_is_the_stage_counts_and_churn_rates_of_the_same_month_ends() -> None:
    con, s = range_shop().con, Settings(as_of=d("2024-06-30"))
    both = lifecycle.stage_history(con, s, ends=RANGE_ENDS)
    assert both.stages.equals(lifecycle.stages_at_month_ends(con, s, ends=RANGE_ENDS))
    assert both.churn.equals(lifecycle.churn_rate_by_month(con, s, ends=RANGE_ENDS))
    # active at the month start (churn_days 180): Jan 31 a (42 days), d (16), not c (214);
    # Feb 29 a, d again; Mar 31 a, b, d. Nobody active lapses past 180 days by Apr 30.
    assert both.churn["active_start"].tolist() == [2, 2, 3] and both.churn["churned"].sum() == 0


def churn_shop() -> Shop:
    # Last orders: a 2023-08-20, b 2023-10-01, c 2023-09-01 and 2024-02-10, d 2023-01-01.
    shop = Shop().customers("a", "b", "c", "d")
    shop.order("a", "2023-08-20", 10).order("b", "2023-10-01", 10)
    return shop.order("c", "2023-09-01", 10).order("c", "2024-02-10", 10).order("d", "2023-01-01", 10)


def test_churn_rate_of_the_first_month_of_a_range_starts_at_the_month_end_before_it() -> None:
    # A range of February only: its month starts at Jan 31, which is not one of the range's
    # month ends but is read too. Active at Jan 31: a (164 days), b (122), c (152); d is 395.
    # At Feb 29 a is 193 > 180 → churned; b 151, c 19 → 1/3 (as in test_churn_rate_per_month).
    rates = lifecycle.churn_rate_by_month(churn_shop().con, Settings(as_of=d("2024-03-31")), ends=[date(2024, 2, 29)])
    assert rates.to_dict("records") == [
        {"month_end": date(2024, 2, 29), "active_start": 3, "churned": 1, "churn_rate": pytest.approx(1 / 3)}
    ]


def test_churn_rate_with_churn_days_shorter_than_a_month() -> None:
    # churn_days 20, March 2024 (Feb 29 → Mar 31). Active at Feb 29 (last order ≤ 20 days):
    # e (Feb 20, 9 days), g (Feb 20, 9 days), m (Feb 25, 4 days); k (Jan 1, 59) is not.
    # At Mar 31: e 40 days → churned; g ordered Mar 5 but is 26 days quiet again → churned;
    # m ordered Mar 25 (6) → not. h's first order is Mar 5 (26 days quiet at Mar 31) but it
    # was not active at Feb 29 → not counted. Rate 2/3.
    shop = Shop().customers("e", "g", "m", "k", "h")
    shop.order("e", "2024-02-20", 10).order("g", "2024-02-20", 10).order("g", "2024-03-05", 10)
    shop.order("m", "2024-02-25", 10).order("m", "2024-03-25", 10).order("k", "2024-01-01", 10)
    shop.order("h", "2024-03-05", 10)
    s = Settings(as_of=d("2024-03-31"), churn_days=20, risk_days=10)
    rates = lifecycle.churn_rate_by_month(shop.con, s, ends=[date(2024, 3, 31)])
    assert (rates["active_start"].tolist(), rates["churned"].tolist()) == ([3], [2])


def test_cohorts_of_a_range_start_in_it_and_stop_at_its_end() -> None:
    # Range 2024-01-15 … 2024-02-29 touches January and February: cohorts Jan (a, b) and
    # Feb (c); d's Dec 2023 cohort is outside although d orders inside the range. Cells stop
    # at February although as_of is Mar 31: Jan k0 1, k1 only a (b's Feb order cancelled) 0.5;
    # Feb k0 1. Revenue: Jan 400 then 50 → 0.125.
    con, s = cohort_shop().con, Settings(as_of=d("2024-03-31"))
    cells = lifecycle.cohort_retention(con, s, start=date(2024, 1, 15), end=date(2024, 2, 29))
    got = {(c.cohort.date().isoformat(), c.month_offset): (c.cohort_size, c.value) for c in cells.itertuples()}
    assert got == {("2024-01-01", 0): (2, 1.0), ("2024-01-01", 1): (2, 0.5), ("2024-02-01", 0): (1, 1.0)}
    revenue = lifecycle.cohort_retention(con, s, measure="revenue", start=date(2024, 1, 15), end=date(2024, 2, 29))
    assert revenue["value"].tolist() == pytest.approx([1.0, 0.125, 1.0])


def test_cohorts_of_a_range_ignore_orders_after_its_end() -> None:
    # Range Feb 2024 with as_of Mar 31: d's first order is Dec 2023 (not a Feb cohort); c's
    # March order (40) lies after the range: the Feb cohort is c alone with one cell.
    cells = lifecycle.cohort_retention(cohort_shop().con, Settings(as_of=d("2024-03-31")), measure="revenue",
                                       start=date(2024, 2, 1), end=date(2024, 2, 29))
    assert cells[["month_offset", "cohort_size", "revenue"]].values.tolist() == [[0, 1, 80.0]]


# --- properties on the seeded demo company -------------------------------------------------


def test_demo_stage_counts_add_up_and_match_the_last_month_end() -> None:
    con = demo_con()
    now = lifecycle.stage_counts(con, Settings()).set_index("stage")["customers"]
    assert now.sum() == con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
    history = lifecycle.stages_at_month_ends(con, Settings(), months=3)
    last = history[history.month_end == history.month_end.max()].set_index("stage")["customers"]
    assert last.to_dict() == now.to_dict()


def test_demo_funnel_never_grows() -> None:
    steps = lifecycle.funnel(demo_con(), Settings())["customers"]
    assert steps.is_monotonic_decreasing


def test_history_views_of_an_empty_database_are_zero_rows_of_the_grid_not_errors() -> None:
    # No customers, no orders: as_of falls back to today; 3 month ends × 6 stages of zeros.
    con = Shop().con
    counts = lifecycle.stages_at_month_ends(con, Settings(), months=3)
    assert len(counts) == 18 and counts["customers"].sum() == 0
    rates = lifecycle.churn_rate_by_month(con, Settings(), months=3)
    assert rates["active_start"].tolist() == [0, 0, 0] and rates["churn_rate"].isna().all()


# --- the customer file grows: nobody has a stage before they are in it ----------------------


def signup(shop: Shop, **days: str | None) -> Shop:
    """Set signup dates (``Shop.customer`` leaves them NULL = unknown, always in the file)."""
    for cid, day in days.items():
        shop.con.execute("UPDATE customers SET signup_date = ?::DATE WHERE customer_id = ?", [day, cid])
    return shop


def signup_shop() -> Shop:
    """as_of 2024-06-30; month ends Jan 31, Mar 31, May 31 (and as_of itself).

    whale (signed up 2023-01-01): 1,000,000 on 2023-06-01, 2024-01-20, 03-20, 05-20: tier A,
      never quiet for long → loyal at every date (the others spend ≤ 100: never A).
    buyer (2023-01-01): one order 2024-01-10 → new at Jan 31 (21 days) and Mar 31 (81),
      at_risk at May 31 (142) and Jun 30 (172).
    old (2023-06-01) and unk (no signup date): never order → potential at every date.
    feb (2024-02-15): never orders → not in the file at Jan 31; potential from Mar 31.
    apr (2024-04-10): orders 2024-04-20 → in the file from Apr 10: new at May 31 (41), Jun 30 (71).
    early (signup 2024-05-01, but ordered 2024-03-05): in the file from its order (the data beats
      a late signup date) → new at Mar 31 (26) and May 31 (87); at_risk at Jun 30 (117).
    cancel (2024-04-01): a cancelled order 2024-03-01 does not count → not in the file at Mar 31
      although it has an order row; potential at May 31.
    future (2024-07-15, after as_of): never orders → in no stage at any date, as_of included.
    """
    shop = Shop().customers("whale", "buyer", "old", "apr", "cancel", "future")
    shop.customers("unk", "feb", "early", region="west")
    for day in ("2023-06-01", "2024-01-20", "2024-03-20", "2024-05-20"):
        shop.order("whale", day, 1_000_000)
    shop.order("buyer", "2024-01-10", 100).order("apr", "2024-04-20", 100).order("early", "2024-03-05", 100)
    shop.order("cancel", "2024-03-01", 100, "cancelled")
    return signup(shop, whale="2023-01-01", buyer="2023-01-01", old="2023-06-01", unk=None, feb="2024-02-15",
                  apr="2024-04-10", early="2024-05-01", cancel="2024-04-01", future="2024-07-15")


SIGNUP_S = Settings(as_of=d("2024-06-30"))
SIGNUP_ENDS = [date(2024, 1, 31), date(2024, 3, 31), date(2024, 5, 31), date(2024, 6, 30)]


def test_stage_counts_count_only_the_customers_in_the_file_at_each_month_end() -> None:
    # Jan 31: in the file whale, buyer, old, unk → potential old, unk (not the 7 of all nine
    #   without an order). Mar 31: + feb (signed up) and early (by its order) → potential old,
    #   unk, feb; new buyer, early. May 31: all but future → potential old, unk, feb, cancel;
    #   new apr, early; at_risk buyer. Jun 30 (= as_of): future (signs up Jul 15) still out.
    counts = lifecycle.stages_at_month_ends(signup_shop().con, SIGNUP_S, ends=SIGNUP_ENDS)
    got = {end: dict(zip(part["stage"], part["customers"], strict=True)) for end, part in counts.groupby("month_end")}
    zero = dict.fromkeys(lifecycle.STAGES, 0)
    assert got[date(2024, 1, 31)] == {**zero, "potential": 2, "new": 1, "loyal": 1}
    assert got[date(2024, 3, 31)] == {**zero, "potential": 3, "new": 2, "loyal": 1}
    assert got[date(2024, 5, 31)] == {**zero, "potential": 4, "new": 2, "at_risk": 1, "loyal": 1}
    assert got[date(2024, 6, 30)] == {**zero, "potential": 4, "new": 1, "at_risk": 2, "loyal": 1}


def test_stages_at_lists_customers_in_the_file_and_counts_them_per_date() -> None:
    history = lifecycle.stages_at(signup_shop().con, SIGNUP_S, None, SIGNUP_ENDS[:3])
    rows = {(r.month_end, r.customer_id): r.lifecycle_stage for r in history.itertuples()}
    assert (date(2024, 3, 31), "cancel") not in rows  # an uncounted order before its signup
    assert rows[(date(2024, 5, 31), "cancel")] == "potential"
    assert rows[(date(2024, 3, 31), "early")] == "new"  # a counted order before its signup
    assert history.attrs["customers_at"] == {date(2024, 1, 31): 4, date(2024, 3, 31): 6, date(2024, 5, 31): 8}
    assert history.attrs["customers"] == 9


def test_stage_history_follows_the_region_filter_and_leaves_churn_alone() -> None:
    # The west: unk (no signup date), feb (2024-02-15), early (ordered 2024-03-05, signed up
    # 2024-05-01). Jan 31: unk potential. Mar 31 and May 31: unk, feb potential; early new.
    con = signup_shop().con
    west = lifecycle.stage_history(con, SIGNUP_S, Filters(regions=("west",)), ends=SIGNUP_ENDS[:3])
    by_stage = west.stages.groupby("stage")["customers"].agg(list)
    assert (by_stage["potential"], by_stage["new"]) == ([1, 2, 2], [0, 1, 1])
    # Churn concerns counted orders only: active at Dec 31 nobody (the whale's last order was
    # 213 days before), at Feb 29 whale and buyer, at Apr 30 whale, buyer, early, apr.
    churn = lifecycle.stage_history(con, SIGNUP_S, ends=SIGNUP_ENDS[:3]).churn
    assert churn["active_start"].tolist() == [0, 2, 4] and churn["churned"].tolist() == [0, 0, 0]


def test_transitions_bring_customers_who_signed_up_in_between_from_joined() -> None:
    # Jan 31 → May 31: old, unk potential → potential; buyer new → at_risk; whale loyal → loyal;
    # joined → new: apr (signed up and ordered in between), early (its order put it in the file);
    # joined → potential: feb (signed up, never ordered), cancel (signed up, order cancelled);
    # future is in the file at neither date. The potential row is exactly Jan 31's 2 potential.
    m = lifecycle.transitions(signup_shop().con, SIGNUP_S, from_month=date(2024, 1, 1), to_month=date(2024, 5, 1))
    nonzero = {(r.from_stage, r.to_stage): r.customers for r in m.itertuples() if r.customers}
    assert nonzero == {("potential", "potential"): 2, ("new", "at_risk"): 1, ("loyal", "loyal"): 1,
                       ("joined", "new"): 2, ("joined", "potential"): 2}
    assert m.loc[(m.from_stage == "joined") & (m.customers > 0), "share_of_from"].tolist() == [0.5, 0.5]


def test_transitions_from_a_later_month_end_know_who_was_in_the_file_then() -> None:
    # Mar 31 → May 31: feb and early were in the file at Mar 31 (signup / order) → not joined.
    # joined: apr → new, cancel → potential (its cancelled March order did not put it in the file).
    m = lifecycle.transitions(signup_shop().con, SIGNUP_S, from_month=date(2024, 3, 1), to_month=date(2024, 5, 1))
    nonzero = {(r.from_stage, r.to_stage): r.customers for r in m.itertuples() if r.customers}
    assert nonzero == {("potential", "potential"): 3, ("new", "new"): 1, ("new", "at_risk"): 1,
                       ("loyal", "loyal"): 1, ("joined", "new"): 1, ("joined", "potential"): 1}


def test_movers_from_joined_include_those_without_an_order() -> None:
    con = signup_shop().con
    moved = lifecycle.movers(con, SIGNUP_S, from_month=date(2024, 1, 1), to_month=date(2024, 5, 1),
                             from_stage="joined")
    assert moved["customer_id"].tolist() == ["apr", "early", "cancel", "feb"]  # 100, 100, then 0 by id
    assert moved["total"].tolist() == [4] * 4 and moved["to_stage"].tolist() == ["new", "new", "potential", "potential"]
    assert moved["orders_total"].tolist() == [1, 1, 0, 0] and moved["recency_days"].isna().tolist()[2:] == [True, True]
    everyone = lifecycle.movers(con, SIGNUP_S, from_month=date(2024, 1, 1), to_month=date(2024, 5, 1))
    assert int(everyone["total"].iloc[0]) == 5  # + buyer new → at_risk
    west = lifecycle.movers(con, SIGNUP_S, Filters(regions=("west",)), from_month=date(2024, 1, 1),
                            to_month=date(2024, 5, 1), from_stage="joined", to_stage="potential")
    assert west["customer_id"].tolist() == ["feb"]
    with pytest.raises(KehuError, match="'joined'"):
        lifecycle.movers(con, SIGNUP_S, from_month=date(2024, 1, 1), to_month=date(2024, 5, 1), to_stage="joined")


def test_segment_filter_narrows_the_joined_row_to_its_members() -> None:
    # As of Jun 30 early and buyer are both quiet one-order customers (general_win_back): the
    # segment's transitions are buyer new → at_risk and early joined → new, nothing else.
    con = signup_shop().con
    segment = customer_base(con, SIGNUP_S).set_index("customer_id").loc["early", "rfm_segment"]
    f = segment_scope.resolve(con, SIGNUP_S, Filters(segments=(segment,)))
    assert set(segment_scope.members(con, f)) == {"buyer", "early"}
    m = lifecycle.transitions(con, SIGNUP_S, f, from_month=date(2024, 1, 1), to_month=date(2024, 5, 1))
    nonzero = {(r.from_stage, r.to_stage): r.customers for r in m.itertuples() if r.customers}
    assert nonzero == {("new", "at_risk"): 1, ("joined", "new"): 1}
    counts = lifecycle.stages_at_month_ends(con, SIGNUP_S, f, ends=SIGNUP_ENDS[:2])
    assert counts.groupby("month_end")["customers"].sum().tolist() == [1, 2]  # early from its March order
