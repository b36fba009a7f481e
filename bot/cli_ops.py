"""Operator and staff commands of `komek` that work on the database:

    komek offices import FILE.yaml|FILE.csv      add or update offices; rejected rows reported
                         [--if-empty]            (only into a database without offices)
    komek offices list
    komek appointments --office ID --date YYYY-MM-DD
    komek staff add USERNAME --name NAME --role worker|supervisor|admin [--region CODE]
    komek staff token USERNAME [--label TEXT]

The password of `staff add` comes from KOMEK_STAFF_PASSWORD or is asked for on the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sqlalchemy import Connection

from core.errors import InputError

T = TypeVar("T")
ALMATY = timezone(timedelta(hours=5), "Asia/Almaty")
EXIT_BAD_INPUT = 2


def _now() -> datetime:
    return datetime.now(ALMATY)


def _in_database(work: Callable[[Connection], T]) -> T:
    """Run one transaction on the configured database (the embedded one is migrated first)."""
    from bot.cli import _config  # noqa: PLC0415 - one place reads the configuration
    from bot.storage.database import Database  # noqa: PLC0415
    from bot.storage.db import upgrade  # noqa: PLC0415

    config = _config()

    async def run() -> T:
        db = Database(config.database_url)
        try:
            if db.dialect == "sqlite":
                await upgrade(db.engine)
            return await db.run(work)
        finally:
            await db.close()

    return asyncio.run(run())


def cmd_offices_import(args: argparse.Namespace, out: TextIO) -> int:
    from bot.appointments import import_offices, read_office_records  # noqa: PLC0415
    from core.offices import OfficeError  # noqa: PLC0415

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(args.file, f"cannot be read ({exc.strerror})") from None
    try:
        records = read_office_records(path.name, data)
    except OfficeError as exc:
        raise InputError(args.file, str(exc)) from None
    now = _now()
    if args.if_empty:
        from bot.appointments import load_offices  # noqa: PLC0415

        if _in_database(lambda c: load_offices(c, active_only=False)):
            out.write("offices are there already: nothing imported\n")
            return 0
    report = _in_database(lambda c: import_offices(c, records, now))
    out.write(f"{len(report.created)} office(s) added, {len(report.updated)} updated\n")
    for where, why in report.rejected:
        out.write(f"  rejected {where}: {why}\n")
    return EXIT_BAD_INPUT if report.rejected else 0


def cmd_offices_list(args: argparse.Namespace, out: TextIO) -> int:
    from bot.appointments import load_offices  # noqa: PLC0415

    offices = _in_database(lambda c: load_offices(c, active_only=False))
    if not offices:
        out.write("no offices yet: komek offices import FILE\n")
    for office in offices:
        mark = " (example)" if office.example else ""
        seats = f"{office.seats} seat(s) per {office.slot_minutes} min"
        out.write(f"{office.id:<24} {office.region:<18} {office.name['ru']}{mark}\n")
        out.write(f"{'':<24} {office.hours_text()}, {seats}\n")
    return 0


def cmd_appointments(args: argparse.Namespace, out: TextIO) -> int:
    from bot.appointments import day_visits, load_offices  # noqa: PLC0415

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise InputError("--date", "must be YYYY-MM-DD") from None

    def work(connection: Connection) -> Any:
        offices = {o.id: o for o in load_offices(connection, active_only=False)}
        if args.office not in offices:
            return None
        return offices[args.office], day_visits(connection, args.office, day)

    found = _in_database(work)
    if found is None:
        raise InputError("--office", f"no office {args.office!r} (komek offices list)")
    office, visits = found
    out.write(f"{office.name['ru']}: {day:%d.%m.%Y}, {len(visits)} visit(s)\n")
    for visit in visits:
        out.write(
            f"  {visit.start:%H:%M}  seat {visit.seat}  {visit.status:<9}  #{visit.id}"
            f"  {visit.channel} {visit.contact}\n"
        )
    return 0


def cmd_staff_add(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff import StaffError, create  # noqa: PLC0415

    password = os.environ.get("KOMEK_STAFF_PASSWORD") or (
        getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    )
    now = _now()
    try:
        staff_id = _in_database(
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
    from bot.staff import audit, find, issue_token  # noqa: PLC0415

    now = _now()

    def work(connection: Connection) -> str | None:
        member = find(connection, args.username)
        if member is None:
            return None
        token = issue_token(connection, member, args.label, now)
        audit(connection, member, "token.issue", args.label, now)
        return token

    token = _in_database(work)
    if token is None:
        raise InputError("USERNAME", f"no active staff member {args.username!r}")
    out.write(f"{token}\n")
    print("komek: keep this token secret; it is shown only once", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    offices = sub.add_parser("offices", help="the offices where people book visits")
    offices_sub = offices.add_subparsers(dest="offices_command", required=True)
    imported = offices_sub.add_parser("import", help="add or update offices from YAML or CSV")
    imported.add_argument("file", metavar="FILE")
    imported.add_argument(
        "--if-empty", action="store_true", help="only when there is no office yet (make run)"
    )
    imported.set_defaults(handler=cmd_offices_import)
    listed = offices_sub.add_parser("list", help="list the offices")
    listed.set_defaults(handler=cmd_offices_list)

    appointments = sub.add_parser("appointments", help="an office's visits on a day")
    appointments.add_argument("--office", required=True, metavar="ID")
    appointments.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    appointments.set_defaults(handler=cmd_appointments)

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
