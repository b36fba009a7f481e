"""The caseload pages: the families a member sees, found by name or the last digits of a
phone, filtered and sorted, a page of 50 at a time; a spreadsheet uploaded with its per-row
report on the screen; and the list (or any filtered view of it) exported as CSV or XLSX."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from sqlalchemy import Connection

from bot.staff.accounts import audit
from bot.staff.caseload import CaseloadError, import_caseload, read_caseload
from bot.staff.exports import to_csv, to_xlsx
from bot.staff.families import FamilyRow, Filters, export_rows, listing
from bot.staff.pages import labels
from bot.staff.pages.web import Page, check_csrf, view
from bot.web.keys import CONFIG
from dialogs.text import N_

MAX_UPLOAD = 20 * 1024 * 1024

# The reasons `bot.staff.caseload` gives (in English, for the API and the command line), as the
# pages translate them: each English pattern with its msgid.
REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), msgid)
    for p, msgid in (
        (r"^The same phone as row (?P<row>\d+)\.$", N_("The same phone as row {row}.")),
        (r"^The name is empty\.$", N_("The name is empty.")),
        (
            r"^The name is longer than (?P<n>\d+) characters\.$",
            N_("The name is longer than {n} characters."),
        ),
        (r"^The phone is empty\.$", N_("The phone is empty.")),
        (r"^The phone is not a phone number\.$", N_("The phone is not a phone number.")),
        (r"^The region is empty\.$", N_("The region is empty.")),
        (
            r'^The region (?P<value>".*") is not a region of Kazakhstan\.$',
            N_("The region {value} is not a region of Kazakhstan."),
        ),
        (r"^The language is empty\.$", N_("The language is empty.")),
        (
            r"^The language (?P<value>\".*\") is not kk, ru or en\.$",
            N_("The language {value} is not kk, ru or en."),
        ),
        (
            r"^The case_notes are longer than (?P<n>\d+) characters\.$",
            N_("The notes are longer than {n} characters."),
        ),
        (
            r"^The next_reassessment is not a date",
            N_("The date of the next reassessment is not a date (YYYY-MM-DD or DD.MM.YYYY)."),
        ),
        (
            r"^The case_number is not a case number\.$",
            N_("The case number may have letters, digits, '-', '/' and '.' (up to 40)."),
        ),
        (
            r"^Refused: the case_number is another family's\.$",
            N_("Refused: this case number is another family's."),
        ),
        (
            r"^Refused: the phone is already in a caseload\.$",
            N_("Refused: this phone is already in a caseload."),
        ),
        (r"a caseload comes as \.csv or \.xlsx$", N_("A caseload comes as a .csv or .xlsx file.")),
        (r"the file is empty$", N_("The file is empty.")),
        (r"the (?P<column>\w+) column appears twice$", N_("The {column} column appears twice.")),
        (
            r"the header \(row 1\) has no",
            N_("The first row must name the columns; name (ФИО) and phone (телефон) are required."),
        ),
        (r"not readable CSV", N_("The file is not readable CSV.")),
        (r"XLSX", N_("The file is not a readable XLSX workbook.")),
    )
]


def reason_text(page: Page, reason: str) -> str:
    for pattern, msgid in REASONS:
        found = pattern.search(reason)
        if found is not None:
            return page.gettext(msgid, **found.groupdict())
    return reason


async def caseload(page: Page) -> web.StreamResponse:
    filters = Filters.from_query(page.request.query)
    member, now = page.member, page.now
    found = await page.run(lambda c: listing(c, member, filters, now))
    return page.render("caseload.html", filters=filters, listing=found)


async def upload_form(page: Page) -> web.StreamResponse:
    return page.render("upload.html")


async def read_upload(page: Page) -> tuple[str, str, bytes]:
    """The form's token, the file's name and its bytes (413 past `MAX_UPLOAD`)."""
    token, filename, data = "", "", b""
    reader = await page.request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "csrf":
            token = (await part.read(decode=True)).decode("utf-8", "replace")[:200]
        elif part.name == "file":
            filename = part.filename or ""
            chunks, size = [], 0
            while chunk := await part.read_chunk(64 * 1024):
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD, actual_size=size)
                chunks.append(chunk)
            data = b"".join(chunks)
    return token, filename, data


async def upload(page: Page) -> web.StreamResponse:
    if not page.request.content_type.startswith("multipart/"):
        return page.render("upload.html", status=400, problem=page.gettext("Choose a file."))
    token, filename, data = await read_upload(page)
    if not check_csrf(page, token):
        return page.refuse()
    if not filename or not data:
        return page.render("upload.html", status=400, problem=page.gettext("Choose a file."))
    runner, member, now = page.runner, page.member, page.now
    link_valid = timedelta(days=page.request.app[CONFIG].link_days)
    name = unquote(filename).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:100]
    try:
        rows = await asyncio.to_thread(read_caseload, name, data)
        report = await import_caseload(
            runner.db, member, rows, now, source=name, link_valid=link_valid
        )
    except CaseloadError as problem:
        return page.render(
            "upload.html", status=400, problem=reason_text(page, str(problem)), filename=name
        )
    rejected = [(row, reason_text(page, why)) for row, why in report.rejected]
    return page.render("upload.html", report=report, rejected=rejected, filename=name)


def _header(page: Page) -> list[str]:
    return [
        str(page.gettext("Name")),
        str(page.gettext("Phone")),
        str(page.gettext("Region")),
        str(page.gettext("Language")),
        str(page.gettext("Telegram linked")),
        str(page.gettext("Consent")),
        str(page.gettext("Opted out")),
        str(page.gettext("Last contact")),
        str(page.gettext("Latest assessment")),
        str(page.gettext("Next reassessment")),
        str(page.gettext("Social worker")),
    ]


def _cells(page: Page, rows: Iterable[FamilyRow]) -> Iterable[list[Any]]:
    yes, no = str(page.gettext("yes")), str(page.gettext("no"))
    for row in rows:
        yield [
            row.name,
            row.phone,
            page.name(labels.REGIONS, row.region),
            page.name(labels.LANGUAGES, row.language),
            yes if row.telegram else no,
            yes if row.consent else no,
            yes if row.opted_out else no,
            page.moment(row.last_contact) if row.last_contact else "",
            page.name(labels.OUTCOMES, row.status),
            row.next_reassessment,
            row.worker,
        ]


def _exporter(kind: str) -> Any:
    async def export(page: Page) -> web.StreamResponse:
        filters = Filters.from_query(page.request.query)
        member, now = page.member, page.now

        def work(connection: Connection) -> list[FamilyRow]:
            rows = list(export_rows(connection, member, filters, now))
            audit(
                connection,
                member,
                "caseload.export",
                kind,
                now,
                rows=len(rows),
                filters=filters.query_string(page=1),
            )
            return rows

        rows = await page.run(work)
        stamp = f"{now:%Y-%m-%d}"
        if kind == "csv":
            body = to_csv(_header(page), _cells(page, rows))
            content_type = "text/csv"
        else:
            body = await asyncio.to_thread(
                to_xlsx, "Komek", _header(page), list(_cells(page, rows))
            )
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8" if kind == "csv" else None,
            headers={
                "Content-Disposition": f'attachment; filename="komek-families-{stamp}.{kind}"',
                "Cache-Control": "no-store",
            },
        )

    return export


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/caseload", view(caseload))
    app.router.add_get("/staff/caseload/upload", view(upload_form))
    app.router.add_post("/staff/caseload/upload", view(upload, form=False))
    app.router.add_get("/staff/caseload/export.csv", view(_exporter("csv")))
    app.router.add_get("/staff/caseload/export.xlsx", view(_exporter("xlsx")))
