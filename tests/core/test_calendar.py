"""The holiday calendar: the shipped file (every holiday of every year, facts checked against the
sources it cites), the working-day rule, and what the parser rejects (always a CalendarError naming
the file and the entry)."""

from __future__ import annotations

import importlib.resources
from datetime import date

import pytest

from core.calendar import Calendar, CalendarError, DayOff

YEARS = (2024, 2025, 2026, 2027)
MONDAY_TO_FRIDAY = frozenset(range(5))
MONDAY_TO_SATURDAY = frozenset(range(6))

# (month, day, name) of the holidays of Law No. 267-II kept in every year, and Orthodox Christmas.
FIXED = (
    (1, 1, "New Year"),
    (1, 2, "New Year"),
    (1, 7, "Orthodox Christmas"),
    (3, 8, "International Women's Day"),
    (3, 21, "Nauryz"),
    (3, 22, "Nauryz"),
    (3, 23, "Nauryz"),
    (5, 1, "Unity Day"),
    (5, 7, "Defender of the Fatherland Day"),
    (5, 9, "Victory Day"),
    (7, 6, "Capital Day"),
    (10, 25, "Republic Day"),
    (12, 16, "Independence Day"),
)
# Constitution Day: 30 August until 2025; none in 2026 (the Constitution of 15.03.2026 moved it);
# 15 March from 2027.
CONSTITUTION_DAY = {2024: date(2024, 8, 30), 2025: date(2025, 8, 30), 2027: date(2027, 3, 15)}


@pytest.fixture(scope="module")
def shipped() -> Calendar:
    text = importlib.resources.files("core").joinpath("holidays.yaml").read_text("utf-8")
    return Calendar.parse(text)


# --------------------------------------------------------------------------------------------
# The shipped file


def test_shipped_file_covers_the_years(shipped: Calendar) -> None:
    assert shipped.years == frozenset(YEARS)
    assert all(shipped.covers(date(year, 6, 1)) for year in YEARS)
    assert not shipped.covers(date(2023, 12, 31))
    assert not shipped.covers(date(2028, 1, 1))


@pytest.mark.parametrize("year", YEARS)
def test_every_fixed_holiday_is_a_day_off(shipped: Calendar, year: int) -> None:
    for month, day, name in FIXED:
        entry = shipped.days_off.get(date(year, month, day))
        assert entry is not None, f"{year}-{month:02}-{day:02} {name} is missing"
        assert entry.name.startswith(name.split()[0]), entry


@pytest.mark.parametrize("year", YEARS)
def test_constitution_day(shipped: Calendar, year: int) -> None:
    constitution = sorted(d for d, e in shipped.days_off.items() if e.name == "Constitution Day")
    expected = CONSTITUTION_DAY.get(year)
    assert [d for d in constitution if d.year == year] == ([expected] if expected else [])


def test_no_constitution_day_on_30_august_from_2026(shipped: Calendar) -> None:
    for year in (2026, 2027):
        assert date(year, 8, 30) not in shipped.days_off
        assert date(year, 8, 31) not in shipped.days_off
    assert shipped.is_working_day(date(2026, 8, 31), MONDAY_TO_FRIDAY)


@pytest.mark.parametrize("year", YEARS)
def test_one_kurban_ait_a_year(shipped: Calendar, year: int) -> None:
    kurban = [e for e in shipped.days_off.values() if e.day.year == year and "Kurban" in e.name]
    assert len(kurban) == 1
    assert kurban[0].religious


def test_kurban_ait_dates(shipped: Calendar) -> None:
    kurban = {e.day for e in shipped.days_off.values() if "Kurban" in e.name}
    # 2024: ДУМК moved it to Sunday 16 June, so Monday 17 June stayed a working day.
    assert kurban == {date(2024, 6, 16), date(2025, 6, 6), date(2026, 5, 27), date(2027, 5, 16)}
    assert shipped.is_working_day(date(2024, 6, 17), MONDAY_TO_FRIDAY)


def test_religious_days_are_christmas_and_kurban_ait_only(shipped: Calendar) -> None:
    for entry in shipped.days_off.values():
        is_religious_name = entry.name.startswith(("Orthodox Christmas", "Kurban Ait"))
        assert entry.religious == is_religious_name, entry


def test_religious_days_on_a_weekend_are_not_moved(shipped: Calendar) -> None:
    # Orthodox Christmas 2024 was a Sunday: Monday 8 January 2024 was an ordinary working day.
    assert date(2024, 1, 7).weekday() == 6
    assert shipped.is_working_day(date(2024, 1, 8), MONDAY_TO_FRIDAY)


@pytest.mark.parametrize("year", YEARS)
def test_nauryz_is_21_to_23_march(shipped: Calendar, year: int) -> None:
    for day in (21, 22, 23):
        assert not shipped.is_working_day(date(year, 3, day), MONDAY_TO_SATURDAY)


@pytest.mark.parametrize(
    "moved",
    [
        date(2024, 3, 25),  # Nauryz: Saturday 23 March
        date(2024, 7, 8),  # Capital Day: Saturday 6 July
        date(2025, 3, 10),  # 8 March was a Saturday
        date(2025, 3, 24),  # Nauryz: Saturday 22 March
        date(2025, 3, 25),  # Nauryz: Sunday 23 March
        date(2025, 7, 7),  # Capital Day: Sunday 6 July
        date(2025, 9, 1),  # Constitution Day: Saturday 30 August
        date(2025, 10, 27),  # Republic Day: Saturday 25 October
        date(2026, 3, 9),  # 8 March was a Sunday
        date(2026, 3, 24),  # Nauryz: Saturday 21 March
        date(2026, 3, 25),  # Nauryz: Sunday 22 March
        date(2026, 5, 11),  # Victory Day: Saturday 9 May
        date(2026, 10, 26),  # Republic Day: Sunday 25 October
        date(2027, 1, 4),  # New Year: Saturday 2 January
        date(2027, 3, 24),  # Nauryz: Sunday 21 March
        date(2027, 5, 3),  # Unity Day: Saturday 1 May
        date(2027, 5, 10),  # Victory Day: Sunday 9 May
    ],
)
def test_moved_days_off(shipped: Calendar, moved: date) -> None:
    assert moved.weekday() < 5
    assert "moved from" in shipped.days_off[moved].name
    assert not shipped.is_working_day(moved, MONDAY_TO_FRIDAY)


@pytest.mark.parametrize("year", YEARS)
def test_a_non_religious_holiday_on_a_weekend_frees_a_weekday(shipped: Calendar, year: int) -> None:
    weekend_holidays = [
        e
        for e in shipped.days_off.values()
        if e.day.year == year
        and e.day.weekday() >= 5
        and not e.religious
        and "moved from" not in e.name
    ]
    moved = [e for e in shipped.days_off.values() if e.day.year == year and "moved from" in e.name]
    moved_by_the_law = [e for e in moved if "Minister" not in e.name]
    assert len(moved_by_the_law) == len(weekend_holidays)


def test_transfers(shipped: Calendar) -> None:
    # 2024: order of the Minister of Labour, Saturday 4 May worked, Wednesday 8 May off.
    assert not shipped.is_working_day(date(2024, 5, 8), MONDAY_TO_FRIDAY)
    assert shipped.is_working_day(date(2024, 5, 4), MONDAY_TO_FRIDAY)
    # 2025: Sunday 5 January worked, Friday 3 January off.
    assert not shipped.is_working_day(date(2025, 1, 3), MONDAY_TO_FRIDAY)
    assert shipped.is_working_day(date(2025, 1, 5), MONDAY_TO_FRIDAY)
    assert set(shipped.working_days) == {date(2024, 5, 4), date(2025, 1, 5)}


def test_every_entry_has_a_source(shipped: Calendar) -> None:
    for entry in [*shipped.days_off.values(), *shipped.working_days.values()]:
        assert entry.source and entry.name


def test_provisional_days(shipped: Calendar) -> None:
    assert [e.day for e in shipped.provisional_days()] == [
        date(2026, 5, 27),
        date(2027, 3, 15),
        date(2027, 5, 16),
    ]


# --------------------------------------------------------------------------------------------
# is_working_day


def test_is_working_day(shipped: Calendar) -> None:
    assert not shipped.is_working_day(date(2026, 1, 1), MONDAY_TO_FRIDAY)  # a holiday (Thursday)
    assert shipped.is_working_day(date(2024, 5, 4), MONDAY_TO_FRIDAY)  # a transfer Saturday
    assert not shipped.is_working_day(date(2026, 4, 4), MONDAY_TO_FRIDAY)  # an ordinary Saturday
    assert shipped.is_working_day(date(2026, 4, 4), MONDAY_TO_SATURDAY)
    assert shipped.is_working_day(date(2026, 4, 6), MONDAY_TO_FRIDAY)  # an ordinary Monday
    assert not shipped.is_working_day(date(2026, 4, 6), frozenset({1, 2, 3}))


def test_a_year_not_covered_falls_back_to_weekdays(shipped: Calendar) -> None:
    new_year_2030 = date(2030, 1, 1)  # a Tuesday: the file does not know it is a holiday
    assert not shipped.covers(new_year_2030)
    assert shipped.is_working_day(new_year_2030, MONDAY_TO_FRIDAY)
    assert not shipped.is_working_day(date(2030, 1, 5), MONDAY_TO_FRIDAY)  # a Saturday


def test_the_calendar_is_read_only(shipped: Calendar) -> None:
    with pytest.raises(TypeError):
        shipped.days_off[date(2026, 4, 6)] = DayOff(date(2026, 4, 6), "x", "y")  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# What the parser rejects

DAY_OFF = "      - date: 2026-01-01\n        name: New Year\n        source: Law No. 267-II\n"
SATURDAY = "      - date: 2026-04-04\n        name: working Saturday\n        source: an order\n"


def year_text(days_off: str = DAY_OFF, working_days: str = "    working_days: []\n") -> str:
    return f"years:\n  2026:\n    days_off:\n{days_off}{working_days}"


def rejection(text: str) -> str:
    with pytest.raises(CalendarError) as caught:
        Calendar.parse(text, "test.yaml")
    assert caught.value.file == "test.yaml"
    message = str(caught.value)
    assert message.startswith("test.yaml: ")
    return message


def test_a_minimal_file_parses() -> None:
    calendar = Calendar.parse(year_text(working_days=f"    working_days:\n{SATURDAY}"))
    assert calendar.years == frozenset({2026})
    assert calendar.days_off[date(2026, 1, 1)] == DayOff(
        date(2026, 1, 1), "New Year", "Law No. 267-II"
    )
    assert set(calendar.working_days) == {date(2026, 4, 4)}
    assert calendar.provisional_days() == []


def test_flags_are_read() -> None:
    text = year_text(
        "      - date: 2026-05-27\n        name: Kurban Ait\n        religious: true\n"
        "        provisional: true\n        source: estimate\n"
    )
    entry = Calendar.parse(text).days_off[date(2026, 5, 27)]
    assert entry.religious and entry.provisional
    assert Calendar.parse(text).provisional_days() == [entry]


@pytest.mark.parametrize(
    ("text", "entry", "problem"),
    [
        ("", "(file)", "must be a mapping"),
        ("- 1\n- 2\n", "(file)", "must be a mapping"),
        ("years: [\n", "(file)", "not valid YAML"),
        ("years:\n  2026: {days_off: [], working_days: []}\nextra: 1\n", "(file)", "unknown key"),
        ("version: 1\n", "(file)", "unknown key"),
        ("years: {}\n", "years", "lists no year"),
        ("years: [2026]\n", "years", "must be a mapping"),
        ("years:\n  next: {days_off: [], working_days: []}\n", "years.'next'", "a year must"),
        ("years:\n  2026: {days_off: []}\n", "years.2026", "missing key(s) working_days"),
        (
            "years:\n  2026: {days_off: [], working_days: [], notes: x}\n",
            "years.2026",
            "unknown key(s) notes",
        ),
        ("years:\n  2026: {days_off: {}, working_days: []}\n", "years.2026.days_off", "a list"),
        ("years:\n  2026: {days_off: [], working_days: x}\n", "years.2026.working_days", "a list"),
    ],
)
def test_rejects_a_malformed_structure(text: str, entry: str, problem: str) -> None:
    message = rejection(text)
    assert f": {entry}: " in message
    assert problem in message


@pytest.mark.parametrize(
    ("days_off", "entry", "problem"),
    [
        # an unknown key
        (DAY_OFF + "        note: x\n", "days_off[0] (2026-01-01)", "unknown key(s) note"),
        # a missing name, a missing source
        (
            "      - date: 2026-01-01\n        source: s\n",
            "days_off[0] (2026-01-01)",
            "missing key(s) name",
        ),
        (
            "      - date: 2026-01-01\n        name: n\n",
            "days_off[0] (2026-01-01)",
            "missing key(s) source",
        ),
        ("      - name: n\n        source: s\n", "days_off[0]", "missing key(s) date"),
        # empty or non-text name and source
        ("      - date: 2026-01-01\n        name: ''\n        source: s\n", "(2026-01-01)", "name"),
        (
            "      - date: 2026-01-01\n        name: n\n        source: 7\n",
            "(2026-01-01)",
            "source",
        ),
        ("      - date: 2026-01-01\n        name: n\n        source:\n", "(2026-01-01)", "source"),
        # a date that is not a date
        ("      - date: 1 January\n        name: n\n        source: s\n", "[0]", "date must be"),
        (
            "      - date: 2026-02-30\n        name: n\n        source: s\n",
            "days_off[0].date",
            "'2026-02-30' is not a real date",
        ),
        ("      - date: 20260101\n        name: n\n        source: s\n", "[0]", "date must be"),
        (
            "      - date: 2026-01-01 10:00:00\n        name: n\n        source: s\n",
            "[0]",
            "date must be",
        ),
        # a date outside its year
        (
            "      - date: 2025-12-31\n        name: n\n        source: s\n",
            "days_off[0] (2025-12-31)",
            "not in 2026",
        ),
        # a flag that is not a boolean
        (DAY_OFF + "        religious: 'yes'\n", "(2026-01-01)", "religious must be true or false"),
        (DAY_OFF + "        provisional: 1\n", "(2026-01-01)", "provisional must be true or false"),
        # a duplicate date
        (DAY_OFF + DAY_OFF, "days_off[1] (2026-01-01)", "listed twice"),
        # an entry that is not a mapping
        ("      - 2026-01-01\n", "days_off[0]", "must be a mapping"),
    ],
)
def test_rejects_a_bad_day_off(days_off: str, entry: str, problem: str) -> None:
    message = rejection(year_text(days_off))
    assert "years.2026.days_off" in message
    assert entry in message
    assert problem in message


def test_rejects_a_working_day_that_is_not_a_weekend_day() -> None:
    monday = "      - date: 2026-04-06\n        name: n\n        source: s\n"
    message = rejection(year_text(working_days=f"    working_days:\n{monday}"))
    assert "years.2026.working_days (2026-04-06)" in message
    assert "Saturday or Sunday, not a Monday" in message


def test_rejects_a_date_both_off_and_working() -> None:
    saturday_off = "      - date: 2026-04-04\n        name: n\n        source: s\n"
    text = year_text(DAY_OFF + saturday_off, f"    working_days:\n{SATURDAY}")
    message = rejection(text)
    assert "years.2026.working_days (2026-04-04)" in message
    assert "also in days_off" in message


def test_rejects_a_duplicate_working_day() -> None:
    message = rejection(year_text(working_days=f"    working_days:\n{SATURDAY}{SATURDAY}"))
    assert "years.2026.working_days[1] (2026-04-04)" in message
    assert "listed twice" in message


def test_rejects_a_religious_working_day() -> None:
    message = rejection(
        year_text(working_days=f"    working_days:\n{SATURDAY}        religious: true\n")
    )
    assert "unknown key(s) religious" in message


def test_rejects_a_repeated_year() -> None:
    year = "  2026: {days_off: [], working_days: []}\n"
    text = f"years:\n{year}{year}"
    message = rejection(text)
    assert "years" in message
    assert "'2026' is repeated" in message


def test_rejects_a_repeated_key_in_an_entry() -> None:
    message = rejection(year_text(DAY_OFF + "        name: Another\n"))
    assert "years.2026.days_off[0]" in message
    assert "'name' is repeated" in message
