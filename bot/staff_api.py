"""The staff JSON API (the dashboard comes later): an office's visits for a day, marking a visit
attended or not, and cancelling it with a message to the person. Every call carries a staff
API token (`Authorization: Bearer kmk_...`); every action goes into the audit log.

    GET  /api/staff/appointments?office=ID&date=YYYY-MM-DD
    POST /api/staff/appointments/{id}/attended
    POST /api/staff/appointments/{id}/no-show
    POST /api/staff/appointments/{id}/cancel     {"message": "optional note to the person"}
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, select

from bot.appkeys import RUNNER
from bot.appointments import (
    APPOINTMENTS,
    ATTENDED,
    NO_SHOW,
    day_visits,
    load_offices,
    mark_visit,
    staff_cancel,
)
from bot.staff import Member, audit, authenticate
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


def setup(app: web.Application) -> None:
    app.router.add_get("/api/staff/appointments", _authenticated(day_list))
    for action, path in (("attended", "attended"), ("no_show", "no-show"), ("cancel", "cancel")):
        app.router.add_post(
            f"/api/staff/appointments/{{id}}/{path}", _authenticated(_visit_action(action))
        )
