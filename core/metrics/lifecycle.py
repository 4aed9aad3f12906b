"""Lifecycle (METRICS.md "Lifecycle stages" and "Churn"): stages, funnel, cohorts, transitions.

``stage_of`` is the one place the stage rules live; everything else here applies it to the
per-customer facts as of some date, or aggregates order history in DuckDB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.settings import Settings

STAGES: tuple[str, ...] = ("potential", "new", "active", "loyal", "at_risk", "churned")
"""Stage codes in display order (names in ``core/i18n/metrics.py``)."""


def stage_of(frame: pd.DataFrame, s: Settings) -> pd.Series:
    """Exactly one stage per row, rules evaluated in METRICS.md order.

    Needs columns recency_days, tenure_days, orders_total, median_gap_days, abc_tier.
    1 potential: no counted order; 2 churned: recency > churn_days; 3 at_risk: recency >
    risk_days, or orders_total ≥ 3 and recency > cycle_factor × median gap; 4 new: first order
    ever at most new_days before as_of (tenure ≤ new_days); 5 loyal: orders_total ≥ loyal_orders
    or ABC tier A; 6 active: everyone else.
    """
    recency = frame["recency_days"].to_numpy(dtype=float, na_value=np.nan)
    tenure = frame["tenure_days"].to_numpy(dtype=float, na_value=np.nan)
    orders = frame["orders_total"].to_numpy(dtype=float, na_value=0.0)
    median_gap = frame["median_gap_days"].to_numpy(dtype=float, na_value=np.nan)
    tier_a = (frame["abc_tier"] == "A").fillna(False).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        beyond_cycle = (orders >= 3) & (recency > s.cycle_factor * median_gap)
        conditions = [
            np.isnan(recency),
            recency > s.churn_days,
            (recency > s.risk_days) | beyond_cycle,
            tenure <= s.new_days,
            (orders >= s.loyal_orders) | tier_a,
        ]
    choices = ["potential", "churned", "at_risk", "new", "loyal"]
    stages = np.select(conditions, choices, default="active")
    return pd.Series(stages, index=frame.index, dtype="str")
