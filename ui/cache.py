"""Cached core calls at the edge: ``cached(core_fn)(ctx, *args)``.

Results are keyed on the database file, the function, the data version, the settings, the filters (which carry the
user's row scope) and the other arguments — never on the connection object itself.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from core.filters import NO_FILTER
from core.metrics import churn
from core.metrics.base import customer_base, narrow_to_segments
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


@st.cache_resource(show_spinner=False, max_entries=24, ttl=3600)
def _shared_call(database: str, module: str, name: str, version: int, settings: Any, filters: Any,
                 args: tuple, kwargs: tuple) -> Any:
    fn = getattr(importlib.import_module(module), name)
    return fn(cursor(), settings, filters, *args, **dict(kwargs))


def shared(fn: Callable[..., T]) -> Callable[..., T]:
    """Like ``cached`` for results with one row per customer (a million rows at scale).

    ``st.cache_data`` hands every rerun a fresh unpickled copy — seconds for a 1M-row frame —
    while ``st.cache_resource`` hands out the one stored object. Same key (database, data version,
    settings, filters with the user's scope), so sessions still only see what their key allows.
    A DataFrame comes back as a shallow copy: under pandas copy-on-write a page that changes it
    changes its own copy. Other results (e.g. ``ChurnResult``) must be treated as read-only.
    """

    def wrapper(ctx: Ctx, *args: Any, **kwargs: Any) -> T:
        if fn is customer_base and ctx.filters.segments and not args and not kwargs:
            # the chosen segments' rows of the population's shared table: no second scan
            narrowed = _segment_base(str(db_path()), ctx.data_version, ctx.settings, ctx.filters, ctx)
            return narrowed.copy(deep=False)  # type: ignore[return-value]
        result = _shared_call(str(db_path()), fn.__module__, fn.__name__, ctx.data_version, ctx.settings,
                              ctx.filters, tuple(args), tuple(sorted(kwargs.items())))
        return result.copy(deep=False) if isinstance(result, pd.DataFrame) else result

    return wrapper


@st.cache_resource(show_spinner=False, max_entries=24, ttl=3600)
def _segment_base(database: str, version: int, settings: Any, filters: Any, _ctx: Ctx) -> pd.DataFrame:
    """The chosen segments' rows of the shared per-customer table, kept like the table itself
    (narrowing a million rows by a set of ids costs about a second per rerun otherwise)."""
    whole = shared(customer_base)(dataclasses.replace(_ctx, filters=filters.without_segments()))
    return narrow_to_segments(cursor(), settings, filters, whole)


@st.cache_resource(show_spinner=False, max_entries=8, ttl=3600)
def _churn_model(database: str, source_version: int, settings: Any) -> churn.ChurnModel:
    return churn.train(cursor(), settings)


@st.cache_resource(show_spinner=False, max_entries=24, ttl=3600)
def _churn_scores(database: str, version: int, source_version: int, settings: Any, filters: Any, lang: str,
                  _model: churn.ChurnModel, _ctx: Ctx) -> churn.ChurnResult:
    everyone = shared(customer_base)(dataclasses.replace(_ctx, filters=NO_FILTER))  # scored, then narrowed
    return churn.score(cursor(), settings, filters, lang, model=_model, base=everyone)


def churn_result(ctx: Ctx) -> churn.ChurnResult:
    """Churn scores for the page (read-only): the model is kept per *imported* data version, so a
    saved follow-up re-scores customers (seconds) instead of re-learning from history (minutes
    at a million customers); the scores are kept per data version, settings, filters, language."""
    model = _churn_model(str(db_path()), ctx.source_version, ctx.settings)
    return _churn_scores(str(db_path()), ctx.data_version, ctx.source_version, ctx.settings, ctx.filters,
                         ctx.lang, model, ctx)
