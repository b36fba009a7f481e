"""The staff JSON API (the dashboard comes later): an office's visits for a day, marking a visit
attended or not, and cancelling it with a message to the person. Every call carries a staff
API token (`Authorization: Bearer kmk_...`); every action goes into the audit log.

    GET  /api/staff/appointments?office=ID&date=YYYY-MM-DD
    POST /api/staff/appointments/{id}/attended
    POST /api/staff/appointments/{id}/no-show
    POST /api/staff/appointments/{id}/cancel     {"message": "optional note to the person"}
    GET  /api/staff/caseload                     the member's own cases
    POST /api/staff/caseload?filename=F.csv      the file as the body (CSV or XLSX)
    POST /api/staff/campaigns                    {"name", "template", "texts", "audience"}
    GET  /api/staff/campaigns/{id}/preview
    POST /api/staff/campaigns/{id}/send
    GET  /api/staff/campaigns/{id}?recipients=1  progress and delivery
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, select

from bot.staff.accounts import Member, audit, authenticate
from bot.staff.campaigns import Audience, CampaignError
from bot.staff.campaigns import create as create_campaign
from bot.staff.campaigns import preview as preview_campaign
from bot.staff.campaigns import send as send_campaign
from bot.staff.campaigns import status as campaign_status
from bot.staff.caseload import CaseloadError, cases_of, import_caseload, read_caseload
from bot.staff.visits import day_visits, mark_visit, staff_cancel
from bot.storage.offices import ATTENDED, NO_SHOW, load_offices
from bot.storage.tables import APPOINTMENTS
from bot.web.keys import CONFIG, RUNNER
from core.offices import Office

MAX_NOTE = 500
Handler = Callable[[web.Request, Member], Awaitable[web.Response]]


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"error": text}, status=status)


def _authenticated(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "a staff API token is required (Authorization: Bearer ...)")
        member = await request.app[RUNNER].db.run(lambda c: authenticate(c, token.strip()))
        if member is None:
            return _error(401, "this token is not valid")
        return await handler(request, member)

    return wrapped


def _office(connection: Connection, office_id: str) -> Office | None:
    return next((o for o in load_offices(connection, active_only=False) if o.id == office_id), None)


async def day_list(request: web.Request, member: Member) -> web.Response:
    office_id = request.query.get("office", "")
    try:
        day = date.fromisoformat(request.query.get("date", ""))
    except ValueError:
        return _error(400, "date must be YYYY-MM-DD")
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> web.Response:
        office = _office(connection, office_id)
        if office is None:
            return _error(404, f"no office {office_id!r}")
        if not member.may_see(office):
            return _error(403, "this office is outside your region")
        visits = day_visits(connection, office.id, day)
        audit(connection, member, "appointments.view", f"{office.id} {day}", now)
        return web.json_response(
            {
                "office": office.id,
                "date": day.isoformat(),
                "visits": [
                    {
                        "id": v.id,
                        "time": f"{v.start:%H:%M}",
                        "seat": v.seat,
                        "status": v.status,
                        "channel": v.channel,
                        "contact": v.contact,
                    }
                    for v in visits
                ],
            }
        )

    response: web.Response = await runner.db.run(work)
    return response


def _visit_office(connection: Connection, visit_id: int) -> str | None:
    a = APPOINTMENTS.c
    found = connection.execute(select(a.office_id).where(a.id == visit_id)).scalar()
    return None if found is None else str(found)


def _visit_action(action: str) -> Handler:
    async def handler(request: web.Request, member: Member) -> web.Response:
        raw = request.match_info.get("id", "")
        if not raw.isascii() or not raw.isdecimal() or len(raw) > 18:
            return _error(400, "the visit id is a number")
        visit_id = int(raw)
        note: str | None = None
        if action == "cancel" and request.can_read_body:
            try:
                body: Any = json.loads(await request.text())
            except (ValueError, UnicodeDecodeError):
                return _error(400, "the body must be JSON")
            if not isinstance(body, dict):
                return _error(400, "the body must be a JSON object")
            note = body.get("message")
            if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
                return _error(400, f"message must be text of at most {MAX_NOTE} characters")
        runner = request.app[RUNNER]
        now = runner.clock()

        def work(connection: Connection) -> web.Response:
            office_id = _visit_office(connection, visit_id)
            office = None if office_id is None else _office(connection, office_id)
            if office is None:
                return _error(404, f"no visit {visit_id}")
            if not member.may_see(office):
                return _error(403, "this visit is at an office outside your region")
            if action == "cancel":
                done = staff_cancel(connection, visit_id, note, now)
            else:
                status = ATTENDED if action == "attended" else NO_SHOW
                done = mark_visit(connection, visit_id, status, now)
            if not done:
                return _error(409, "this visit is no longer booked")
            audit(connection, member, f"appointments.{action}", str(visit_id), now)
            return web.json_response({"ok": True})

        response: web.Response = await runner.db.run(work)
        return response

    return handler


MAX_UPLOAD = 20 * 1024 * 1024


async def caseload_list(request: web.Request, member: Member) -> web.Response:
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> web.Response:
        cases = cases_of(connection, member)
        audit(connection, member, "caseload.view", member.username, now)
        return web.json_response(
            {"cases": [_jsonable(asdict(case)) for case in cases]}, dumps=_dumps
        )

    response: web.Response = await runner.db.run(work)
    return response


async def caseload_import(request: web.Request, member: Member) -> web.Response:
    filename = request.query.get("filename", "")
    if not filename.lower().endswith((".csv", ".xlsx")):
        return _error(400, "say which file it is: ?filename=NAME.csv or NAME.xlsx")
    if request.content_length is not None and request.content_length > MAX_UPLOAD:
        return _error(413, "the file is larger than 20 MB")
    data = await request.content.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _error(413, "the file is larger than 20 MB")
    runner = request.app[RUNNER]
    now = runner.clock()
    try:
        rows = read_caseload(filename, data)
        report = await runner.db.run(
            lambda c: import_caseload(c, member, rows, now, source=filename)
        )
    except CaseloadError as exc:
        return _error(400, str(exc))
    return web.json_response(
        {
            "added": report.added,
            "updated": report.updated,
            "rejected": [{"row": row, "reason": why} for row, why in report.rejected],
        }
    )


async def campaign_create(request: web.Request, member: Member) -> web.Response:
    try:
        body: Any = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "the body must be JSON")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    texts, audience_data = body.get("texts") or {}, body.get("audience") or {}
    if not isinstance(texts, dict) or not isinstance(audience_data, dict):
        return _error(400, "texts and audience must be objects")
    try:
        audience = Audience.from_json(audience_data)
    except ValueError:
        return _error(400, "audience.reassess_before must be YYYY-MM-DD")
    runner = request.app[RUNNER]
    now = runner.clock()
    try:
        campaign_id = await runner.db.run(
            lambda c: create_campaign(
                c,
                member,
                name=str(body.get("name") or ""),
                template=str(body.get("template") or ""),
                texts=texts,
                audience=audience,
                now=now,
            )
        )
    except CampaignError as exc:
        return _error(400, str(exc))
    return web.json_response({"campaign": campaign_id}, status=201)


def _campaign_id(request: web.Request) -> int | None:
    raw = request.match_info.get("id", "")
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 18 else None


def _campaign_call(action: str) -> Handler:
    async def handler(request: web.Request, member: Member) -> web.Response:
        campaign_id = _campaign_id(request)
        if campaign_id is None:
            return _error(400, "the campaign id is a number")
        runner = request.app[RUNNER]
        now = runner.clock()
        config = request.app[CONFIG]
        rates = {"telegram": config.telegram_rate, "sms": config.sms_rate}

        def work(connection: Connection) -> Any:
            if action == "preview":
                return preview_campaign(connection, member, campaign_id, runner.translator, rates)
            if action == "send":
                return {"queued": send_campaign(connection, member, campaign_id, now)}
            return campaign_status(
                connection, member, campaign_id, recipients=bool(request.query.get("recipients"))
            )

        try:
            result = await runner.db.run(work)
        except CampaignError as exc:
            text = str(exc)
            status = 404 if text.startswith("no campaign") else 403 if "belongs" in text else 409
            return _error(status, text)
        return web.json_response(result)

    return handler


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/staff/appointments", _authenticated(day_list))
    for action, path in (("attended", "attended"), ("no_show", "no-show"), ("cancel", "cancel")):
        app.router.add_post(
            f"/api/staff/appointments/{{id}}/{path}", _authenticated(_visit_action(action))
        )
    app.router.add_get("/api/staff/caseload", _authenticated(caseload_list))
    app.router.add_post("/api/staff/caseload", _authenticated(caseload_import))
    app.router.add_post("/api/staff/campaigns", _authenticated(campaign_create))
    app.router.add_get(
        "/api/staff/campaigns/{id}/preview", _authenticated(_campaign_call("preview"))
    )
    app.router.add_post("/api/staff/campaigns/{id}/send", _authenticated(_campaign_call("send")))
    app.router.add_get("/api/staff/campaigns/{id}", _authenticated(_campaign_call("status")))
