"""The booking port kept in memory, for playing the visit dialog without a database. It follows
the contract of `dialogs.appointments.Appointments` with the real slot rules from `core`; the
database implementation (bot/appointments.py) is tested against the same expectations in
tests/bot/test_appointments.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

from bot.storage.offices import read_office_records
from core.calendar import Calendar
from core.offices import Office, parse_office
from core.slots import Slot, free_slots, is_bookable
from dialogs.appointments import Booking

EXAMPLE_OFFICES = Path(__file__).resolve().parents[2] / "examples" / "offices.example.yaml"


def example_offices() -> list[Office]:
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())
    return sorted((parse_office(r) for _, r in records), key=lambda o: (o.region, o.id))


def shipped_calendar() -> Calendar:
    return Calendar.parse(resources.files("core").joinpath("holidays.yaml").read_text("utf-8"))


class MemoryAppointments:
    def __init__(self, offices: Sequence[Office], calendar: Calendar, now: datetime) -> None:
        self._offices = list(offices)
        self.calendar = calendar
        self.now = now
        self.bookings: dict[int, Booking] = {}
        self.taken: Counter[tuple[str, datetime]] = Counter()
        self.steal: set[datetime] = set()  # slots someone else takes just before we book them

    def offices(self) -> Sequence[Office]:
        return self._offices

    def _office(self, office_id: str) -> Office | None:
        return next((o for o in self._offices if o.id == office_id), None)

    def slots(self, office_id: str, first: date | None, limit: int) -> list[Slot]:
        office = self._office(office_id)
        if office is None:
            return []
        booked = {start: n for (oid, start), n in self.taken.items() if oid == office_id}
        return free_slots(office, self.calendar, self.now, booked, first=first, limit=limit)

    def upcoming(self) -> list[Booking]:
        return sorted(
            (b for b in self.bookings.values() if b.start >= self.now), key=lambda b: b.start
        )

    def _take(self, office: Office, start: datetime) -> bool:
        if start in self.steal:
            self.steal.discard(start)
            self.taken[(office.id, start)] = office.seats
        if not is_bookable(office, self.calendar, self.now, start):
            return False
        if self.taken[(office.id, start)] >= office.seats:
            return False
        self.taken[(office.id, start)] += 1
        return True

    def book(self, office_id: str, start: datetime) -> Booking | None:
        office = self._office(office_id)
        if office is None or not self._take(office, start):
            return None
        end = start + timedelta(minutes=office.slot_minutes)
        booking = Booking(len(self.bookings) + 1, office, start, end)
        self.bookings[booking.id] = booking
        return booking

    def move(self, booking_id: int, start: datetime) -> Booking | None:
        current = self.bookings.get(booking_id)
        if current is None or not self._take(current.office, start):
            return None
        self.taken[(current.office.id, current.start)] -= 1
        moved = Booking(booking_id, current.office, start, start + (current.end - current.start))
        self.bookings[booking_id] = moved
        return moved

    def cancel(self, booking_id: int) -> bool:
        current = self.bookings.pop(booking_id, None)
        if current is None:
            return False
        self.taken[(current.office.id, current.start)] -= 1
        return True
