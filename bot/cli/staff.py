"""`komek staff add|token`: staff accounts and API tokens. The password of `staff add` comes
from KOMEK_STAFF_PASSWORD or is asked for on the terminal."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
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
    from bot.staff.accounts import audit, find, issue_token  # noqa: PLC0415

    now = clock.now()

    def work(connection: Connection) -> str | None:
        member = find(connection, args.username)
        if member is None:
            return None
        token = issue_token(connection, member, args.label, now)
        audit(connection, member, "token.issue", args.label, now)
        return token

    token = in_database(work)
    if token is None:
        raise InputError("USERNAME", f"no active staff member {args.username!r}")
    out.write(f"{token}\n")
    print("komek: keep this token secret; it is shown only once", file=sys.stderr)
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
    token = staff_sub.add_parser("token", help="issue an API token (printed once)")
    token.add_argument("username")
    token.add_argument("--label", default="api")
    token.set_defaults(handler=cmd_staff_token)
