"""Which customers a view looks at: sidebar filters and the signed-in user's row scope.

A filter is data; ``customer_where`` turns it into a SQL fragment plus bound parameters
(datasette style), so user-chosen values never reach SQL as text.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def is_empty(self) -> bool:
        return not (self.regions or self.channels or self.owners) and self.scope_owners is None


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
    return (" AND ".join(parts) or "TRUE"), params
