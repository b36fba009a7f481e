"""When an office answers: open now, over lunch, after hours, on a weekend and on a holiday."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.parameters import default_calendar
from core.hours import opening, soonest
from core.offices import parse_office

OFFICE = parse_office(
    {
        "id": "a",
        "region": "astana",
        "kind": "career_centre",
        "name": {"kk": "a", "ru": "a", "en": "a"},
        "address": {"kk": "a", "ru": "a", "en": "a"},
        "phone": "+7 700 000 00 01",
        "days": "mon-fri",
        "hours": "09:00-18:00",
        "lunch": "13:00-14:00",
        "slot_minutes": 30,
        "seats": 1,
        "min_notice_hours": 2,
        "horizon_days": 14,
    }
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+05:00")


@pytest.mark.parametrize(
    ("moment", "open_now", "next_opening"),
    [
        ("2026-01-15T10:00", True, None),  # a Thursday morning
        ("2026-01-15T13:30", False, "2026-01-15T14:00"),  # lunch: nobody answers
        ("2026-01-15T18:00", False, "2026-01-16T09:00"),  # closing time is closed
        ("2026-01-16T19:00", False, "2026-01-19T09:00"),  # Friday evening: Monday
        ("2026-03-20T19:00", False, "2026-03-26T09:00"),  # Nauryz: 21-25 March off
        ("2026-01-15T07:59", False, "2026-01-15T09:00"),
    ],
)
def test_an_office_is_open_or_says_when_it_opens(
    moment: str, open_now: bool, next_opening: str | None
) -> None:
    found = opening(OFFICE, at(moment), default_calendar())
    assert found.open_now is open_now
    assert found.opens == (None if next_opening is None else at(next_opening))
    if open_now:
        assert found.closes == at(moment[:10] + "T18:00")


def test_a_region_without_offices_has_no_hours() -> None:
    assert soonest([], at("2026-01-15T10:00"), default_calendar()) is None
