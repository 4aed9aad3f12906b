"""What the Overview warns about: new high-value detractors and customers newly at risk.

Overdue follow-ups and neglected valuable customers come from ``core.followup.reminders``.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pandas as pd

from core import followup
from core.filters import Filters
from core.metrics import base, satisfaction
from core.metrics.common import resolve_as_of
from core.settings import Settings

HIGH_VALUE_TIERS = ("A", "B")


def new_high_value_detractors(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
                              days: int = 30) -> pd.DataFrame:
    """Tier A/B customers whose latest NPS answer is a detractor's (0–6) and came in the last ``days``."""
    as_of = resolve_as_of(con, s)
    det = satisfaction.detractors(con, s, f, limit=10_000)
    if det.empty:
        return det
    recent = pd.to_datetime(det["last_survey_date"]).dt.date >= as_of - timedelta(days=days)
    out = det[recent & det["abc_tier"].isin(HIGH_VALUE_TIERS)]
    return out.sort_values("monetary", ascending=False).reset_index(drop=True)


def newly_at_risk(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None,
                  days: int = 30) -> pd.DataFrame:
    """Customers at risk now who were new, active or loyal ``days`` ago (the ones to call first).

    Compares the lifecycle stage as of ``as_of`` with the stage as of ``as_of − days``; sorted by
    value. Columns: customer_id, name, owner, recency_days, monetary, abc_tier, stage_before.
    """
    as_of = resolve_as_of(con, s)
    now = base.customer_base(con, s.with_(as_of=as_of), f)
    before = base.customer_base(con, s.with_(as_of=as_of - timedelta(days=days)), f)
    was = before.set_index("customer_id")["lifecycle_stage"]
    now = now.assign(stage_before=now["customer_id"].map(was))
    moved = now[(now["lifecycle_stage"] == "at_risk")
                & now["stage_before"].isin(["new", "active", "loyal"])]
    cols = ["customer_id", "name", "owner", "recency_days", "monetary", "abc_tier", "stage_before"]
    return moved.sort_values("monetary", ascending=False)[cols].reset_index(drop=True)


def reminders(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None) -> followup.Reminders:
    """``followup.reminders`` in the (con, settings, filters) shape the page cache expects: valuable
    and neglected are judged at the reference date (``resolve_as_of``) and customers churned then
    (``s.churn_days``) are left out; overdue stays relative to today."""
    return followup.reminders(con, f, no_followup_days=s.no_followup_days, as_of=resolve_as_of(con, s),
                              churn_days=s.churn_days)
