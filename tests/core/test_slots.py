"""Free slots: the working day around lunch, weekends, holidays and decree working days, the
minimum notice, the end of the booking horizon, and Kazakhstan's UTC+5 (UTC+6 before
2024-03-01). Pure: the offices are records, the calendar is the shipped one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

import pytest

from core.almaty import local, local_day, wall, zone_on
from core.calendar import Calendar
from core.offices import Office, OfficeError, parse_office
from core.slots import day_times, free_slots, is_bookable, reminder_at

CALENDAR = Calendar.parse(resources.files("core").joinpath("holidays.yaml").read_text("utf-8"))
RECORD: dict[str, Any] = {
    "id": "test-office",
    "region": "astana",
    "kind": "career_centre",
    "name": {"kk": "Орталық", "ru": "Центр", "en": "Centre"},
    "address": {"kk": "Көше, 1", "ru": "ул. Улица, 1", "en": "1 Street"},
    "phone": "+7 700 000 00 00",
    "days": "mon-fri",
    "hours": "09:00-18:00",
    "lunch": "13:00-14:00",
    "slot_minutes": 30,
    "seats": 2,
    "min_notice_hours": 2,
    "horizon_days": 14,
}


def office(**changes: Any) -> Office:
    return parse_office({**RECORD, **changes})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def times(slots: list[Any]) -> list[str]:
    return [f"{local(s.start):%Y-%m-%d %H:%M}" for s in slots]


def test_a_working_day_has_its_slots_before_and_after_lunch() -> None:
    starts = [f"{s:%H:%M}" for s, _ in day_times(office(), date(2026, 12, 2))]
    assert starts[:2] == ["09:00", "09:30"]
    assert "12:30" in starts and "13:00" not in starts and "13:30" not in starts
    assert starts[-1] == "17:30" and len(starts) == 16


def test_no_slot_runs_into_lunch_or_past_closing() -> None:
    slots = list(day_times(office(slot_minutes=45), date(2026, 12, 2)))
    for start, end in slots:
        assert not (start < wall(start.date(), time(14)) and end > wall(start.date(), time(13)))
        assert end <= wall(start.date(), time(18))
    assert [f"{s:%H:%M}" for s, _ in slots] == [
        "09:00", "09:45", "10:30", "11:15", "12:00", "14:00", "14:45", "15:30", "16:15", "17:00",
    ]  # fmt: skip


def test_an_office_without_lunch_works_straight_through() -> None:
    starts = [f"{s:%H:%M}" for s, _ in day_times(office(lunch=None), date(2026, 12, 2))]
    assert "13:00" in starts and len(starts) == 18


def test_weekends_have_no_slots() -> None:
    now = at("2026-12-04T17:00:00+05:00")  # Friday after the last bookable slot
    slots = free_slots(office(), CALENDAR, now, {}, limit=1)
    assert times(slots) == ["2026-12-07 09:00"]  # Monday


def test_holidays_have_no_slots() -> None:
    now = at("2026-12-15T17:00:00+05:00")  # Tuesday; 16 December is Independence Day
    slots = free_slots(office(), CALENDAR, now, {}, limit=1)
    assert times(slots) == ["2026-12-17 09:00"]


def test_nauryz_and_its_moved_days_off_have_no_slots() -> None:
    now = at("2026-03-20T08:00:00+05:00")
    days = {local(s.start).date() for s in free_slots(office(), CALENDAR, now, {})}
    for day in CALENDAR.days_off:
        assert day not in days
    assert date(2026, 3, 23) not in days and date(2026, 3, 26) in days


def test_a_decree_working_saturday_has_slots() -> None:
    # 2025: Sunday 5 January was a working day (its day off moved to Friday 3 January).
    assert date(2025, 1, 5) in CALENDAR.working_days
    now = at("2025-01-02T08:00:00+05:00")
    days = [local(s.start).date() for s in free_slots(office(), CALENDAR, now, {})]
    assert date(2025, 1, 3) not in days
    assert days[0] == date(2025, 1, 5)


def test_the_minimum_notice_is_kept() -> None:
    now = at("2026-12-02T10:10:00+05:00")
    slots = free_slots(office(), CALENDAR, now, {}, limit=1)
    assert times(slots) == ["2026-12-02 12:30"]  # 12:10 at the earliest
    assert not is_bookable(office(), CALENDAR, now, at("2026-12-02T12:00:00+05:00"))
    assert is_bookable(office(), CALENDAR, now, at("2026-12-02T12:30:00+05:00"))


def test_the_booking_horizon_ends_the_list() -> None:
    now = at("2026-12-02T08:00:00+05:00")
    slots = free_slots(office(horizon_days=3), CALENDAR, now, {})
    assert local(slots[-1].start).date() == date(2026, 12, 4)  # 5 Dec is a Saturday
    assert not is_bookable(office(horizon_days=3), CALENDAR, now, at("2026-12-07T09:00+05:00"))


def test_booked_seats_are_counted() -> None:
    now = at("2026-12-02T08:00:00+05:00")
    nine, half_past = at("2026-12-02T09:00:00+05:00"), at("2026-12-02T04:30:00+00:00")
    slots = free_slots(office(min_notice_hours=0), CALENDAR, now, {nine: 2, half_past: 1}, limit=2)
    assert times(slots) == ["2026-12-02 09:30", "2026-12-02 10:00"]
    assert slots[0].seats_left == 1  # 04:30 UTC is 09:30 in Astana: instants compare


def test_a_year_the_calendar_does_not_cover_offers_nothing() -> None:
    now = at("2031-06-02T08:00:00+05:00")
    assert not CALENDAR.covers(date(2031, 6, 2))
    assert free_slots(office(), CALENDAR, now, {}) == []


def test_kazakhstan_is_utc_plus_5_since_1_march_2024() -> None:
    after = next(iter(day_times(office(), date(2024, 3, 1))))[0]
    before = next(iter(day_times(office(), date(2024, 2, 29))))[0]
    assert after.astimezone(UTC) == datetime(2024, 3, 1, 4, 0, tzinfo=UTC)
    assert before.astimezone(UTC) == datetime(2024, 2, 29, 3, 0, tzinfo=UTC)
    assert zone_on(date(2024, 2, 29)).utcoffset(None) == timedelta(hours=6)
    assert local(datetime(2024, 2, 29, 17, 59, tzinfo=UTC)).hour == 23  # 23:59 at +06
    assert local(datetime(2024, 2, 29, 18, 0, tzinfo=UTC)).hour == 23  # 23:00 at +05
    assert local_day(datetime(2026, 12, 1, 19, 30, tzinfo=UTC)) == date(2026, 12, 2)


def test_slots_before_the_zone_change_are_read_at_utc_plus_6() -> None:
    now = at("2024-02-27T12:00:00+06:00")
    slots = free_slots(office(min_notice_hours=0), CALENDAR, now, {}, limit=1)
    assert slots[0].start.utcoffset() == timedelta(hours=6)
    assert f"{slots[0].start:%H:%M}" == "12:00"


def test_the_reminder_is_the_day_before_at_ten() -> None:
    start = at("2026-12-03T09:00:00+05:00")
    assert reminder_at(start, at("2026-11-30T15:00:00+05:00")) == at("2026-12-02T10:00+05:00")
    assert reminder_at(start, at("2026-12-02T11:00:00+05:00")) is None  # booked after it


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"region": "mars"}, "region"),
        ({"id": "Bad Id"}, "id"),
        ({"name": {"kk": "a", "ru": "b"}}, "name"),
        ({"hours": "18:00-09:00"}, "hours"),
        ({"hours": "9-18"}, "hours"),
        ({"lunch": "08:00-09:30"}, "lunch"),
        ({"days": ["mon", "funday"]}, "days"),
        ({"days": []}, "days"),
        ({"seats": 0}, "seats"),
        ({"slot_minutes": "often"}, "slot_minutes"),
        ({"phone": "call me"}, "phone"),
        ({"kind": "bank"}, "kind"),
        ({"colour": "blue"}, "unknown"),
        ({"example": "yes"}, "example"),
    ],
)
def test_a_bad_office_record_is_rejected_naming_the_field(
    changes: dict[str, Any], error: str
) -> None:
    with pytest.raises(OfficeError, match=error):
        office(**changes)


def test_an_office_record_survives_a_round_trip() -> None:
    original = office(days=["tue", "thu"], lunch="12:30-13:30")
    assert parse_office(original.to_record()) == original
    assert original.weekdays == frozenset({1, 3})
