"""Values the UI offers for choosing: filter options and the date range of the data."""

from __future__ import annotations

from datetime import date

import duckdb

from core.filters import Filters, customer_where


def order_date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """Earliest and latest order date (None, None when there are no orders)."""
    row = con.execute("SELECT min(order_date), max(order_date) FROM orders").fetchall()[0]
    return row[0], row[1]


def filter_values(con: duckdb.DuckDBPyConnection,
                  scope_owners: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """Distinct regions, channels and owners among the customers this user may see."""
    where, params = customer_where(Filters(scope_owners=scope_owners))
    out: dict[str, list[str]] = {}
    for field, column in (("regions", "region"), ("channels", "channel"), ("owners", "owner")):
        rows = con.execute(
            f"SELECT DISTINCT c.{column} FROM customers c WHERE {where} AND c.{column} IS NOT NULL "  # noqa: S608 - fixed names
            f"ORDER BY 1", params,
        ).fetchall()
        out[field] = [r[0] for r in rows]
    return out
