"""``python -m core import``: load customer/order/survey files from the shell (same code as the page)."""

from __future__ import annotations

import argparse
import tempfile

from core import db, ingest
from core.cli import add_db_argument
from core.i18n import t


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import customer, order or survey files (all or nothing)")
    add_db_argument(p)
    p.add_argument("--kind", required=True, choices=ingest.KINDS)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--mode", default="append", choices=ingest.MODES)
    p.add_argument("--encoding", default=None, help="override detection: utf-8, gbk, gb18030, utf-16 …")
    p.add_argument("--sheet", default=None, help="Excel sheet name (default: the first with data)")
    p.add_argument("--dayfirst", choices=("yes", "no"), default=None,
                   help="dates like 05.01.2024: yes = 5 January, no = 1 May (asked when the data cannot tell)")
    p.add_argument("--scale", choices=("nps", "csat", "ces"), default=None, help="survey score scale")
    p.add_argument("--user", default=None, help="name recorded in the import history and audit log")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    con = db.connect(args.db or db.default_db_path())
    try:
        with tempfile.TemporaryDirectory(prefix="kehu-import-") as work:
            reports = ingest.import_files(
                con, args.files, args.kind, work, mode=args.mode, username=args.user, encoding=args.encoding,
                sheet=args.sheet, dayfirst=None if args.dayfirst is None else args.dayfirst == "yes",
                scale=args.scale, lang=args.lang,
            )
    finally:
        con.close()
    for r in reports:
        print(t("data.cli.summary", args.lang, file=r.file, read=r.rows_read, loaded=r.loaded,
                rejected=r.rejected, id=r.import_id, mode=r.mode))
        for reason, n in r.reasons.items():
            print(f"  rejected {n:>8,}  {reason}: {t(f'data.reason.{reason}', args.lang)}")
        for code, n in r.warnings.items():
            print(f"  warning  {n:>8,}  {code}: {t(f'data.warn.{code}', args.lang)}")
    return 0
