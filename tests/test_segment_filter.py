"""The sidebar's segment filter: computed over the other filters' population, stored once per
data version, then narrowing every view without changing anyone's segment or tier."""

from __future__ import annotations

import pandas as pd
import pytest

from core import db, segment_scope, whatif
from core.errors import KehuError
from core.filters import Filters, customer_where
from core.metrics import kpi, lifecycle
from core.metrics.base import customer_base
from core.metrics.common import bind
from tests.metrics_fixtures import d, days_before
from tests.test_segments import AS_OF, S, four_customers


def visible_ids(con, f: Filters) -> list[str]:
    sql, params = bind("SELECT customer_id FROM customers c WHERE {where} ORDER BY 1", customer_where(f, "c"))
    return [r[0] for r in con.execute(sql, params).fetchall()]


def test_base_keeps_population_segments_and_tiers() -> None:
    # four_customers: c and d are general_win_back over a–d; tiers c → C, d → A (total 1,600)
    con = four_customers().con
    base = customer_base(con, S, Filters(segments=("general_win_back",)))
    assert base["customer_id"].tolist() == ["c", "d"]
    assert base["rfm_segment"].tolist() == ["general_win_back", "general_win_back"]
    assert base["abc_tier"].tolist() == ["C", "A"]


def test_sql_views_follow_a_resolved_filter() -> None:
    con = four_customers().con
    f = segment_scope.resolve(con, S, Filters(segments=("champions", "general_develop")))
    assert f.segment_key is not None
    assert visible_ids(con, f) == ["a", "b"]
    # revenue in the quarter to as_of: a 4 × 250 + b 100 = 1,100 (c and d: 100 + 400 left out)
    snap = kpi.snapshot(con, S, f, period="quarter").set_index("kpi")
    assert snap.loc["revenue", "value"] == 1100


def test_an_unresolved_segment_filter_never_reaches_sql_silently() -> None:
    with pytest.raises(ValueError, match="resolve"):
        customer_where(Filters(segments=("champions",)))


def test_segments_are_computed_within_the_other_filters() -> None:
    # West only (c: 100 one order 100 days ago, d: 400 same day): R and F equal the means
    # (not below/above) → low; M mean 250 → d high. So d is important_win_back *in the west*,
    # a segment nobody has in the whole population.
    con = four_customers().con
    whole = customer_base(con, S)
    assert "important_win_back" not in set(whole["rfm_segment"])
    west = Filters(regions=("west",), segments=("important_win_back",))
    assert customer_base(con, S, west)["customer_id"].tolist() == ["d"]
    assert visible_ids(con, segment_scope.resolve(con, S, west)) == ["d"]


def test_membership_follows_the_data_version_and_old_sets_are_pruned() -> None:
    shop = four_customers()
    con = shop.con
    f = Filters(segments=("champions",))
    first = segment_scope.resolve(con, S, f)
    assert visible_ids(con, first) == ["a"]
    # b buys three more times (F 4, M 400): means over a–d become R 55, F 2.5, M 475, so b is
    # general_value (M below the mean) and a stays the only champion — under a new key
    for i in range(3):
        shop.order("b", days_before(AS_OF, 20 + i), 100)
    db.bump_data_version(con)
    second = segment_scope.resolve(con, S, f)
    assert second.segment_key != first.segment_key
    assert db.scalar(con, "SELECT count(*) FROM segment_member_sets WHERE member_key = ?", [first.segment_key]) == 0
    assert db.scalar(con, "SELECT count(*) FROM segment_members WHERE member_key = ?", [first.segment_key]) == 0
    assert visible_ids(con, second) == ["a"]


def test_resolving_twice_writes_the_set_once() -> None:
    con = four_customers().con
    f = Filters(segments=("general_win_back",))
    segment_scope.resolve(con, S, f)
    segment_scope.resolve(con, S, f)
    assert db.scalar(con, "SELECT count(*) FROM segment_member_sets") == 1
    assert db.scalar(con, "SELECT count(*) FROM segment_members") == 4  # a, b, c, d (p has no order)


def test_unknown_segment_is_refused_by_name() -> None:
    with pytest.raises(KehuError, match="'vip'"):
        segment_scope.resolve(four_customers().con, S, Filters(segments=("vip",)))


def test_stage_history_counts_members_only_with_population_tiers() -> None:
    con = four_customers().con
    f = segment_scope.resolve(con, S, Filters(segments=("general_win_back",)))
    history = lifecycle.stages_at(con, S, f, [d(AS_OF)])
    assert sorted(history["customer_id"]) == ["c", "d"]
    assert history.attrs["customers"] == 2
    # d is tier A of the whole population (not of {c, d} alone, where it would also be A,
    # but c would be C either way) — its stage: 100 days silent → at_risk
    assert dict(zip(history["customer_id"], history["abc_tier"], strict=True)) == {"c": "C", "d": "A"}
    assert set(history["lifecycle_stage"]) == {"at_risk"}


def test_whatif_compares_only_the_chosen_customers_but_classifies_everyone() -> None:
    con = four_customers().con
    facts = whatif.facts(con, S, Filters(segments=("general_win_back",)))
    assert len(facts) == 5  # the segment choice does not narrow the scan
    # median comparison: recency median 55 → same split; monetary median 250 → d (400) M high
    after = S.with_(rfm_compare="median")
    result = whatif.compare(facts, S, after, only=pd.Series(["c", "d"]))
    assert result.customers == 2
    assert result.moved_segment == 1  # d: general_win_back → important_win_back
    assert result.movers["customer_id"].tolist() == ["d"]
