"""Offices where people apply in person: career centres (мансап орталығы / карьерный центр)
and, in villages, the akim's office (Social Code art. 126 p.3). Staff manage them as data
(`komek offices import`); this module checks one record, whatever file it came from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from core.regions import REGIONS

KINDS = ("career_centre", "akim")
LANGUAGES = ("kk", "ru", "en")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIELDS = frozenset(
    {
        "id",
        "region",
        "kind",
        "name",
        "address",
        "phone",
        "days",
        "hours",
        "lunch",
        "slot_minutes",
        "seats",
        "min_notice_hours",
        "horizon_days",
        "example",
    }
)
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PHONE = re.compile(r"^\+?[0-9 ()-]{5,24}$")
SPAN = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])\s*-\s*([01][0-9]|2[0-3]):([0-5][0-9])$")


class OfficeError(ValueError):
    """A record that cannot be an office; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Office:
    id: str
    region: str
    kind: str
    name: Mapping[str, str]  # kk, ru, en
    address: Mapping[str, str]
    phone: str
    weekdays: frozenset[int]  # 0 = Monday
    opens: time
    closes: time
    lunch: tuple[time, time] | None
    slot_minutes: int
    seats: int  # people seen at once in one slot
    min_notice_hours: int
    horizon_days: int
    example: bool = False  # from the shipped example file: not a real office

    def hours_text(self) -> str:
        days = ",".join(WEEKDAYS[d] for d in sorted(self.weekdays))
        lunch = "" if self.lunch is None else f", lunch {self.lunch[0]:%H:%M}-{self.lunch[1]:%H:%M}"
        return f"{days} {self.opens:%H:%M}-{self.closes:%H:%M}{lunch}"

    def to_record(self) -> dict[str, Any]:
        """The record `parse_office` reads (and the database stores)."""
        return {
            "id": self.id,
            "region": self.region,
            "kind": self.kind,
            "name": dict(self.name),
            "address": dict(self.address),
            "phone": self.phone,
            "days": [WEEKDAYS[d] for d in sorted(self.weekdays)],
            "hours": f"{self.opens:%H:%M}-{self.closes:%H:%M}",
            "lunch": None if self.lunch is None else f"{self.lunch[0]:%H:%M}-{self.lunch[1]:%H:%M}",
            "slot_minutes": self.slot_minutes,
            "seats": self.seats,
            "min_notice_hours": self.min_notice_hours,
            "horizon_days": self.horizon_days,
            "example": self.example,
        }


def parse_office(record: Mapping[str, Any]) -> Office:
    unknown = set(record) - FIELDS
    if unknown:
        raise OfficeError(f"unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    office_id = _text(record, "id", 40)
    if not ID.match(office_id):
        raise OfficeError("id: lower-case letters, digits and '-', at most 40")
    region = _text(record, "region", 40)
    if region not in REGIONS:
        raise OfficeError(f"region: {region!r} is not one of {', '.join(REGIONS)}")
    kind = _text(record, "kind", 20) if record.get("kind") is not None else "career_centre"
    if kind not in KINDS:
        raise OfficeError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    phone = _text(record, "phone", 24)
    if not PHONE.match(phone):
        raise OfficeError(f"phone: {phone!r} is not a phone number")
    opens, closes = _span(record, "hours", required=True)
    lunch = _span(record, "lunch", required=False) if record.get("lunch") else None
    if lunch is not None and not (opens < lunch[0] and lunch[1] < closes):
        raise OfficeError("lunch: must lie inside the working hours")
    example = record.get("example", False)
    if not isinstance(example, bool):
        raise OfficeError("example: true or false")
    return Office(
        id=office_id,
        region=region,
        kind=kind,
        name=_languages(record, "name", 120),
        address=_languages(record, "address", 200),
        phone=phone,
        weekdays=_weekdays(record.get("days")),
        opens=opens,
        closes=closes,
        lunch=lunch,
        slot_minutes=_number(record, "slot_minutes", 5, 240),
        seats=_number(record, "seats", 1, 50),
        min_notice_hours=_number(record, "min_notice_hours", 0, 240),
        horizon_days=_number(record, "horizon_days", 1, 90),
        example=example,
    )


def _text(record: Mapping[str, Any], field: str, limit: int) -> str:
    value = record.get(field)
    if not isinstance(value, str) or not value.strip():
        raise OfficeError(f"{field}: required text")
    value = value.strip()
    if len(value) > limit:
        raise OfficeError(f"{field}: longer than {limit} characters")
    return value


def _languages(record: Mapping[str, Any], field: str, limit: int) -> dict[str, str]:
    value = record.get(field)
    if not isinstance(value, Mapping) or set(value) != set(LANGUAGES):
        raise OfficeError(f"{field}: needs kk, ru and en")
    return {language: _text(value, language, limit) for language in LANGUAGES}


def _span(record: Mapping[str, Any], field: str, *, required: bool) -> tuple[time, time]:
    value = record.get(field)
    if not isinstance(value, str):
        raise OfficeError(f"{field}: {'required, ' if required else ''}like 09:00-18:00")
    found = SPAN.match(value.strip())
    if found is None:
        raise OfficeError(f"{field}: {value!r} is not like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = time(h1, m1), time(h2, m2)
    if end <= start:
        raise OfficeError(f"{field}: ends before it starts")
    return start, end


def _weekdays(value: Any) -> frozenset[int]:
    if isinstance(value, str):
        value = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if not isinstance(value, list) or not value:
        raise OfficeError("days: a list such as [mon, tue, wed, thu, fri]")
    days: set[int] = set()
    for item in value:
        word = str(item).strip().lower()
        if "-" in word:
            first, _, last = word.partition("-")
            if first not in WEEKDAYS or last not in WEEKDAYS:
                raise OfficeError(f"days: {item!r} is not a range like mon-fri")
            days.update(range(WEEKDAYS.index(first), WEEKDAYS.index(last) + 1))
        elif word in WEEKDAYS:
            days.add(WEEKDAYS.index(word))
        else:
            raise OfficeError(f"days: {item!r} is not one of {', '.join(WEEKDAYS)}")
    return frozenset(days)


def _number(record: Mapping[str, Any], field: str, low: int, high: int) -> int:
    value = record.get(field)
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OfficeError(f"{field}: a whole number from {low} to {high}")
    return value
