"""Calendar arithmetic the rules need: quarters, whole months, ages."""

from datetime import date


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_start(day: date) -> date:
    return date(day.year, 3 * (quarter_of(day) - 1) + 1, 1)


def quarter_end(day: date) -> date:
    start = quarter_start(day)
    nxt = add_months(start, 3)
    return date.fromordinal(nxt.toordinal() - 1)


def previous_quarter_start(day: date) -> date:
    return add_months(quarter_start(day), -3)


def quarter_label(day: date) -> str:
    """`2026-Q1`: how quarters are named in parameter files and messages."""
    return f"{day.year}-Q{quarter_of(day)}"


def months_to_quarter_end(day: date) -> int:
    """Months from the month of `day` to the end of its quarter, that month included (3, 2 or 1)."""
    return 3 - (day.month - 1) % 3


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the last day of the month when that day does not exist."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def age_in_months(birth: date, on: date) -> int:
    """Whole months of life completed on `on`; born on the 31st, a month older at a shorter
    month's end."""
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    if add_months(birth, months) > on:
        months -= 1
    return months


def age_in_years(birth: date, on: date) -> int:
    return age_in_months(birth, on) // 12
