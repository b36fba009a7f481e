"""`komek caseload import|list --as USERNAME`: a social worker's caseload, from CSV or XLSX."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from sqlalchemy import Connection

from bot import clock
from bot.cli.common import EXIT_BAD_INPUT, Progress, in_database, member, read_file
from core.errors import InputError


def cmd_caseload_import(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.caseload import CaseloadError, import_caseload, read_caseload  # noqa: PLC0415

    path, data = read_file(args.file)
    now = clock.now()
    rows_total = max(0, len(data.splitlines()) - 1) if path.suffix.lower() == ".csv" else 0
    progress = Progress(rows_total) if rows_total > 1000 else None

    def work(connection: Connection) -> Any:
        worker = member(connection, args.as_user)
        rows = read_caseload(path.name, data)
        return import_caseload(connection, worker, rows, now, progress=progress, source=path.name)

    try:
        report = in_database(work)
    except CaseloadError as exc:
        raise InputError(args.file, str(exc)) from None
    finally:
        if progress is not None:
            progress.close()
    out.write(f"{report.added} case(s) added, {report.updated} updated\n")
    for row, why in report.rejected:
        out.write(f"  rejected row {row}: {why}\n")
    return EXIT_BAD_INPUT if report.rejected else 0


def cmd_caseload_list(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.caseload import cases_of  # noqa: PLC0415

    cases = in_database(lambda c: cases_of(c, member(c, args.as_user)))
    for case in cases:
        out.write(f"{case}\n")
    out.write(f"{len(cases)} case(s)\n")
    return 0


def register(sub: Any) -> None:
    caseload = sub.add_parser("caseload", help="a social worker's caseload")
    caseload_sub = caseload.add_subparsers(dest="caseload_command", required=True)
    load = caseload_sub.add_parser("import", help="import families from CSV or XLSX")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    load.set_defaults(handler=cmd_caseload_import)
    cases = caseload_sub.add_parser("list", help="list the caseload")
    cases.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    cases.set_defaults(handler=cmd_caseload_list)
