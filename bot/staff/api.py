"""The staff JSON API: an office's visits for a day, marking a visit attended or not, and
cancelling it with a message to the person; caseloads and campaigns; tokens and accounts for
administrators. Every call carries a staff API token (`Authorization: Bearer kmk_...`); every
action goes into the audit log; a wrong token is counted per address.

    GET  /api/staff/appointments?office=ID&date=YYYY-MM-DD
    POST /api/staff/appointments/{id}/attended
    POST /api/staff/appointments/{id}/no-show
    POST /api/staff/appointments/{id}/cancel     {"message": "optional note to the person"}
    GET  /api/staff/caseload                     the member's own cases
    POST /api/staff/caseload?filename=F.csv      the file as the body (CSV or XLSX)
    POST /api/staff/campaigns                    {"name", "template", "texts", "audience"}
    GET  /api/staff/campaigns/{id}/preview
    POST /api/staff/campaigns/{id}/send
    POST /api/staff/campaigns/{id}/retry         send the failed messages again
    GET  /api/staff/campaigns/{id}?recipients=1  progress and delivery
    POST /api/staff/caseload/{id}/link           a new deep link for a family's Telegram chat
    GET  /api/staff/caseload/{id}/timeline       messages and attempts on every linked channel
    GET|POST /api/staff/caseload/{id}/stage(s), /documents, POST /api/staff/stages
                                                 a case's stages (`bot.staff.stages_api`)
    GET  /api/staff/tokens?username=U            API tokens (admin; anyone: their own)
    POST /api/staff/tokens/{id}/revoke           (admin; anyone: their own)
    POST /api/staff/members/{username}/deactivate   (admin)
    GET  /api/staff/inbox                        conversations waiting for a person
    GET  /api/staff/inbox/{id}                   one, with its messages
    POST /api/staff/inbox/{id}/answer            {"text"}: through the family's channel
    POST /api/staff/inbox/{id}/back              hand the conversation back to the bot
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, select

from bot.conversation.inbox import BackTo, hand_back
from bot.staff import inbox, stages_api
from bot.staff.accounts import (
    Member,
    audit,
    authenticate,
    deactivate,
    record_failure,
    revoke_token,
    tokens_of,
)
from bot.staff.campaigns import Audience, CampaignError, retry_failed
from bot.staff.campaigns import create as create_campaign
from bot.staff.campaigns import preview as preview_campaign
from bot.staff.campaigns import send as send_campaign
from bot.staff.campaigns import status as campaign_status
from bot.staff.caseload import (
    CaseloadError,
    cases_of,
    import_caseload,
    new_link,
    read_caseload,
)
from bot.staff.timeline import TimelineError, timeline
from bot.staff.visits import day_visits, mark_visit, staff_cancel
from bot.storage.offices import ATTENDED, NO_SHOW, load_offices
from bot.storage.tables import APPOINTMENTS
from bot.web.keys import CONFIG, RUNNER
from bot.web.requests import BodyError, json_error, read_body, read_json_object
from core.offices import Office

MAX_NOTE = 500
MAX_JSON = 64 * 1024
Handler = Callable[[web.Request, Member], Awaitable[web.Response]]


def _error(status: int, text: str) -> web.Response:
    return json_error(status, text)


def _authenticated(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "a staff API token is required (Authorization: Bearer ...)")
        runner = request.app[RUNNER]
        now = runner.clock()
        ip = request.remote or "unknown"

        def check(connection: Connection) -> Member | None:
            member = authenticate(connection, token.strip(), now)
            if member is None:
                record_failure(connection, username=None, ip=ip, kind="token", now=now)
            return member

        member = await runner.db.run(check)
        if member is None:
            return _error(401, "this token is not valid (unknown, expired or revoked)")
        try:
            return await handler(request, member)
        except BodyError as error:
            return error.response()

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
            body = await read_json_object(request, MAX_JSON)
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
    data = await read_body(request, MAX_UPLOAD)
    runner = request.app[RUNNER]
    now = runner.clock()
    link_valid = timedelta(days=request.app[CONFIG].link_days)
    try:
        rows = await asyncio.to_thread(read_caseload, filename, data)
        report = await import_caseload(
            runner.db, member, rows, now, source=filename, link_valid=link_valid
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
    body = await read_json_object(request, MAX_JSON)
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


def _campaign_call(action: str) -> Handler:
    async def handler(request: web.Request, member: Member) -> web.Response:
        campaign_id = _number(request)
        if campaign_id is None:
            return _error(400, "the campaign id is a number")
        runner = request.app[RUNNER]
        now = runner.clock()
        config = request.app[CONFIG]
        rates = {
            "telegram": config.telegram_rate,
            "sms": config.sms_rate,
            "whatsapp": config.whatsapp_rate,
        }

        def work(connection: Connection) -> Any:
            if action == "preview":
                return preview_campaign(connection, member, campaign_id, runner.translator, rates)
            if action == "send":
                return {"queued": send_campaign(connection, member, campaign_id, now)}
            if action == "retry":
                return {"queued": retry_failed(connection, member, campaign_id, now)}
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


def _number(request: web.Request, name: str = "id") -> int | None:
    raw = request.match_info.get(name, "")
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 18 else None


async def caseload_link(request: web.Request, member: Member) -> web.Response:
    """A new Telegram deep link for one of the member's families (the old one stops working)."""
    case_id = _number(request)
    if case_id is None:
        return _error(400, "the case id is a number")
    runner = request.app[RUNNER]
    now = runner.clock()
    valid = timedelta(days=request.app[CONFIG].link_days)

    def work(connection: Connection) -> web.Response:
        code = new_link(connection, member, case_id, now, valid)
        if code is None:
            return _error(404, f"no case {case_id} in your caseload")
        audit(connection, member, "caseload.link", str(case_id), now)
        return web.json_response(
            {"case": case_id, "code": code, "expires_at": (now + valid).isoformat()}
        )

    response: web.Response = await runner.db.run(work)
    return response


async def caseload_timeline(request: web.Request, member: Member) -> web.Response:
    case_id = _number(request)
    if case_id is None:
        return _error(400, "the case id is a number")
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> web.Response:
        try:
            shown = timeline(connection, member, case_id)
        except TimelineError as exc:
            return _error(404, str(exc))
        audit(connection, member, "caseload.timeline", str(case_id), now)
        return web.json_response(shown, dumps=_dumps)

    response: web.Response = await runner.db.run(work)
    return response


def _conversation_json(found: inbox.Conversation, now: datetime) -> dict[str, Any]:
    return {
        "id": found.id,
        "family": found.family,
        "channel": found.channel,
        "language": found.language,
        "region": found.region,
        "worker": found.worker,
        "reason": found.reason,
        "unread": found.unread,
        "opened_at": found.opened_at.isoformat(),
        "last_activity_at": found.last_activity_at.isoformat(),
        "first_answer_at": None
        if found.first_answer_at is None
        else found.first_answer_at.isoformat(),
        "waited_seconds": int(found.waited(now).total_seconds()),
        "closed": found.closed_at is not None,
    }


async def inbox_list(request: web.Request, member: Member) -> web.Response:
    runner = request.app[RUNNER]
    now = runner.clock()
    found = await runner.db.run(lambda c: inbox.waiting(c, member))
    return web.json_response(
        {"conversations": [_conversation_json(c, now) for c in found]}, dumps=_dumps
    )


async def _inbox_conversation(request: web.Request, member: Member) -> inbox.Conversation:
    conversation_id = _number(request)
    if conversation_id is None:
        raise BodyError(400, "the conversation id is a number")
    runner = request.app[RUNNER]
    found = await runner.db.run(lambda c: inbox.find(c, member, conversation_id))
    if found is None:
        raise BodyError(403, "this conversation is not yours to see")
    return found


async def inbox_view(request: web.Request, member: Member) -> web.Response:
    found = await _inbox_conversation(request, member)
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> dict[str, Any]:
        lines = inbox.thread(connection, found)
        audit(connection, member, "inbox.view", f"inbox {found.id}", now)
        return {
            **_conversation_json(found, now),
            "messages": [
                {
                    "at": line.at.isoformat(),
                    "direction": line.direction,
                    "text": line.body,
                    "status": line.status,
                    "by_worker": line.by_worker,
                }
                for line in lines.lines
            ],
        }

    return web.json_response(await runner.db.run(work), dumps=_dumps)


async def inbox_answer(request: web.Request, member: Member) -> web.Response:
    found = await _inbox_conversation(request, member)
    if not inbox.may_answer(member, found):
        return _error(403, "only the worker who has the conversation answers it")
    data = await read_json_object(request, MAX_JSON)
    text = data.get("text")
    if not isinstance(text, str):
        return _error(400, "text must be a string")
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> web.Response:
        try:
            key = inbox.answer(connection, member, found, text, now)
        except inbox.ReplyRefused as refused:
            return _error(400, REFUSED[refused.code])
        audit(connection, member, "inbox.answer", f"inbox {found.id}", now, channel=found.channel)
        return web.json_response({"queued": key}, status=202)

    response: web.Response = await runner.db.run(work)
    return response


REFUSED = {
    "empty": "the answer is empty",
    "long": f"the answer is longer than {inbox.MAX_REPLY} characters",
    "sms": "the answer takes more SMS parts than the budget allows",
    "opted-out": "the family has opted out (STOP)",
}


async def inbox_back(request: web.Request, member: Member) -> web.Response:
    found = await _inbox_conversation(request, member)
    if not inbox.may_answer(member, found):
        return _error(403, "only the worker who has the conversation hands it back")
    runner = request.app[RUNNER]
    now = runner.clock()
    back = BackTo(runner.store, runner.translator, runner.calendar)

    def work(connection: Connection) -> bool:
        done = hand_back(connection, found.id, member.id, now, back)
        if done:
            audit(connection, member, "inbox.hand_back", f"inbox {found.id}", now)
        return done

    async with runner.locks.hold(found.contact_id):
        await runner.db.run(work)
    return web.json_response({"handed_back": True})


def _admin_or_self(member: Member, username: str | None) -> bool:
    return member.role == "admin" or username == member.username


async def token_list(request: web.Request, member: Member) -> web.Response:
    username = request.query.get("username") or (None if member.role == "admin" else "")
    if username == "":
        username = member.username
    if not _admin_or_self(member, username):
        return _error(403, "only an administrator sees other people's tokens")
    runner = request.app[RUNNER]
    tokens = await runner.db.run(lambda c: tokens_of(c, username))
    return web.json_response(
        {
            "tokens": [
                {
                    "id": t.id,
                    "username": t.username,
                    "label": t.label,
                    "created_at": t.created_at.isoformat(),
                    "expires_at": None if t.expires_at is None else t.expires_at.isoformat(),
                    "revoked_at": None if t.revoked_at is None else t.revoked_at.isoformat(),
                }
                for t in tokens
            ]
        },
        dumps=_dumps,
    )


async def token_revoke(request: web.Request, member: Member) -> web.Response:
    token_id = _number(request)
    if token_id is None:
        return _error(400, "the token id is a number")
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> web.Response:
        owner = next((t.username for t in tokens_of(connection) if t.id == token_id), None)
        if owner is None:
            return _error(404, f"no token {token_id}")
        if not _admin_or_self(member, owner):
            return _error(403, "only an administrator revokes other people's tokens")
        revoke_token(connection, token_id, now)
        audit(connection, member, "token.revoke", f"{owner} #{token_id}", now)
        return web.json_response({"ok": True})

    response: web.Response = await runner.db.run(work)
    return response


async def member_deactivate(request: web.Request, member: Member) -> web.Response:
    if member.role != "admin":
        return _error(403, "only an administrator deactivates accounts")
    username = request.match_info.get("username", "")
    runner = request.app[RUNNER]
    now = runner.clock()

    def work(connection: Connection) -> web.Response:
        if not deactivate(connection, username, now):
            return _error(404, f"no staff member {username!r}")
        audit(connection, member, "staff.deactivate", username, now)
        return web.json_response({"ok": True})

    response: web.Response = await runner.db.run(work)
    return response


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
    stages_api.setup(app, _authenticated)
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
    app.router.add_post("/api/staff/campaigns/{id}/retry", _authenticated(_campaign_call("retry")))
    app.router.add_get("/api/staff/campaigns/{id}", _authenticated(_campaign_call("status")))
    app.router.add_post("/api/staff/caseload/{id}/link", _authenticated(caseload_link))
    app.router.add_get("/api/staff/caseload/{id}/timeline", _authenticated(caseload_timeline))
    app.router.add_get("/api/staff/tokens", _authenticated(token_list))
    app.router.add_post("/api/staff/tokens/{id}/revoke", _authenticated(token_revoke))
    app.router.add_post(
        "/api/staff/members/{username}/deactivate", _authenticated(member_deactivate)
    )
    app.router.add_get("/api/staff/inbox", _authenticated(inbox_list))
    app.router.add_get("/api/staff/inbox/{id}", _authenticated(inbox_view))
    app.router.add_post("/api/staff/inbox/{id}/answer", _authenticated(inbox_answer))
    app.router.add_post("/api/staff/inbox/{id}/back", _authenticated(inbox_back))
