"""Quarterly reassessment reminders, pure: walking 2027 (and the turn of 2026/27) day by day, the
reminders `upcoming` yields are the `ending` ones on the 20th of each quarter's last month and
the `opened` ones on the 1st of each quarter, at 10:00 Kazakhstan time, with their quarter and
the day to apply from; a reminder missed by less than the grace is still upcoming."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from core.almaty import SINCE, wall
from core.reminders import QuarterReminder, reminders_of_quarter, upcoming

GRACE = timedelta(hours=12)


def ending(year: int, month: int, quarter: str, apply_from: date) -> QuarterReminder:
    return QuarterReminder("ending", quarter, wall(date(year, month, 20), time(10)), apply_from)


def opened(year: int, month: int, quarter: str) -> QuarterReminder:
    start = date(year, month, 1)
    return QuarterReminder("opened", quarter, wall(start, time(10)), start)


YEAR_2027 = {
    ending(2027, 3, "2027-Q1", date(2027, 4, 1)),
    ending(2027, 6, "2027-Q2", date(2027, 7, 1)),
    ending(2027, 9, "2027-Q3", date(2027, 10, 1)),
    ending(2027, 12, "2027-Q4", date(2028, 1, 1)),
    opened(2027, 1, "2027-Q1"),
    opened(2027, 4, "2027-Q2"),
    opened(2027, 7, "2027-Q3"),
    opened(2027, 10, "2027-Q4"),
}
DECEMBER_2026 = ending(2026, 12, "2026-Q4", date(2027, 1, 1))
# On the last days of 2027 `upcoming` already looks into the next quarter.
EARLY_2028 = {opened(2028, 1, "2028-Q1"), ending(2028, 3, "2028-Q1", date(2028, 4, 1))}

# Times of day the walk looks at (Kazakhstan time): midnight, just before, at and after the
# reminders' 10:00, and the evening.
TIMES = (time(0, 0), time(9, 59, 59), time(10, 0), time(10, 0, 30), time(21, 59), time(23, 59))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def collect(first: date, last: date) -> set[QuarterReminder]:
    found: set[QuarterReminder] = set()
    for day in days(first, last):
        for at in TIMES:
            found.update(upcoming(wall(day, at)))
    return found


def test_walking_2027_day_by_day_yields_the_eight_reminders_of_the_year() -> None:
    found = collect(date(2027, 1, 1), date(2027, 12, 31))
    assert {r for r in found if r.due.year == 2027} == YEAR_2027
    assert found == YEAR_2027 | EARLY_2028


def test_each_reminder_is_due_on_its_day_at_ten_kazakhstan_time() -> None:
    due_on: dict[date, list[QuarterReminder]] = {}
    for day in days(date(2026, 12, 1), date(2027, 12, 31)):
        now = wall(day, time(0, 0))
        due_on[day] = [r for r in upcoming(now) if r.due.date() == day]
    with_reminders = {day: found for day, found in due_on.items() if found}
    assert sorted(with_reminders) == [
        date(2026, 12, 20),
        date(2027, 1, 1),
        date(2027, 3, 20),
        date(2027, 4, 1),
        date(2027, 6, 20),
        date(2027, 7, 1),
        date(2027, 9, 20),
        date(2027, 10, 1),
        date(2027, 12, 20),
    ]
    for day, (reminder,) in with_reminders.items():
        assert reminder.due == datetime.combine(day, time(10), SINCE)
        assert reminder.due.utcoffset() == timedelta(hours=5)
        assert reminder.kind == ("ending" if day.day == 20 else "opened")


def test_the_turn_of_2026_into_2027() -> None:
    found = collect(date(2026, 12, 1), date(2027, 1, 10))
    assert DECEMBER_2026 in found
    assert opened(2027, 1, "2027-Q1") in found
    (december,) = [r for r in found if r.due.year == 2026]
    assert december.kind == "ending"
    assert december.quarter == "2026-Q4"
    assert december.next_quarter_start == date(2027, 1, 1)
    (january,) = [r for r in found if r.due.date() == date(2027, 1, 1)]
    assert january.kind == "opened"
    assert january.quarter == "2027-Q1"
    assert january.next_quarter_start == date(2027, 1, 1)
    # On 1 December the coming ones are December's end and January's opening, in that order.
    first = upcoming(datetime.fromisoformat("2026-12-01T10:00:30+05:00"))
    assert first == [DECEMBER_2026, opened(2027, 1, "2027-Q1")]


def test_upcoming_holds_at_most_one_of_each_kind_earliest_first() -> None:
    for day in days(date(2026, 12, 1), date(2027, 12, 31)):
        for at in TIMES:
            now = wall(day, at)
            found = upcoming(now)
            assert 1 <= len(found) <= 2
            assert len({r.kind for r in found}) == len(found)
            assert [r.due for r in found] == sorted(r.due for r in found)
            assert all(r.due >= now - GRACE for r in found)


def test_the_next_reminder_of_each_kind_is_never_skipped() -> None:
    # Whatever the moment, each kind's upcoming reminder is the next one still to come, or the
    # one just before it when that one was missed by less than the grace.
    everything = sorted(YEAR_2027 | EARLY_2028 | {DECEMBER_2026}, key=lambda r: r.due)
    for day in days(date(2026, 12, 1), date(2027, 12, 31)):
        for at in TIMES:
            now = wall(day, at)
            found = {r.kind: r for r in upcoming(now)}
            assert set(found) == {"ending", "opened"}
            for kind, reminder in found.items():
                of_kind = [r for r in everything if r.kind == kind]
                following = next(r for r in of_kind if r.due >= now)
                just_missed = of_kind[of_kind.index(following) - 1]
                assert reminder == following or (
                    reminder == just_missed and now - GRACE <= reminder.due < now
                ), (now, kind)


ENDINGS = sorted((r for r in YEAR_2027 if r.kind == "ending"), key=lambda r: r.due)
OPENINGS = sorted((r for r in YEAR_2027 if r.kind == "opened"), key=lambda r: r.due)


@pytest.mark.parametrize("reminder", [DECEMBER_2026, *ENDINGS], ids=lambda r: str(r.due.date()))
def test_an_ending_reminder_missed_by_11_hours_is_upcoming_by_13_not(
    reminder: QuarterReminder,
) -> None:
    assert reminder in upcoming(reminder.due - timedelta(hours=1))
    assert reminder in upcoming(reminder.due)
    assert reminder in upcoming(reminder.due + timedelta(hours=11))
    assert reminder in upcoming(reminder.due + GRACE)
    assert reminder not in upcoming(reminder.due + timedelta(hours=13))
    assert reminder not in upcoming(reminder.due + timedelta(hours=11), grace=timedelta(hours=10))


def test_an_opening_reminder_missed_by_a_little_is_upcoming() -> None:
    for reminder in OPENINGS:
        assert reminder in upcoming(reminder.due)
        assert reminder in upcoming(reminder.due + timedelta(hours=1))
        assert reminder not in upcoming(reminder.due + timedelta(hours=13))


@pytest.mark.parametrize("reminder", OPENINGS, ids=lambda r: str(r.due.date()))
def test_an_opening_reminder_missed_by_11_hours_is_still_upcoming(
    reminder: QuarterReminder,
) -> None:
    assert reminder in upcoming(reminder.due + timedelta(hours=11))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (
            date(2027, 1, 1),
            [ending(2027, 3, "2027-Q1", date(2027, 4, 1)), opened(2027, 4, "2027-Q2")],
        ),
        (
            date(2027, 2, 14),
            [ending(2027, 3, "2027-Q1", date(2027, 4, 1)), opened(2027, 4, "2027-Q2")],
        ),
        (
            date(2027, 3, 31),
            [ending(2027, 3, "2027-Q1", date(2027, 4, 1)), opened(2027, 4, "2027-Q2")],
        ),
        (
            date(2027, 5, 31),
            [ending(2027, 6, "2027-Q2", date(2027, 7, 1)), opened(2027, 7, "2027-Q3")],
        ),
        (
            date(2027, 8, 1),
            [ending(2027, 9, "2027-Q3", date(2027, 10, 1)), opened(2027, 10, "2027-Q4")],
        ),
        (
            date(2027, 11, 30),
            [ending(2027, 12, "2027-Q4", date(2028, 1, 1)), opened(2028, 1, "2028-Q1")],
        ),
        (
            date(2027, 12, 31),
            [ending(2027, 12, "2027-Q4", date(2028, 1, 1)), opened(2028, 1, "2028-Q1")],
        ),
        (date(2026, 12, 20), [DECEMBER_2026, opened(2027, 1, "2027-Q1")]),
    ],
)
def test_the_two_reminders_of_a_quarter(day: date, expected: list[QuarterReminder]) -> None:
    assert reminders_of_quarter(day) == expected


def test_before_march_2024_the_reminders_are_at_ten_on_the_old_utc_plus_6() -> None:
    (end, start) = reminders_of_quarter(date(2023, 11, 5))
    assert end.due == datetime.fromisoformat("2023-12-20T10:00:00+06:00")
    assert start.due == datetime.fromisoformat("2024-01-01T10:00:00+06:00")
    (end, start) = reminders_of_quarter(date(2024, 2, 1))
    assert end.due == datetime.fromisoformat("2024-03-20T10:00:00+05:00")
