"""`komek caseload import|list --as USERNAME`: a social worker's caseload, from CSV or XLSX."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import Connection

from bot import clock
from bot.cli.common import (
    EXIT_BAD_INPUT,
    Progress,
    config,
    in_database,
    member,
    read_file,
    with_database,
)
from core.errors import InputError

if TYPE_CHECKING:
    from bot.storage.database import Database


def cmd_caseload_import(args: argparse.Namespace, out: TextIO) -> int:
    from bot.staff.caseload import (  # noqa: PLC0415
        CaseloadError,
        CaseloadReport,
        import_caseload,
        read_caseload,
    )

    path, data = read_file(args.file)
    now = clock.now()
    rows_total = max(0, len(data.splitlines()) - 1) if path.suffix.lower() == ".csv" else 0
    progress = Progress(rows_total) if rows_total > 1000 else None

    link_valid = timedelta(days=config().link_days)

    async def work(db: Database) -> CaseloadReport:
        worker = await db.run(lambda c: member(c, args.as_user))
        rows = read_caseload(path.name, data)
        return await import_caseload(
            db, worker, rows, now, progress=progress, source=path.name, link_valid=link_valid
        )

    try:
        report = with_database(work)
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


def cmd_caseload_relink(args: argparse.Namespace, out: TextIO) -> int:
    """A new deep link for a family's Telegram chat (after FORGET, or a link that expired or
    reached the wrong chat): the old one stops working."""
    from bot.staff.accounts import audit  # noqa: PLC0415
    from bot.staff.caseload import new_link  # noqa: PLC0415

    now = clock.now()
    valid = timedelta(days=config().link_days)

    def work(connection: Connection) -> str | None:
        worker = member(connection, args.as_user)
        code = new_link(connection, worker, args.case, now, valid)
        if code is not None:
            audit(connection, worker, "caseload.link", str(args.case), now)
        return code

    code = in_database(work)
    if code is None:
        raise InputError("CASE", f"no case {args.case} in {args.as_user}'s caseload")
    out.write(f"{code}\n")
    print(
        f"komek: send the family https://t.me/<bot>?start={code} (valid until "
        f"{(now + valid):%d.%m.%Y}, for one chat)",
        file=sys.stderr,
    )
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
    relink = caseload_sub.add_parser("relink", help="a new Telegram deep link for a family")
    relink.add_argument("case", type=int, metavar="CASE_ID")
    relink.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    relink.set_defaults(handler=cmd_caseload_relink)
