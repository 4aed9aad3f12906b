"""Numbers as a manager reads them, in Chinese or English (¥78.3万 / ¥783.2K, 12.5 %)."""

from __future__ import annotations

import math

import pandas as pd


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, lang: str) -> str:
    """Compact currency: 万/亿 in Chinese, K/M in English."""
    if _missing(value):
        return "—"
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    if lang == "zh":
        if v >= 1e8:
            return f"{sign}¥{v / 1e8:.2f}亿"
        if v >= 1e4:
            return f"{sign}¥{v / 1e4:.1f}万"
        return f"{sign}¥{v:,.0f}"
    if v >= 1e6:
        return f"{sign}¥{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{sign}¥{v / 1e3:.1f}K"
    return f"{sign}¥{v:,.0f}"


def count(value: float | None) -> str:
    return "—" if _missing(value) else f"{float(value):,.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A percentage given in 0–100."""
    return "—" if _missing(value) else f"{float(value):.{digits}f}%"


def risk(probability: float | None) -> str:
    """A churn probability (0–1) as a whole percent; "<1%" rather than a misleading "0%"."""
    if _missing(probability):
        return "—"
    p = 100 * float(probability)
    return "<1%" if 0 < p < 0.5 else f"{p:.0f}%"


def score(value: float | None) -> str:
    """NPS-like score, signed."""
    return "—" if _missing(value) else f"{float(value):+.0f}"


def by_unit(value: float | None, unit: str, lang: str) -> str:
    """Format by the KPI unit of ``core.metrics.kpi.KPIS``."""
    return {"money": lambda v: money(v, lang), "count": count, "pct": pct, "nps": score}[unit](value)


def delta(change: float | None, unit: str, lang: str) -> str | None:
    """The delta shown under a metric; percentages change in points."""
    if _missing(change):
        return None
    if unit == "money":
        return ("+" if change >= 0 else "") + money(change, lang)
    if unit == "pct":
        return f"{change:+.1f} pp" if lang == "en" else f"{change:+.1f} 个百分点"
    if unit == "nps":
        return f"{change:+.1f}"
    return f"{change:+,.0f}"


def for_display(frame: pd.DataFrame, optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table ready for ``st.dataframe``: missing text as "—" (never the word None), and the
    ``optional`` columns dropped when no row has a value (e.g. owner in data without managers)."""
    out = frame.drop(columns=[c for c in optional if c in frame and frame[c].isna().all()])
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out[name] = column.astype(object).where(column.notna(), "—")
    return out
