"""Training vs scoring: a follow-up saved today re-scores the customer with the same model, and
plan or target writes leave the imported-data version (the model's cache key) alone."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pytest

from core import db
from core.db import connect
from core.demo import build_demo
from core.metrics import churn, kpi
from core.settings import Settings

END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def shop() -> tuple[duckdb.DuckDBPyConnection, churn.ChurnModel]:
    con = connect(":memory:")
    build_demo(con, customers=2000, seed=42, end=END)
    return con, churn.train(con, Settings())


def test_score_equals_train_then_apply(shop: tuple[duckdb.DuckDBPyConnection, churn.ChurnModel]) -> None:
    con, model = shop
    whole = churn.score(con, Settings(), lang="en")
    parts = churn.apply(con, Settings(), model, "en")
    assert model.method == "model" and whole.model_name == parts.model_name
    assert np.allclose(whole.scores["churn_risk"], parts.scores["churn_risk"], equal_nan=True)
    assert whole.note == parts.note


def test_a_done_follow_up_today_changes_the_reasons_not_the_model(
        shop: tuple[duckdb.DuckDBPyConnection, churn.ChurnModel]) -> None:
    con, model = shop
    before = churn.apply(con, Settings(), model, "en").scores.set_index("customer_id")
    stale = before[before["reason_codes"].str.contains("no_followup|never_followed_up")]
    customer = stale.sort_values("risk_x_value", ascending=False).index[0]
    sources = db.source_version(con)
    with db.transaction(con):
        con.execute("INSERT INTO followups (customer_id, owner, action, due_date, status) "
                    "VALUES (?, 'wang', 'call', ?, 'done')", [customer, END])
        db.bump_data_version(con, sources=False)
    assert db.source_version(con) == sources  # the model's key did not move
    after = churn.apply(con, Settings(), model, "en").scores.set_index("customer_id")
    followup_codes = {"no_followup", "never_followed_up"}
    assert followup_codes & set(before.loc[customer, "reason_codes"].split(","))
    assert not followup_codes & set(after.loc[customer, "reason_codes"].split(","))
    others = after.index != customer
    assert np.allclose(after.loc[others, "churn_risk"], before.loc[others, "churn_risk"], equal_nan=True)


def test_targets_change_the_data_version_but_not_the_source_version() -> None:
    con = connect(":memory:")
    build_demo(con, customers=200, seed=1, end=END)
    data, sources = db.data_version(con), db.source_version(con)
    assert sources > 0  # the demo load counts as imported data
    kpi.set_target(con, "revenue", date(2025, 7, 1), 1000.0, "test")
    assert (db.data_version(con), db.source_version(con)) == (data + 1, sources)


def test_a_high_risk_customer_without_a_rule_reason_gets_the_pattern_reason(
        shop: tuple[duckdb.DuckDBPyConnection, churn.ChurnModel]) -> None:
    con, model = shop
    scores = churn.apply(con, Settings(), model, "en").scores
    risky = scores[scores["churn_risk"] >= churn.PATTERN_REASON_FROM]
    assert (risky["churn_reasons"] != "").all()  # nobody at ≥ 30 % is left without a reason
    pattern = risky[risky["reason_codes"] == "pattern"]
    assert len(pattern) > 0
    row = pattern.iloc[0]
    base = churn.features(con, Settings(), None, END).set_index("customer_id").loc[row["customer_id"]]
    assert row["churn_reasons"] == (f"overall buying pattern ({int(base['recency_days'])} days since the "
                                    f"last order, {int(base['orders_total'])} orders)")
    low = scores[(scores["churn_risk"] < churn.PATTERN_REASON_FROM)]
    assert "pattern" not in set(low["reason_codes"])

