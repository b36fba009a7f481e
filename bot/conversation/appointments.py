"""The dialogs' booking port (`dialogs.appointments.Appointments`) on the database.

Every method here runs inside the transaction the runner opened: booking, moving
or cancelling a visit commits with the turn that asked for it, or not at all.

Two people never hold the same seat: `uq_appointments_seat` (office, start, seat) is unique over
the appointments that are not cancelled. A booking takes the lowest free seat in a savepoint;
when another transaction took it first (the index says so, on SQLite and on PostgreSQL alike)
the next seat is tried, and with none left the slot is "just taken".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.delivery.outbox import cancel
from bot.delivery.visits import cancel_visit, remind_of_visit, visit_key
from bot.storage.offices import BOOKED, CANCELLED, load_offices
from bot.storage.tables import APPOINTMENTS
from core.calendar import Calendar
from core.offices import Office
from core.slots import Slot, free_slots, is_bookable
from dialogs.appointments import Booking


class DbAppointments:
    """`dialogs.appointments.Appointments` for one contact, in one transaction."""

    def __init__(
        self, connection: Connection, contact_id: int, now: datetime, calendar: Calendar
    ) -> None:
        self.connection = connection
        self.contact_id = contact_id
        self.now = now
        self.calendar = calendar
        self._offices: list[Office] | None = None
        self._all: dict[str, Office] | None = None

    def offices(self) -> Sequence[Office]:
        if self._offices is None:
            self._offices = load_offices(self.connection)
        return self._offices

    def _office(self, office_id: str) -> Office | None:
        if self._all is None:  # inactive ones too: a booked visit still shows its office
            self._all = {o.id: o for o in load_offices(self.connection, active_only=False)}
        return self._all.get(office_id)

    def slots(self, office_id: str, first: date | None, limit: int) -> list[Slot]:
        office = next((o for o in self.offices() if o.id == office_id), None)
        if office is None:
            return []
        a = APPOINTMENTS.c
        booked = {
            start: int(n)
            for start, n in self.connection.execute(
                select(a.starts_at, func.count())
                .where(a.office_id == office_id, a.status != CANCELLED, a.starts_at >= self.now)
                .group_by(a.starts_at)
            )
        }
        return free_slots(office, self.calendar, self.now, booked, first=first, limit=limit)

    def upcoming(self) -> list[Booking]:
        a = APPOINTMENTS.c
        rows = self.connection.execute(
            select(a.id, a.office_id, a.starts_at, a.ends_at)
            .where(a.contact_id == self.contact_id, a.status == BOOKED, a.starts_at >= self.now)
            .order_by(a.starts_at)
        )
        found = []
        for row in rows:
            office = self._office(row.office_id)
            if office is not None:
                found.append(Booking(row.id, office, row.starts_at, row.ends_at))
        return found

    def book(self, office_id: str, start: datetime) -> Booking | None:
        office = next((o for o in self.offices() if o.id == office_id), None)
        if office is None or not is_bookable(office, self.calendar, self.now, start):
            return None
        end = start + timedelta(minutes=office.slot_minutes)
        for seat in self._free_seats(office, start):
            try:
                with self.connection.begin_nested():
                    booking_id = self.connection.execute(
                        insert(APPOINTMENTS)
                        .values(
                            office_id=office.id,
                            contact_id=self.contact_id,
                            starts_at=start,
                            ends_at=end,
                            seat=seat,
                            status=BOOKED,
                            created_at=self.now,
                            updated_at=self.now,
                        )
                        .returning(APPOINTMENTS.c.id)
                    ).scalar_one()
            except IntegrityError:  # taken by another transaction meanwhile: the next seat
                continue
            remind_of_visit(self.connection, self.contact_id, booking_id, start, self.now)
            return Booking(int(booking_id), office, start, end)
        return None

    def move(self, booking_id: int, start: datetime) -> Booking | None:
        current = next((b for b in self.upcoming() if b.id == booking_id), None)
        if current is None:
            return None
        office = current.office
        if not is_bookable(office, self.calendar, self.now, start):
            return None
        end = start + timedelta(minutes=office.slot_minutes)
        a = APPOINTMENTS.c
        for seat in self._free_seats(office, start):
            try:
                with self.connection.begin_nested():
                    self.connection.execute(
                        update(APPOINTMENTS)
                        .where(a.id == booking_id)
                        .values(starts_at=start, ends_at=end, seat=seat, updated_at=self.now)
                    )
            except IntegrityError:
                continue
            cancel(self.connection, visit_key(booking_id), self.now)  # the old reminder
            remind_of_visit(self.connection, self.contact_id, booking_id, start, self.now)
            return Booking(booking_id, office, start, end)
        return None

    def cancel(self, booking_id: int) -> bool:
        return cancel_visit(self.connection, booking_id, self.now, contact_id=self.contact_id)

    def _free_seats(self, office: Office, start: datetime) -> list[int]:
        a = APPOINTMENTS.c
        taken = {
            int(seat)
            for seat in self.connection.execute(
                select(a.seat).where(
                    a.office_id == office.id, a.starts_at == start, a.status != CANCELLED
                )
            ).scalars()
        }
        return [seat for seat in range(1, office.seats + 1) if seat not in taken]
