"""The visits pages: an office's day, as a list or an hour grid; marking a visit attended or not;
cancelling it with a message to the family; moving it to another free time (the family is told,
and the reminder moves with it). A member sees the offices of their region (an administrator,
every office)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Connection, or_, select

from bot.conversation.appointments import DbAppointments
from bot.delivery.visits import tell_booked
from bot.parameters import default_calendar
from bot.staff.accounts import audit
from bot.staff.families import visible
from bot.staff.pages.web import Page, Refused, number, view
from bot.staff.reports import offices_of, today_in_almaty
from bot.staff.stages import REASONS, StageError, open_case_from_visit
from bot.staff.visits import Visit, day_visits, mark_visit, staff_cancel, visit_contact
from bot.storage.offices import ATTENDED, NO_SHOW
from bot.storage.tables import CASES
from bot.web.keys import CONFIG
from core.offices import Office

MAX_NOTE = 500


def _day(value: str | None, today: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return today


def _families(
    connection: Connection, page: Page, contacts: list[int]
) -> dict[int, tuple[int, str]]:
    """The cases the member sees behind these contacts: contact id → (case id, name)."""
    if not contacts:
        return {}
    c = CASES.c
    found: dict[int, tuple[int, str]] = {}
    for case_id, name, sms, telegram in connection.execute(
        select(c.id, c.name, c.sms_contact_id, c.telegram_contact_id).where(
            visible(page.member),
            or_(c.sms_contact_id.in_(contacts), c.telegram_contact_id.in_(contacts)),
        )
    ):
        for contact in (sms, telegram):
            if contact is not None:
                found[int(contact)] = (int(case_id), str(name))
    return found


def hour_grid(office: Office, visits: list[Visit]) -> list[tuple[int, list[Visit]]]:
    """The office's hours, each with the visits that begin in it."""
    first, last = office.opens.hour, office.closes.hour + (1 if office.closes.minute else 0)
    hours: dict[int, list[Visit]] = {hour: [] for hour in range(first, max(last, first + 1))}
    for visit in visits:
        hours.setdefault(visit.start.hour, []).append(visit)
    return sorted(hours.items())


async def day_page(page: Page) -> web.StreamResponse:
    member, now = page.member, page.now
    today = today_in_almaty(now)
    query = page.request.query
    day = _day(query.get("date"), today)
    shown = "grid" if query.get("view") == "grid" else "list"

    def work(connection: Connection) -> dict[str, Any]:
        offices = offices_of(connection, member)
        office = next((o for o in offices if o.id == query.get("office")), None) or (
            offices[0] if offices else None
        )
        visits = day_visits(connection, office.id, day) if office is not None else []
        families = _families(connection, page, [v.contact_id for v in visits])
        return {"offices": offices, "office": office, "visits": visits, "families": families}

    found = await page.run(work)
    office = found["office"]
    return page.render(
        "visits.html",
        day=day,
        today=today,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        view=shown,
        grid=hour_grid(office, found["visits"]) if office is not None else [],
        done=query.get("done"),
        problem=_case_problem(page, query.get("done", "")),
        max_note=MAX_NOTE,
        **found,
    )


def _case_problem(page: Page, done: str) -> str | None:
    """Why a case could not be opened from a visit (`done=case-<code>`), in the page's language."""
    code = done.removeprefix("case-")
    if not done.startswith("case-") or code not in CASE_PROBLEMS:
        return None
    return str(page.gettext(REASONS[code]))


CASE_PROBLEMS = ("has_case", "name_bad", "phone_bad", "phone_taken")


async def _office_of_visit(page: Page, visit_id: int) -> tuple[Office, int]:
    """The office of a visit the member may act on, and its contact; else refused."""
    member = page.member

    def work(connection: Connection) -> tuple[Office, int] | None:
        found = visit_contact(connection, visit_id)
        if found is None:
            return None
        office = next((o for o in offices_of(connection, member) if o.id == found[0]), None)
        return None if office is None else (office, found[1])

    loaded: tuple[Office, int] | None = await page.run(work)
    if loaded is None:
        raise Refused()
    return loaded


def _back(page: Page, office: Office, done: str) -> str:
    day = page.form.get("date", "")
    view_name = page.form.get("view", "list")
    return f"/staff/visits?office={office.id}&date={day}&view={view_name}&done={done}"


def _marker(action: str) -> Any:
    async def act(page: Page) -> web.StreamResponse:
        visit_id = number(page.request)
        office, _ = await _office_of_visit(page, visit_id)
        member, now = page.member, page.now
        note = page.form.get("note", "").strip()[:MAX_NOTE] or None

        def work(connection: Connection) -> bool:
            if action == "cancel":
                done = staff_cancel(connection, visit_id, note, now)
            else:
                done = mark_visit(
                    connection, visit_id, ATTENDED if action == "attended" else NO_SHOW, now
                )
            if done:
                audit(connection, member, f"appointments.{action}", str(visit_id), now)
            return done

        done = await page.run(work)
        raise web.HTTPSeeOther(_back(page, office, action if done else "stale"))

    return act


async def move_form(page: Page, problem: str | None = None) -> web.StreamResponse:
    visit_id = number(page.request)
    office, contact_id = await _office_of_visit(page, visit_id)
    now = page.now
    day = _day(page.request.query.get("day"), today_in_almaty(now))

    def work(connection: Connection) -> list[Any]:
        return DbAppointments(connection, contact_id, now, default_calendar()).slots(
            office.id, day, 24
        )

    slots = await page.run(work)
    return page.render(
        "move.html",
        visit_id=visit_id,
        office=office,
        day=day,
        slots=slots,
        problem=problem,
        status=400 if problem else 200,
    )


async def move(page: Page) -> web.StreamResponse:
    visit_id = number(page.request)
    office, contact_id = await _office_of_visit(page, visit_id)
    member, now = page.member, page.now
    try:
        start = datetime.fromisoformat(page.form.get("start", ""))
    except ValueError:
        return await move_form(page, "slot")
    if start.tzinfo is None:
        return await move_form(page, "slot")

    def work(connection: Connection) -> bool:
        moved = DbAppointments(connection, contact_id, now, default_calendar()).move(
            visit_id, start
        )
        if moved is None:
            return False
        tell_booked(connection, visit_id, contact_id, moved.start, now)
        audit(connection, member, "appointments.move", str(visit_id), now, to=start.isoformat())
        return True

    if not await page.run(work):
        return await move_form(page, "taken")
    raise web.HTTPSeeOther(
        f"/staff/visits?office={office.id}&date={start.date().isoformat()}&done=move"
    )


async def open_case(page: Page) -> web.StreamResponse:
    """A family that booked a visit taken into the worker's caseload: its case opens, and its
    stages can be changed from then on."""
    visit_id = number(page.request)
    office, contact_id = await _office_of_visit(page, visit_id)
    try:
        case_id = await open_case_from_visit(
            page.runner.db,
            page.member,
            contact_id,
            region=office.region,
            name=page.form.get("name", "")[:300],
            phone=page.form.get("phone", "")[:40],
            now=page.now,
            link_valid=timedelta(days=page.request.app[CONFIG].link_days),
        )
    except StageError as problem:
        raise web.HTTPSeeOther(_back(page, office, f"case-{problem.code}")) from None
    raise web.HTTPSeeOther(f"/staff/families/{case_id}?done=opened#stages")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/visits", view(day_page))
    for action, path in (("attended", "attended"), ("no_show", "no-show"), ("cancel", "cancel")):
        app.router.add_post(f"/staff/visits/{{id}}/{path}", view(_marker(action)))
    app.router.add_get("/staff/visits/{id}/move", view(move_form))
    app.router.add_post("/staff/visits/{id}/move", view(move))
    app.router.add_post("/staff/visits/{id}/case", view(open_case, roles=("worker",)))
