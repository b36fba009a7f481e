"""`komek staff add|token`: staff accounts and API tokens. The password of `staff add` comes
from KOMEK_STAFF_PASSWORD or is asked for on the terminal."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import timedelta
from typing import Any, TextIO

from sqlalchemy import Connection

from bot import clock
from bot.cli.common import in_database
from core.errors import InputError


def cmd_staff_add(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.accounts import StaffError, create  # noqa: PLC0415

    password = os.environ.get("KOMEK_STAFF_PASSWORD") or (
        getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    )
    now = clock.now()
    try:
        staff_id = in_database(
            lambda c: create(
                c,
                username=args.username,
                name=args.name,
                role=args.role,
                region=args.region,
                password=password,
                now=now,
            )
        )
    except StaffError as exc:
        raise InputError("staff", str(exc)) from None
    out.write(f"staff member {args.username} added (#{staff_id}, {args.role})\n")
    return 0


def cmd_staff_token(args: argparse.Namespace, out: TextIO) -> int:
    """`token USERNAME` issues one; `token list [USERNAME]` lists them; `token revoke ID`."""
    words = args.words
    if words[0] == "revoke":
        if len(words) != 2 or not words[1].isdecimal():
            raise InputError("token revoke", "give the token's number: komek staff token revoke ID")
        return _revoke(int(words[1]), out)
    if words[0] == "list":
        if len(words) > 2:
            raise InputError("token list", "give at most one username")
        return _list(words[1] if len(words) == 2 else None, out)
    if len(words) != 1:
        raise InputError("token", "give one username (or: list [USERNAME], revoke ID)")
    return _issue(words[0], args.label, args.days, out)


def _issue(username: str, label: str, days: int, out: TextIO) -> int:
    from bot.staff.accounts import audit, find, issue_token  # noqa: PLC0415

    if not 1 <= days <= 3650:
        raise InputError("--days", "a token lives from 1 to 3650 days")
    now = clock.now()

    def work(connection: Connection) -> str | None:
        member = find(connection, username)
        if member is None:
            return None
        token = issue_token(connection, member, label, now, timedelta(days=days))
        audit(connection, member, "token.issue", label, now, days=days)
        return token

    token = in_database(work)
    if token is None:
        raise InputError("USERNAME", f"no active staff member {username!r}")
    out.write(f"{token}\n")
    print(
        f"komek: keep this token secret; it is shown only once and expires on "
        f"{now + timedelta(days=days):%d.%m.%Y}",
        file=sys.stderr,
    )
    return 0


def _list(username: str | None, out: TextIO) -> int:
    from bot.staff.accounts import tokens_of  # noqa: PLC0415

    now = clock.now()
    for token in in_database(lambda c: tokens_of(c, username)):
        if token.revoked_at is not None:
            state = f"revoked {token.revoked_at:%d.%m.%Y}"
        elif token.expires_at is not None and token.expires_at <= now:
            state = f"expired {token.expires_at:%d.%m.%Y}"
        elif token.expires_at is not None:
            state = f"valid until {token.expires_at:%d.%m.%Y}"
        else:
            state = "valid (issued before tokens expired)"
        out.write(f"#{token.id:<5} {token.username:<20} {token.label:<20} {state}\n")
    return 0


def _revoke(token_id: int, out: TextIO) -> int:
    from bot.staff.accounts import revoke_token  # noqa: PLC0415

    now = clock.now()
    owner = in_database(lambda c: revoke_token(c, token_id, now))
    if owner is None:
        raise InputError("ID", f"no token #{token_id} (komek staff token list)")
    out.write(f"token #{token_id} of {owner} revoked\n")
    return 0


def cmd_staff_deactivate(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.accounts import deactivate  # noqa: PLC0415

    now = clock.now()
    if not in_database(lambda c: deactivate(c, args.username, now)):
        raise InputError("USERNAME", f"no staff member {args.username!r}")
    out.write(f"{args.username} can no longer sign in; their tokens are revoked\n")
    return 0


def register(sub: Any) -> None:
    staff = sub.add_parser("staff", help="staff accounts and API tokens")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add a member of staff")
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=("worker", "supervisor", "admin"))
    add.add_argument("--region", help="their region (every region when omitted: admin only)")
    add.set_defaults(handler=cmd_staff_add)
    token = staff_sub.add_parser(
        "token",
        help="API tokens: USERNAME issues one (printed once); list [USERNAME]; revoke ID",
    )
    token.add_argument("words", nargs="+", metavar="USERNAME | list [USERNAME] | revoke ID")
    token.add_argument("--label", default="api")
    token.add_argument("--days", type=int, default=90, help="how long it is valid (default 90)")
    token.set_defaults(handler=cmd_staff_token)
    off = staff_sub.add_parser("deactivate", help="end an account (its tokens are revoked)")
    off.add_argument("username")
    off.set_defaults(handler=cmd_staff_deactivate)
