"""Cached core calls at the edge: ``cached(core_fn)(ctx, *args)``.

Results are keyed on the database file, the function, the data version, the settings, the filters (which carry the
user's row scope) and the other arguments — never on the connection object itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from ui.context import Ctx, cursor, db_path

T = TypeVar("T")


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def _call(database: str, module: str, name: str, version: int, settings: Any, filters: Any,
          args: tuple, kwargs: tuple) -> Any:
    fn = getattr(importlib.import_module(module), name)
    return fn(cursor(), settings, filters, *args, **dict(kwargs))


def cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Wrap a core function ``fn(con, settings, filters, *args, **kwargs)`` for a page."""

    def wrapper(ctx: Ctx, *args: Any, **kwargs: Any) -> T:
        return _call(str(db_path()), fn.__module__, fn.__name__, ctx.data_version, ctx.settings, ctx.filters,
                     tuple(args), tuple(sorted(kwargs.items())))

    return wrapper
