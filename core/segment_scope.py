"""The sidebar's segment filter: RFM segment membership stored once, used by every SQL view.

A segment is a result, not a column: "champions" means above the mean R, F and M *of the
population being looked at* as of the reference date. So the membership is computed over the
customers of the other filters (region, channel, owner, row scope) — exactly the segments the
Segments page shows for them — and a segment choice then narrows every view to those
customers without changing anyone's segment, tier or risk.

Membership is written to ``segment_members`` under a key made of everything it depends on
(data version, reference date, RFM window, comparison point, the other filters). The table is
derived and rebuildable: sets of older data versions and all but the newest few are deleted.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace

import duckdb
import pandas as pd

from core import db
from core.errors import KehuError
from core.filters import Filters
from core.metrics.common import resolve_as_of
from core.metrics.rfm import SEGMENTS
from core.settings import Settings

KEEP_SETS = 24
"""Membership sets kept for the current data version (one per filter combination in use)."""

_WRITE_LOCK = threading.Lock()  # two sessions resolving the same key write it once


def member_key(con: duckdb.DuckDBPyConnection, s: Settings, f: Filters) -> str:
    """Everything membership depends on, hashed: the same inputs always give the same key."""
    population = f.without_segments()
    inputs = {
        "data_version": db.data_version(con),
        "as_of": resolve_as_of(con, s).isoformat(),
        "window_days": s.window_days,
        "rfm_compare": s.rfm_compare,
        "regions": population.regions,
        "channels": population.channels,
        "owners": population.owners,
        "scope_owners": population.scope_owners,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:32]


def resolve(
    con: duckdb.DuckDBPyConnection, s: Settings, f: Filters, base: pd.DataFrame | None = None
) -> Filters:
    """``f`` with its segment choice made usable in SQL (``segment_key`` set); ``f`` itself when
    no segment is chosen.

    ``base`` is ``customer_base(con, s, f.without_segments())`` when the caller holds it
    (the app's shared cache); otherwise it is computed here, once per key.
    """
    if not f.segments:
        return f.without_segments()
    unknown = [code for code in f.segments if code not in SEGMENTS]
    if unknown:
        raise KehuError(f"Unknown RFM segment {unknown[0]!r}; choose from: {', '.join(SEGMENTS)}.")
    key = member_key(con, s, f)
    if not _stored(con, key):
        if base is None:
            from core.metrics.base import customer_base

            base = customer_base(con, s, f.without_segments())
        _store(con, key, base)
    return replace(f, segment_key=key)


def _stored(con: duckdb.DuckDBPyConnection, key: str) -> bool:
    return bool(db.scalar(con, "SELECT count(*) FROM segment_member_sets WHERE member_key = ?", [key]))


def _store(con: duckdb.DuckDBPyConnection, key: str, base: pd.DataFrame) -> None:
    """Write one membership set in one transaction and prune the stale ones."""
    members = base.loc[base["rfm_segment"].notna(), ["customer_id", "rfm_segment"]].reset_index(drop=True)
    name = f"kehu_members_{key}"
    with _WRITE_LOCK:
        if _stored(con, key):
            return
        version = db.data_version(con)
        con.register(name, members)
        try:
            with db.transaction(con):
                con.execute(
                    f"INSERT INTO segment_members SELECT ?, customer_id, rfm_segment FROM {name}",  # noqa: S608 - generated name
                    [key],
                )
                con.execute(
                    "INSERT INTO segment_member_sets (member_key, data_version, customers) VALUES (?, ?, ?)",
                    [key, version, len(members)],
                )
                stale = ("SELECT member_key FROM segment_member_sets WHERE data_version <> ? OR member_key IN ("
                         "SELECT member_key FROM segment_member_sets ORDER BY created_at DESC OFFSET ?)")
                con.execute(f"DELETE FROM segment_members WHERE member_key IN ({stale})", [version, KEEP_SETS])  # noqa: S608 - fixed text
                con.execute(f"DELETE FROM segment_member_sets WHERE member_key IN ({stale})", [version, KEEP_SETS])  # noqa: S608 - fixed text
        finally:
            con.unregister(name)


def members(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.Series:
    """Customer ids of a resolved segment filter (for views that filter a computed frame)."""
    if not f.segments:
        raise ValueError("no segment chosen")
    if f.segment_key is None:
        raise ValueError("segment filter not resolved: call resolve first")
    marks = ", ".join("?" for _ in f.segments)
    table = con.sql(
        f"SELECT customer_id FROM segment_members WHERE member_key = ? AND rfm_segment IN ({marks})",  # noqa: S608 - placeholders
        params=[f.segment_key, *f.segments],
    ).to_arrow_table()  # a few hundred thousand ids at scale: Arrow, not Python tuples
    return table.column("customer_id").to_pandas().astype("str").rename("customer_id")
