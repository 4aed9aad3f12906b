"""``python -m core demo``: create a database filled with the seeded demo company."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from core import db, demo
from core.cli import add_db_argument
from core.errors import KehuError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="create a database with the demo company (refuses a database that has data)",
        description="Load a realistic demo company: customers, three years of orders, surveys, "
        "follow-ups. Deterministic for a given --seed and --end.",
    )
    add_db_argument(p)
    p.add_argument("--customers", type=int, default=2000, help="number of customers (default 2000)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--end", type=date.fromisoformat, default=None,
                   help="last day of the demo history, YYYY-MM-DD (default: yesterday)")
    p.add_argument("--force", action="store_true", help="delete an existing database file first")
    p.add_argument("--csv", metavar="FOLDER", default=None,
                   help="instead of a database, write customers.csv, orders.csv, surveys.csv "
                   "(Chinese headers, UTF-8 with BOM) to FOLDER")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.customers < 1:
        raise KehuError("--customers must be at least 1.")
    if args.csv:
        for written in demo.write_sample(args.csv, args.customers, args.seed, args.end):
            print(written)
        return 0
    path = Path(args.db or db.default_db_path())
    if args.force and path.exists():
        path.unlink()
        Path(str(path) + ".wal").unlink(missing_ok=True)
    con = db.connect(path)
    try:
        if not db.is_empty(con):
            raise KehuError(f"{path} already holds data; use --force to replace it or choose another --db.")
        summary = demo.build_demo(con, customers=args.customers, seed=args.seed, end=args.end)
    finally:
        con.close()
    print(f"demo database: {path}")
    print(f"customers {summary.customers:,} · orders {summary.orders:,} · survey answers "
          f"{summary.surveys:,} · follow-ups {summary.followups:,} · {summary.start} → {summary.end}")
    return 0
