"""When to remind a family to apply again. TSA is assigned for the rest of the current quarter
only (Social Code art. 123 p.1, 3): to be paid in the next one the family applies again, and the
month of the application counts in full whatever its day, so the best time is the first month of
the quarter. Two reminders per quarter, at 10:00 Kazakhstan time:

- `ending`: on the 20th of the quarter's last month: the quarter ends soon, prepare (the alimony
  certificate for the quarter), apply from the 1st;
- `opened`: on the 1st of the quarter's first month: apply now.
Pure: the dates of the reminders around a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core.almaty import wall
from core.dates import add_months, quarter_label, quarter_start

AT = time(10, 0)
ENDING_DAY = 20


@dataclass(frozen=True, slots=True)
class QuarterReminder:
    kind: str  # "ending" or "opened"
    quarter: str  # the quarter it is about: the one ending, or the one opening ("2026-Q4")
    due: datetime
    next_quarter_start: date  # when to apply


def reminders_of_quarter(day: date) -> list[QuarterReminder]:
    """The two reminders belonging to the quarter of `day`: its end, and the next one's start."""
    start = quarter_start(day)
    following = add_months(start, 3)
    last_month = add_months(start, 2)
    return [
        QuarterReminder(
            "ending",
            quarter_label(start),
            wall(last_month.replace(day=ENDING_DAY), AT),
            following,
        ),
        QuarterReminder("opened", quarter_label(following), wall(following, AT), following),
    ]


def upcoming(now: datetime, grace: timedelta = timedelta(hours=12)) -> list[QuarterReminder]:
    """The reminders still to send from `now` (or missed by at most `grace`, as after a short
    outage), earliest first: at most one of each kind."""
    today = (now - grace).date()
    found: list[QuarterReminder] = []
    # An `opened` reminder belongs to the quarter before the one it opens: look there too.
    start = quarter_start(today)
    for day in (add_months(start, -3), start, add_months(start, 3)):
        for reminder in reminders_of_quarter(day):
            if reminder.due >= now - grace and all(r.kind != reminder.kind for r in found):
                found.append(reminder)
    return sorted(found, key=lambda r: r.due)
