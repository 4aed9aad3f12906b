"""``python -m core info``: schema version and table counts."""

from __future__ import annotations

import argparse

from core import db
from core.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show the schema version and row counts of every table")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = args.db or db.default_db_path()
    con = db.connect(path)
    try:
        print(f"database: {path}")
        print(f"schema version: {db.schema_version(con)}")
        for table, n in db.table_counts(con).items():
            print(f"{table:<18}{n:>12,}")
    finally:
        con.close()
    return 0
