"""The command line, ``python -m core``: a thin shell over the same functions the pages call.

Each module in this package that defines ``register(subparsers)`` adds one subcommand,
so features add their command without touching a shared file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from core.errors import KehuError


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Kehu 客户 — customer analytics on a DuckDB file. "
        "Every command takes --db PATH (default: $KEHU_DB or data/kehu.duckdb).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """The common ``--db`` option."""
    parser.add_argument(
        "--db", metavar="PATH", default=None,
        help="DuckDB file (default: $KEHU_DB or data/kehu.duckdb)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run the subcommand, turn a ``KehuError`` into a message and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KehuError as exc:
        lang = getattr(args, "lang", None) or os.environ.get("KEHU_LANG", "zh")
        print(f"error: {exc.message(lang)}", file=sys.stderr)
        return 2
