"""What-if: the same customers classified under base and changed thresholds, side by side.

Only ``as_of`` and ``window_days`` need a scan of the orders (``facts``); every other threshold is
applied by ``base.classify`` to the cached facts, so moving a slider re-labels customers in
pandas without touching DuckDB. ``compare`` takes one facts frame per side (the same frame twice
when the scan settings are equal) and returns sizes, revenue, the from→to matrices, the movers
(limited) and a win-back revenue projection.

**Usual spend** (for the projection): a customer's net spend in the analysis window divided by
their *active months* — the calendar months from their first to their last counted order inclusive
(the first order is clipped to the window start when a window is set), at least 1. A customer who
bought in Jan and Mar for 300 in total has 3 active months and a usual spend of 100 a month.
The projection for ``share`` of the target customers over ``horizon_days`` is
``share × Σ usual_monthly_spend × horizon_days / DAYS_PER_MONTH`` (an expected value: which
customers come back is unknown, so each counts with probability ``share``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.filters import Filters
from core.metrics.base import classify, customer_facts
from core.metrics.common import resolve_as_of
from core.metrics.lifecycle import STAGES
from core.metrics.rfm import SEGMENTS, TIERS
from core.settings import Settings

DAYS_PER_MONTH = 365.25 / 12
SCAN_FIELDS = ("as_of", "window_days")
"""Settings that change which orders are read; all other fields are thresholds on the facts."""

THRESHOLDS: tuple[str, ...] = (
    "rfm_compare", "score_buckets", "abc_a", "abc_b", "new_days", "risk_days", "churn_days",
    "cycle_factor", "loyal_orders", "horizon_days", "window_days",
)
"""The settings the what-if page offers as controls (METRICS.md thresholds)."""

MOVER_COLUMNS = [
    "customer_id", "name", "region", "channel", "owner", "recency_days", "frequency", "monetary",
    "segment_before", "segment_after", "stage_before", "stage_after", "tier_before", "tier_after",
]


def facts(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters | None = None) -> pd.DataFrame:
    """The per-customer facts for ``s`` (the one scan of the orders; cache it on ``scan_key``).

    A segment choice in ``f`` is ignored here: segments are computed over the population of the
    other filters; ``compare(only=...)`` then narrows the comparison to the chosen customers.
    """
    return customer_facts(con, resolve_as_of(con, s), s.window_days, None if f is None else f.without_segments())


def scan_key(s: Settings) -> Settings:
    """Settings reduced to what the scan depends on, so a cache keyed on them survives threshold moves."""
    return Settings(as_of=s.as_of, window_days=s.window_days)


def needs_rescan(before: Settings, after: Settings) -> bool:
    """Whether ``after`` reads different orders than ``before`` (not just different thresholds)."""
    return any(getattr(before, name) != getattr(after, name) for name in SCAN_FIELDS)


def changed_fields(before: Settings, after: Settings) -> list[str]:
    """Names of the settings that differ, in dataclass order."""
    return [fd.name for fd in fields(Settings) if getattr(before, fd.name) != getattr(after, fd.name)]


@dataclass(frozen=True)
class Projection:
    """Win-back revenue: ``share`` of ``customers`` target customers at their usual spend."""

    customers: int
    monthly_spend: float  # Σ usual monthly spend of all target customers
    horizon_days: int
    share: float
    revenue: float  # share × monthly_spend × horizon months


@dataclass(frozen=True)
class Comparison:
    """Before vs after, on the same customers."""

    segments: pd.DataFrame  # code, customers_before/after, revenue_before/after, share_*, delta_*
    stages: pd.DataFrame
    tiers: pd.DataFrame
    segment_matrix: pd.DataFrame  # long: from, to, customers (scored customers only)
    stage_matrix: pd.DataFrame  # long: from, to, customers (all customers)
    scores: pd.DataFrame  # score, r/f/m before and after: customers per score value
    movers: pd.DataFrame  # MOVER_COLUMNS, most valuable first, at most ``limit`` rows
    movers_total: int  # customers whose segment, stage or tier changed
    moved_segment: int
    moved_stage: int
    moved_tier: int
    customers: int
    projection_before: Projection
    projection_after: Projection


def active_months(first: pd.Series, last: pd.Series, window_start: date | None = None) -> pd.Series:
    """Calendar months from first to last order inclusive (first clipped to the window), ≥ 1.

    NaN where the customer has no counted order. Jan 5 → Mar 1 is 3 months; one order is 1 month.
    """
    first = pd.to_datetime(first)
    last = pd.to_datetime(last)
    if window_start is not None:
        first = first.where(first.isna() | (first > pd.Timestamp(window_start)),
                            pd.Timestamp(window_start + timedelta(days=1)))
    months = (last.dt.year - first.dt.year) * 12 + (last.dt.month - first.dt.month) + 1
    return months.astype("float64").clip(lower=1)


def usual_monthly_spend(facts_frame: pd.DataFrame) -> pd.Series:
    """Net spend in the window ÷ active months (module docstring); 0 for customers without orders."""
    as_of = facts_frame.attrs.get("as_of")
    window = facts_frame.attrs.get("window_days")
    start = as_of - timedelta(days=window) if (as_of is not None and window is not None) else None
    months = active_months(facts_frame["first_order_date"], facts_frame["last_order_date"], start)
    spend = facts_frame["monetary"].astype("float64") / months
    return spend.fillna(0.0).clip(lower=0.0)


def projection(classified: pd.DataFrame, s: Settings, share: float,
               stages: tuple[str, ...] = ("at_risk",)) -> Projection:
    """Expected revenue over ``s.horizon_days`` if ``share`` of the customers in ``stages`` come back."""
    target = classified["lifecycle_stage"].isin(stages).to_numpy()
    monthly = float(usual_monthly_spend(classified)[target].sum())
    revenue = share * monthly * s.horizon_days / DAYS_PER_MONTH
    return Projection(int(target.sum()), monthly, s.horizon_days, share, revenue)


def _codes(values: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Position of each value in ``categories`` (−1 when missing), for str or categorical input.

    Arrow's ``index_in`` does a million strings in milliseconds; pandas' hash lookup takes ~0.1 s.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Categorical(values, categories=list(categories)).codes.astype(np.int16)
    found = pc.index_in(pa.array(values, type=pa.large_string(), from_pandas=True),
                        value_set=pa.array(categories, type=pa.large_string()))
    return pc.fill_null(found, -1).to_numpy().astype(np.int16)


def _sizes(codes_b: np.ndarray, codes_a: np.ndarray, categories: tuple[str, ...],
           revenue_b: np.ndarray, revenue_a: np.ndarray) -> pd.DataFrame:
    k = len(categories)
    out = pd.DataFrame({"code": list(categories)})
    for side, codes, revenue in (("before", codes_b, revenue_b), ("after", codes_a, revenue_a)):
        known = codes >= 0
        out[f"customers_{side}"] = np.bincount(codes[known], minlength=k).astype("int64")
        out[f"revenue_{side}"] = np.bincount(codes[known], weights=revenue[known], minlength=k)
    for side in ("before", "after"):
        n, rev = out[f"customers_{side}"].sum(), out[f"revenue_{side}"].sum()
        out[f"share_{side}"] = out[f"customers_{side}"] / n if n else 0.0
        out[f"revenue_share_{side}"] = out[f"revenue_{side}"] / rev if rev else 0.0
    out["delta_customers"] = out["customers_after"] - out["customers_before"]
    out["delta_revenue"] = out["revenue_after"] - out["revenue_before"]
    return out


def _matrix(codes_b: np.ndarray, codes_a: np.ndarray, categories: tuple[str, ...]) -> pd.DataFrame:
    """Long from × to counts over customers known on both sides (all k × k cells)."""
    k = len(categories)
    known = (codes_b >= 0) & (codes_a >= 0)
    counts = np.bincount(codes_b[known].astype(np.int64) * k + codes_a[known], minlength=k * k)
    return pd.DataFrame({"from": np.repeat(categories, k), "to": np.tile(categories, k),
                         "customers": counts.astype("int64")})


def _score_counts(before: pd.DataFrame, after: pd.DataFrame, s_b: Settings, s_a: Settings) -> pd.DataFrame:
    top = max(s_b.score_buckets, s_a.score_buckets)
    out = pd.DataFrame({"score": range(1, top + 1)})
    for side, frame in (("before", before), ("after", after)):
        for letter in "rfm":
            counts = frame[f"{letter}_score"].value_counts()
            out[f"{letter}_{side}"] = [int(counts.get(v, 0)) for v in out["score"]]
    return out


def compare(facts_before: pd.DataFrame, before: Settings, after: Settings,
            facts_after: pd.DataFrame | None = None, *, share: float = 0.2,
            target_stages: tuple[str, ...] = ("at_risk",), limit: int = 500,
            only: pd.Series | None = None) -> Comparison:
    """Classify the customers under ``before`` and ``after`` and compare (no database access).

    ``facts_after`` is needed only when the scan settings differ (``needs_rescan``); both frames
    come from ``facts`` with the same filters, so they hold the same customers in the same order.
    Revenue of a group = Σ monetary (net spend in the analysis window) of its customers, each side
    with its own window. Movers are customers whose segment, stage or ABC tier changed, sorted by
    monetary (after) descending, at most ``limit`` rows; ``movers_total`` counts them all.
    ``only`` (customer ids, e.g. the sidebar's segment choice) narrows what is compared after
    classifying everyone, so the thresholds still apply to the whole population.
    """
    facts_after = facts_before if facts_after is None else facts_after
    if len(facts_before) != len(facts_after) or not np.array_equal(
            facts_before["customer_id"].to_numpy(), facts_after["customer_id"].to_numpy()):
        raise ValueError("facts_before and facts_after must describe the same customers")
    b = classify(facts_before, before)
    a = classify(facts_after, after)
    if only is not None:
        keep = b["customer_id"].isin(only).to_numpy()
        b, a = b[keep].reset_index(drop=True), a[keep].reset_index(drop=True)
    rev_b = b["monetary"].to_numpy(dtype=float, na_value=0.0)
    rev_a = a["monetary"].to_numpy(dtype=float, na_value=0.0)
    seg_b, seg_a = _codes(b["rfm_segment"], SEGMENTS), _codes(a["rfm_segment"], SEGMENTS)
    stage_b, stage_a = _codes(b["lifecycle_stage"], STAGES), _codes(a["lifecycle_stage"], STAGES)
    tier_b, tier_a = _codes(b["abc_tier"], TIERS), _codes(a["abc_tier"], TIERS)
    seg_changed, stage_changed, tier_changed = seg_b != seg_a, stage_b != stage_a, tier_b != tier_a
    moved = seg_changed | stage_changed | tier_changed

    # Most valuable first; facts are ordered by customer_id, so a stable sort breaks ties by id.
    moved_at = np.flatnonzero(moved)
    top = moved_at[np.argsort(-rev_a[moved_at], kind="stable")[:limit]]

    def names(codes: np.ndarray, categories: tuple[str, ...]) -> list[str | None]:
        return [categories[c] if c >= 0 else None for c in codes[top]]

    columns = ["customer_id", "name", "region", "channel", "owner", "recency_days", "frequency", "monetary"]
    movers = a[columns].iloc[top].reset_index(drop=True)
    movers["segment_before"], movers["segment_after"] = names(seg_b, SEGMENTS), names(seg_a, SEGMENTS)
    movers["stage_before"], movers["stage_after"] = names(stage_b, STAGES), names(stage_a, STAGES)
    movers["tier_before"], movers["tier_after"] = names(tier_b, TIERS), names(tier_a, TIERS)

    return Comparison(
        segments=_sizes(seg_b, seg_a, SEGMENTS, rev_b, rev_a),
        stages=_sizes(stage_b, stage_a, STAGES, rev_b, rev_a),
        tiers=_sizes(tier_b, tier_a, TIERS, rev_b, rev_a),
        segment_matrix=_matrix(seg_b, seg_a, SEGMENTS),
        stage_matrix=_matrix(stage_b, stage_a, STAGES),
        scores=_score_counts(b, a, before, after),
        movers=movers[MOVER_COLUMNS],
        movers_total=int(moved.sum()),
        moved_segment=int(seg_changed.sum()),
        moved_stage=int(stage_changed.sum()),
        moved_tier=int(tier_changed.sum()),
        customers=len(a),
        projection_before=projection(b, before, share, target_stages),
        projection_after=projection(a, after, share, target_stages),
    )


QP_PREFIX = "w_"
QP_SHARE, QP_CHURNED = "w_share", "w_churned"
DEFAULT_SHARE = 0.2


@dataclass(frozen=True)
class Scenario:
    """What the what-if page shows: changed settings plus the projection's inputs."""

    settings: Settings
    share: float = DEFAULT_SHARE  # 0–1, share of target customers won back
    include_churned: bool = False  # also count churned customers as win-back targets

    @property
    def target_stages(self) -> tuple[str, ...]:
        return ("at_risk", "churned") if self.include_churned else ("at_risk",)


def from_query(params: dict[str, str], base: Settings) -> Scenario:
    """The scenario a link describes (``w_<setting>=value``, ``w_share``, ``w_churned``).

    Unknown names and unreadable values are ignored; ``window_days=all`` means all history.
    Raises ``KehuError`` (from ``Settings.validate``) when the values contradict each other.
    """
    changes: dict[str, object] = {}
    for name in THRESHOLDS:
        raw = params.get(QP_PREFIX + name)
        if raw is None or raw == "":
            continue
        if name == "window_days" and raw == "all":
            changes[name] = None
            continue
        try:
            changes[name] = _coerce(name, raw)
        except ValueError:
            continue
    settings = base.with_(**changes)
    settings.validate()
    try:
        share = min(max(float(params.get(QP_SHARE, DEFAULT_SHARE * 100)) / 100, 0.0), 1.0)
    except ValueError:
        share = DEFAULT_SHARE
    churned = str(params.get(QP_CHURNED, "")).lower() in ("1", "true", "yes")
    return Scenario(settings, share, churned)


def _coerce(name: str, raw: str) -> object:
    """One URL value as the type of the setting ``name`` (ValueError when unreadable)."""
    default = getattr(Settings(), name)
    if name == "window_days" or isinstance(default, int):
        return int(float(raw))
    if isinstance(default, float):
        return float(raw)
    return str(raw)


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_query(scenario: Scenario, base: Settings) -> dict[str, str]:
    """URL parameters for ``scenario``: only what differs from ``base`` and the defaults."""
    out: dict[str, str] = {}
    for name in THRESHOLDS:
        value = getattr(scenario.settings, name)
        if value != getattr(base, name):
            out[QP_PREFIX + name] = "all" if value is None else _text(value)
    if round(scenario.share * 100) != round(DEFAULT_SHARE * 100):
        out[QP_SHARE] = str(round(scenario.share * 100))
    if scenario.include_churned:
        out[QP_CHURNED] = "1"
    return out
