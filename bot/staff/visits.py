"""Visits as the office sees them: a day's list, marking a visit attended or not, and cancelling
one with a message to the person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select, update

from bot.conversation.forget import is_forgotten
from bot.delivery.feedback import ask_after_visit, drop_question
from bot.delivery.visits import cancel_visit, tell_cancelled
from bot.storage.offices import ATTENDED, BOOKED, CANCELLED, NO_SHOW
from bot.storage.tables import APPOINTMENTS, CONTACTS
from core.almaty import local, wall


@dataclass(frozen=True, slots=True)
class Visit:
    id: int
    office_id: str
    start: datetime
    seat: int
    status: str
    channel: str
    contact: str  # the address with all but its last digits hidden
    contact_id: int = 0


def day_visits(connection: Connection, office_id: str, day: date) -> list[Visit]:
    a, c = APPOINTMENTS.c, CONTACTS.c
    first = wall(day, datetime.min.time())
    rows = connection.execute(
        select(
            a.id,
            a.office_id,
            a.starts_at,
            a.seat,
            a.status,
            c.channel,
            c.address,
            c.id.label("cid"),
        )
        .join(CONTACTS, c.id == a.contact_id)
        .where(
            a.office_id == office_id,
            a.starts_at >= first,
            a.starts_at < first + timedelta(days=1),
        )
        .order_by(a.starts_at, a.seat)
    )
    return [
        Visit(
            r.id,
            r.office_id,
            local(r.starts_at),
            r.seat,
            r.status,
            r.channel,
            _hidden(r.address),
            r.cid,
        )
        for r in rows
    ]


def _hidden(address: str) -> str:
    if is_forgotten(address):  # the family asked Komek to forget it: no one is named
        return "—"
    return "…" + address[-4:] if len(address) > 4 else "…"


def mark_visit(connection: Connection, booking_id: int, status: str, now: datetime) -> bool:
    """Attended or no-show, for a visit that was booked (not cancelled). A family that came is
    asked, once, how useful the visit was; a mark undone before it went out drops it."""
    if status not in (ATTENDED, NO_SHOW, BOOKED):
        raise ValueError(f"unknown visit status {status}")
    a = APPOINTMENTS.c
    done = connection.execute(
        update(APPOINTMENTS)
        .where(a.id == booking_id, a.status != CANCELLED)
        .values(status=status, updated_at=now)
        .returning(a.contact_id)
    ).scalar()
    if done is None:
        return False
    if status == ATTENDED:
        ask_after_visit(connection, booking_id, int(done), now)
    else:
        drop_question(connection, booking_id, now)
    return True


def staff_cancel(connection: Connection, booking_id: int, note: str | None, now: datetime) -> bool:
    """Cancel a visit for the office and tell the person, with the staff's note."""
    a = APPOINTMENTS.c
    row = connection.execute(
        select(a.contact_id, a.starts_at).where(a.id == booking_id, a.status == BOOKED)
    ).first()
    if row is None or not cancel_visit(connection, booking_id, now, by="staff"):
        return False
    tell_cancelled(connection, booking_id, row.contact_id, note, now)
    return True


def visit_contact(connection: Connection, booking_id: int) -> tuple[str, int] | None:
    """The office and the contact of a visit."""
    a = APPOINTMENTS.c
    row = connection.execute(select(a.office_id, a.contact_id).where(a.id == booking_id)).first()
    return None if row is None else (str(row.office_id), int(row.contact_id))
