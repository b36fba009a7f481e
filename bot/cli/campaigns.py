"""Operator and staff commands of `komek` that work on the database:

    komek offices import FILE.yaml|FILE.csv      add or update offices; rejected rows reported
                         [--if-empty]            (only into a database without offices)
    komek offices list
    komek appointments --office ID --date YYYY-MM-DD
    komek staff add USERNAME --name NAME --role worker|supervisor|admin [--region CODE]
    komek staff token USERNAME [--label TEXT]

    komek caseload import FILE.csv|FILE.xlsx --as USERNAME
    komek caseload list --as USERNAME
    komek campaign create --as USERNAME --name NAME --template quarterly|documents_due|custom
                          [--due YYYY-MM-DD] [--text-kk T --text-ru T --text-en T]
                          [--region CODE] [--language kk|ru|en] [--reassess-before YYYY-MM-DD]
                          [--all-cases]
    komek campaign preview|send|status ID --as USERNAME [--watch] [--recipients]

The password of `staff add` comes from KOMEK_STAFF_PASSWORD or is asked for on the terminal.
`--as` names the member of staff the command acts for: their rights apply and the audit log
names them. Campaigns are queued here and sent by the server's dispatcher.
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


def _member(connection: Connection, username: str) -> Any:
    from bot.staff import find  # noqa: PLC0415

    member = find(connection, username)
    if member is None:
        raise InputError("--as", f"no active staff member {username!r}")
    return member


class Progress:
    """A progress bar on standard error for long work (`[#####.....] 5,000 / 10,000`)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.width = width

    def __call__(self, done: int) -> None:
        filled = min(self.width, self.width * done // self.total)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done:,} / {self.total:,}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def cmd_caseload_import(args: argparse.Namespace, out: TextIO) -> int:
    from bot.caseload import CaseloadError, import_caseload, read_caseload  # noqa: PLC0415

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(args.file, f"cannot be read ({exc.strerror})") from None
    now = _now()
    rows_total = max(0, len(data.splitlines()) - 1) if path.suffix.lower() == ".csv" else 0
    progress = Progress(rows_total) if rows_total > 1000 else None

    def work(connection: Connection) -> Any:
        member = _member(connection, args.as_user)
        rows = read_caseload(path.name, data)
        return import_caseload(connection, member, rows, now, progress=progress, source=path.name)

    try:
        report = _in_database(work)
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
    from bot.caseload import cases_of  # noqa: PLC0415

    cases = _in_database(lambda c: cases_of(c, _member(c, args.as_user)))
    for case in cases:
        out.write(f"{case}\n")
    out.write(f"{len(cases)} case(s)\n")
    return 0


def _campaign_rates() -> dict[str, float]:
    from bot.cli import _config  # noqa: PLC0415

    config = _config()
    return {"telegram": config.telegram_rate, "sms": config.sms_rate}


def cmd_campaign_create(args: argparse.Namespace, out: TextIO) -> int:
    from bot.campaigns import Audience, CampaignError, create  # noqa: PLC0415

    texts: dict[str, Any] = {"kk": args.text_kk, "ru": args.text_ru, "en": args.text_en}
    if args.due:
        texts["due"] = args.due
    try:
        before = date.fromisoformat(args.reassess_before) if args.reassess_before else None
    except ValueError:
        raise InputError("--reassess-before", "must be YYYY-MM-DD") from None
    audience = Audience(not args.all_cases, args.region, args.language, before)
    now = _now()

    def work(connection: Connection) -> int:
        return create(
            connection,
            _member(connection, args.as_user),
            name=args.name,
            template=args.template,
            texts=texts,
            audience=audience,
            now=now,
        )

    try:
        campaign_id = _in_database(work)
    except CampaignError as exc:
        raise InputError("campaign", str(exc)) from None
    out.write(f"campaign {campaign_id} created (draft): komek campaign preview {campaign_id}\n")
    return 0


def cmd_campaign_preview(args: argparse.Namespace, out: TextIO) -> int:
    from bot.campaigns import CampaignError, preview  # noqa: PLC0415
    from bot.i18n import Translator  # noqa: PLC0415

    translator, rates = Translator(), _campaign_rates()
    try:
        shown = _in_database(
            lambda c: preview(c, _member(c, args.as_user), args.id, translator, rates)
        )
    except CampaignError as exc:
        raise InputError("campaign", str(exc)) from None
    out.write(f"campaign {shown['campaign']}: {shown['name']} ({shown['status']})\n")
    for language, text in shown["texts"].items():
        out.write(
            f"  [{language}] SMS: {text['sms_segments']} segment(s), {text['sms_encoding']}\n"
            f"    {text['text']}\n"
        )
    channels = ", ".join(f"{n} by {ch}" for ch, n in sorted(shown["recipients"].items()))
    out.write(f"  recipients: {channels or 'none'}; opted out (skipped): {shown['opted_out']}\n")
    out.write(f"  sending takes about {shown['eta_seconds']} s under the rate limits\n")
    return 0


def cmd_campaign_send(args: argparse.Namespace, out: TextIO) -> int:
    from bot.campaigns import CampaignError, send  # noqa: PLC0415

    now = _now()
    try:
        queued = _in_database(lambda c: send(c, _member(c, args.as_user), args.id, now))
    except CampaignError as exc:
        raise InputError("campaign", str(exc)) from None
    out.write(
        f"campaign {args.id}: {queued} message(s) queued; the server sends them "
        f"(komek campaign status {args.id} --watch)\n"
    )
    return 0


def cmd_campaign_status(args: argparse.Namespace, out: TextIO) -> int:
    import time  # noqa: PLC0415

    from bot.campaigns import CampaignError, status  # noqa: PLC0415

    def look() -> dict[str, Any]:
        try:
            return _in_database(
                lambda c: status(c, _member(c, args.as_user), args.id, recipients=args.recipients)
            )
        except CampaignError as exc:
            raise InputError("campaign", str(exc)) from None

    shown = look()
    if args.watch:
        progress = Progress(shown["queued"])
        deadline = time.monotonic() + args.watch_limit
        while shown["status"] == "sending" and time.monotonic() < deadline:
            progress(shown["queued"] - shown["outbox"].get("pending", 0))
            time.sleep(1.0)
            shown = look()
        progress(shown["queued"] - shown["outbox"].get("pending", 0))
        progress.close()
    counts = ", ".join(f"{n} {s}" for s, n in sorted(shown["outbox"].items()))
    out.write(
        f"campaign {shown['campaign']}: {shown['name']} ({shown['status']}): "
        f"{counts or 'nothing queued'}; {shown['delivered']} delivered\n"
    )
    for recipient in shown.get("recipients", []):
        out.write(
            f"  {recipient['channel']:<9} {recipient['contact']:<10} {recipient['status']:<9}"
            f" {recipient['delivery'] or ''} {recipient['error'] or ''}\n"
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

    caseload = sub.add_parser("caseload", help="a social worker's caseload")
    caseload_sub = caseload.add_subparsers(dest="caseload_command", required=True)
    load = caseload_sub.add_parser("import", help="import families from CSV or XLSX")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    load.set_defaults(handler=cmd_caseload_import)
    cases = caseload_sub.add_parser("list", help="list the caseload")
    cases.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    cases.set_defaults(handler=cmd_caseload_list)

    campaign = sub.add_parser("campaign", help="messages from staff to many families")
    campaign_sub = campaign.add_subparsers(dest="campaign_command", required=True)
    new = campaign_sub.add_parser("create", help="a draft campaign")
    new.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    new.add_argument("--name", required=True)
    new.add_argument("--template", required=True, choices=("quarterly", "documents_due", "custom"))
    new.add_argument("--due", metavar="YYYY-MM-DD", help="documents_due: the date")
    for language in ("kk", "ru", "en"):
        new.add_argument(
            f"--text-{language}", metavar="TEXT", help=f"custom: the text in {language}"
        )
    new.add_argument("--region", help="only families of this region")
    new.add_argument(
        "--language", choices=("kk", "ru", "en"), help="only families of this language"
    )
    new.add_argument("--reassess-before", metavar="YYYY-MM-DD")
    new.add_argument(
        "--all-cases", action="store_true", help="every case you may see, not only your own"
    )
    new.set_defaults(handler=cmd_campaign_create)
    for name, handler, text in (
        ("preview", cmd_campaign_preview, "the texts, SMS segments, recipients and ETA"),
        ("send", cmd_campaign_send, "queue it for sending"),
        ("status", cmd_campaign_status, "progress and delivery"),
    ):
        command = campaign_sub.add_parser(name, help=text)
        command.add_argument("id", type=int)
        command.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
        if name == "status":
            command.add_argument("--watch", action="store_true", help="follow until it is sent")
            command.add_argument(
                "--watch-limit", type=float, default=3600.0, help=argparse.SUPPRESS
            )
            command.add_argument("--recipients", action="store_true", help="each recipient")
        command.set_defaults(handler=handler)
