"""The messages about a visit: its reminder the day before (queued with the booking, moved with
it, dropped when it is cancelled) and the notice that the office cancelled it, both rendered
when they are sent, in the person's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from bot.delivery.outbox import Claimed, Rendered, cancel, enqueue, notice, rendered
from bot.i18n.translator import Translator
from bot.storage.offices import BOOKED, CANCELLED, office_of
from bot.storage.tables import APPOINTMENTS
from core.almaty import local
from core.slots import reminder_at
from dialogs.text import Clock, Day, Local, Param, msg

REMINDER = "visit_reminder"
STAFF_CANCELLED = "visit_cancelled"
STAFF_BOOKED = "visit_booked"  # the office booked or moved a visit for the person


def visit_key(appointment_id: int) -> str:
    """The prefix of every message about a visit (to drop them all)."""
    return f"visit:{appointment_id}:"


def reminder_key(appointment_id: int, start: datetime) -> str:
    return f"{visit_key(appointment_id)}{start.astimezone(UTC):%Y%m%dT%H%MZ}:reminder"


def remind_of_visit(
    connection: Connection, contact_id: int, booking_id: int, start: datetime, now: datetime
) -> None:
    """Queue the reminder of a visit booked (or moved) to `start`, unless it is too close."""
    due = reminder_at(start, now)
    if due is None:
        return
    enqueue(
        connection,
        key=reminder_key(booking_id, start),
        contact_id=contact_id,
        kind=REMINDER,
        payload={"appointment": booking_id, "start": start.isoformat()},
        due_at=due,
        now=now,
    )


def cancel_visit(
    connection: Connection,
    booking_id: int,
    now: datetime,
    *,
    contact_id: int | None = None,
    by: str = "person",
) -> bool:
    """Cancel a booked visit (of `contact_id` when given) and drop its reminder."""
    a = APPOINTMENTS.c
    where = [a.id == booking_id, a.status == BOOKED]
    if contact_id is not None:
        where.append(a.contact_id == contact_id)
    done = connection.execute(
        update(APPOINTMENTS).where(*where).values(status=CANCELLED, cancelled_by=by, updated_at=now)
    )
    if not done.rowcount:
        return False
    cancel(connection, visit_key(booking_id), now)
    return True


def tell_cancelled(
    connection: Connection, booking_id: int, contact_id: int, note: str | None, now: datetime
) -> None:
    """Queue the notice that the office cancelled the visit, with the staff's note."""
    enqueue(
        connection,
        key=f"{visit_key(booking_id)}cancelled",
        contact_id=contact_id,
        kind=STAFF_CANCELLED,
        payload={"appointment": booking_id, "note": (note or "")[:500]},
        due_at=now,
        now=now,
    )


def tell_booked(
    connection: Connection, booking_id: int, contact_id: int, start: datetime, now: datetime
) -> None:
    """Queue the notice that the office booked (or moved) the visit to `start`."""
    enqueue(
        connection,
        key=f"{visit_key(booking_id)}{start.astimezone(UTC):%Y%m%dT%H%MZ}:booked",
        contact_id=contact_id,
        kind=STAFF_BOOKED,
        payload={"appointment": booking_id, "start": start.isoformat()},
        due_at=now,
        now=now,
    )


def _visit_row(connection: Connection, appointment_id: int) -> Any:
    a = APPOINTMENTS.c
    return connection.execute(
        select(a.office_id, a.starts_at, a.status).where(a.id == appointment_id)
    ).first()


def renderers(translator: Translator) -> dict[str, Any]:
    def reminder(
        connection: Connection, row: Claimed, language: str, now: datetime
    ) -> Rendered | None:
        del now
        visit = _visit_row(connection, int(row.payload["appointment"]))
        if visit is None or visit.status != BOOKED:
            return None  # cancelled meanwhile: nothing to remind of
        start = visit.starts_at
        if start != datetime.fromisoformat(str(row.payload["start"])):
            return None  # moved: the new time has its own reminder
        office = office_of(connection, visit.office_id)
        wall_start = local(start)
        params: dict[str, Param] = {
            "day": Day(wall_start.date()),
            "time": Clock(wall_start),
            "office": Local.of(office.name),
            "address": Local.of(office.address),
        }
        return rendered(translator, "visit_reminder", params, language)

    def cancelled(
        connection: Connection, row: Claimed, language: str, now: datetime
    ) -> Rendered | None:
        del now
        visit = _visit_row(connection, int(row.payload["appointment"]))
        if visit is None:
            return None
        office = office_of(connection, visit.office_id)
        wall_start = local(visit.starts_at)
        params: dict[str, Param] = {
            "day": Day(wall_start.date()),
            "time": Clock(wall_start),
            "office": Local.of(office.name),
        }
        text = translator.render(
            msg(
                "{office} has cancelled your visit on {day} at {time}. "
                "To book another time, write VISIT.",
                **params,
            ),
            language,
        )
        note = str(row.payload.get("note") or "").strip()
        if not note:
            return Rendered(text, notice(translator, "visit_cancelled", params, language))
        # A template's parameter is one line: the note's lines are joined for it.
        params["note"] = " / ".join(line.strip() for line in note.splitlines() if line.strip())
        return Rendered(
            f"{text}\n{note}", notice(translator, "visit_cancelled_note", params, language)
        )

    def booked(connection: Connection, row: Claimed, language: str, now: datetime) -> str | None:
        del now
        visit = _visit_row(connection, int(row.payload["appointment"]))
        if visit is None or visit.status != BOOKED:
            return None
        if visit.starts_at != datetime.fromisoformat(str(row.payload["start"])):
            return None  # moved again meanwhile: the newer notice says where
        office = office_of(connection, visit.office_id)
        wall_start = local(visit.starts_at)
        text = msg(
            "Your social worker has booked you a visit to {office}, {address}, on {day} at "
            "{time}. Bring your identity card. To move or cancel it, write VISIT.",
            day=Day(wall_start.date()),
            time=Clock(wall_start),
            office=Local.of(office.name),
            address=Local.of(office.address),
        )
        return translator.render(text, language)

    return {REMINDER: reminder, STAFF_CANCELLED: cancelled, STAFF_BOOKED: booked}
