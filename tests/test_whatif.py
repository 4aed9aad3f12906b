"""What-if comparison: thresholds move customers exactly as METRICS.md says; numbers by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from core import db, whatif
from core.errors import KehuError
from core.filters import Filters
from core.metrics import rfm
from core.metrics.base import customer_base
from core.settings import Settings

AS_OF = date(2026, 6, 30)
BASE = Settings(as_of=AS_OF)


def small_facts() -> pd.DataFrame:
    """Five customers as of 2026-06-30 (the columns ``classify`` reads).

    | id | first      | last       | R   | F | M   | orders | tenure | median gap |
    | C1 | 2026-01-10 | 2026-06-20 | 10  | 6 | 600 | 6      | 171    | 30         |
    | C2 | 2026-03-01 | 2026-04-21 | 70  | 2 | 200 | 2      | 121    | 51         |
    | C3 | —          | —          | —   | 0 | 0   | 0      | —      | —          |
    | C4 | 2025-10-01 | 2026-02-01 | 149 | 3 | 300 | 3      | 272    | 60         |
    | C5 | 2026-05-15 | 2026-05-15 | 46  | 1 | 100 | 1      | 46     | —          |

    Defaults → stages: C1 loyal (6 ≥ 5 orders), C2 active (70 ≤ 90, 2 orders, tier B), C3 potential,
    C4 at_risk (149 > 90), C5 new (tenure 46 ≤ 90).
    ABC on M (total 1200): 600 starts at 0 → A, 300 at .50 → A, 200 at .75 → B, 100 at .917 → C.
    Means: R 68.75, F 3, M 300 → C1 champions; C2 and C4 general_win_back (F 3 and M 300 are not
    *above* the mean); C5 general_develop (R 46 < 68.75).
    """
    d = pd.Timestamp
    facts = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "name": ["一号", "二号", "三号", "四号", "五号"],
        "region": ["华东", "华东", "华北", "华南", "华北"],
        "channel": ["线上"] * 5,
        "owner": ["王", "李", "王", "李", "王"],
        "first_order_date": [d("2026-01-10"), d("2026-03-01"), pd.NaT, d("2025-10-01"), d("2026-05-15")],
        "last_order_date": [d("2026-06-20"), d("2026-04-21"), pd.NaT, d("2026-02-01"), d("2026-05-15")],
        "recency_days": pd.array([10, 70, None, 149, 46], dtype="Int64"),
        "frequency": [6, 2, 0, 3, 1],
        "monetary": [600.0, 200.0, 0.0, 300.0, 100.0],
        "orders_total": [6, 2, 0, 3, 1],
        "tenure_days": pd.array([171, 121, None, 272, 46], dtype="Int64"),
        "mean_gap_days": [30.0, 51.0, None, 60.0, None],
        "median_gap_days": [30.0, 51.0, None, 60.0, None],
    })
    if hasattr(rfm, "monetary_positions"):  # helper columns customer_facts adds for classify
        facts["m_rank"], facts["abc_share_before"] = rfm.monetary_positions(
            facts["monetary"].to_numpy(dtype=float), facts["recency_days"].notna().to_numpy())
    facts.attrs["as_of"] = AS_OF
    facts.attrs["window_days"] = None
    return facts


def sizes(table: pd.DataFrame, side: str) -> dict[str, int]:
    return {r.code: int(getattr(r, f"customers_{side}")) for r in table.itertuples() if getattr(r, f"customers_{side}")}


def test_same_thresholds_move_nobody() -> None:
    result = whatif.compare(small_facts(), BASE, BASE)
    assert result.movers_total == 0 and result.movers.empty
    assert sizes(result.stages, "before") == sizes(result.stages, "after") == {
        "potential": 1, "new": 1, "active": 1, "loyal": 1, "at_risk": 1}
    assert sizes(result.tiers, "before") == {"A": 2, "B": 1, "C": 1}
    assert sizes(result.segments, "before") == {"champions": 1, "general_develop": 1, "general_win_back": 2}


def test_shorter_risk_days_moves_the_quiet_active_customer_to_at_risk() -> None:
    # C2 last ordered 70 days ago: not at risk at 90 days, at risk at 60. C5 (46 days) stays new.
    result = whatif.compare(small_facts(), BASE, BASE.with_(risk_days=60))
    assert result.moved_stage == 1 and result.moved_segment == 0 and result.moved_tier == 0
    mover = result.movers.iloc[0]
    assert (mover.customer_id, mover.stage_before, mover.stage_after) == ("C2", "active", "at_risk")
    stages = result.stages.set_index("code")
    assert stages.loc["at_risk", "customers_after"] == 2 and stages.loc["active", "customers_after"] == 0
    # revenue of a stage = Σ monetary: at risk 300 before, 300 + 200 after
    assert stages.loc["at_risk", "revenue_before"] == 300 and stages.loc["at_risk", "revenue_after"] == 500
    assert stages.loc["at_risk", "delta_revenue"] == 200
    cell = result.stage_matrix.set_index(["from", "to"])["customers"]
    assert cell[("active", "at_risk")] == 1 and cell[("at_risk", "at_risk")] == 1
    assert cell.sum() == 5  # all customers, potential included


def test_median_comparison_makes_c4_important_to_keep() -> None:
    # Medians over the four scored customers: R 58, F 2.5, M 250. C4 (R 149, F 3, M 300) is then
    # F high and M high but R low → important_keep; the others keep their segment.
    result = whatif.compare(small_facts(), BASE, BASE.with_(rfm_compare="median"))
    assert result.moved_segment == 1
    mover = result.movers.iloc[0]
    assert (mover.customer_id, mover.segment_before, mover.segment_after) == (
        "C4", "general_win_back", "important_keep")
    cell = result.segment_matrix.set_index(["from", "to"])["customers"]
    assert cell[("general_win_back", "important_keep")] == 1 and cell.sum() == 4  # scored only


def test_lower_a_cut_off_moves_c4_to_b() -> None:
    # A up to 45 %: C1 starts at 0 → A; C4 starts at 50 % → B; C2 at 75 % → B; C5 at 91.7 % → C.
    result = whatif.compare(small_facts(), BASE, BASE.with_(abc_a=0.45))
    assert result.moved_tier == 1
    tiers = result.tiers.set_index("code")
    assert tiers.loc["A", "customers_after"] == 1 and tiers.loc["B", "customers_after"] == 2
    assert tiers.loc["A", "revenue_after"] == 600 and tiers.loc["B", "revenue_after"] == 500


def test_movers_are_the_most_valuable_first_and_limited() -> None:
    # risk 40 days: C2 (70) and C5 (46) both become at risk; C2 spent more, so it is first.
    result = whatif.compare(small_facts(), BASE, BASE.with_(risk_days=40), limit=1)
    assert result.movers_total == 2 and len(result.movers) == 1
    assert result.movers.iloc[0].customer_id == "C2"


@pytest.mark.parametrize(("first", "last", "months"), [
    ("2026-01-05", "2026-03-01", 3),  # Jan, Feb, Mar
    ("2026-05-15", "2026-05-15", 1),  # one order is one month
    ("2025-12-31", "2026-01-01", 2),  # two calendar months, two days apart
])
def test_active_months_count_calendar_months_inclusive(first: str, last: str, months: int) -> None:
    got = whatif.active_months(pd.Series([pd.Timestamp(first)]), pd.Series([pd.Timestamp(last)]))
    assert got.iloc[0] == months


def test_active_months_start_at_the_window() -> None:
    # window starts after 2026-02-28 (first day inside: Mar 1): Jan 5 → Jun 3 counts Mar..Jun = 4
    got = whatif.active_months(pd.Series([pd.Timestamp("2026-01-05")]), pd.Series([pd.Timestamp("2026-06-03")]),
                               window_start=date(2026, 2, 28))
    assert got.iloc[0] == 4


def test_usual_spend_is_spend_over_active_months() -> None:
    # C1 600 / 6 (Jan..Jun) = 100; C2 200 / 2 (Mar, Apr) = 100; C3 none = 0; C4 300 / 5 (Oct..Feb) = 60;
    # C5 100 / 1 = 100
    spend = whatif.usual_monthly_spend(small_facts())
    assert spend.tolist() == [100.0, 100.0, 0.0, 60.0, 100.0]


def test_projection_wins_back_a_share_of_at_risk_usual_spend() -> None:
    # before: at risk = C4 (60 a month); after risk 60: C2 (100) + C4 (60) = 160 a month.
    # 50 % over 90 days = 0.5 × 160 × 90 / 30.4375 = 236.55…
    result = whatif.compare(small_facts(), BASE.with_(horizon_days=90), BASE.with_(risk_days=60), share=0.5)
    before, after = result.projection_before, result.projection_after
    assert (before.customers, before.monthly_spend) == (1, 60.0)
    assert before.revenue == pytest.approx(0.5 * 60 * 90 / 30.4375)
    assert (after.customers, after.monthly_spend) == (2, 160.0)
    assert after.revenue == pytest.approx(236.55, abs=0.01)


def test_projection_can_include_churned_customers() -> None:
    # churn 100 days: C4 (149) becomes churned; targets at_risk + churned still = C4 only.
    result = whatif.compare(small_facts(), BASE, BASE.with_(churn_days=100, risk_days=60),
                            share=1.0, target_stages=("at_risk", "churned"))
    assert result.projection_after.customers == 2  # C2 at risk (70 > 60), C4 churned


def test_query_round_trip_keeps_only_what_changed() -> None:
    scenario = whatif.Scenario(BASE.with_(risk_days=60, abc_a=0.6, rfm_compare="median", window_days=365),
                               share=0.35, include_churned=True)
    params = whatif.to_query(scenario, BASE)
    assert params == {"w_rfm_compare": "median", "w_abc_a": "0.6", "w_risk_days": "60",
                      "w_window_days": "365", "w_share": "35", "w_churned": "1"}
    assert whatif.from_query(params, BASE) == scenario
    assert whatif.to_query(whatif.Scenario(BASE), BASE) == {}


def test_query_ignores_unreadable_values_and_refuses_contradictions() -> None:
    scenario = whatif.from_query({"w_risk_days": "soon", "w_loyal_orders": "7", "lang": "en"}, BASE)
    assert scenario.settings == BASE.with_(loyal_orders=7)
    # risk 200 with churn 365 is fine only together (each alone would contradict the other default)
    assert whatif.from_query({"w_risk_days": "200", "w_churn_days": "365"}, BASE).settings.risk_days == 200
    with pytest.raises(KehuError):
        whatif.from_query({"w_risk_days": "200"}, BASE)


def test_rescan_only_for_scan_settings() -> None:
    assert not whatif.needs_rescan(BASE, BASE.with_(risk_days=30, abc_a=0.5))
    assert whatif.needs_rescan(BASE, BASE.with_(window_days=365))
    assert whatif.scan_key(BASE.with_(risk_days=30)) == whatif.scan_key(BASE)


def test_compare_on_demo_agrees_with_customer_base(demo_db_file: Path) -> None:
    """The after side equals ``customer_base`` run from scratch with the changed settings."""
    con = db.connect(demo_db_file, read_only=True)
    try:
        base = Settings(as_of=date(2026, 10, 31))
        after = base.with_(risk_days=60, churn_days=240, abc_a=0.6, rfm_compare="median", loyal_orders=3)
        result = whatif.compare(whatif.facts(con, base), base, after)
        direct = customer_base(con, after)
        for table, column in ((result.stages, "lifecycle_stage"), (result.segments, "rfm_segment"),
                              (result.tiers, "abc_tier")):
            expected = direct[column].astype(object).value_counts().to_dict()
            assert sizes(table, "after") == {k: v for k, v in expected.items() if v}
        assert result.customers == len(direct)
        assert result.movers_total > 0
    finally:
        con.close()


def test_window_change_compares_two_scans(demo_db_file: Path) -> None:
    con = db.connect(demo_db_file, read_only=True)
    try:
        base = Settings(as_of=date(2026, 10, 31))
        after = base.with_(window_days=365)
        result = whatif.compare(whatif.facts(con, base), base, after, whatif.facts(con, after))
        direct = customer_base(con, after)
        # revenue after = Σ monetary inside the last 365 days, less than all history before
        scored = direct["abc_tier"].notna()
        assert result.tiers["revenue_after"].sum() == pytest.approx(direct.loc[scored, "monetary"].sum())
        assert result.tiers["revenue_after"].sum() < result.tiers["revenue_before"].sum()
        assert sizes(result.tiers, "after") == direct["abc_tier"].astype(object).value_counts().to_dict()
    finally:
        con.close()


def test_no_customers_compare_to_zeros(demo_db_file: Path) -> None:
    con = db.connect(demo_db_file, read_only=True)
    try:
        base = Settings(as_of=date(2026, 10, 31))
        facts = whatif.facts(con, base, Filters(regions=("nowhere",)))
        result = whatif.compare(facts, base, base.with_(risk_days=30))
        assert (result.customers, result.movers_total, result.projection_after.revenue) == (0, 0, 0.0)
        assert result.stage_matrix["customers"].sum() == 0
    finally:
        con.close()
