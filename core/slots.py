"""Free appointment slots: pure. Given an office, the calendar of days off, the time now and the
seats already booked, which visits can still be booked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from core.almaty import local, local_day, wall
from core.offices import Office

REMINDER_TIME = time(10, 0)  # the day before, at 10:00: a civil hour, in working time


class DaysOff(Protocol):
    def covers(self, day: date) -> bool: ...

    def is_working_day(self, day: date, weekdays: frozenset[int]) -> bool: ...


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware, Kazakhstan's wall clock of that date
    end: datetime
    seats_left: int


def day_times(office: Office, day: date) -> Iterator[tuple[datetime, datetime]]:
    """Every slot of a working day: from opening, each `slot_minutes`, ending by the lunch break
    or by closing; after lunch, again from its end."""
    length = timedelta(minutes=office.slot_minutes)
    spans = (
        [(office.opens, office.closes)]
        if office.lunch is None
        else [(office.opens, office.lunch[0]), (office.lunch[1], office.closes)]
    )
    for opens, closes in spans:
        start, end = wall(day, opens), wall(day, closes)
        while start + length <= end:
            yield start, start + length
            start += length


def open_days(office: Office, calendar: DaysOff, first: date, last: date) -> Iterator[date]:
    """The office's working days from `first` to `last`: its weekdays and the Saturdays made
    working by decree, without holidays and days off; never a day the calendar does not cover
    (rather no slot than one on a holiday nobody has entered yet)."""
    day = first
    while day <= last:
        if calendar.covers(day) and calendar.is_working_day(day, office.weekdays):
            yield day
        day += timedelta(days=1)


def last_day(office: Office, now: datetime) -> date:
    return local_day(now) + timedelta(days=office.horizon_days)


def free_slots(
    office: Office,
    calendar: DaysOff,
    now: datetime,
    booked: Mapping[datetime, int],
    *,
    first: date | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """The free slots from `first` (today by default) to the end of the booking horizon, in
    time order: at least `min_notice_hours` from now and with a seat left. `booked` counts the
    seats taken per slot start (any time zone: instants compare)."""
    earliest = now + timedelta(hours=office.min_notice_hours)
    start_day = max(first or local_day(now), local_day(now))
    found: list[Slot] = []
    for day in open_days(office, calendar, start_day, last_day(office, now)):
        for start, end in day_times(office, day):
            if start < earliest:
                continue
            left = office.seats - booked.get(start, 0)
            if left > 0:
                found.append(Slot(start, end, left))
                if limit is not None and len(found) >= limit:
                    return found
    return found


def is_bookable(office: Office, calendar: DaysOff, now: datetime, start: datetime) -> bool:
    """Whether `start` is one of the office's slots that may be booked now (seats aside)."""
    day = local(start).date()
    if start < now + timedelta(hours=office.min_notice_hours) or day > last_day(office, now):
        return False
    if not (calendar.covers(day) and calendar.is_working_day(day, office.weekdays)):
        return False
    return any(s == start for s, _ in day_times(office, day))


def reminder_at(start: datetime, booked_at: datetime) -> datetime | None:
    """When to remind of a visit: at 10:00 the day before; None when the booking was made after
    that (the person has just chosen the time and needs no reminder of it)."""
    day_before = local(start).date() - timedelta(days=1)
    at = wall(day_before, REMINDER_TIME)
    return at if at > booked_at else None
