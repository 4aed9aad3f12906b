"""Segment summaries, ABC summary, Pareto points, breakdowns, R×F heat map and drill-down."""

from __future__ import annotations

import pytest

from core.errors import KehuError
from core.metrics import segments
from core.settings import Settings
from tests.metrics_fixtures import Shop, d, days_before, demo_con

AS_OF = "2024-12-31"
S = Settings(as_of=d(AS_OF))


def four_customers() -> Shop:
    """a: 4 × 250 (M 1000), 10 days ago; b: 100, 10 days; c: 100, 100 days; d: 400, 100 days;
    p: no order. a, b in the east; c, d in the west.

    Means over a–d: recency 55, frequency 1.75, monetary 400 →
    a champions (R, F, M high); b general_develop (R high); c general_win_back;
    d general_win_back (M = 400 is not above the mean).
    ABC (total 1600): a starts 0 → A; d starts 0.625 → A; b (tie with c, b first by id)
    starts 0.875 → B; c starts 0.9375 → C.
    """
    shop = Shop().customers("a", "b", "p", region="east").customers("c", "d", region="west")
    for i in range(4):
        shop.order("a", days_before(AS_OF, 10 + i), 250)
    shop.order("b", days_before(AS_OF, 10), 100)
    shop.order("c", days_before(AS_OF, 100), 100).order("d", days_before(AS_OF, 100), 400)
    return shop


def test_segment_summary_counts_revenue_and_shares() -> None:
    table = segments.summary(four_customers().con, S).set_index("segment")
    assert list(table.index)[:2] == ["champions", "important_develop"]  # all eight, fixed order
    assert table.loc["champions", ["customers", "revenue"]].tolist() == [1, 1000]
    assert table.loc["champions", "revenue_share"] == pytest.approx(1000 / 1600)
    wb = table.loc["general_win_back"]
    assert (wb.customers, wb.revenue, wb.customer_share) == (2, 500, 0.5)
    assert (wb.avg_recency_days, wb.avg_frequency, wb.avg_monetary) == (100, 1, 250)
    assert table.loc["general_keep", "customers"] == 0


def test_segment_revenue_sums_to_total_revenue() -> None:
    table = segments.summary(four_customers().con, S)
    assert table["revenue"].sum() == 1600 and table["revenue_share"].sum() == pytest.approx(1)


def test_abc_summary() -> None:
    table = segments.abc_summary(four_customers().con, S).set_index("tier")
    assert table["customers"].tolist() == [2, 1, 1]
    assert table["revenue"].tolist() == [1400, 100, 100]
    assert table.loc["A", "revenue_share"] == pytest.approx(0.875)


def test_pareto_points_from_origin_to_one() -> None:
    # Sorted by M: 1000, 400, 100, 100 of 1600 → cumulative 0.625, 0.875, 0.9375, 1.
    curve = segments.pareto(four_customers().con, S)
    assert curve["customer_share"].tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert curve["revenue_share"].tolist() == pytest.approx([0, 0.625, 0.875, 0.9375, 1])


def test_pareto_is_thinned_to_about_the_requested_points() -> None:
    # 4 customers, 2 points → every 2nd customer: (0.5, 0.875) and (1, 1), plus the origin.
    curve = segments.pareto(four_customers().con, S, points=2)
    assert curve["customer_share"].tolist() == [0, 0.5, 1]


def test_breakdown_by_region() -> None:
    table = segments.breakdown(four_customers().con, S, by="region")
    rows = [(r.segment, r.group, r.customers, r.revenue) for r in table.itertuples()]
    assert rows == [
        ("champions", "east", 1, 1000),
        ("general_develop", "east", 1, 100),
        ("general_win_back", "west", 2, 500),
    ]


def test_breakdown_refuses_a_column_outside_the_whitelist() -> None:
    with pytest.raises(KehuError):
        segments.breakdown(four_customers().con, S, by="name; DROP TABLE orders")  # type: ignore[arg-type]


def test_rf_heatmap_cells() -> None:
    # NTILE(5) of 4 rows puts position p in bucket p. R: recency 10, 10, 100, 100 → ranks
    # (descending) 3, 3, 1, 1 → scores 3, 3, 1, 1. F: 4, 1, 1, 1 → ranks 4, 1, 1, 1 → 4, 1, 1, 1.
    grid = segments.rf_heatmap(four_customers().con, S)
    cells = {(r.r_score, r.f_score): (r.customers, r.revenue) for r in grid.itertuples() if r.customers}
    assert cells == {(3, 4): (1, 1000), (3, 1): (1, 100), (1, 1): (2, 500)}
    assert len(grid) == 25


def test_members_of_a_segment_by_value_with_paging() -> None:
    con = four_customers().con
    page = segments.members(con, S, segment="general_win_back")
    assert page["customer_id"].tolist() == ["d", "c"] and page["total"].tolist() == [2, 2]
    assert segments.members(con, S, segment="general_win_back", limit=1, offset=1)["customer_id"].tolist() == ["c"]
    assert segments.members(con, S, tier="A")["customer_id"].tolist() == ["a", "d"]


def test_members_refuse_an_unknown_segment() -> None:
    with pytest.raises(KehuError):
        segments.members(four_customers().con, S, segment="vip")


# --- properties on the seeded demo company -------------------------------------------------


def test_demo_segment_and_tier_revenue_sum_to_the_total() -> None:
    from core.metrics.base import customer_base

    con = demo_con()
    base = customer_base(con, Settings())
    total = base.loc[base["orders_total"] > 0, "monetary"].sum()
    assert segments.summary(con, Settings(), base=base)["revenue"].sum() == pytest.approx(total)
    assert segments.abc_summary(con, Settings(), base=base)["revenue"].sum() == pytest.approx(total)
    assert segments.summary(con, Settings(), base=base)["customers"].sum() == (base["orders_total"] > 0).sum()


def test_demo_pareto_curve_rises_to_one() -> None:
    curve = segments.pareto(demo_con(), Settings())
    assert len(curve) <= 202
    assert curve["revenue_share"].is_monotonic_increasing
    assert curve.iloc[-1].tolist() == pytest.approx([1.0, 1.0])
