"""When an office answers: whether it is open at a moment, and when it next opens.

A family waiting for a social worker is told who will answer and when. Offices keep the hours
of their records (`core.offices`): working weekdays, opening and closing times, a lunch break;
Kazakhstan's public holidays and the weekend days made working by a transfer come from the
calendar (`core.calendar`). Times are Kazakhstan's wall clock (`core.almaty`). The moment is an
argument: nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from core.almaty import local, wall
from core.calendar import Calendar
from core.offices import Office

LOOK_AHEAD_DAYS = 21  # the longest run of days off (New Year, Nauryz with weekends) is shorter


@dataclass(frozen=True, slots=True)
class Opening:
    """An office's answer to "when": open now (until `closes`), or opening at `opens`."""

    open_now: bool
    opens: datetime | None  # the next opening when closed; None when none is within reach
    closes: datetime | None  # when open now: the end of the working day


def _spans(office: Office) -> list[tuple[time, time]]:
    if office.lunch is None:
        return [(office.opens, office.closes)]
    return [(office.opens, office.lunch[0]), (office.lunch[1], office.closes)]


def opening(office: Office, at: datetime, calendar: Calendar) -> Opening:
    """Whether `office` is open at `at`, and else when it next opens (a lunch break counts as
    closed: nobody answers then)."""
    today = local(at).date()
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        if not calendar.is_working_day(day, office.weekdays):
            continue
        for start, end in _spans(office):
            begins, ends = wall(day, start), wall(day, end)
            if begins <= at < ends:
                return Opening(True, None, wall(day, office.closes))
            if at < begins:
                return Opening(False, begins, None)
    return Opening(False, None, None)


def soonest(offices: Iterable[Office], at: datetime, calendar: Calendar) -> Opening | None:
    """The region's answer: open now if any of its offices is (until the latest closing),
    else the earliest next opening; None for a region without offices."""
    found = [opening(office, at, calendar) for office in offices]
    if not found:
        return None
    open_now = [o for o in found if o.open_now and o.closes is not None]
    if open_now:
        return Opening(True, None, max(o.closes for o in open_now if o.closes is not None))
    upcoming = [o.opens for o in found if o.opens is not None]
    return Opening(False, min(upcoming) if upcoming else None, None)
