"""`komek offices import|list` and `komek appointments`: the offices where people book visits,
and an office's visits on a day."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any, TextIO

from sqlalchemy import Connection

from bot import clock
from bot.cli.common import EXIT_BAD_INPUT, in_database, read_file
from core.errors import InputError


def cmd_offices_import(args: argparse.Namespace, out: TextIO) -> int:
    from bot.storage.offices import import_offices, read_office_records  # noqa: PLC0415
    from core.offices import OfficeError  # noqa: PLC0415

    path, data = read_file(args.file)
    try:
        records = read_office_records(path.name, data)
    except OfficeError as exc:
        raise InputError(args.file, str(exc)) from None
    now = clock.now()
    if args.if_empty:
        from bot.storage.offices import load_offices  # noqa: PLC0415

        if in_database(lambda c: load_offices(c, active_only=False)):
            out.write("offices are there already: nothing imported\n")
            return 0
    report = in_database(lambda c: import_offices(c, records, now))
    out.write(f"{len(report.created)} office(s) added, {len(report.updated)} updated\n")
    for where, why in report.rejected:
        out.write(f"  rejected {where}: {why}\n")
    return EXIT_BAD_INPUT if report.rejected else 0


def cmd_offices_list(args: argparse.Namespace, out: TextIO) -> int:
    from bot.storage.offices import load_offices  # noqa: PLC0415

    offices = in_database(lambda c: load_offices(c, active_only=False))
    if not offices:
        out.write("no offices yet: komek offices import FILE\n")
    for office in offices:
        mark = " (example)" if office.example else ""
        seats = f"{office.seats} seat(s) per {office.slot_minutes} min"
        out.write(f"{office.id:<24} {office.region:<18} {office.name['ru']}{mark}\n")
        out.write(f"{'':<24} {office.hours_text()}, {seats}\n")
    return 0


def cmd_appointments(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.visits import day_visits  # noqa: PLC0415
    from bot.storage.offices import load_offices  # noqa: PLC0415

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise InputError("--date", "must be YYYY-MM-DD") from None

    def work(connection: Connection) -> Any:
        offices = {o.id: o for o in load_offices(connection, active_only=False)}
        if args.office not in offices:
            return None
        return offices[args.office], day_visits(connection, args.office, day)

    found = in_database(work)
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
