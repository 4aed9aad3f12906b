"""One colour per segment, stage, tier and risk level, so the same thing looks the same on every
chart and badge of the app.

Segments come in hue pairs: an "important 重要" segment is the saturated colour, its "general
一般" twin (same R/F pattern, lower spend) the light one — green value, blue develop, purple keep,
red win back.
"""

from __future__ import annotations

SEGMENT: dict[str, str] = {
    "champions": "#1b6f5a", "general_value": "#8fd0b8",
    "important_develop": "#2f6fd0", "general_develop": "#8fb8ee",
    "important_keep": "#7b5ea7", "general_keep": "#b9a3dc",
    "important_win_back": "#c0392b", "general_win_back": "#f0a89e",
}
SEGMENT_NONE = "#b0b7c3"  # customers without a counted order
STAGE: dict[str, str] = {
    "potential": "#b0b7c3", "new": "#4c9be8", "active": "#2ca58d", "loyal": "#1b6f5a",
    "at_risk": "#f0a202", "churned": "#d1495b",
}
TIER: dict[str, str] = {"A": "#1b6f5a", "B": "#4c9be8", "C": "#b0b7c3"}
RISK: dict[str, str] = {"high": "#d1495b", "medium": "#f0a202", "low": "#2ca58d"}
