"""Kazakhstan's public holidays and days off, parsed from YAML text (`core/holidays.yaml`).

Appointment slots skip the days a career centre is closed: holidays, the weekdays a holiday on a
weekend moves the day off to, and weekdays freed by a transfer order; a transfer also makes a
weekend day a working day. This module only parses text it is given (reading the file is the
caller's job) and is strict: anything malformed is a `CalendarError` naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import yaml

_TOP_KEYS = frozenset({"years"})
_YEAR_KEYS = frozenset({"days_off", "working_days"})
_DAY_OFF_KEYS = frozenset({"date", "name", "source", "religious", "provisional"})
_WORKING_DAY_KEYS = frozenset({"date", "name", "source", "provisional"})
_WEEKEND = frozenset({5, 6})
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class CalendarError(ValueError):
    """A holiday file that is malformed: the message names the file and the offending entry."""

    def __init__(self, file: str, entry: str, problem: str) -> None:
        super().__init__(f"{file}: {entry}: {problem}")
        self.file = file
        self.entry = entry
        self.problem = problem


@dataclass(frozen=True, slots=True)
class DayOff:
    """One dated entry: a day off (holiday or moved day off), or a weekend day made working."""

    day: date
    name: str
    source: str
    religious: bool = False
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class Calendar:
    years: frozenset[int]
    days_off: Mapping[date, DayOff]
    working_days: Mapping[date, DayOff]  # weekend days made working by a transfer

    @classmethod
    def parse(cls, text: str, name: str = "holidays.yaml") -> Calendar:
        return _Parser(name).calendar(text)

    def covers(self, day: date) -> bool:
        """Whether the file lists the year of `day` (outside it, only the weekday rule is known)."""
        return day.year in self.years

    def is_working_day(self, day: date, weekdays: frozenset[int]) -> bool:
        """Whether an office working on `weekdays` (0 = Monday ... 6 = Sunday) is open on `day`.

        A day off is never working; a weekend day made working by a transfer always is; otherwise
        the office's weekdays decide. A year the file does not cover gets the weekday rule alone:
        callers check `covers` first.
        """
        if day in self.days_off:
            return False
        if day in self.working_days:
            return True
        return day.weekday() in weekdays

    def provisional_days(self) -> list[DayOff]:
        """Every entry still to be confirmed, in date order."""
        entries = [*self.days_off.values(), *self.working_days.values()]
        return sorted((e for e in entries if e.provisional), key=lambda e: e.day)


class _Parser:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, entry: str, problem: str) -> CalendarError:
        return CalendarError(self.file, entry, problem)

    def calendar(self, text: str) -> Calendar:
        data = self.load(text)
        top = self.mapping(data, "(file)")
        self.keys(top, "(file)", _TOP_KEYS, _TOP_KEYS)
        years_node = self.mapping(top["years"], "years")
        if not years_node:
            raise self.fail("years", "lists no year")
        years: set[int] = set()
        days_off: dict[date, DayOff] = {}
        working_days: dict[date, DayOff] = {}
        for year, body in years_node.items():
            if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 9999:
                raise self.fail(f"years.{year!r}", "a year must be a number such as 2026")
            where = f"years.{year}"
            block = self.mapping(body, where)
            self.keys(block, where, _YEAR_KEYS, _YEAR_KEYS)
            years.add(year)
            for entry in self.entries(block["days_off"], year, f"{where}.days_off", _DAY_OFF_KEYS):
                days_off[entry.day] = entry
            for entry in self.entries(
                block["working_days"], year, f"{where}.working_days", _WORKING_DAY_KEYS
            ):
                if entry.day.weekday() not in _WEEKEND:
                    raise self.fail(
                        f"{where}.working_days ({entry.day})",
                        f"a working day made by a transfer must be a Saturday or Sunday, "
                        f"not a {entry.day:%A}",
                    )
                if entry.day in days_off:
                    raise self.fail(
                        f"{where}.working_days ({entry.day})", "the date is also in days_off"
                    )
                working_days[entry.day] = entry
        return Calendar(
            years=frozenset(years),
            days_off=MappingProxyType(dict(sorted(days_off.items()))),
            working_days=MappingProxyType(dict(sorted(working_days.items()))),
        )

    def load(self, text: str) -> Any:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            raise self.fail("(file)", f"not valid YAML: {error}") from error
        if root is None:
            return None
        self.check_nodes(root, "(file)")
        return yaml.safe_load(text)

    def check_nodes(self, node: yaml.Node, where: str) -> None:
        """What safe_load would hide or fail on without saying where: a repeated mapping key (it
        keeps the last one) and a date-like value that is no real date (2026-02-30)."""
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                label = str(key.value)
                if label in seen:
                    raise self.fail(where, f"the key {label!r} is repeated")
                seen.add(label)
                self.check_nodes(value, label if where == "(file)" else f"{where}.{label}")
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.check_nodes(item, f"{where}[{index}]")
        elif isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP:
            try:
                yaml.SafeLoader("").construct_yaml_timestamp(node)
            except ValueError as error:
                raise self.fail(where, f"{node.value!r} is not a real date ({error})") from error

    def mapping(self, value: Any, where: str) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a mapping, not {_kind(value)}")
        return value

    def keys(
        self, value: dict[Any, Any], where: str, allowed: frozenset[str], required: frozenset[str]
    ) -> None:
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}")
        missing = sorted(required - value.keys())
        if missing:
            raise self.fail(where, f"missing key(s) {', '.join(missing)}")

    def entries(self, value: Any, year: int, where: str, allowed: frozenset[str]) -> list[DayOff]:
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list (may be []), not {_kind(value)}")
        seen: set[date] = set()
        result: list[DayOff] = []
        for index, item in enumerate(value):
            entry = self.entry(item, year, f"{where}[{index}]", allowed)
            if entry.day in seen:
                raise self.fail(f"{where}[{index}] ({entry.day})", "the date is listed twice")
            seen.add(entry.day)
            result.append(entry)
        return result

    def entry(self, value: Any, year: int, where: str, allowed: frozenset[str]) -> DayOff:
        item = self.mapping(value, where)
        day = item.get("date")
        if day is not None and isinstance(day, date) and not isinstance(day, datetime):
            where = f"{where} ({day})"
        self.keys(item, where, allowed, frozenset({"date", "name", "source"}))
        if not isinstance(day, date) or isinstance(day, datetime):
            raise self.fail(where, f"date must be a date such as {year}-01-01, not {_kind(day)}")
        if day.year != year:
            raise self.fail(where, f"the date is not in {year}")
        return DayOff(
            day=day,
            name=self.text(item["name"], where, "name"),
            source=self.text(item["source"], where, "source"),
            religious=self.flag(item.get("religious", False), where, "religious"),
            provisional=self.flag(item.get("provisional", False), where, "provisional"),
        )

    def text(self, value: Any, where: str, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"{key} must be non-empty text, not {_kind(value)}")
        return value.strip()

    def flag(self, value: Any, where: str, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"{key} must be true or false, not {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool | int | float | date):
        return f"{type(value).__name__} {value!r}"
    return f"a {type(value).__name__}"
