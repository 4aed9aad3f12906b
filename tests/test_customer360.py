"""Customer 360: search, sort and SQL pagination of the list; one customer's profile by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from core import customer360 as c360
from core.errors import NotFound
from core.filters import Filters
from core.metrics.base import customer_base
from core.settings import Settings
from tests.metrics_fixtures import Shop, d

AS_OF = d("2026-06-30")
S = Settings(as_of=AS_OF)


def shop() -> Shop:
    """Four customers:
    a1 east/wang: orders 100 (Jan) + 300 (Jun) = 400, phone 138-0013-8000
    b2 east/li:   one order 50 (May), then refunded 20 on its own row → net 30
    c3 west/wang: one order 900 (Feb), one in July (after as_of: not counted)
    d4 west/li:   no orders
    """
    s = Shop()
    s.customer("a1", region="east", owner="wang").customer("b2", region="east", owner="li")
    s.customer("c3", region="west", owner="wang").customer("d4", region="west", owner="li")
    s.con.execute("UPDATE customers SET phone = '138-0013-8000', email = 'a1@example.com', "
                  "name = 'Alice Zhang' WHERE customer_id = 'a1'")
    s.con.execute("UPDATE customers SET name = '王小明' WHERE customer_id = 'b2'")
    s.order("a1", "2026-01-10", 100).order("a1", "2026-06-01", 300)
    s.order("b2", "2026-05-05", 50, order_id="ob").order("b2", "2026-05-20", 20, status="refunded",
                                                          order_id="ob-r")
    s.order("c3", "2026-02-01", 900).order("c3", "2026-07-02", 500)
    return s


def listing(s: Shop, f: Filters | None = None, risk: pd.DataFrame | None = None, **kw):
    return c360.customer_list(s.con, customer_base(s.con, S, f), risk, **kw)


def test_list_sorts_by_value_descending_with_customers_without_orders_last() -> None:
    page = listing(shop(), sort="monetary", descending=True)
    # c3 900 (the July order is after as_of), a1 400, b2 50 − 20 = 30, d4 0
    assert page.rows["customer_id"].tolist() == ["c3", "a1", "b2", "d4"]
    assert page.rows["monetary"].tolist() == [900.0, 400.0, 30.0, 0.0]
    assert page.total == 4


def test_list_is_paginated_in_sql_and_reports_the_total() -> None:
    s = shop()
    first = listing(s, sort="customer_id", descending=False, limit=3, offset=0)
    second = listing(s, sort="customer_id", descending=False, limit=3, offset=3)
    assert first.rows["customer_id"].tolist() == ["a1", "b2", "c3"]
    assert second.rows["customer_id"].tolist() == ["d4"]
    assert first.total == second.total == 4 and first.pages == 2


def test_offset_past_the_end_shows_the_last_page() -> None:
    page = listing(shop(), sort="customer_id", descending=False, limit=3, offset=30)
    assert page.offset == 3 and page.rows["customer_id"].tolist() == ["d4"]


def test_search_matches_id_name_and_phone_digits() -> None:
    s = shop()
    assert listing(s, query="B2").rows["customer_id"].tolist() == ["b2"]
    assert listing(s, query="小明").rows["customer_id"].tolist() == ["b2"]
    assert listing(s, query="alice").rows["customer_id"].tolist() == ["a1"]
    # typed with other separators than stored: digits are compared
    assert listing(s, query="0013 8000").rows["customer_id"].tolist() == ["a1"]


def test_phone_search_is_off_when_contacts_are_masked() -> None:
    page = listing(shop(), query="00138000", search_contacts=False)
    assert page.total == 0 and page.rows.empty


def test_list_respects_the_filters_of_the_base() -> None:
    page = listing(shop(), f=Filters(regions=("west",)))
    assert sorted(page.rows["customer_id"]) == ["c3", "d4"]


def test_risk_scores_join_and_sort() -> None:
    risk = pd.DataFrame({"customer_id": ["a1", "b2", "c3"], "churn_risk": [0.2, 0.9, 0.5],
                         "risk_x_value": [80.0, 27.0, 450.0]})
    page = listing(shop(), risk=risk, sort="risk", descending=True)
    assert page.rows["customer_id"].tolist() == ["b2", "c3", "a1", "d4"]
    assert pd.isna(page.rows["churn_risk"].iloc[-1])
    by_value = listing(shop(), risk=risk, sort="risk_x_value")
    assert by_value.rows["customer_id"].tolist()[:3] == ["c3", "a1", "b2"]


def test_unknown_sort_is_refused() -> None:
    with pytest.raises(ValueError):
        listing(shop(), sort="phone; DROP TABLE customers")


def test_profile_orders_spend_and_net_up_to_as_of() -> None:
    p = c360.profile(shop().con, S, None, "b2")
    # rows newest first; the refund row has net −20
    assert p.orders["order_id"].tolist() == ["ob-r", "ob"]
    assert p.orders["net_amount"].tolist() == [-20.0, 50.0]
    assert p.order_lines == 2 and p.net_spend == 30.0
    # both rows are in May: net 30, one counted order (ob-r is its own order with net −20)
    assert p.spend_by_month.to_dict("records") == [
        {"month": pd.Timestamp("2026-05-01"), "net_amount": 30.0, "orders": 1}]


def test_profile_leaves_out_orders_after_as_of() -> None:
    p = c360.profile(shop().con, S, None, "c3")
    assert p.orders["order_date"].tolist() == [pd.Timestamp("2026-02-01")]
    assert p.net_spend == 900.0


def test_profile_surveys_and_followups_with_history() -> None:
    s = shop()
    s.survey("a1", "2026-03-01", "nps", 4).survey("a1", "2026-06-02", "csat", 5)
    s.survey("a1", "2026-07-01", "nps", 10)  # after as_of: not shown
    s.followup("a1", "2026-04-01", status="done")
    s.con.execute("INSERT INTO followup_history (followup_id, version, op, changed_by, after) "
                  "SELECT followup_id, 1, 'create', 'wang', to_json(f) FROM followups f")
    p = c360.profile(s.con, S, None, "a1")
    assert p.surveys[["scale", "score"]].values.tolist() == [["csat", 5], ["nps", 4]]
    assert p.followups[["action", "status"]].values.tolist() == [["call", "done"]]
    assert p.followup_changes[["op", "status", "changed_by"]].values.tolist() == [
        ["create", "done", "wang"]]
    assert p.details["phone"] == "138-0013-8000" and p.details["region"] == "east"


def test_profile_outside_scope_is_not_found() -> None:
    s = shop()
    with pytest.raises(NotFound):
        c360.profile(s.con, S, Filters(scope_owners=("li",)), "a1")
    with pytest.raises(NotFound):
        c360.profile(s.con, S, None, "zz")


# --- churn-warning list -------------------------------------------------------------------

def scores() -> pd.DataFrame:
    """Risk × value by hand: a1 0.5 × 400 = 200, b2 0.9 × 30 = 27, c3 0.2 × 900 = 180; d4 has no
    counted order and so no score."""
    return pd.DataFrame({
        "customer_id": ["a1", "b2", "c3", "d4"], "churn_risk": [0.5, 0.9, 0.2, None],
        "risk_x_value": [200.0, 27.0, 180.0, None],
        "churn_reasons": ["r-a1", "r-b2", "", ""], "reason_codes": ["overdue", "detractor", "", ""],
    })


def warnings(s: Shop, f: Filters | None = None, **kw) -> c360.WarningList:
    return c360.warning_list(s.con, customer_base(s.con, S, f), scores(), **kw)


def test_warning_list_ranks_by_risk_times_value_and_skips_unscored() -> None:
    w = warnings(shop())
    assert w.rows["customer_id"].tolist() == ["a1", "c3", "b2"]
    assert w.rows["churn_reasons"].tolist() == ["r-a1", "", "r-b2"]
    assert w.total == 3 and w.value_at_risk == pytest.approx(407.0)


def test_warning_levels_count_every_matching_customer() -> None:
    levels = warnings(shop()).levels.set_index("level")
    # b2 0.9 high; a1 0.5 medium; c3 0.2 low (cut-offs 0.6 / 0.3)
    assert levels["customers"].to_dict() == {"high": 1, "medium": 1, "low": 1}
    assert levels.loc["high", "value"] == 30.0 and levels.loc["low", "value_at_risk"] == 180.0


def test_warning_filters_min_risk_owner_and_limit() -> None:
    s = shop()
    assert warnings(s, min_risk=0.5).rows["customer_id"].tolist() == ["a1", "b2"]
    assert warnings(s, owners=("wang",)).rows["customer_id"].tolist() == ["a1", "c3"]
    assert warnings(s, stages=("nothing",)).total == 0
    top = warnings(s, limit=1)
    assert top.rows["customer_id"].tolist() == ["a1"] and top.total == 3  # totals over all matches


def test_warning_filters_by_segment_and_tier_as_classified() -> None:
    s = shop()
    base = customer_base(s.con, S, None).set_index("customer_id")
    # 900 of 1,330 = 68 % → c3 is A; a1 starts below 70 % (crosses it) → A too; b2 → C
    assert base["abc_tier"].dropna().to_dict() == {"a1": "A", "b2": "C", "c3": "A"}
    assert warnings(s, tiers=("A",)).rows["customer_id"].tolist() == ["a1", "c3"]
    assert warnings(s, tiers=("C",)).rows["customer_id"].tolist() == ["b2"]
    seg_a1 = base.loc["a1", "rfm_segment"]
    assert "a1" in warnings(s, segments=(seg_a1,)).rows["customer_id"].tolist()
