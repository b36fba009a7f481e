"""The household as the assessment contract describes it, and its validation.

`parse_household` turns the JSON object of `komek assess` (DESIGN.md §2) into typed values or
raises `InputError` naming the field and what is allowed. It never fills a fact in by guessing:
optional fields have the neutral default the contract gives them, nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core.dates import age_in_months
from core.errors import InputError
from core.regions import REGIONS

# Members, households and the results built from them are plain slotted dataclasses rather than
# frozen ones: a frozen dataclass sets each field through object.__setattr__, which made building
# them a third of an assessment's time. Nothing changes them after they are built.

SEXES = ("female", "male")
ABSENCES = ("conscript", "prison", "state_care", "works_away", "studies_away")
# Kinds of income a member's `income` may name (an object of kind -> monthly amount); each is
# counted as core/parameters/income_kinds.yaml says for the date.
INCOME_KINDS = (
    "wages",
    "pension",
    "allowances",
    "large_family_allowance",
    "child_disability_allowance",
    "alimony",
    "stipend",
    "farm",
    "other",
)
MAX_MEMBERS = 40
MAX_AGE = 130

PROPERTY_FIELDS = frozenset(
    {
        "dwellings",
        "dwellings_area_m2",
        "passenger_cars",
        "commercial_premises",
        "izhs_land_plot",
        "commercial_vehicles",
    }
)
HOUSEHOLD_FIELDS = frozenset(
    {
        "date",
        "region",
        "members",
        "property",
        "non_mortgage_loans",
        "refused_employment_measures_on",
        "contract_terminated_on",
        "false_information_on",
        "poverty_line",
    }
)
_BOOL_FIELDS = (
    "child_disability",
    "long_illness",
    "needs_outside_care",
    "student_full_time",
    "permanent_job",
    "suspended_entrepreneur",
)


@dataclass(slots=True)  # a record: never changed after it is built
class Member:
    index: int
    age: int
    age_months: int | None  # exact, when a birth date was given
    sex: str | None
    disability_group: int
    child_disability: bool
    long_illness: bool
    needs_outside_care: bool
    student_full_time: bool
    permanent_job: bool
    suspended_entrepreneur: bool
    cares_for: tuple[int, ...]
    absence: str | None
    income: Decimal  # countable income not named by kind
    birth_date: date | None
    incomes: tuple[tuple[str, Decimal], ...] = ()  # income named by kind, counted per the date


@dataclass(slots=True)  # a record: never changed after it is built
class Property:
    dwellings: int = 0
    dwellings_area_m2: Decimal = Decimal(0)
    passenger_cars: int = 0
    commercial_premises: bool = False
    izhs_land_plot: bool = False
    commercial_vehicles: bool = False


@dataclass(slots=True)  # a record: never changed after it is built
class Household:
    date: dt.date
    region: str
    members: tuple[Member, ...]
    property: Property
    non_mortgage_loans: Decimal
    refused_employment_measures_on: dt.date | None
    contract_terminated_on: dt.date | None
    false_information_on: dt.date | None
    poverty_line: Decimal | None
    named_income: bool = False  # some member's income is named by kind


MEMBER_FIELDS = frozenset(
    (
        "age",
        "birth_date",
        "sex",
        "disability_group",
        *_BOOL_FIELDS,
        "cares_for",
        "absence",
        "income",
    )
)


_NO_PROPERTY = Property()
_NO_FLAGS = [False] * len(_BOOL_FIELDS)
_REGION_SET = frozenset(REGIONS)
_MAX_AMOUNT_INT = 10**12
_ZERO = Decimal(0)


def _unknown(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            shown = str(key) if str(key) else '""'
            name = f"{where}.{shown}" if where else shown
            raise InputError(name, f"unknown field; allowed: {', '.join(sorted(allowed))}")


def _date(raw: Any, field: str) -> date:
    if not isinstance(raw, str):
        raise InputError(field, f"must be a date written YYYY-MM-DD, got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InputError(field, f"must be a date written YYYY-MM-DD, got {raw!r}") from None


def _optional_date(raw: Any, field: str, not_after: date) -> date | None:
    if raw is None:
        return None
    day = _date(raw, field)
    if day > not_after:
        raise InputError(field, f"must not be after the application date {not_after}, got {day}")
    return day


def _bool(raw: Any, field: str) -> bool:
    if raw is True or raw is False:
        return raw
    raise InputError(field, f"must be true or false, got {raw!r}")


def _whole(raw: Any, field: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise InputError(field, f"must be a whole number from {low} to {high}, got {raw!r}")
    return raw


def _amount(raw: Any, field: str, *, positive: bool = False) -> Decimal:
    if type(raw) is float and 0 < raw <= 1e12:  # the common case, checked at once
        return Decimal(repr(raw))
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise InputError(field, f"must be a number of tenge, got {raw!r}")
    try:
        value = (
            raw if isinstance(raw, Decimal) else Decimal(raw if isinstance(raw, int) else repr(raw))
        )
    except InvalidOperation:  # pragma: no cover - repr of a float is always a number
        raise InputError(field, f"must be a number of tenge, got {raw!r}") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        low = "more than 0" if positive else "0 or more"
        raise InputError(field, f"must be a number of tenge, {low}, got {raw!r}")
    if value > Decimal("1e12"):
        raise InputError(field, f"must be at most 1 000 000 000 000 tenge, got {raw!r}")
    return value


def _member(raw: Any, index: int, count: int, on: date) -> Member:
    # On the batch path: the common, valid values are checked inline and the field names of
    # error messages are only built when a value is refused.
    if type(raw) is not dict:
        raise InputError(f"members[{index}]", "must be an object describing one person")
    if not raw.keys() <= MEMBER_FIELDS:
        _unknown(raw, MEMBER_FIELDS, f"members[{index}]")
    get = raw.get
    age_raw, birth_raw, sex, group = (
        get("age"),
        get("birth_date"),
        get("sex"),
        get("disability_group"),
    )
    cares_raw, absence, income_raw = get("cares_for"), get("absence"), get("income")

    birth: date | None = None
    age_months: int | None = None
    if birth_raw is not None:
        where = f"members[{index}]"
        birth = _date(birth_raw, f"{where}.birth_date")
        if birth > on:
            raise InputError(f"{where}.birth_date", f"must not be after the date {on}, got {birth}")
        age_months = age_in_months(birth, on)
        if age_months // 12 > MAX_AGE:
            raise InputError(f"{where}.birth_date", f"gives an age over {MAX_AGE}, got {birth}")
    if age_raw is None:
        if age_months is None:
            raise InputError(
                f"members[{index}].age", "required (whole years on the date), or birth_date"
            )
        age = age_months // 12
    else:
        if type(age_raw) is int and 0 <= age_raw <= MAX_AGE:
            age = age_raw
        else:
            age = _whole(age_raw, f"members[{index}].age", 0, MAX_AGE)
        if age_months is not None and age != age_months // 12:
            raise InputError(
                f"members[{index}].age",
                f"is {age} but birth_date {birth} gives {age_months // 12} on {on}; "
                "give one of them",
            )

    if sex is not None and sex not in SEXES:
        raise InputError(f"members[{index}].sex", f"must be female or male, got {sex!r}")

    if group is None:
        group = 0
    elif not (type(group) is int and 0 <= group <= 3):
        group = _whole(group, f"members[{index}].disability_group", 0, 3)

    if raw.keys().isdisjoint(_BOOL_FIELDS):  # most people are described without them
        flags = _NO_FLAGS
    else:
        flags = [_member_flag(get(name), index, name) for name in _BOOL_FIELDS]
    child_disability = flags[0]
    if child_disability and age >= 18:
        raise InputError(
            f"members[{index}].child_disability",
            f"is for members under 18; for age {age} use disability_group 1, 2 or 3",
        )

    cares: tuple[int, ...] = ()
    if cares_raw:
        cares = _cares_for(cares_raw, index, count)
    elif cares_raw is not None and type(cares_raw) is not list:
        raise InputError(
            f"members[{index}].cares_for", "must be a list of member indexes, e.g. [1]"
        )

    if absence is not None and absence not in ABSENCES:
        raise InputError(
            f"members[{index}].absence",
            f"must be null or one of {', '.join(ABSENCES)}, got {absence!r}",
        )

    incomes: tuple[tuple[str, Decimal], ...] = ()
    if income_raw is None:
        income = _ZERO
    elif type(income_raw) is int and 0 <= income_raw <= _MAX_AMOUNT_INT:
        income = Decimal(income_raw)
    elif type(income_raw) is dict:
        income = _ZERO
        incomes = _income_kinds(income_raw, index)
    else:
        income = _amount(income_raw, f"members[{index}].income")

    return Member(
        index,
        age,
        age_months,
        sex,
        group,
        child_disability,
        flags[1],
        flags[2],
        flags[3],
        flags[4],
        flags[5],
        cares,
        absence,
        income,
        birth,
        incomes,
    )


def _income_kinds(raw: dict[Any, Any], index: int) -> tuple[tuple[str, Decimal], ...]:
    where = f"members[{index}].income"
    kinds: list[tuple[str, Decimal]] = []
    for kind, amount in raw.items():
        if kind not in INCOME_KINDS:
            shown = str(kind) if str(kind) else '""'
            raise InputError(
                f"{where}.{shown}",
                f"unknown kind of income; allowed: {', '.join(INCOME_KINDS)} "
                "(or give income as one number)",
            )
        kinds.append((kind, _amount(amount, f"{where}.{kind}")))
    return tuple(kinds)


def _member_flag(value: Any, index: int, name: str) -> bool:
    if value is None:
        return False
    if value is True or value is False:
        return value
    return _bool(value, f"members[{index}].{name}")


def _cares_for(raw: Any, index: int, count: int) -> tuple[int, ...]:
    if (  # the common case: [1] or [2, 3]
        type(raw) is list
        and all(type(t) is int and 0 <= t < count and t != index for t in raw)
        and len(set(raw)) == len(raw)
    ):
        return tuple(raw)
    where = f"members[{index}].cares_for"
    if not isinstance(raw, list):
        raise InputError(where, "must be a list of member indexes, e.g. [1, 2]")
    cares: list[int] = []
    for position, raw_target in enumerate(raw):
        field = f"{where}[{position}]"
        target = _whole(raw_target, field, 0, count - 1)
        if target == index:
            raise InputError(field, "a member cannot care for themselves")
        if target in cares:
            raise InputError(field, f"member {target} is listed twice")
        cares.append(target)
    return tuple(cares)


def _property(raw: Any) -> Property:
    if raw is None:
        return _NO_PROPERTY
    if not isinstance(raw, dict):
        raise InputError("property", "must be an object (dwellings, passenger_cars, ...)")
    _unknown(raw, PROPERTY_FIELDS, "property")
    get = raw.get
    area_raw = get("dwellings_area_m2")
    area = _ZERO if area_raw is None else _amount(area_raw, "property.dwellings_area_m2")
    return Property(
        _property_count(get("dwellings"), "dwellings"),
        area,
        _property_count(get("passenger_cars"), "passenger_cars"),
        _property_flag(get("commercial_premises"), "commercial_premises"),
        _property_flag(get("izhs_land_plot"), "izhs_land_plot"),
        _property_flag(get("commercial_vehicles"), "commercial_vehicles"),
    )


def _property_count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if type(value) is int and 0 <= value <= 1000:
        return value
    return _whole(value, f"property.{name}", 0, 1000)


def _property_flag(value: Any, name: str) -> bool:
    if value is None:
        return False
    if value is True or value is False:
        return value
    return _bool(value, f"property.{name}")


def parse_household(data: Any) -> Household:
    """Validate one household of the `komek assess` contract; InputError on the first fault."""
    if not isinstance(data, dict):
        raise InputError("household", "must be a JSON object with date, region and members")
    if not data.keys() <= HOUSEHOLD_FIELDS:
        _unknown(data, HOUSEHOLD_FIELDS, "")
    if "date" not in data:
        raise InputError("date", "required: the application date, YYYY-MM-DD")
    on = _date(data["date"], "date")
    if not 2000 <= on.year <= 2100:
        raise InputError("date", f"must be a year from 2000 to 2100, got {on}")
    region = data.get("region")
    if type(region) is not str or region not in _REGION_SET:
        raise InputError("region", f"must be one of {', '.join(REGIONS)}, got {region!r}")
    raw_members = data.get("members")
    if not isinstance(raw_members, list) or not raw_members:
        raise InputError("members", "required: a non-empty list of the people in the household")
    if len(raw_members) > MAX_MEMBERS:
        raise InputError("members", f"at most {MAX_MEMBERS} people, got {len(raw_members)}")
    count = len(raw_members)
    members = tuple([_member(raw, i, count, on) for i, raw in enumerate(raw_members)])

    loans_raw = data.get("non_mortgage_loans")
    loans = _ZERO if not loans_raw else _amount(loans_raw, "non_mortgage_loans")
    line_raw = data.get("poverty_line")
    line = None if line_raw is None else _amount(line_raw, "poverty_line", positive=True)
    return Household(
        date=on,
        region=region,
        members=members,
        property=_property(data.get("property")),
        non_mortgage_loans=loans,
        refused_employment_measures_on=_optional_date(
            data.get("refused_employment_measures_on"), "refused_employment_measures_on", on
        ),
        contract_terminated_on=_optional_date(
            data.get("contract_terminated_on"), "contract_terminated_on", on
        ),
        false_information_on=_optional_date(
            data.get("false_information_on"), "false_information_on", on
        ),
        poverty_line=line,
        named_income=any(m.incomes for m in members),
    )
