"""``python -m core users add|passwd|disable|enable|unlock|list``: accounts from the console.

Passwords are read with ``getpass`` (typed twice) or, for scripts, one line from stdin with
``--password-stdin``; they are never arguments (shell history, ``ps``) and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

import pandas as pd

from core import auth, db
from core.cli import add_db_argument
from core.errors import KehuError

ACTOR = "cli"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="add, change, disable and list sign-in accounts")
    commands = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="create an account")
    add.add_argument("name", help="username used to sign in (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, choices=auth.ROLES)
    add.add_argument("--owner", metavar="NAME",
                     help="the account manager this user is, as written in customers.owner")
    add.add_argument("--team", metavar="T", help="team: a manager also sees the team's customers")
    add.add_argument("--display-name", metavar="TEXT", help="name shown in the app")
    add.add_argument("--email", metavar="ADDRESS")
    add.add_argument("--can-import", action="store_true", help="a manager may import files")
    _password_option(add)
    add.set_defaults(func=run_add)

    passwd = commands.add_parser("passwd", help="set a new password (ends the user's sessions)")
    passwd.add_argument("name")
    _password_option(passwd)
    passwd.set_defaults(func=run_passwd)

    for action, help_text, func in (
        ("disable", "disable an account (ends its sessions; kept for the audit log)", run_disable),
        ("enable", "enable a disabled account again", run_enable),
        ("unlock", "lift a lock-out after too many wrong passwords", run_unlock),
    ):
        cmd = commands.add_parser(action, help=help_text)
        cmd.add_argument("name")
        add_db_argument(cmd)
        cmd.set_defaults(func=func)

    listing = commands.add_parser("list", help="list accounts (never passwords)")
    add_db_argument(listing)
    listing.set_defaults(func=run_list)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (for scripts)")
    add_db_argument(parser)


def read_password(from_stdin: bool) -> str:
    """The new password: one stdin line, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise KehuError("The two passwords differ; nothing was changed.")
    return first


def run_add(args: argparse.Namespace) -> int:
    password = read_password(args.password_stdin)
    auth.check_password_rules(password)  # before opening the database: fail fast
    con = db.connect(args.db)
    try:
        user = auth.add_user(
            con, args.name, password, args.role, display_name=args.display_name,
            email=args.email, owner_name=args.owner, team=args.team,
            can_import=args.can_import, actor=ACTOR,
        )
    finally:
        con.close()
    print(f"Added {user.username} ({user.role}).")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    password = read_password(args.password_stdin)
    auth.check_password_rules(password)
    con = db.connect(args.db)
    try:
        auth.set_password(con, args.name, password, actor=ACTOR)
    finally:
        con.close()
    print(f"Password changed for {auth.normalise_username(args.name)}; their sessions have ended.")
    return 0


def _simple(args: argparse.Namespace, change, done: str) -> int:
    con = db.connect(args.db)
    try:
        change(con, args.name, actor=ACTOR)
    finally:
        con.close()
    print(done.format(name=auth.normalise_username(args.name)))
    return 0


def run_disable(args: argparse.Namespace) -> int:
    return _simple(args, auth.disable_user, "Disabled {name}; their sessions have ended.")


def run_enable(args: argparse.Namespace) -> int:
    def enable(con, name, actor):
        auth.set_disabled(con, name, False, actor=actor)

    return _simple(args, enable, "Enabled {name}.")


def run_unlock(args: argparse.Namespace) -> int:
    return _simple(args, auth.unlock, "Unlocked {name}.")


def run_list(args: argparse.Namespace) -> int:
    con = db.connect(args.db)
    try:
        users = auth.list_users(con)
    finally:
        con.close()
    if users.empty:
        print("No users yet. Create one: python -m core users add NAME --role admin")
        return 0
    now = auth.utcnow()
    print(f"{'username':<20}{'role':<9}{'owner':<14}{'team':<10}{'import':<8}status")
    for u in users.itertuples():
        if u.disabled:
            status = "disabled"
        elif pd.notna(u.locked_until) and u.locked_until > now:
            status = "locked"
        else:
            status = "active"
        print(f"{u.username:<20}{u.role:<9}{_text(u.owner_name):<14}{_text(u.team):<10}"
              f"{('yes' if u.can_import else 'no'):<8}{status}")
    return 0


def _text(value: object) -> str:
    return "-" if value is None or pd.isna(value) else str(value)
