"""One line above every page saying which sidebar filters are on, with a button to clear them.

A manager who opened a shared link (or forgot a filter last week) must see at a glance that
the numbers are for "重要价值客户 in 华东" and not for everyone.
"""

from __future__ import annotations

import streamlit as st

from core import daterange
from core.i18n import t
from ui import sidebar

_WIDGET_KEYS = ("sb.regions", "sb.channels", "sb.owners", "sb.segments", "sb.range", "sb.range_custom")
_URL_KEYS = (*sidebar.QP_FILTERS.values(), sidebar.QP_SEGMENT, sidebar.QP_RANGE, sidebar.QP_FROM, sidebar.QP_TO)


RANGE_PAGES = ("overview", "lifecycle", "satisfaction")
"""Pages whose figures follow the date range; the others show states as of the reference date."""


def parts(choice: sidebar.SidebarChoice, lang: str, range_applies: bool = True) -> list[str]:
    """The active choices in words, e.g. ["细分 重要价值客户", "区域 华东"]; empty = no filter.
    The date range is named only where it changes the figures (``range_applies``)."""
    f = choice.filters
    out: list[str] = []
    sep = "、" if lang == "zh" else ", "
    if f.segments:
        out.append(t("filterbar.segment", lang, values=sep.join(t(f"segment.{s}", lang) for s in f.segments)))
    for values, key in ((f.regions, "filterbar.region"), (f.channels, "filterbar.channel"),
                        (f.owners, "filterbar.owner")):
        if values:
            out.append(t(key, lang, values=sep.join(values)))
    if range_applies and choice.period.preset != daterange.DEFAULT_PRESET:
        out.append(t("filterbar.range", lang, start=choice.period.start.isoformat(),
                     end=choice.period.end.isoformat()))
    return out


def _clear() -> None:
    for key in _WIDGET_KEYS:
        st.session_state.pop(key, None)
    for key in _URL_KEYS:
        if key in st.query_params:
            del st.query_params[key]


def render(choice: sidebar.SidebarChoice, lang: str, page: str) -> None:
    """Draw the line above ``page`` (its url path); nothing when no filter is on."""
    active = parts(choice, lang, range_applies=page in RANGE_PAGES)
    if not active:
        return
    text, button = st.columns([6, 1], vertical_alignment="center")
    text.caption(":material/filter_alt: " + t("filterbar.prefix", lang) + " · ".join(active))
    button.button(t("filterbar.clear", lang), on_click=_clear, icon=":material/filter_alt_off:",
                  key="filterbar.clear", type="tertiary")
