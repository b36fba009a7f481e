"""A family's page: its contacts (channel, language, consent, opt-out), its timeline (messages
in and out with their delivery, assessments explained in the worker's language, visits,
reminders and campaign messages, notes), and what a worker does for it: a note, a message on
its channel, a visit booked at an office, a new Telegram link.

A family outside what the member may see is refused (403), as is an action by anyone but its
own social worker (a supervisor or an administrator reads; the worker acts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from bot.conversation.appointments import DbAppointments
from bot.delivery.direct import MAX_TEXT, queue_message
from bot.delivery.visits import tell_booked
from bot.parameters import default_calendar
from bot.staff.accounts import audit
from bot.staff.caseload import new_link
from bot.staff.families import MAX_NOTE, Family, add_note, family, timeline
from bot.staff.pages.stages import CaseStages, case_stages, problem_of
from bot.staff.pages.web import Page, Refused, number, view
from bot.staff.reports import offices_of, today_in_almaty
from bot.staff.stages import MAX_NOTE as MAX_STAGE_NOTE
from bot.web.keys import CONFIG
from core.assess import assess_data
from core.errors import CoreError
from core.offices import Office
from core.stages import MAX_REASON
from dialogs.explain import explain
from dialogs.stages import CATEGORY


def explained(page: Page, household: Any, stored: Any) -> dict[str, Any]:
    """The assessment's explanation in the page's language, from its household assessed with
    the parameters in force now, and whether that differs from what the family was told (a
    poverty line published since, say)."""
    try:
        result = assess_data(household, page.runner.store)
    except CoreError:
        return {"lines": [], "changed": False, "now": None}
    lines = [page.translator.render(text, page.language) for text in explain(result)]
    now = result.to_dict()
    before = stored if isinstance(stored, dict) else {}
    changed = any(
        _same(now.get(key)) != _same(before.get(key))
        for key in ("status", "monthly_amount", "poverty_line", "poverty_line_estimated")
    )
    return {"lines": lines, "changed": changed, "now": now}


def _same(value: Any) -> Any:
    """A stored figure in a form that compares equal however JSON kept it (86788.0, "86788")."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return value


async def _load(page: Page, case_id: int, *, acting: bool = False) -> Family:
    member = page.member
    found: Family | None = await page.run(lambda c: family(c, member, case_id))
    if found is None or (acting and not found.own):
        raise Refused()
    return found


async def family_page(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    member, now = page.member, page.now

    def work(connection: Connection) -> tuple[Family, list[Any], bool, CaseStages] | None:
        found = family(connection, member, case_id)
        if found is None:
            return None
        events, more = timeline(connection, found)
        audit(connection, member, "family.view", f"case {case_id}", now)
        return found, events, more, case_stages(page, connection, case_id)

    loaded = await page.run(work)
    if loaded is None:
        return page.refuse()
    found, events, more, stages = loaded
    offices = {o.id: o for o in await page.run(lambda c: offices_of(c, member))}
    for event in events:
        if event.kind == "assessment":
            event.data["explained"] = explained(page, event.data["household"], event.data["result"])
    return page.render(
        "family.html",
        family=found,
        events=events,
        more=more,
        offices=offices,
        done=page.request.query.get("done"),
        code=page.request.query.get("code"),
        max_note=MAX_NOTE,
        max_text=MAX_TEXT,
        stages=stages,
        categories=CATEGORY,
        problem=problem_of(page),
        today=today_in_almaty(now),
        max_reason=MAX_REASON,
        max_stage_note=MAX_STAGE_NOTE,
    )


async def note(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    found = await _load(page, case_id, acting=True)
    body = page.form.get("note", "").strip()
    if not body:
        raise web.HTTPSeeOther(f"/staff/families/{case_id}")
    member, now = page.member, page.now

    def work(connection: Connection) -> None:
        add_note(connection, member, found.id, body, now)
        audit(connection, member, "family.note", f"case {found.id}", now)

    await page.run(work)
    raise web.HTTPSeeOther(f"/staff/families/{case_id}?done=note#timeline")


async def message(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    found = await _load(page, case_id, acting=True)
    text = page.form.get("text", "").strip()
    reach = found.reach
    if not text or len(text) > MAX_TEXT or reach is None or reach.opted_out:
        raise web.HTTPSeeOther(f"/staff/families/{case_id}?done=not-sent")
    member, now = page.member, page.now

    def work(connection: Connection) -> None:
        queue_message(connection, case_id=found.id, contact_id=reach.id, text=text, now=now)
        audit(
            connection,
            member,
            "family.message",
            f"case {found.id}",
            now,
            channel=reach.channel,
            length=len(text),
        )

    await page.run(work)
    raise web.HTTPSeeOther(f"/staff/families/{case_id}?done=sent#timeline")


async def link(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    await _load(page, case_id, acting=True)
    member, now = page.member, page.now
    valid = timedelta(days=page.request.app[CONFIG].link_days)

    def work(connection: Connection) -> str | None:
        code = new_link(connection, member, case_id, now, valid)
        if code is not None:
            audit(connection, member, "caseload.link", str(case_id), now)
        return code

    code = await page.run(work)
    if code is None:
        return page.refuse()
    raise web.HTTPSeeOther(f"/staff/families/{case_id}?done=link&code={code}")


def _day(value: str | None, today: date) -> date:
    try:
        chosen = date.fromisoformat(value or "")
    except ValueError:
        return today
    return max(chosen, today)


async def visit_form(page: Page, problem: str | None = None) -> web.StreamResponse:
    case_id = number(page.request)
    found = await _load(page, case_id, acting=True)
    member, now = page.member, page.now
    today = today_in_almaty(now)
    offices = await page.run(lambda c: offices_of(c, member))
    query = page.request.query
    office: Office | None = next((o for o in offices if o.id == query.get("office")), None)
    if office is None:
        office = next((o for o in offices if o.region == found.region), None) or (
            offices[0] if offices else None
        )
    day = _day(query.get("day"), today)
    reach = found.reach
    slots: list[Any] = []
    if office is not None and reach is not None:
        chosen, contact_id = office, reach.id

        def work(connection: Connection) -> list[Any]:
            booking = DbAppointments(connection, contact_id, now, default_calendar())
            return booking.slots(chosen.id, day, 24)

        slots = await page.run(work)
    return page.render(
        "book.html",
        family=found,
        offices=offices,
        office=office,
        day=day,
        slots=slots,
        problem=problem,
        status=400 if problem else 200,
    )


async def book(page: Page) -> web.StreamResponse:
    case_id = number(page.request)
    found = await _load(page, case_id, acting=True)
    member, now = page.member, page.now
    reach = found.reach
    office_id = page.form.get("office", "")
    try:
        start = datetime.fromisoformat(page.form.get("start", ""))
    except ValueError:
        start = None
    offices = await page.run(lambda c: offices_of(c, member))
    if reach is None or start is None or start.tzinfo is None:
        return await visit_form(page, "slot")
    if not any(o.id == office_id for o in offices):
        return page.refuse()
    contact_id = reach.id

    def work(connection: Connection) -> int | None:
        booking = DbAppointments(connection, contact_id, now, default_calendar()).book(
            office_id, start
        )
        if booking is None:
            return None
        tell_booked(connection, booking.id, contact_id, booking.start, now)
        audit(
            connection,
            member,
            "visit.book",
            str(booking.id),
            now,
            case=found.id,
            office=office_id,
        )
        return booking.id

    booked = await page.run(work)
    if booked is None:
        return await visit_form(page, "taken")
    raise web.HTTPSeeOther(f"/staff/families/{case_id}?done=booked#timeline")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/families/{id}", view(family_page))
    app.router.add_post("/staff/families/{id}/notes", view(note))
    app.router.add_post("/staff/families/{id}/message", view(message))
    app.router.add_post("/staff/families/{id}/link", view(link))
    app.router.add_get("/staff/families/{id}/visit", view(visit_form))
    app.router.add_post("/staff/families/{id}/visit", view(book))
