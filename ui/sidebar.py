"""The shared sidebar: language, reference date and customer filters, mirrored in the URL.

Widget state vanishes when a widget is not rendered (page switch), so the chosen values live in
``st.query_params`` — which also makes any view shareable as a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import streamlit as st

from core import daterange, options
from core.daterange import DateRange
from core.filters import Filters
from core.i18n import LANG_LABELS, LANGS, t
from core.metrics.rfm import SEGMENTS
from ui.context import LANG_KEY

QP_LANG, QP_AS_OF = "lang", "as_of"
QP_RANGE, QP_FROM, QP_TO = "range", "from", "to"
QP_SEGMENT = "segment"
QP_FILTERS = {"regions": "region", "channels": "channel", "owners": "owner"}


@dataclass(frozen=True)
class SidebarChoice:
    """What the manager picked in the sidebar for this rerun (segments not yet resolved)."""

    lang: str
    as_of: date
    filters: Filters
    period: DateRange


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
    period = _date_range(lang, picked, earliest)

    st.sidebar.markdown(f"**{t('sidebar.filters', lang)}**")
    values = options.filter_values(con, scope_owners)
    chosen: dict[str, tuple[str, ...]] = {}
    for field, label_key in (("regions", "sidebar.region"), ("channels", "sidebar.channel"),
                             ("owners", "sidebar.owner")):
        available = values[field]
        if not available:  # the data has no regions (or channels, managers): nothing to choose
            chosen[field] = ()
            _set_qp(QP_FILTERS[field], None)
            continue
        default = [v for v in _qp_list(QP_FILTERS[field]) if v in available]
        sel = st.sidebar.multiselect(
            t(label_key, lang), options=available, default=default,
            placeholder=t("sidebar.all", lang), key=f"sb.{field}",
        )
        chosen[field] = tuple(sel)
        _set_qp(QP_FILTERS[field], list(sel))
    wanted = [v for v in _qp_list(QP_SEGMENT) if v in SEGMENTS]
    segments = st.sidebar.multiselect(
        t("sidebar.segment", lang), options=list(SEGMENTS), default=wanted,
        format_func=lambda code: t(f"segment.{code}", lang), placeholder=t("sidebar.all", lang),
        help=t("sidebar.segment_help", lang), key="sb.segments",
    )
    _set_qp(QP_SEGMENT, list(segments))
    filters = Filters(scope_owners=scope_owners, segments=tuple(segments), **chosen)
    return SidebarChoice(lang=lang, as_of=picked, filters=filters, period=period)


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return None


def _date_range(lang: str, as_of: date, earliest: date) -> DateRange:
    """Preset (last 3/6/12/24 months, this year, all) or a custom range, never past ``as_of``."""
    preset = st.query_params.get(QP_RANGE, daterange.DEFAULT_PRESET)
    if preset not in daterange.PRESETS:
        preset = daterange.DEFAULT_PRESET
    preset = st.sidebar.selectbox(
        t("sidebar.range", lang), daterange.PRESETS, index=daterange.PRESETS.index(preset),
        format_func=lambda p: t(f"sidebar.range.{p}", lang), help=t("sidebar.range_help", lang),
        key="sb.range",
    )
    _set_qp(QP_RANGE, None if preset == daterange.DEFAULT_PRESET else preset)
    if preset != "custom":
        for name in (QP_FROM, QP_TO):
            _set_qp(name, None)
        period = daterange.from_preset(preset, as_of, earliest)
        st.sidebar.caption(t("sidebar.range_shows", start=period.start.isoformat(), end=period.end.isoformat(),
                             lang=lang))
        return period
    fallback = daterange.from_preset(daterange.DEFAULT_PRESET, as_of, earliest)
    start = _parse_date(st.query_params.get(QP_FROM)) or fallback.start
    end = _parse_date(st.query_params.get(QP_TO)) or as_of
    low = min(earliest, as_of)
    start, end = max(min(start, as_of), low), max(min(end, as_of), low)
    picked = st.sidebar.date_input(
        t("sidebar.range_custom", lang), value=(min(start, end), end), min_value=low, max_value=as_of,
        key="sb.range_custom",
    )
    # while a range is being picked the widget holds one date; keep the last full range meanwhile
    if isinstance(picked, tuple) and len(picked) == 2:
        start, end = picked
    period = daterange.custom(start, end, as_of)
    _set_qp(QP_FROM, period.start.isoformat())
    _set_qp(QP_TO, period.end.isoformat())
    return period
