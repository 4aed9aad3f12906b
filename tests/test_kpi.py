"""KPIs and targets on one hand-made shop, every number worked out below."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.errors import KehuError
from core.filters import Filters
from core.metrics import kpi
from core.settings import Settings
from tests.metrics_fixtures import Shop, d

# as_of 2024-06-30 (a month end): "the month" = June 1–30, the one before = May 1–31.
# churn_days 60: active at a date = last counted order at most 60 days before it.
S = Settings(as_of=d("2024-06-30"), churn_days=60, risk_days=30)


@pytest.fixture
def shop() -> Shop:
    """
    a (east): 03-10 100, 06-05 200            → June order, repeat buyer
    b (east): 04-20 50                         → churns in June (last order > 60 days before 06-30)
    c (west): 06-10 300, 06-20 80 cancelled    → new in June; the cancelled order does not count
    d (east): 05-10 100 refunded by a row -100 under the same order id on 06-15 → net 0, never
              a counted order (the refund nets its own order, dated 05-10)

    June:  revenue 200 + 300 + 0 = 500; orders 2 (a, c); buying 2; new 1 (c);
           repeat 1 of 2 buyers (a has 2 orders) = 50 %;
           active at 06-30 (last ≥ 05-01): a, c = 2;
           active on 05-31 (last ≥ 04-01): b; b churned at 06-30 → churn rate 1/1 = 100 %.
    May:   revenue 0 (d nets to 0), orders 0, buying 0, new 0, repeat rate None;
           active at 05-31: b = 1; active on 04-30 (last ≥ 03-01): a, b; a churned at 05-31
           (03-10 < 04-01) → 1/2 = 50 %.
    NPS: June a 10 → 100; May b 0 → −100.
    """
    shop = Shop().customers("a", "b", "d").customer("c", region="west")
    shop.order("a", "2024-03-10", 100).order("a", "2024-06-05", 200)
    shop.order("b", "2024-04-20", 50)
    shop.order("c", "2024-06-10", 300).order("c", "2024-06-20", 80, status="cancelled")
    shop.order("d", "2024-05-10", 100, order_id="D1").order("d", "2024-06-15", -100, order_id="D1")
    shop.survey("a", "2024-06-02", "nps", 10).survey("b", "2024-05-20", "nps", 0)
    return shop


def values(shop: Shop, f: Filters | None = None) -> pd.DataFrame:
    return kpi.snapshot(shop.con, S, f, "month").set_index("kpi")


@pytest.mark.parametrize(("as_of", "period", "expected"), [
    # mid-month: from the day after the same date a month earlier
    ("2024-03-15", "month", ("2024-02-16", "2024-03-15", "2024-01-16", "2024-02-15")),
    # a month end: exactly the calendar month
    ("2024-06-30", "month", ("2024-06-01", "2024-06-30", "2024-05-01", "2024-05-31")),
    ("2024-06-30", "quarter", ("2024-04-01", "2024-06-30", "2024-01-01", "2024-03-31")),
    # leap day is February's end: the year is March 2023 to February 2024
    ("2024-02-29", "year", ("2023-03-01", "2024-02-29", "2022-03-01", "2023-02-28")),
])
def test_period_bounds_end_at_as_of(as_of: str, period: str, expected: tuple[str, ...]) -> None:
    assert kpi.period_bounds(d(as_of), period) == tuple(d(x) for x in expected)  # type: ignore[arg-type]


def test_revenue_is_net_of_cancellations_and_refunds(shop: Shop) -> None:
    v = values(shop)
    assert (v.loc["revenue", "value"], v.loc["revenue", "previous"]) == (500.0, 0.0)
    assert v.loc["revenue", "change"] == 500.0
    assert pd.isna(v.loc["revenue", "change_pct"])  # relative change from 0 is undefined


def test_orders_count_only_orders_with_positive_net(shop: Shop) -> None:
    v = values(shop)
    assert (v.loc["orders", "value"], v.loc["orders", "previous"]) == (2, 0)


def test_new_customers_means_first_order_ever_in_the_period(shop: Shop) -> None:
    v = values(shop)
    assert (v.loc["new_customers", "value"], v.loc["new_customers", "previous"]) == (1, 0)


def test_active_customers_are_those_not_churned_at_the_period_end(shop: Shop) -> None:
    v = values(shop)
    assert (v.loc["active_customers", "value"], v.loc["active_customers", "previous"]) == (2, 1)


def test_repeat_rate_is_share_of_buyers_with_two_orders(shop: Shop) -> None:
    v = values(shop)
    assert v.loc["repeat_rate", "value"] == 50.0
    assert pd.isna(v.loc["repeat_rate", "previous"])  # no buyers in May


def test_churn_rate_is_active_at_start_who_churned_by_the_end(shop: Shop) -> None:
    v = values(shop)
    assert (v.loc["churn_rate", "value"], v.loc["churn_rate", "previous"]) == (100.0, 50.0)
    assert v.loc["churn_rate", "change"] == 50.0 and not v.loc["churn_rate", "higher_is_better"]


def test_nps_per_period(shop: Shop) -> None:
    v = values(shop)
    assert (v.loc["nps", "value"], v.loc["nps", "previous"]) == (100.0, -100.0)


def test_followups_done_vs_planned_ignore_cancelled_and_deleted(shop: Shop) -> None:
    # Due in June: done, done, planned, cancelled, done-but-deleted → done 2 of 3 = 66.7 %.
    for status in ("done", "done", "planned", "cancelled", "done"):
        shop.followup("a", "2024-06-10", status)
    shop.con.execute("UPDATE followups SET deleted = true WHERE followup_id = "
                     "(SELECT max(followup_id) FROM followups)")
    shop.followup("a", "2024-05-10", "done")  # May
    v = values(shop)
    assert (v.loc["followups_done", "value"], v.loc["followups_planned", "value"]) == (2, 3)
    assert v.loc["followups_done_rate", "value"] == pytest.approx(200 / 3)
    assert v.loc["followups_done", "previous"] == 1


def test_region_filter_restricts_every_kpi(shop: Shop) -> None:
    # Without west's c: June revenue 200, 1 order, no new customer.
    v = values(shop, Filters(regions=("east",)))
    assert (v.loc["revenue", "value"], v.loc["orders", "value"], v.loc["new_customers", "value"]) == (
        200.0, 1, 0)


def test_orders_after_as_of_are_ignored(shop: Shop) -> None:
    shop.order("b", "2024-07-01", 999)
    assert values(shop).loc["revenue", "value"] == 500.0


def test_monthly_trend_counts_flows_per_month_and_active_at_month_ends(shop: Shop) -> None:
    # March–June. Revenue 100, 50, 0, 500; orders 1, 1, 0, 2; new a, b, –, c.
    # Active (last order ≥ month end − 60): 03-31 a; 04-30 a, b; 05-31 b; 06-30 a, c.
    df = kpi.monthly_trend(shop.con, S, months=4)
    assert df["month"].tolist() == [pd.Timestamp(f"2024-0{m}-01") for m in (3, 4, 5, 6)]
    assert df["revenue"].tolist() == [100.0, 50.0, 0.0, 500.0]
    assert df["orders"].tolist() == [1, 1, 0, 2]
    assert df["new_customers"].tolist() == [1, 1, 0, 1]
    assert df["active_customers"].tolist() == [1, 2, 1, 2]


def test_monthly_trend_last_month_ends_at_as_of(shop: Shop) -> None:
    df = kpi.monthly_trend(shop.con, S.with_(as_of=d("2024-06-12")), months=1)
    assert df["month_end"].tolist() == [pd.Timestamp("2024-06-12")]
    assert df["revenue"].tolist() == [500.0]  # a 200 on 06-05 + c 300 on 06-10
    # Active at 06-12 = last order ≥ 04-13: a (06-05), b (04-20), c (06-10), and d: its refund
    # row is dated 06-15, after as_of, so as of 06-12 its 05-10 order still counts.
    assert df["active_customers"].tolist() == [4]


def test_set_target_replaces_the_months_target_and_audits(shop: Shop) -> None:
    kpi.set_target(shop.con, "revenue", date(2024, 6, 17), 300, "boss")
    kpi.set_target(shop.con, "revenue", date(2024, 6, 1), 400, "boss")
    t = kpi.targets(shop.con)
    assert t[["kpi", "target"]].values.tolist() == [["revenue", 400.0]]
    assert t["month"].tolist() == [pd.Timestamp("2024-06-01")]
    audits = shop.con.execute("SELECT count(*) FROM audit_log WHERE action = 'setting'").fetchall()
    assert audits[0][0] == 2


def test_unknown_kpi_or_impossible_target_is_refused(shop: Shop) -> None:
    with pytest.raises(KehuError):
        kpi.set_target(shop.con, "revenue; DROP TABLE targets", date(2024, 6, 1), 1, "x")
    with pytest.raises(KehuError):
        kpi.set_target(shop.con, "churn_rate", date(2024, 6, 1), 120, "x")
    assert kpi.targets(shop.con).empty


def test_progress_compares_this_month_with_its_target(shop: Shop) -> None:
    # June: revenue 500 vs 400 → 1.25, met; churn rate 100 % vs target ≤ 50 % → not met;
    # as_of is June's last day → month_elapsed 1.0; NPS has no target.
    kpi.set_target(shop.con, "revenue", date(2024, 6, 1), 400, "boss")
    kpi.set_target(shop.con, "churn_rate", date(2024, 6, 1), 50, "boss")
    kpi.set_target(shop.con, "revenue", date(2024, 5, 1), 1, "boss")  # another month: ignored
    p = kpi.progress(shop.con, S).set_index("kpi")
    assert (p.loc["revenue", "value"], p.loc["revenue", "progress"], p.loc["revenue", "met"]) == (
        500.0, 1.25, True)
    assert p.loc["churn_rate", "target"] == 50.0 and not p.loc["churn_rate", "met"]
    assert pd.isna(p.loc["nps", "target"])
    assert p["month_elapsed"].eq(1.0).all()


# A range picked in the sidebar: 2024-05-16…06-30 (46 days). The 46 days just before it are
# 2024-03-31…05-15. Same S: as_of 2024-06-30, churn_days 60.
RANGE = (d("2024-05-16"), d("2024-06-30"))


@pytest.fixture
def spring() -> Shop:
    """Orders on both sides of every boundary of the range and of its previous range.

    p: 03-30 40 (day before the previous range), 05-15 60 (its last day), 05-16 100 (the range's first)
    q: 05-31 70 (first order ever), 06-30 30 (on as_of)
    r: 04-01 80, nothing after
    s: 07-01 999 (after as_of: not yet happened)

    Range 05-16…06-30: revenue 100 + 70 + 30 = 200; orders 3; new q = 1 (p's first is 03-30);
        active at 06-30 (last ≥ 05-01): p, q = 2.
    Previous 03-31…05-15: revenue 60 + 80 = 140; orders 2; new r = 1 (p's first is a day too
        early); active at 05-15 (last ≥ 03-16): p (05-15), r (04-01) = 2.
    """
    shop = Shop().customers("p", "q", "r", "s")
    shop.order("p", "2024-03-30", 40).order("p", "2024-05-15", 60).order("p", "2024-05-16", 100)
    shop.order("q", "2024-05-31", 70).order("q", "2024-06-30", 30)
    shop.order("r", "2024-04-01", 80)
    shop.order("s", "2024-07-01", 999)
    return shop


def test_range_snapshot_compares_with_the_same_number_of_days_before(spring: Shop) -> None:
    v = kpi.range_snapshot(spring.con, S, None, *RANGE).set_index("kpi")
    assert tuple(v.loc["revenue", ["period_start", "period_end", "previous_start", "previous_end"]]) == (
        d("2024-05-16"), d("2024-06-30"), d("2024-03-31"), d("2024-05-15"))
    assert (v.loc["revenue", "value"], v.loc["revenue", "previous"], v.loc["revenue", "change"]) == (
        200.0, 140.0, 60.0)
    assert (v.loc["orders", "value"], v.loc["orders", "previous"]) == (3, 2)
    assert (v.loc["new_customers", "value"], v.loc["new_customers", "previous"]) == (1, 1)
    assert (v.loc["active_customers", "value"], v.loc["active_customers", "previous"]) == (2, 2)


def test_range_snapshot_caps_the_range_at_as_of(spring: Shop) -> None:
    # Asking up to 07-31 is asking up to 06-30: s's 999 on 07-01 has not happened yet.
    v = kpi.range_snapshot(spring.con, S, None, d("2024-05-16"), d("2024-07-31")).set_index("kpi")
    assert (v.loc["revenue", "value"], v.loc["revenue", "period_end"]) == (200.0, d("2024-06-30"))
    assert v.loc["revenue", "previous_start"] == d("2024-03-31")


def test_month_and_year_snapshots_are_unchanged_by_ranges(spring: Shop) -> None:
    # "month" at 06-30 is June: q's 30 only; May 1–31: p 60 + p 100 + q 70 = 230.
    v = kpi.snapshot(spring.con, S, None, "month").set_index("kpi")
    assert (v.loc["revenue", "value"], v.loc["revenue", "previous"]) == (30.0, 230.0)


def test_monthly_trend_over_a_range_cut_mid_month_counts_only_its_days(spring: Shop) -> None:
    # May counts 05-16…05-31: p 100 + q 70 = 170 (p's 60 on 05-15 is outside); new q.
    #   Active at 05-31 (last ≥ 04-01): p, q and r, whose 04-01 is exactly 60 days before.
    # June: q 30; nobody new; active at 06-30 (last ≥ 05-01): p, q.
    df = kpi.monthly_trend(spring.con, S, start=RANGE[0], end=RANGE[1])
    assert df["month"].tolist() == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-01")]
    assert df["month_start"].tolist() == [pd.Timestamp("2024-05-16"), pd.Timestamp("2024-06-01")]
    assert df["month_end"].tolist() == [pd.Timestamp("2024-05-31"), pd.Timestamp("2024-06-30")]
    assert df["revenue"].tolist() == [170.0, 30.0]
    assert df["orders"].tolist() == [2, 1]
    assert df["new_customers"].tolist() == [1, 0]
    assert df["active_customers"].tolist() == [3, 2]
    # the months of a range add up to the range's own revenue
    snap = kpi.range_snapshot(spring.con, S, None, *RANGE).set_index("kpi")
    assert df["revenue"].sum() == snap.loc["revenue", "value"]


def test_monthly_trend_range_ending_mid_month_stops_there(spring: Shop) -> None:
    # 04-01…05-15: April r 80; May 1–15 p 60. Active at 05-15 (last ≥ 03-16): p, r.
    # An end past as_of is capped: 03-30…07-31 ends on 06-30 and never sees s's 07-01.
    df = kpi.monthly_trend(spring.con, S, start=d("2024-04-01"), end=d("2024-05-15"))
    assert df["month_end"].tolist() == [pd.Timestamp("2024-04-30"), pd.Timestamp("2024-05-15")]
    assert df["revenue"].tolist() == [80.0, 60.0]
    assert df["active_customers"].tolist()[-1] == 2
    capped = kpi.monthly_trend(spring.con, S, start=d("2024-03-30"), end=d("2024-07-31"))
    assert capped["month_end"].iloc[-1] == pd.Timestamp("2024-06-30")
    assert capped["revenue"].tolist() == [40.0, 80.0, 230.0, 30.0]


def test_range_target_of_a_flow_is_the_pro_rated_sum_of_its_months(spring: Shop) -> None:
    # Revenue targets May 310, June 150: the range has 16 of May's 31 days → 160, all of June
    # → 150; target 310, value 200 → progress 200/310, not met.
    # New customers: a June target only → May is missing, so the range has no target.
    kpi.set_target(spring.con, "revenue", d("2024-05-01"), 310, "boss")
    kpi.set_target(spring.con, "revenue", d("2024-06-01"), 150, "boss")
    kpi.set_target(spring.con, "new_customers", d("2024-06-01"), 1, "boss")
    p = kpi.range_progress(spring.con, S, None, *RANGE).set_index("kpi")
    assert p.loc["revenue", "target"] == pytest.approx(310.0)
    assert p.loc["revenue", "progress"] == pytest.approx(200 / 310)
    assert not p.loc["revenue", "met"]
    assert pd.isna(p.loc["new_customers", "target"])
    assert (p.loc["new_customers", "months_needed"], p.loc["new_customers", "months_set"]) == (2, 1)


def test_range_target_of_a_rate_is_its_last_months_and_churn_compounds(spring: Shop) -> None:
    # Range May 1 – June 30 (two whole months).
    # NPS: June's target 20 (May's 90 is not the range's end); q answers 10 on 06-01 → NPS 100, met.
    # Churn: monthly targets 10 % and 20 % allow 100 × (1 − 0.9 × 0.8) = 28 % over the two months.
    #   Active on 04-30 (last ≥ 03-01): p (03-30), r (04-01); churned at 06-30 (last < 05-01): r
    #   → 50 % > 28 %: not met.
    spring.survey("q", "2024-06-01", "nps", 10)
    for month, nps, churn in (("2024-05-01", 90, 10), ("2024-06-01", 20, 20)):
        kpi.set_target(spring.con, "nps", d(month), nps, "boss")
        kpi.set_target(spring.con, "churn_rate", d(month), churn, "boss")
    p = kpi.range_progress(spring.con, S, None, d("2024-05-01"), d("2024-06-30")).set_index("kpi")
    assert (p.loc["nps", "value"], p.loc["nps", "target"], p.loc["nps", "met"]) == (100.0, 20.0, True)
    assert p.loc["nps", "months_needed"] == 1
    assert p.loc["churn_rate", "value"] == 50.0
    assert p.loc["churn_rate", "target"] == pytest.approx(28.0)
    assert not p.loc["churn_rate", "met"]
