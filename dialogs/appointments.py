"""What the booking dialog needs from the world, as a port: the offices, their free slots, and
this person's visits, with booking, moving and cancelling. The runner in `bot/` implements it on
the database, inside the transaction of the turn; dialogs stay free of I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from core.offices import Office
from core.slots import Slot


@dataclass(frozen=True, slots=True)
class Booking:
    id: int
    office: Office
    start: datetime
    end: datetime


class Appointments(Protocol):
    def offices(self) -> Sequence[Office]:
        """The offices open for booking."""
        ...

    def slots(self, office_id: str, first: date | None, limit: int) -> list[Slot]:
        """Free slots of the office from `first` (today when None), at most `limit`."""
        ...

    def upcoming(self) -> list[Booking]:
        """This person's booked visits still to come, earliest first."""
        ...

    def book(self, office_id: str, start: datetime) -> Booking | None:
        """Take a seat; None when the slot was taken meanwhile (or cannot be booked now)."""
        ...

    def move(self, booking_id: int, start: datetime) -> Booking | None:
        """Move a visit to another slot of its office; None when that slot was just taken."""
        ...

    def cancel(self, booking_id: int) -> bool:
        """Cancel a visit of this person; False when there was none to cancel."""
        ...
