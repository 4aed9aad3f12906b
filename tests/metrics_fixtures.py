"""A tiny builder of hand-made shops in an in-memory Kehu database, for the metrics tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import count

import duckdb

from core.db import connect


def d(iso: str) -> date:
    """A date from ISO text, to keep table literals short."""
    return date.fromisoformat(iso)


def days_before(as_of: str, n: int) -> date:
    """``as_of`` minus ``n`` days (so tests can speak in recency)."""
    return d(as_of) - timedelta(days=n)


@dataclass
class Shop:
    """Insert customers, orders, surveys and follow-ups with only the columns a test cares about."""

    con: duckdb.DuckDBPyConnection = field(default_factory=lambda: connect(":memory:"))
    _ids: count = field(default_factory=lambda: count(1))

    def customer(
        self, customer_id: str, region: str = "east", channel: str = "web", owner: str = "wang"
    ) -> Shop:
        self.con.execute(
            "INSERT INTO customers (customer_id, name, region, channel, owner) VALUES (?, ?, ?, ?, ?)",
            [customer_id, f"name {customer_id}", region, channel, owner],
        )
        return self

    def customers(self, *ids: str, **attrs: str) -> Shop:
        for customer_id in ids:
            self.customer(customer_id, **attrs)
        return self

    def order(
        self,
        customer_id: str,
        day: date | str,
        amount: float,
        status: str = "paid",
        order_id: str | None = None,
    ) -> Shop:
        day = d(day) if isinstance(day, str) else day
        self.con.execute(
            "INSERT INTO orders (order_id, customer_id, order_date, amount, status) VALUES (?, ?, ?, ?, ?)",
            [order_id or f"o{next(self._ids)}", customer_id, day, amount, status],
        )
        return self

    def survey(
        self,
        customer_id: str,
        day: date | str,
        scale: str | None,
        score: int | None,
        kind: str = "survey",
    ) -> Shop:
        day = d(day) if isinstance(day, str) else day
        self.con.execute(
            "INSERT INTO surveys (survey_id, customer_id, survey_date, scale, score, kind) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [f"s{next(self._ids):06d}", customer_id, day, scale, score, kind],
        )
        return self

    def followup(self, customer_id: str, day: date | str, status: str = "done") -> Shop:
        day = d(day) if isinstance(day, str) else day
        self.con.execute(
            "INSERT INTO followups (customer_id, owner, action, due_date, status) VALUES (?, 'wang', 'call', ?, ?)",
            [customer_id, day, status],
        )
        return self


DEMO_END = date(2025, 6, 30)


@lru_cache(maxsize=1)
def demo_con() -> duckdb.DuckDBPyConnection:
    """The seeded demo company (2,000 customers, ends 2025-06-30), built once per test run.

    Shared by the property checks of several test files: treat it as read-only.
    """
    from core.demo import build_demo

    con = connect(":memory:")
    build_demo(con, customers=2000, seed=42, end=DEMO_END)
    return con
