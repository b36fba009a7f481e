"""The JSON API of a case's stages (behind the same staff API token as `bot.staff.api`):

    GET  /api/staff/caseload/{id}/stages        the case's stages, newest first, and documents
    POST /api/staff/caseload/{id}/stage         {"stage", "date", "note", "amount", "months",
                                                 "category", "reason"}: the family is told
    POST /api/staff/caseload/{id}/documents     {"received": ["identity:0", ...]}
    POST /api/staff/stages?filename=F.csv       a file of stage changes (CSV or XLSX) as the body

Reading needs the case to be the member's to see (a worker's own, a supervisor's region, an
administrator's any); changing needs it to be the member's own case: 403 otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, select

from bot.parameters import default_stages
from bot.staff.accounts import Member, audit
from bot.staff.caseload import CaseloadError
from bot.staff.families import visible
from bot.staff.reports import today_in_almaty
from bot.staff.stage_import import import_stage_changes, read_stage_changes
from bot.staff.stages import (
    FIELD_NAMES,
    StageError,
    checklist,
    own_case,
    read_change,
    record_change,
    tick_documents,
)
from bot.storage import stages as stored
from bot.storage.tables import CASES
from bot.web.keys import RUNNER
from bot.web.requests import json_error, read_body, read_json_object

MAX_UPLOAD = 20 * 1024 * 1024
MAX_JSON = 64 * 1024
Handler = Callable[[web.Request, Member], Awaitable[web.Response]]


def _case_id(request: web.Request) -> int | None:
    raw = request.match_info.get("id", "")
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 18 else None


def _refused(problem: StageError) -> web.Response:
    if problem.code == "not_yours":
        return json_error(403, "this case is not in your caseload: only its social worker acts")
    return web.json_response(
        {"error": str(problem), "code": problem.code, **problem.params}, status=400
    )


async def stages_of(request: web.Request, member: Member) -> web.Response:
    case_id = _case_id(request)
    if case_id is None:
        return json_error(400, "the case id is a number")
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> web.Response:
        c = CASES.c
        row = connection.execute(
            select(c.case_number, c.stage).where(c.id == case_id, visible(member))
        ).first()
        if row is None:
            return json_error(403, f"case {case_id} is not yours to see")
        audit(connection, member, "case.stages.view", f"case {case_id}", now)
        return web.json_response(
            {
                "case": case_id,
                "case_number": row.case_number,
                "stage": row.stage,
                "changes": [
                    {
                        "id": change.id,
                        "stage": change.stage,
                        "date": change.on.isoformat(),
                        "fields": change.fields,
                        "note": change.note,
                        "by": change.by,
                        "source": change.source,
                    }
                    for change in stored.history(connection, case_id)
                ],
                "documents": [
                    {"key": d.key, "code": d.code, "received": have}
                    for d, have in checklist(connection, case_id)
                ],
            }
        )

    response: web.Response = await runner.db.run(work)
    return response


async def stage_change(request: web.Request, member: Member) -> web.Response:
    case_id = _case_id(request)
    if case_id is None:
        return json_error(400, "the case id is a number")
    body = await read_json_object(request, MAX_JSON)
    # Text or whole numbers as JSON gives them; anything else (a list, true) is as if not given.
    given = {
        key: value if isinstance(value, str | int) and not isinstance(value, bool) else None
        for key, value in ((k, body.get(k)) for k in ("stage", "date", "note", *FIELD_NAMES))
    }
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> int | None:
        case = own_case(connection, member, case_id)  # refused before the body is read
        made = read_change(default_stages(), given, today_in_almaty(now))
        return record_change(connection, member, case, made, now, source="api")

    try:
        change_id = await runner.db.run(work)
    except StageError as problem:
        return _refused(problem)
    return web.json_response(
        {"case": case_id, "change": change_id, "recorded_before": change_id is None}
    )


async def documents(request: web.Request, member: Member) -> web.Response:
    case_id = _case_id(request)
    if case_id is None:
        return json_error(400, "the case id is a number")
    body = await read_json_object(request, MAX_JSON)
    received = body.get("received")
    if not isinstance(received, list) or not all(isinstance(k, str) for k in received):
        return json_error(400, "received must be a list of document keys")
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> list[dict[str, Any]]:
        tick_documents(connection, member, case_id, received, now)
        return [{"key": d.key, "received": have} for d, have in checklist(connection, case_id)]

    try:
        shown = await runner.db.run(work)
    except StageError as problem:
        return _refused(problem)
    return web.json_response({"case": case_id, "documents": shown})


async def stages_import(request: web.Request, member: Member) -> web.Response:
    filename = request.query.get("filename", "")
    if not filename.lower().endswith((".csv", ".xlsx")):
        return json_error(400, "say which file it is: ?filename=NAME.csv or NAME.xlsx")
    if member.role != "worker":
        return json_error(403, "only a social worker changes the stages of their cases")
    data = await read_body(request, MAX_UPLOAD)
    runner = request.app[RUNNER]
    now = runner.clock()
    try:
        rows = await asyncio.to_thread(read_stage_changes, filename, data)
        report = await import_stage_changes(
            runner.db, member, rows, now, today_in_almaty(now), source=filename[:100]
        )
    except CaseloadError as exc:
        return json_error(400, str(exc))
    return web.json_response(
        {
            "changed": report.changed,
            "recorded_before": report.recorded,
            "rejected": report.english(),
        }
    )


def setup(app: web.Application, authenticated: Callable[[Handler], Any]) -> None:
    app.router.add_get("/api/staff/caseload/{id}/stages", authenticated(stages_of))
    app.router.add_post("/api/staff/caseload/{id}/stage", authenticated(stage_change))
    app.router.add_post("/api/staff/caseload/{id}/documents", authenticated(documents))
    app.router.add_post("/api/staff/stages", authenticated(stages_import))
