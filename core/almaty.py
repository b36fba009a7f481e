"""Time in Kazakhstan: one zone for the whole country, Asia/Almaty.

Kazakhstan moved to UTC+5 at 00:00 on 1 March 2024 (clocks turned back one hour; Government
decree No. 1106 of 8 December 2023). Before that Almaty, Astana and the east kept UTC+6. There is
no daylight saving time. Offices' wall-clock hours are read in the zone in force on that date;
the rule is written here rather than taken from the machine's tz database, which may be older
than the change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

BEFORE = timezone(timedelta(hours=6), "+06")
SINCE = timezone(timedelta(hours=5), "+05")
CHANGE_DAY = date(2024, 3, 1)
CHANGE_INSTANT = datetime(2024, 2, 29, 18, 0, tzinfo=UTC)  # 2024-03-01 00:00 at +06


def zone_on(day: date) -> timezone:
    """The offset of wall-clock times on `day`."""
    return SINCE if day >= CHANGE_DAY else BEFORE


def wall(day: date, at: time) -> datetime:
    """`at` o'clock on `day` in Kazakhstan, as an aware datetime."""
    return datetime.combine(day, at, zone_on(day))


def local(instant: datetime) -> datetime:
    """An aware instant as Kazakhstan's wall clock showed it."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no place in time")
    return instant.astimezone(SINCE if instant >= CHANGE_INSTANT else BEFORE)


def local_day(instant: datetime) -> date:
    return local(instant).date()
