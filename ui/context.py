"""Per-session context for pages: the DuckDB cursor, language, settings, filters and user.

The connection is one per process (``st.cache_resource``); each rerun takes its own cursor,
because a DuckDB connection is not thread-safe and Streamlit runs sessions on threads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from core import daterange, db
from core.daterange import DateRange
from core.filters import Filters
from core.i18n import t as _t
from core.settings import Settings

LANG_KEY = "kehu.lang"
CTX_KEY = "kehu.ctx"


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    """Open the database once per process; load the demo company on first start."""
    from core import demo

    con = db.connect(path)
    if db.is_empty(con) and db.table_counts(con)["imports"] == 0:
        demo.build_demo(con)
    return con


def db_path() -> Path:
    """The database file this process serves."""
    return db.default_db_path()


def cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the process-wide connection, for this rerun only."""
    return _connection(str(db_path())).cursor()


@dataclass(frozen=True)
class Ctx:
    """Everything a page needs from the shell, decided once per rerun by app.py."""

    con: duckdb.DuckDBPyConnection
    lang: str
    settings: Settings  # as_of always resolved to a date here
    filters: Filters
    user: Any = None  # core.auth.User once signed in; None only in tests of a bare page
    data_version: int = 0
    period: DateRange | None = None  # the sidebar's date range; None = the default preset
    source_version: int = 0  # changes with imported data only (see core.db.source_version)

    def t(self, key: str, **values: object) -> str:
        """Catalogue text in this session's language."""
        return _t(key, self.lang, **values)

    @property
    def as_of(self) -> date:
        assert self.settings.as_of is not None
        return self.settings.as_of

    @property
    def range(self) -> DateRange:
        """The date range of trends and period measures (default: the last 12 months)."""
        return self.period or daterange.from_preset(daterange.DEFAULT_PRESET, self.as_of)

    def at_range_end(self) -> Ctx:
        """This context with the reference date moved to the range's end, for a time series
        that must stop there (segment membership stays the one of the sidebar's date)."""
        end = self.range.end
        return self if end == self.as_of else replace(self, settings=self.settings.with_(as_of=end))


def lang() -> str:
    """This session's language ("zh" by default)."""
    return st.session_state.get(LANG_KEY, "zh")


def current() -> Ctx:
    """The context app.py built for this rerun — or, for a page run without app.py, the same gate.

    Streamlit runs the files of ``pages/`` on their own ("MPA v1") until some session has called
    ``st.navigation``; app.py removes its context at the end of every run, so such a page finds
    none here and goes through the sign-in gate and the row scope like any other.
    """
    ctx = st.session_state.get(CTX_KEY)
    if ctx is not None:
        return ctx
    from core import auth
    from ui import gate

    con = cursor()
    user = gate.require_user(con, lang())
    return Ctx(
        con=con,
        lang=lang(),
        settings=Settings(as_of=latest_order_date(con)),
        filters=Filters(scope_owners=auth.scope_for(user, con)),
        user=user,
        data_version=db.data_version(con),
        source_version=db.source_version(con),
    )


def latest_order_date(con: duckdb.DuckDBPyConnection) -> date:
    """Default reference date: the latest order in the data, or today when there is none."""
    value = db.scalar(con, "SELECT max(order_date) FROM orders")
    return value or date.today()
