"""The shared sidebar: language, reference date and customer filters, mirrored in the URL.

Widget state vanishes when a widget is not rendered (page switch), so the chosen values live in
``st.query_params`` — which also makes any view shareable as a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import streamlit as st

from core import options
from core.filters import Filters
from core.i18n import LANG_LABELS, LANGS, t
from ui.context import LANG_KEY

QP_LANG, QP_AS_OF = "lang", "as_of"
QP_FILTERS = {"regions": "region", "channels": "channel", "owners": "owner"}


@dataclass(frozen=True)
class SidebarChoice:
    """What the manager picked in the sidebar for this rerun."""

    lang: str
    as_of: date
    filters: Filters


def _qp_list(name: str) -> list[str]:
    return [v for v in st.query_params.get_all(name) if v]


def _set_qp(name: str, values: list[str] | str | None) -> None:
    if not values:
        if name in st.query_params:
            del st.query_params[name]
    else:
        st.query_params[name] = values


def language_switch() -> str:
    """中文/English radio, remembered in the URL; returns the language code."""
    initial = st.query_params.get(QP_LANG, st.session_state.get(LANG_KEY, "zh"))
    if initial not in LANGS:
        initial = "zh"
    lang = st.sidebar.segmented_control(
        t("sidebar.language", initial), options=list(LANGS), default=initial,
        format_func=lambda code: LANG_LABELS[code], key="sb.lang",
    ) or initial
    st.session_state[LANG_KEY] = lang
    _set_qp(QP_LANG, None if lang == "zh" else lang)
    return lang


def render(con: duckdb.DuckDBPyConnection, lang: str, scope_owners: tuple[str, ...] | None) -> SidebarChoice:
    """Draw the reference date and filters; values the user may not see are not offered."""
    bounds = options.order_date_bounds(con)
    latest = bounds[1] or date.today()
    earliest = bounds[0] or latest
    try:
        as_of = date.fromisoformat(st.query_params.get(QP_AS_OF, ""))
    except ValueError:
        as_of = latest
    as_of = min(max(as_of, earliest), max(latest, date.today()))
    picked = st.sidebar.date_input(
        t("sidebar.as_of", lang), value=as_of, min_value=earliest, max_value=max(latest, date.today()),
        help=t("sidebar.as_of_help", lang), key="sb.as_of",
    )
    _set_qp(QP_AS_OF, None if picked == latest else picked.isoformat())

    st.sidebar.markdown(f"**{t('sidebar.filters', lang)}**")
    values = options.filter_values(con, scope_owners)
    chosen: dict[str, tuple[str, ...]] = {}
    for field, label_key in (("regions", "sidebar.region"), ("channels", "sidebar.channel"),
                             ("owners", "sidebar.owner")):
        available = values[field]
        default = [v for v in _qp_list(QP_FILTERS[field]) if v in available]
        sel = st.sidebar.multiselect(
            t(label_key, lang), options=available, default=default,
            placeholder=t("sidebar.all", lang), key=f"sb.{field}",
        )
        chosen[field] = tuple(sel)
        _set_qp(QP_FILTERS[field], list(sel))
    filters = Filters(scope_owners=scope_owners, **chosen)
    return SidebarChoice(lang=lang, as_of=picked, filters=filters)
