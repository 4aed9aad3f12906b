"""RFM (METRICS.md "RFM" and "ABC value tiers"): 1–5 scores, the eight segments, ABC tiers.

The rules here are vectorised over the per-customer facts (``base.customer_facts``), so changing a
threshold re-scores a million customers without touching the orders again.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from core.filters import Filters
from core.settings import Settings

# Index = 4·R_high + 2·F_high + M_high (METRICS.md eight-segment table).
SEGMENT_BY_BITS: tuple[str, ...] = (
    "general_win_back",    # R low,  F low,  M low
    "important_win_back",  # R low,  F low,  M high
    "general_keep",        # R low,  F high, M low
    "important_keep",      # R low,  F high, M high
    "general_develop",     # R high, F low,  M low
    "important_develop",   # R high, F low,  M high
    "general_value",       # R high, F high, M low
    "champions",           # R high, F high, M high
)
SEGMENTS: tuple[str, ...] = (
    "champions", "important_develop", "important_keep", "important_win_back",
    "general_value", "general_develop", "general_keep", "general_win_back",
)
"""Stable segment codes in display order (most valuable first); names in ``core/i18n/metrics.py``."""

TIERS: tuple[str, ...] = ("A", "B", "C")


def bucket_scores(values: pd.Series, buckets: int = 5, higher_is_better: bool = True) -> pd.Series:
    """Scores 1..buckets by rank, ties never split; NaN values get no score (<NA>).

    ``score = 1 + floor((min_rank − 1) · buckets / n)`` where ``min_rank`` is the 1-based rank of
    the value among the ``n`` non-missing values, equal values sharing their lowest rank
    (SQL ``RANK()``). With ``higher_is_better=False`` (recency) the rank is taken in descending
    order, so the smallest value — the most recent customer — gets the top score.
    Example, n = 10, buckets = 5, values 1,1,1,2,3,4,5,6,7,8: min ranks 1,1,1,4,5,…,10 →
    scores 1,1,1,2,2,3,3,4,4,5.
    """
    present = values.notna()
    n = int(present.sum())
    out = pd.Series(pd.NA, index=values.index, dtype="Int8")
    if n == 0:
        return out
    ranks = values[present].rank(method="min", ascending=higher_is_better).to_numpy()
    scores = 1 + np.floor((ranks - 1) * buckets / n).astype(np.int8)
    out[present] = scores
    return out


def comparison_points(
    recency: pd.Series, frequency: pd.Series, monetary: pd.Series, compare: str = "mean"
) -> tuple[float, float, float]:
    """Mean (or median) of R, F, M over the given (scored) customers."""
    if compare == "median":
        return float(recency.median()), float(frequency.median()), float(monetary.median())
    return float(recency.mean()), float(frequency.mean()), float(monetary.mean())


def segment_codes(
    recency: pd.Series, frequency: pd.Series, monetary: pd.Series, compare: str = "mean"
) -> pd.Series:
    """The eight-segment code of every customer whose recency is known (others <NA>).

    Compared with the mean (or median) over those customers: R is high when recency is strictly
    *below* the point (more recent), F and M are high when strictly *above* it — so a customer
    exactly at the point counts as low, and with the median a majority tie stays "low".
    """
    scored = recency.notna()
    out = pd.Series(pd.NA, index=recency.index, dtype="str")
    if not scored.any():
        return out
    r, f, m = recency[scored], frequency[scored], monetary[scored]
    r0, f0, m0 = comparison_points(r, f, m, compare)
    bits = (
        (r.to_numpy() < r0).astype(np.int8) * 4
        + (f.to_numpy() > f0).astype(np.int8) * 2
        + (m.to_numpy() > m0).astype(np.int8)
    )
    out[scored] = np.asarray(SEGMENT_BY_BITS, dtype=object)[bits]
    return out


def abc_tiers(monetary: pd.Series, scored: pd.Series, abc_a: float = 0.70, abc_b: float = 0.90) -> pd.Series:
    """ABC tier of every scored customer (others <NA>).

    Customers with M > 0 sorted by M descending (ties by position in the frame, i.e. stably);
    ``start`` = cumulative share of total positive revenue *before* the customer. A if
    ``start < abc_a``, B if ``start < abc_b``, else C — so the customer that crosses a cut-off
    belongs to the tier it starts in. Scored customers with M ≤ 0 are C.
    """
    out = pd.Series(pd.NA, index=monetary.index, dtype="str")
    out[scored.to_numpy()] = "C"
    positive = scored.to_numpy() & (monetary.fillna(0).to_numpy() > 0)
    m = monetary.to_numpy(dtype=float, na_value=0.0)[positive]
    if m.size == 0:
        return out
    order = np.argsort(-m, kind="stable")
    sorted_m = m[order]
    total = sorted_m.sum()
    start = (np.cumsum(sorted_m) - sorted_m) / total
    tiers_sorted = np.where(start < abc_a, "A", np.where(start < abc_b, "B", "C"))
    tiers = np.empty(m.size, dtype=object)
    tiers[order] = tiers_sorted
    out[positive] = tiers
    return out


def scores(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None
) -> pd.DataFrame:
    """R/F/M values, scores and segment of every customer with a counted order."""
    from core.metrics.base import customer_base

    base = customer_base(con, s, f)
    cols = [
        "customer_id", "recency_days", "frequency", "monetary",
        "r_score", "f_score", "m_score", "rfm_segment", "abc_tier",
    ]
    return base.loc[base["rfm_segment"].notna(), cols].reset_index(drop=True)
