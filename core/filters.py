"""Which customers a view looks at: sidebar filters and the signed-in user's row scope.

A filter is data; ``customer_where`` turns it into a SQL fragment plus bound parameters
(datasette style), so user-chosen values never reach SQL as text.

The segment filter is different from the others: a customer's RFM segment is not a column of
``customers`` but a result (it depends on everyone's R, F and M as of the reference date). It
is resolved once per data version and settings by ``core.segment_scope.resolve`` into rows of
``segment_members`` under a ``segment_key``; only a resolved filter can be turned into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Filters:
    """Restrictions on the customers table. Empty tuple = no restriction.

    ``scope_owners`` is the row-level scope of the signed-in user (None = sees all);
    it is applied by core, not by the page, and cannot be widened by the other filters.
    """

    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    scope_owners: tuple[str, ...] | None = None
    segments: tuple[str, ...] = ()  # RFM segment codes (core.metrics.rfm.SEGMENTS)
    segment_key: str | None = None  # set by core.segment_scope.resolve

    def is_empty(self) -> bool:
        return not (self.regions or self.channels or self.owners or self.segments) and self.scope_owners is None

    def without_segments(self) -> Filters:
        """The population the segments are computed over (same customers, no segment choice)."""
        return replace(self, segments=(), segment_key=None) if self.segments else self


NO_FILTER = Filters()


def customer_where(f: Filters | None, alias: str = "c") -> tuple[str, list[Any]]:
    """SQL condition on the customers table aliased ``alias``; always valid (``TRUE`` if empty)."""
    if f is None:
        return "TRUE", []
    parts: list[str] = []
    params: list[Any] = []
    for column, values in (("region", f.regions), ("channel", f.channels), ("owner", f.owners)):
        if values:
            parts.append(f"{alias}.{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    if f.scope_owners is not None:
        if f.scope_owners:
            parts.append(f"{alias}.owner IN ({', '.join('?' for _ in f.scope_owners)})")
            params.extend(f.scope_owners)
        else:
            parts.append("FALSE")
    if f.segments:
        if f.segment_key is None:
            raise ValueError("segment filter not resolved: call core.segment_scope.resolve first")
        marks = ", ".join("?" for _ in f.segments)
        parts.append(
            f"{alias}.customer_id IN (SELECT customer_id FROM segment_members "  # noqa: S608 - placeholders only
            f"WHERE member_key = ? AND rfm_segment IN ({marks}))"
        )
        params.extend([f.segment_key, *f.segments])
    return (" AND ".join(parts) or "TRUE"), params
