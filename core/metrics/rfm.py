"""RFM (METRICS.md "RFM" and "ABC value tiers"): 1–5 scores, the eight segments, ABC tiers.

The rules here are vectorised over the per-customer facts (``base.customer_facts``), so changing a
threshold re-scores a million customers without touching the orders again.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

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


def labels(codes: np.ndarray, names: tuple[str, ...]) -> pd.arrays.ArrowStringArray:
    """Text labels ``names[code]`` (missing where code = −1) as pandas' default ``str`` dtype.

    Built through Arrow in ~30 ms per million rows (an object array would take ~5× longer),
    so callers get ordinary strings: ``fillna``, ``==`` and ``.map`` behave as on any column.
    """
    taken = pa.array(names, pa.large_string()).take(pa.array(codes, mask=codes < 0))
    return pd.arrays.ArrowStringArray(taken, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def min_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ascending ranks with ties sharing their lowest rank (SQL ``RANK()``), as float.

    Integer inputs with a small range (recency, frequency) are counted with ``bincount`` in
    O(n); anything else is sorted once.
    """
    n = values.size
    if n == 0:
        return np.empty(0)
    if np.issubdtype(values.dtype, np.integer) or np.all(np.mod(values, 1) == 0):
        low, high = values.min(), values.max()
        if high - low <= 4 * n + 1024:
            shifted = (values - low).astype(np.int64)
            counts = np.bincount(shifted)
            below = np.cumsum(counts) - counts
            return below[shifted].astype(float) + 1
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first_position = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    ranks = np.empty(n)
    ranks[order] = first_position + 1
    return ranks


def ntile_of_position(position: np.ndarray, n: int, buckets: int) -> np.ndarray:
    """SQL ``NTILE(buckets)`` of 1-based ``position`` among ``n`` rows: n = q·buckets + r, the
    first r buckets hold q + 1 rows and the others q (e.g. n = 7, 5 buckets → 1,1,2,2,3,4,5)."""
    q, r = divmod(n, buckets)
    in_big = r * (q + 1)  # rows in the r larger buckets
    position = position.astype(np.int64)
    small = r + (position - in_big - 1) // max(q, 1) + 1
    return np.where(position <= in_big, (position - 1) // (q + 1) + 1, small)


def scores_from_ranks(ranks: np.ndarray, buckets: int) -> pd.arrays.IntegerArray:
    """``NTILE(buckets)`` of each non-NaN min-rank among the n non-NaN ranks: ties share the
    bucket of the first position of their group."""
    present = ~np.isnan(ranks)
    n = int(present.sum())
    scores = np.zeros(ranks.size, dtype=np.int8)
    if n:
        scores[present] = ntile_of_position(ranks[present], n, buckets).astype(np.int8)
    return pd.arrays.IntegerArray(scores, ~present)


def bucket_scores(values: pd.Series, buckets: int = 5, higher_is_better: bool = True) -> pd.Series:
    """Scores 1..buckets by rank, ties never split; missing values get no score (<NA>).

    Rank first, then bucket: ``min_rank`` = the 1-based rank of the value among the ``n``
    non-missing values with equal values sharing their lowest rank (SQL ``RANK()``), and
    ``score = NTILE(buckets)`` of the row at position ``min_rank`` — n = q·buckets + r, the first
    r buckets hold q + 1 positions, the others q. So with n divisible by 5 it is
    ``1 + floor((min_rank − 1)·5 / n)``; with n = 7 positions 1..7 map to 1,1,2,2,3,4,5.
    With ``higher_is_better=False`` (recency) the rank is taken in descending order, so the
    smallest value — the most recent customer — gets the top score.
    Example, n = 10, buckets = 5, values 1,1,1,2,3,4,5,6,7,8: min ranks 1,1,1,4,5,…,10 →
    scores 1,1,1,2,3,3,4,4,5,5 (the three tied 1s share score 1).
    """
    raw = values.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(raw)
    ranks = np.full(raw.size, np.nan)
    kept = raw[present] if higher_is_better else -raw[present]
    ranks[present] = min_ranks(kept)
    return pd.Series(scores_from_ranks(ranks, buckets), index=values.index)


def monetary_positions(monetary: np.ndarray, scored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two facts about M that need a sort, so ``classify`` never sorts: per customer, the
    ascending min-rank of M among scored customers, and the ABC ``start`` share (cumulative share
    of total positive M before the customer, M descending, ties by position). NaN where undefined.
    """
    m_rank = np.full(monetary.size, np.nan)
    share = np.full(monetary.size, np.nan)
    idx = np.flatnonzero(scored)
    n = idx.size
    if n == 0:
        return m_rank, share
    m = np.nan_to_num(monetary[idx].astype(float))
    order = np.argsort(-m, kind="stable")
    ordered = m[order]
    # ascending min-rank = n − (number of values ≥ v) + 1 = n − (last index of v's tie group)
    ends = np.r_[ordered[1:] != ordered[:-1], True]
    last = np.minimum.accumulate(np.where(ends, np.arange(n), n)[::-1])[::-1]
    m_rank[idx[order]] = n - last
    positive = ordered > 0  # a prefix of the descending order
    if positive.any():
        pos = ordered[positive]
        share[idx[order[positive]]] = (np.cumsum(pos) - pos) / pos.sum()
    return m_rank, share


def abc_from_share(share: np.ndarray, scored: np.ndarray, abc_a: float, abc_b: float) -> pd.arrays.ArrowStringArray:
    """A if start share < abc_a, B if < abc_b, else C; scored customers without a share (M ≤ 0) C."""
    codes = np.where(scored, 2, -1).astype(np.int8)
    with np.errstate(invalid="ignore"):
        codes[share < abc_b] = 1
        codes[share < abc_a] = 0
    return labels(codes, TIERS)


def comparison_points(
    recency: np.ndarray, frequency: np.ndarray, monetary: np.ndarray, compare: str = "mean"
) -> tuple[float, float, float]:
    """Mean (or median) of R, F, M over the given (scored) customers."""
    point = np.median if compare == "median" else np.mean
    return float(point(recency)), float(point(frequency)), float(point(monetary))


def segment_codes(
    recency: pd.Series, frequency: pd.Series, monetary: pd.Series, compare: str = "mean"
) -> pd.Series:
    """The eight-segment code of every customer whose recency is known (others missing).

    Compared with the mean (or median) over those customers: R is high when recency is strictly
    *below* the point (more recent), F and M are high when strictly *above* it — so a customer
    exactly at the point counts as low, and with the median a majority tie stays "low".
    Returned as text (codes of ``SEGMENTS``).
    """
    r = recency.to_numpy(dtype=float, na_value=np.nan)
    scored = ~np.isnan(r)
    codes = np.full(r.size, -1, dtype=np.int8)
    if scored.any():
        r = r[scored]
        f = frequency.to_numpy(dtype=float, na_value=np.nan)[scored]
        m = monetary.to_numpy(dtype=float, na_value=np.nan)[scored]
        r0, f0, m0 = comparison_points(r, f, m, compare)
        bits = (r < r0) * 4 + (f > f0) * 2 + (m > m0)
        codes[scored] = _SEGMENT_CODE_BY_BITS[bits]
    return pd.Series(labels(codes, SEGMENTS), index=recency.index)


_SEGMENT_CODE_BY_BITS = np.array([SEGMENTS.index(code) for code in SEGMENT_BY_BITS], dtype=np.int8)


def abc_tiers(monetary: pd.Series, scored: np.ndarray, abc_a: float = 0.70, abc_b: float = 0.90) -> pd.Series:
    """ABC tier (``A``/``B``/``C``) of every scored customer (others missing).

    Customers with M > 0 sorted by M descending (ties by position in the frame — customer_id
    order for ``customer_facts``); ``start`` = cumulative share of total positive revenue
    *before* the customer. A if ``start < abc_a``, B if ``start < abc_b``, else C — so the
    customer that crosses a cut-off belongs to the tier it starts in. Scored customers with
    M ≤ 0 are C.
    """
    is_scored = np.asarray(scored, dtype=bool)
    _, share = monetary_positions(monetary.to_numpy(dtype=float, na_value=0.0), is_scored)
    return pd.Series(abc_from_share(share, is_scored, abc_a, abc_b), index=monetary.index)


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
