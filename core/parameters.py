"""Dated parameters of the law, parsed from YAML text (OpenFisca style) into typed values.

Every number the rules use lives in a file under `core/parameters/`: `values:` keyed by the date a
value comes into force, each with a `reference` (title and URL); `null` ends a value. This module
only parses text it is given: reading the files is `bot/`'s job, which keeps the core free of I/O.
A malformed file is rejected with a message naming the file; a lookup on a date no value covers
raises a `ParameterError` naming the file too.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import yaml

from core.dates import quarter_start
from core.errors import ParameterError
from core.household import INCOME_KINDS
from core.reasons import INCOME_DOUBT_FLAGS
from core.regions import REGIONS

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Typed values


@dataclass(frozen=True, slots=True)
class Reference:
    title: str
    url: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """One value of a parameter, in force from `start` until the next entry's start."""

    start: date
    value: T | None
    references: tuple[Reference, ...]

    @property
    def unverified(self) -> bool:
        """No reference vouches for the value without a reservation: each carries a note (a
        source cut off, a value the domain spec marks unverified, one taken from elsewhere)."""
        return bool(self.references) and all(ref.note for ref in self.references)


@dataclass(frozen=True, slots=True)
class PovertyLineRule:
    """Shares of the regional ПМ and median income (previous quarter), and a budget-law ПМ floor."""

    subsistence_share: Decimal
    median_share: Decimal | None
    budget_floor_share: Decimal | None
    provisional: bool


ESTIMATE_BASES = ("regional", "regional_scaled", "national", "budget_law")


@dataclass(frozen=True, slots=True)
class EstimateRule:
    """How far the real poverty line may lie from the core's estimate, by what the estimate rests
    on: shares below and above (`margins`), more room above for each quarter the statistics are
    older than the income quarter and, since 2025, for the median-income part of the rule; and
    how many quarters back a published line still bounds the estimate from below."""

    margins: Mapping[str, tuple[Decimal, Decimal]]
    stale_quarter_above: Decimal
    median_above: Decimal
    published_window_quarters: int


@dataclass(frozen=True, slots=True)
class IncomeKind:
    """Whether a kind of income counts towards total income on a date, and whether that is in
    doubt (tsa-rules §7.2: the current rules, order No. 181, were not retrieved)."""

    counted: bool
    doubtful: bool


@dataclass(frozen=True, slots=True)
class PensionAge:
    female_months: int
    male_months: int

    def months(self, sex: str) -> int:
        return self.female_months if sex == "female" else self.male_months


@dataclass(frozen=True, slots=True)
class LargeFamilyRule:
    """`student_age_limit`: full-time students after 18 count until they reach it; None when the
    law in force is not known to count them, and then `students_doubtful_under_age` names the
    limit that may have applied (flagged where it would change the allowance)."""

    in_force: bool
    coefficients: Mapping[int, Decimal] = field(default_factory=dict)
    per_child_from: int = 0
    per_child_coefficient: Decimal = Decimal(0)
    student_age_limit: int | None = None
    students_doubtful_under_age: int | None = None


@dataclass(frozen=True, slots=True)
class ChildPaymentRule:
    in_force: bool
    mrp_multiple: Decimal = Decimal(0)
    min_age: int = 0
    max_age: int = -1


@dataclass(frozen=True, slots=True)
class SocialPackageRule:
    in_force: bool
    min_age: int = 0
    max_age: int = -1


@dataclass(frozen=True, slots=True)
class PropertyRule:
    dwelling_area_per_member_m2: Decimal
    max_passenger_cars: int
    social_code: bool


@dataclass(frozen=True, slots=True)
class LoanRule:
    counted: bool
    months_divisor: int = 3
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class CarerRule:
    child_under_age: int
    elderly_over_age: int
    provisional: bool


@dataclass(frozen=True, slots=True)
class AssignmentRule:
    quarterly: bool
    unconditional_months: int = 0
    conditional_months: int = 0
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class AmountRule:
    method: str  # "per_member" or "adults_plus_fixed_per_child"
    child_amount: Decimal = Decimal(0)
    child_under_age: int = 0
    student_under_age: int = 0


# --------------------------------------------------------------------------------------------
# One parameter: its entries and the lookup by date


class Parameter(Generic[T]):
    def __init__(
        self, file: str, description: str, review_by: date | None, entries: list[Entry[T]]
    ) -> None:
        self.file = file
        self.description = description
        self.review_by = review_by
        self.entries = sorted(entries, key=lambda e: e.start)
        self._starts = [e.start for e in self.entries]

    def entry_at(self, day: date) -> Entry[T]:
        """The entry in force on `day`: the newest whose start is on or before it."""
        index = bisect.bisect_right(self._starts, day) - 1
        if index < 0:
            raise ParameterError(
                self.file, f"no value in force on {day}: the first value starts {self._starts[0]}"
            )
        entry = self.entries[index]
        if entry.value is None:
            raise ParameterError(self.file, f"no value in force on {day}: ended {entry.start}")
        return entry

    def entry_starting(self, start: date) -> Entry[T] | None:
        """The value that starts exactly on `start`, if any (quarterly tables)."""
        index = bisect.bisect_left(self._starts, start)
        if index < len(self.entries) and self._starts[index] == start:
            entry = self.entries[index]
            return entry if entry.value is not None else None
        return None

    def at(self, day: date) -> T:
        value = self.entry_at(day).value
        assert value is not None  # entry_at never returns an ended entry
        return value

    def past_review(self, day: date) -> bool:
        return self.review_by is not None and day > self.review_by

    def entry_or_none(self, day: date) -> Entry[T] | None:
        """The newest entry started on or before `day` that holds a value, or None: for tables of
        observations, where a date before the first one is not an error."""
        index = bisect.bisect_right(self._starts, day) - 1
        if index < 0 or self.entries[index].value is None:
            return None
        return self.entries[index]


# --------------------------------------------------------------------------------------------
# Parsing helpers: each raises ValueError with a message; the loader adds the file name.


def _decimal(raw: Any, what: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"{what} must be a number, got {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ValueError(f"{what} must be a number, got {raw!r}") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a non-negative number, got {raw!r}")
    return value


def _int(raw: Any, what: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"{what} must be a non-negative whole number, got {raw!r}")
    return raw


def _bool(raw: Any, what: str) -> bool:
    if not isinstance(raw, bool):
        raise ValueError(f"{what} must be true or false, got {raw!r}")
    return raw


def _fields(
    raw: Any, required: set[str], optional: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"value must be a mapping with keys {sorted(required | optional)}")
    unknown = set(raw) - required - optional
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(map(str, unknown))} in value")
    missing = required - set(raw)
    if missing:
        raise ValueError(f"missing key(s) {sorted(missing)} in value")
    return raw


def _switched(raw: Any, switch: str, keys: set[str], alone: bool) -> dict[str, Any] | None:
    """A value that is either `switch: <alone>` by itself (None), or the switch with every one of
    `keys` (the fields, checked)."""
    f = _fields(raw, {switch}, keys)
    if _bool(f[switch], switch) is alone:
        if set(f) != {switch}:
            raise ValueError(f"a value with {switch}: {str(alone).lower()} takes no other key")
        return None
    return _fields(raw, {switch} | keys)


def _optional_decimal(raw: Any, what: str) -> Decimal | None:
    return None if raw is None else _decimal(raw, what)


def _money(raw: Any) -> Decimal:
    return _decimal(raw, "value")


def _poverty_line_rule(raw: Any) -> PovertyLineRule:
    f = _fields(raw, {"subsistence_share", "median_share", "budget_floor_share", "provisional"})
    return PovertyLineRule(
        subsistence_share=_decimal(f["subsistence_share"], "subsistence_share"),
        median_share=_optional_decimal(f["median_share"], "median_share"),
        budget_floor_share=_optional_decimal(f["budget_floor_share"], "budget_floor_share"),
        provisional=_bool(f["provisional"], "provisional"),
    )


def _estimate(raw: Any) -> EstimateRule:
    keys = {"margins", "stale_quarter_above", "median_above", "published_window_quarters"}
    f = _fields(raw, keys)
    margins = f["margins"]
    if not isinstance(margins, dict) or set(margins) != set(ESTIMATE_BASES):
        raise ValueError(f"margins must give below and above for each of {list(ESTIMATE_BASES)}")
    parsed: dict[str, tuple[Decimal, Decimal]] = {}
    for basis, pair in margins.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"margins of {basis} must be [below, above], shares of the estimate")
        below, above = (_decimal(v, f"margin of {basis}") for v in pair)
        if below >= 1:
            raise ValueError(f"margin below of {basis} must be less than 1, got {below}")
        parsed[basis] = (below, above)
    return EstimateRule(
        margins=parsed,
        stale_quarter_above=_decimal(f["stale_quarter_above"], "stale_quarter_above"),
        median_above=_decimal(f["median_above"], "median_above"),
        published_window_quarters=_int(f["published_window_quarters"], "published_window_quarters"),
    )


def _income_kinds(raw: Any) -> Mapping[str, IncomeKind]:
    if not isinstance(raw, dict) or set(raw) != set(INCOME_KINDS):
        raise ValueError(f"value must give each kind of income: {', '.join(INCOME_KINDS)}")
    kinds: dict[str, IncomeKind] = {}
    for kind, body in raw.items():
        f = _fields(body, {"counted"}, {"doubtful"})
        doubtful = _bool(f.get("doubtful", False), f"doubtful of {kind}")
        if doubtful and kind not in INCOME_DOUBT_FLAGS:
            raise ValueError(
                f"{kind} has no flag for a doubt; doubtful kinds: {list(INCOME_DOUBT_FLAGS)}"
            )
        kinds[kind] = IncomeKind(_bool(f["counted"], f"counted of {kind}"), doubtful)
    return kinds


def _years_to_months(raw: Any, what: str) -> int:
    years = _decimal(raw, what)
    months = years * 12
    if months != months.to_integral_value():
        raise ValueError(f"{what} must be a whole number of months, got {raw!r} years")
    return int(months)


def _pension_age(raw: Any) -> PensionAge:
    f = _fields(raw, {"female", "male"})
    return PensionAge(_years_to_months(f["female"], "female"), _years_to_months(f["male"], "male"))


def _optional_int(raw: Any, what: str) -> int | None:
    return None if raw is None else _int(raw, what)


def _large_family(raw: Any) -> LargeFamilyRule:
    keys = {"coefficients", "per_child_from", "per_child_coefficient", "student_age_limit"}
    given = dict(_fields(raw, {"in_force"}, keys | {"students_doubtful_under_age"}))
    doubtful = _optional_int(
        given.pop("students_doubtful_under_age", None), "students_doubtful_under_age"
    )
    f = _switched(given, "in_force", keys, alone=False)
    if f is None:
        return LargeFamilyRule(in_force=False)
    coefficients = f["coefficients"]
    if not isinstance(coefficients, dict) or not coefficients:
        raise ValueError("coefficients must map a number of children to an MRP multiple")
    return LargeFamilyRule(
        in_force=True,
        coefficients={
            _int(k, "number of children"): _decimal(v, f"coefficient for {k}")
            for k, v in coefficients.items()
        },
        per_child_from=_int(f["per_child_from"], "per_child_from"),
        per_child_coefficient=_decimal(f["per_child_coefficient"], "per_child_coefficient"),
        student_age_limit=_optional_int(f["student_age_limit"], "student_age_limit"),
        students_doubtful_under_age=doubtful,
    )


def _published_allowances(raw: Any) -> Mapping[int, Decimal]:
    """Published monthly allowances by the number of children (none where no table is known)."""
    if not isinstance(raw, dict):
        raise ValueError("value must map a number of children to the published amount, or {}")
    return {
        _int(k, "number of children"): _decimal(v, f"amount for {k} children")
        for k, v in raw.items()
    }


def _child_payment(raw: Any) -> ChildPaymentRule:
    f = _switched(raw, "in_force", {"mrp_multiple", "min_age", "max_age"}, alone=False)
    if f is None:
        return ChildPaymentRule(in_force=False)
    return ChildPaymentRule(
        in_force=True,
        mrp_multiple=_decimal(f["mrp_multiple"], "mrp_multiple"),
        min_age=_int(f["min_age"], "min_age"),
        max_age=_int(f["max_age"], "max_age"),
    )


def _social_package(raw: Any) -> SocialPackageRule:
    f = _switched(raw, "in_force", {"min_age", "max_age"}, alone=False)
    if f is None:
        return SocialPackageRule(in_force=False)
    return SocialPackageRule(True, _int(f["min_age"], "min_age"), _int(f["max_age"], "max_age"))


def _property(raw: Any) -> PropertyRule:
    f = _fields(raw, {"dwelling_area_per_member_m2", "max_passenger_cars", "social_code"})
    return PropertyRule(
        dwelling_area_per_member_m2=_decimal(
            f["dwelling_area_per_member_m2"], "dwelling_area_per_member_m2"
        ),
        max_passenger_cars=_int(f["max_passenger_cars"], "max_passenger_cars"),
        social_code=_bool(f["social_code"], "social_code"),
    )


def _bar_months(raw: Any) -> int:
    return _int(_fields(raw, {"months"})["months"], "months")


def _loans(raw: Any) -> LoanRule:
    f = _switched(raw, "counted", {"months_divisor", "provisional"}, alone=False)
    if f is None:
        return LoanRule(counted=False)
    divisor = _int(f["months_divisor"], "months_divisor")
    if divisor == 0:
        raise ValueError("months_divisor must be at least 1")
    return LoanRule(True, divisor, _bool(f["provisional"], "provisional"))


def _carers(raw: Any) -> CarerRule:
    f = _fields(raw, {"child_under_age", "elderly_over_age", "provisional"})
    return CarerRule(
        child_under_age=_int(f["child_under_age"], "child_under_age"),
        elderly_over_age=_int(f["elderly_over_age"], "elderly_over_age"),
        provisional=_bool(f["provisional"], "provisional"),
    )


def _assignment(raw: Any) -> AssignmentRule:
    keys = {"unconditional_months", "conditional_months", "provisional"}
    f = _switched(raw, "quarterly", keys, alone=True)
    if f is None:
        return AssignmentRule(quarterly=True)
    return AssignmentRule(
        quarterly=False,
        unconditional_months=_int(f["unconditional_months"], "unconditional_months"),
        conditional_months=_int(f["conditional_months"], "conditional_months"),
        provisional=_bool(f["provisional"], "provisional"),
    )


def _amount_rule(raw: Any) -> AmountRule:
    keys = {"child_amount", "child_under_age", "student_under_age"}
    f = _fields(raw, {"method"}, keys)
    if f["method"] == "per_member":
        if set(f) != {"method"}:
            raise ValueError("method per_member takes no other key")
        return AmountRule("per_member")
    if f["method"] == "adults_plus_fixed_per_child":
        f = _fields(raw, {"method"} | keys)
        return AmountRule(
            "adults_plus_fixed_per_child",
            child_amount=_decimal(f["child_amount"], "child_amount"),
            child_under_age=_int(f["child_under_age"], "child_under_age"),
            student_under_age=_int(f["student_under_age"], "student_under_age"),
        )
    raise ValueError(
        f"method must be per_member or adults_plus_fixed_per_child, got {f['method']!r}"
    )


def _family_composition(raw: Any) -> int:
    return _int(_fields(raw, {"student_away_under_age"})["student_away_under_age"], "age")


# The files the core needs, each with the parser of its values.
SCHEMAS: dict[str, Callable[[Any], Any]] = {
    "mrp": _money,
    "subsistence_minimum": _money,
    "poverty_line_rule": _poverty_line_rule,
    "poverty_line_estimate": _estimate,
    "pension_age": _pension_age,
    "income_kinds": _income_kinds,
    "large_family_allowance": _large_family,
    "large_family_allowance_published": _published_allowances,
    "child_payment": _child_payment,
    "guaranteed_social_package": _social_package,
    "property": _property,
    "refusal_bars": _bar_months,
    "non_mortgage_loans": _loans,
    "carers": _carers,
    "assignment_period": _assignment,
    "amount_rule": _amount_rule,
    "family_composition": _family_composition,
}
POVERTY_LINES = "poverty_lines"
# Observed regional subsistence minima (statistics), by region and the nation, dated by the month
# or quarter observed: what the poverty line is estimated from.
STATISTICS = "regional_subsistence_minimum"
NATIONAL = "national"


# --------------------------------------------------------------------------------------------
# YAML with duplicate keys rejected


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (PyYAML keeps the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a date or a name, not {key!r}", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _parse_yaml(file: str, text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ParameterError(file, f"not valid YAML: {exc}") from exc
    except ValueError as exc:  # PyYAML builds dates itself: 2019-13-01 fails here
        raise ParameterError(file, f"not a valid date or value: {exc}") from exc
    except (TypeError, RecursionError) as exc:  # a list as a key; absurd nesting
        raise ParameterError(file, f"not a parameter file: {exc}") from exc
    if not isinstance(data, dict):
        raise ParameterError(file, "must be a mapping with description and values")
    return data


def _references(file: str, where: str, raw: Any) -> tuple[Reference, ...]:
    if raw is None:
        raise ParameterError(file, f"{where}: every value needs a reference (title and url)")
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ParameterError(file, f"{where}: every value needs a reference (title and url)")
    refs = []
    for item in items:
        if not isinstance(item, dict):
            raise ParameterError(file, f"{where}: a reference is a mapping with title and url")
        unknown = set(item) - {"title", "url", "note"}
        if unknown:
            raise ParameterError(
                file, f"{where}: unknown reference key(s) {sorted(map(str, unknown))}"
            )
        title, url = item.get("title"), item.get("url")
        if not isinstance(title, str) or not title.strip():
            raise ParameterError(file, f"{where}: a reference needs a title")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ParameterError(file, f"{where}: a reference needs an http(s) url")
        note = item.get("note")
        if note is not None and not isinstance(note, str):
            raise ParameterError(file, f"{where}: a reference note must be text")
        refs.append(Reference(title.strip(), url, note))
    return tuple(refs)


def _entries(
    file: str, values: Any, convert: Callable[[Any], T], quarterly: bool = False
) -> list[Entry[T]]:
    if not isinstance(values, dict) or not values:
        raise ParameterError(file, "values must be a non-empty mapping of dates to values")
    entries: list[Entry[T]] = []
    for start, body in values.items():
        if type(start) is not date:  # a datetime is a date too, and cannot be compared with one
            raise ParameterError(file, f"{start!r} is not a date (write YYYY-MM-DD)")
        if quarterly and start != quarter_start(start):
            raise ParameterError(
                file, f"{start}: a quarterly value starts on a quarter's first day"
            )
        where = str(start)
        if body is None:
            entries.append(Entry(start, None, ()))
            continue
        if not isinstance(body, dict):
            raise ParameterError(file, f"{where}: write value and reference, or null to end")
        unknown = set(body) - {"value", "reference"}
        if unknown:
            raise ParameterError(file, f"{where}: unknown key(s) {sorted(map(str, unknown))}")
        if "value" not in body:
            raise ParameterError(file, f"{where}: missing value")
        refs = _references(file, where, body.get("reference"))
        try:
            value = convert(body["value"])
        except ValueError as exc:
            raise ParameterError(file, f"{where}: {exc}") from exc
        entries.append(Entry(start, value, refs))
    if all(entry.value is None for entry in entries):
        raise ParameterError(file, "values must hold at least one value")
    return entries


def _header(file: str, data: dict[str, Any], body_key: str) -> tuple[str, date | None]:
    unknown = set(data) - {"description", "unit", "review_by", body_key}
    if unknown:
        raise ParameterError(file, f"unknown top-level key(s) {sorted(map(str, unknown))}")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ParameterError(file, "needs a description")
    review_by = data.get("review_by")
    if review_by is not None and type(review_by) is not date:
        raise ParameterError(file, f"review_by {review_by!r} is not a date (write YYYY-MM-DD)")
    if body_key not in data:
        raise ParameterError(file, f"missing {body_key}")
    return description, review_by


def parse_parameter(file: str, text: str, convert: Callable[[Any], T]) -> Parameter[T]:
    data = _parse_yaml(file, text)
    description, review_by = _header(file, data, "values")
    return Parameter(file, description, review_by, _entries(file, data["values"], convert))


def parse_poverty_lines(file: str, text: str) -> dict[str, Parameter[Decimal]]:
    return _parse_regions(file, text, quarterly=True, national=False)


def parse_statistics(file: str, text: str) -> dict[str, Parameter[Decimal]]:
    """Observed subsistence minima: regions and `national`, each dated by what was observed."""
    return _parse_regions(file, text, quarterly=False, national=True)


def _parse_regions(
    file: str, text: str, quarterly: bool, national: bool
) -> dict[str, Parameter[Decimal]]:
    data = _parse_yaml(file, text)
    description, review_by = _header(file, data, "regions")
    regions = data["regions"]
    if not isinstance(regions, dict):
        raise ParameterError(file, "regions must map region codes to dated values")
    known = (*REGIONS, NATIONAL) if national else REGIONS
    table: dict[str, Parameter[Decimal]] = {}
    for region, values in regions.items():
        if region not in known:
            raise ParameterError(file, f"unknown region {region!r}; known: {', '.join(known)}")
        table[region] = Parameter(
            file, description, review_by, _entries(file, values, _money, quarterly=quarterly)
        )
    return table


# --------------------------------------------------------------------------------------------
# The whole set, and the snapshot of what is in force on one date


@dataclass(frozen=True, slots=True)
class InForce:
    """Every parameter value in force on one date, typed; what the rules read."""

    day: date
    mrp: Decimal
    subsistence_minimum: Decimal
    poverty_line_rule: PovertyLineRule
    estimate: EstimateRule
    income_kinds: Mapping[str, IncomeKind]
    pension_age: PensionAge
    large_family: LargeFamilyRule
    large_family_published: Mapping[int, Decimal]
    child_payment: ChildPaymentRule
    social_package: SocialPackageRule
    property: PropertyRule
    bar_months: int
    loans: LoanRule
    carers: CarerRule
    assignment: AssignmentRule
    amount: AmountRule
    student_away_under_age: int
    past_review: tuple[str, ...]
    unverified: tuple[str, ...]  # parameters whose value in force no reference vouches for
    # What a region's poverty line on this date depends on besides the region: the quarter and
    # the rule, ПМ and estimate entries in force (by identity). Dates that share it share the line.
    poverty_line_key: tuple[date, int, int, int]


class ParameterStore:
    """All parameter files, parsed; `in_force(day)` gives the typed snapshot for a date."""

    def __init__(
        self,
        parameters: Mapping[str, Parameter[Any]],
        poverty_lines: dict[str, Parameter[Decimal]],
        statistics: dict[str, Parameter[Decimal]] | None = None,
    ) -> None:
        self.parameters = dict(parameters)
        self.poverty_lines = poverty_lines
        self.statistics = statistics or {}
        # Review dates of the tables (one per file), beside those of the parameters.
        self._table_reviews = {
            name: table[0].review_by
            for name, table in (
                (POVERTY_LINES, list(poverty_lines.values())),
                (STATISTICS, list(self.statistics.values())),
            )
            if table and table[0].review_by is not None
        }
        self._cache: dict[date, InForce] = {}
        # Results derived from the parameters alone (a region's line on a date), kept by the rules
        # that compute them; bounded like the snapshot cache.
        self.memo: dict[tuple[Any, ...], Any] = {}
        self._first_day = max(p.entries[0].start for p in self.parameters.values())

    @classmethod
    def from_texts(cls, texts: Mapping[str, str]) -> ParameterStore:
        """Parse `{"mrp.yaml": text, ...}`: every file of SCHEMAS and poverty_lines.yaml."""
        names = {name.removesuffix(".yaml"): name for name in texts}
        unknown = set(names) - set(SCHEMAS) - {POVERTY_LINES, STATISTICS}
        if unknown:
            raise ParameterError(
                names[sorted(unknown)[0]], "unknown parameter file (no rule reads it)"
            )
        missing = (set(SCHEMAS) | {POVERTY_LINES, STATISTICS}) - set(names)
        if missing:
            raise ParameterError(f"{sorted(missing)[0]}.yaml", "parameter file missing")
        parameters = {
            name: parse_parameter(names[name], texts[names[name]], convert)
            for name, convert in SCHEMAS.items()
        }
        lines = parse_poverty_lines(names[POVERTY_LINES], texts[names[POVERTY_LINES]])
        statistics = parse_statistics(names[STATISTICS], texts[names[STATISTICS]])
        return cls(parameters, lines, statistics)

    @property
    def first_day(self) -> date:
        """The first date every parameter has a value for."""
        return self._first_day

    def in_force(self, day: date) -> InForce:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        p = self.parameters
        snapshot = InForce(
            day=day,
            mrp=p["mrp"].at(day),
            subsistence_minimum=p["subsistence_minimum"].at(day),
            poverty_line_rule=p["poverty_line_rule"].at(day),
            estimate=p["poverty_line_estimate"].at(day),
            income_kinds=p["income_kinds"].at(day),
            pension_age=p["pension_age"].at(day),
            large_family=p["large_family_allowance"].at(day),
            large_family_published=p["large_family_allowance_published"].at(day),
            child_payment=p["child_payment"].at(day),
            social_package=p["guaranteed_social_package"].at(day),
            property=p["property"].at(day),
            bar_months=p["refusal_bars"].at(day),
            loans=p["non_mortgage_loans"].at(day),
            carers=p["carers"].at(day),
            assignment=p["assignment_period"].at(day),
            amount=p["amount_rule"].at(day),
            student_away_under_age=p["family_composition"].at(day),
            past_review=tuple(
                sorted(
                    [n for n, par in p.items() if par.past_review(day)]
                    + [n for n, by in self._table_reviews.items() if day > by]
                )
            ),
            unverified=tuple(sorted(n for n, par in p.items() if par.entry_at(day).unverified)),
            poverty_line_key=(
                quarter_start(day),
                id(p["poverty_line_rule"].entry_at(day)),
                id(p["subsistence_minimum"].entry_at(day)),
                id(p["poverty_line_estimate"].entry_at(day)),
            ),
        )
        if len(self._cache) > 4096:  # dates in a batch are few; keep the cache bounded anyway
            self._cache.clear()
        self._cache[day] = snapshot
        return snapshot

    def remember(self, key: tuple[Any, ...], value: Any) -> None:
        if len(self.memo) > 16384:
            self.memo.clear()
        self.memo[key] = value

    def published_poverty_line(self, region: str, day: date) -> Entry[Decimal] | None:
        """The akimat's published line for the quarter of `day`, if the table holds it."""
        table = self.poverty_lines.get(region)
        if table is None:
            return None
        return table.entry_starting(quarter_start(day))
