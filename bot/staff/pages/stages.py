"""The case, step by step, on the staff pages: the family page's stage timeline with the form that
changes the stage (the family is told), the documents checklist and the case number; and a
spreadsheet of stage changes exported from the official system, with its per-row report in the
member's language. Only the family's own social worker changes a case (others: 403)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import Connection, select

from bot.parameters import default_stages
from bot.staff.caseload import CaseloadError
from bot.staff.pages.caseload import read_upload, reason_text
from bot.staff.pages.web import Page, Refused, check_csrf, number, view
from bot.staff.reports import today_in_almaty
from bot.staff.stage_import import import_stage_changes, read_stage_changes
from bot.staff.stages import (
    FIELD_NAMES,
    REASONS,
    StageError,
    checklist,
    own_case,
    read_change,
    record_change,
    set_case_number,
    tick_documents,
)
from bot.storage import stages as stored
from bot.storage.stages import StageChange
from bot.storage.tables import CASES
from core.documents import Document
from core.stages import Stage, Stages
from dialogs.documents import document_text
from dialogs.stages import documents_of
from dialogs.text import N_, Text, msg

FIELD_LABELS: dict[str, Text] = {
    "amount": msg("amount"),
    "months": msg("months"),
    "category": msg("category"),
    "reason": msg("reason"),
}


@dataclass(frozen=True, slots=True)
class Shown:
    """A change of stage as the page shows it."""

    change: StageChange
    stage: Stage | None  # None: a stage no longer in the data (its id is shown)
    missing: list[str]  # the documents it asked for, in the page's language


@dataclass(frozen=True, slots=True)
class CaseStages:
    """What the family page shows of the case's stages and documents."""

    stages: Stages
    number: str | None
    current: Stage | None
    changes: list[Shown]
    documents: list[tuple[Document, str, bool]]  # document, its words, received


def case_stages(page: Page, connection: Connection, case_id: int) -> CaseStages:
    stages = default_stages()
    c = CASES.c
    row = connection.execute(select(c.case_number, c.stage).where(c.id == case_id)).first()
    changes = [
        Shown(
            change,
            stages.get(change.stage),
            [page.text(document_text(d, to_family=False)) for d in documents_of(change.fields)],
        )
        for change in stored.history(connection, case_id)
    ]
    documents = [
        (d, page.text(document_text(d, to_family=False)), have)
        for d, have in checklist(connection, case_id)
    ]
    return CaseStages(
        stages,
        None if row is None else row.case_number,
        None if row is None or row.stage is None else stages.get(row.stage),
        changes,
        documents,
    )


def problem_text(page: Page, code: str, params: dict[str, Any]) -> Markup:
    """A refusal's reason in the page's language (a field named in words)."""
    shown = dict(params)
    if "field" in shown:
        shown["field"] = page.text(FIELD_LABELS.get(str(shown["field"]), msg("field")))
    if "n" in shown:
        shown["n"] = page.number(int(shown["n"]))
    return page.gettext(REASONS[code], **shown)


def problem_of(page: Page) -> Markup | None:
    """The problem a redirect names in its query (only known codes and fields are read)."""
    query = page.request.query
    code = query.get("problem", "")
    if code not in REASONS:
        return None
    params: dict[str, Any] = {}
    if query.get("field") in FIELD_NAMES:
        params["field"] = query["field"]
    if query.get("n", "").isdecimal() and len(query["n"]) < 6:
        params["n"] = int(query["n"])
    if query.get("value"):
        params["value"] = query["value"][:44]
    try:
        return problem_text(page, code, params)
    except (KeyError, IndexError):  # a hand-made query without the parameter the text needs
        return None


FILE_REASONS = (
    ("stage changes come as", N_("Stage changes come as a .csv or .xlsx file.")),
    (
        "the header (row 1) has no",
        N_("The first row must name the columns; case_number, stage and date are required."),
    ),
)


def file_problem(page: Page, reason: str) -> str:
    """Why a file of stage changes cannot be read, in the page's language."""
    for words, msgid in FILE_REASONS:
        if words in reason:
            return page.gettext(msgid)
    return reason_text(page, reason)


def _back(case_id: int, problem: StageError | None = None, done: str = "") -> web.HTTPSeeOther:
    query: dict[str, Any] = {"done": done} if done else {}
    if problem is not None:
        query = {"problem": problem.code, **problem.params}
    return web.HTTPSeeOther(f"/staff/families/{case_id}?{urlencode(query)}#stages")


async def change(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    member, now = page.member, page.now
    today = today_in_almaty(now)
    form = {key: page.form.get(key, "") for key in ("stage", "date", "note", *FIELD_NAMES)}

    def work(connection: Connection) -> int | None:
        case = own_case(connection, member, case_id)  # refused before the form is read
        made = read_change(default_stages(), form, today)
        return record_change(connection, member, case, made, now, source="page")

    try:
        await page.run(work)
    except StageError as problem:
        if problem.code == "not_yours":
            raise Refused() from None
        raise _back(case_id, problem) from None
    raise _back(case_id, done="stage")


async def documents(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    member, now = page.member, page.now
    keys = page.form.getall("received", [])

    def work(connection: Connection) -> None:
        tick_documents(connection, member, case_id, keys, now)

    try:
        await page.run(work)
    except StageError:
        raise Refused() from None
    raise _back(case_id, done="documents")


async def case_number(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    member, now = page.member, page.now
    typed = page.form.get("case_number", "")[:100]

    def work(connection: Connection) -> None:
        set_case_number(connection, member, case_id, typed, now)

    try:
        await page.run(work)
    except StageError as problem:
        if problem.code == "not_yours":
            raise Refused() from None
        raise _back(case_id, problem) from None
    raise _back(case_id, done="number")


# ------------------------------------------------------------------------------------------
# A spreadsheet of stage changes


async def upload_form(page: Page) -> web.StreamResponse:
    return page.render("stages_upload.html", stages=default_stages())


async def upload(page: Page) -> web.StreamResponse:
    stages = default_stages()

    def problem(text: str, status: int = 400, **more: Any) -> web.Response:
        return page.render("stages_upload.html", status=status, problem=text, stages=stages, **more)

    if not page.request.content_type.startswith("multipart/"):
        return problem(page.gettext("Choose a file."))
    token, filename, data = await read_upload(page)
    if not check_csrf(page, token):
        return page.refuse()
    if not filename or not data:
        return problem(page.gettext("Choose a file."))
    member, now = page.member, page.now
    name = unquote(filename).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:100]
    try:
        rows = await asyncio.to_thread(read_stage_changes, name, data)
        report = await import_stage_changes(
            page.runner.db, member, rows, now, today_in_almaty(now), source=name
        )
    except CaseloadError as error:
        return problem(file_problem(page, str(error)), filename=name)
    rejected = [(row, problem_text(page, code, params)) for row, code, params in report.rejected]
    return page.render(
        "stages_upload.html", stages=stages, report=report, rejected=rejected, filename=name
    )


def setup(app: web.Application) -> None:
    app.router.add_post("/staff/families/{id}/stage", view(change))
    app.router.add_post("/staff/families/{id}/documents", view(documents))
    app.router.add_post("/staff/families/{id}/number", view(case_number))
    app.router.add_get("/staff/stages/upload", view(upload_form, roles=("worker",)))
    app.router.add_post("/staff/stages/upload", view(upload, roles=("worker",), form=False))
