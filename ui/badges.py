"""Coloured segment / tier / stage / risk badges, in tables (column config) and as single labels."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import streamlit as st

from core.i18n import has, t
from ui import palette

SEGMENT_COLORS: dict[str, str] = {**palette.SEGMENT, "none": palette.SEGMENT_NONE}
TIER_COLORS: dict[str, str] = palette.TIER
STAGE_COLORS: dict[str, str] = palette.STAGE
RISK_LEVELS: tuple[str, ...] = ("high", "medium", "low")
RISK_COLORS: dict[str, str] = palette.RISK
RISK_HIGH, RISK_MEDIUM = 0.6, 0.3  # churn probability cut-offs of the badge colours

# st.badge takes a small palette of names, not hex colours
_ST_COLOR: dict[str, str] = {
    **{k: "green" for k in ("champions", "general_value", "active", "loyal", "low")},
    **{k: "blue" for k in ("important_develop", "general_develop", "new")},
    **{k: "orange" for k in ("important_keep", "general_keep", "at_risk", "medium")},
    **{k: "red" for k in ("important_win_back", "general_win_back", "churned", "high")},
    **{k: "violet" for k in ("A", "B", "C")},
}

KINDS: dict[str, tuple[dict[str, str], str]] = {
    "segment": (SEGMENT_COLORS, "segment."),
    "tier": (TIER_COLORS, "tier."),
    "stage": (STAGE_COLORS, "stage."),
    "risk": (RISK_COLORS, "churnpage.risk."),
}


def label(kind: str, code: Any, lang: str, short: bool = False) -> str:
    """The catalogue name of a segment / tier / stage / risk code (the code itself if unknown).

    ``short``: tiers as their letter only (A/B/C), for narrow table columns."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        code = "none" if kind == "segment" else ""
    if short and kind == "tier":
        return str(code)
    key = KINDS[kind][1] + str(code)
    return t(key, lang) if has(key) else str(code)


def risk_level(probability: Any) -> str | None:
    """high (≥ 0.6) / medium (≥ 0.3) / low, or None without a score."""
    if probability is None or pd.isna(probability):
        return None
    if probability >= RISK_HIGH:
        return "high"
    return "medium" if probability >= RISK_MEDIUM else "low"


def as_lists(values: Iterable[Any]) -> list[list[str]]:
    """Codes → one-element lists, the cell shape a MultiselectColumn draws as a coloured pill."""
    out: list[list[str]] = []
    for v in values:
        missing = v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
        out.append([] if missing else [str(v)])
    return out


def column(kind: str, lang: str, title: str, help: str | None = None) -> Any:
    """A read-only table column drawing ``kind`` codes as coloured, translated pills."""
    colors, _ = KINDS[kind]
    codes = list(colors)
    fmt: Callable[[str], str] = lambda code: label(kind, code, lang, short=True)  # noqa: E731
    return st.column_config.MultiselectColumn(
        title, options=codes, color=[colors[c] for c in codes], format_func=fmt, help=help,
        width={"segment": "medium", "stage": 90, "risk": 90, "tier": 50}.get(kind),
    )


def show(kind: str, code: Any, lang: str, prefix: str = "") -> None:
    """One badge (profile header); nothing for a missing code."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        if kind != "segment":
            return
        code = "none"
    st.badge(prefix + label(kind, code, lang), color=_ST_COLOR.get(str(code), "gray"))  # type: ignore[arg-type]


def profile_link(customer_id: str, keep: dict[str, Any] | None = None) -> str:
    """Relative link that opens the Customers page on this customer's 360 profile.

    ``keep``: query parameters of the current view (language, reference date, filters) so the
    profile opens in the same context.
    """
    from urllib.parse import urlencode

    params: list[tuple[str, str]] = []
    for key, value in (keep or {}).items():
        if key == "customer":
            continue
        for v in value if isinstance(value, list | tuple) else [value]:
            params.append((key, str(v)))
    params.append(("customer", str(customer_id)))
    return "customers?" + urlencode(params)


LINK_PATTERN = r"customer=([^&]+)"
"""``display_text`` of a LinkColumn of ``profile_link``s: shows the customer id."""
