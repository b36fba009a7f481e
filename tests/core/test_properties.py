"""Properties of the assessment and the parameter lookup over generated households and dates."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.parameters import default_store
from core.assess import ELIGIBLE, INELIGIBLE, NEEDS_REVIEW, Assessment, assess_data
from core.errors import InputError, ParameterError
from core.household import ABSENCES, SEXES
from core.parameters import Entry, Parameter, ParameterStore, parse_parameter
from core.regions import REGIONS

STORE: ParameterStore = default_store()
PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIRST_DAY = date(2023, 7, 1)
LAST_DAY = date(2026, 12, 31)
LOANS_COUNTED_FROM = date(2025, 9, 1)  # non_mortgage_loans.yaml: principal / 3 from this date
STUDENT_AWAY_UNDER_AGE = 23  # family_composition.yaml
MEMBER_FLAGS = (
    "long_illness",
    "needs_outside_care",
    "student_full_time",
    "permanent_job",
    "suspended_entrepreneur",
)
RANK = {INELIGIBLE: 0, NEEDS_REVIEW: 1, ELIGIBLE: 2}
CENT = Decimal("0.01")


def round2(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# Generated valid households


def _iso(day: date) -> str:
    return day.isoformat()


@st.composite
def members(draw: st.DrawFn, index: int, count: int) -> dict[str, Any]:
    age = draw(st.integers(0, 100))
    member: dict[str, Any] = {"age": age}
    if age >= 18 or draw(st.booleans()):
        member["sex"] = draw(st.sampled_from(SEXES))
    member["disability_group"] = draw(st.integers(0, 3))
    if age < 18:
        member["child_disability"] = draw(st.booleans())
    for name in MEMBER_FLAGS:
        member[name] = draw(st.booleans())
    others = [i for i in range(count) if i != index]
    member["cares_for"] = (
        draw(st.lists(st.sampled_from(others), unique=True, max_size=3)) if others else []
    )
    # Mostly present: one member in five is away, for any of the reasons.
    away = draw(st.integers(0, 4)) == 0
    member["absence"] = draw(st.sampled_from(ABSENCES)) if away else None
    member["income"] = draw(st.one_of(st.just(0), st.integers(0, 60_000), st.integers(0, 400_000)))
    return member


@st.composite
def households(draw: st.DrawFn) -> dict[str, Any]:
    day = draw(st.dates(FIRST_DAY, LAST_DAY))
    count = draw(st.integers(1, 9))
    household: dict[str, Any] = {
        "date": _iso(day),
        "region": draw(st.sampled_from(REGIONS)),
        "members": [draw(members(i, count)) for i in range(count)],
    }
    if draw(st.integers(0, 3)) == 0:
        household["property"] = {
            "dwellings": draw(st.integers(0, 3)),
            "dwellings_area_m2": draw(st.integers(0, 200)),
            "passenger_cars": draw(st.integers(0, 3)),
            "commercial_premises": draw(st.booleans()),
            "izhs_land_plot": draw(st.booleans()),
            "commercial_vehicles": draw(st.booleans()),
        }
    if draw(st.integers(0, 3)) == 0:
        household["non_mortgage_loans"] = draw(st.integers(0, 600_000))
    if draw(st.integers(0, 3)) == 0:
        household["poverty_line"] = draw(st.integers(1, 100_000))
    for bar in ("refused_employment_measures_on", "contract_terminated_on", "false_information_on"):
        if draw(st.integers(0, 5)) == 0:
            household[bar] = _iso(day - timedelta(days=draw(st.integers(0, 400))))
    return household


def counted(member: dict[str, Any]) -> bool:
    """Art. 120 p.5, written again for the oracle: who of the generated members is counted."""
    absence: str | None = member["absence"]
    age: int = member["age"]
    if absence in (None, "works_away"):
        return True
    if absence != "studies_away":
        return False
    # Pupils at any rate; after 18 only full-time students, until they reach 23.
    return age < 18 or (bool(member["student_full_time"]) and age < STUDENT_AWAY_UNDER_AGE)


def total_income(household: dict[str, Any]) -> Decimal:
    """The family's monthly income the income test uses: counted members' incomes, plus the
    principal of non-mortgage loans over three months since September 2025."""
    income = sum((Decimal(m["income"]) for m in household["members"] if counted(m)), Decimal(0))
    loans = Decimal(household.get("non_mortgage_loans", 0))
    if date.fromisoformat(household["date"]) >= LOANS_COUNTED_FROM:
        income += loans / 3
    return income


def gap(a: Assessment) -> Decimal:
    return a.poverty_line - a.per_capita_income


# --------------------------------------------------------------------------------------------
# Income and amounts


@PROPERTIES
@given(households(), st.data())
def test_more_income_never_makes_a_family_eligible_or_raises_its_amount(
    household: dict[str, Any], data: st.DataObject
) -> None:
    before = assess_data(household, STORE)
    counted_indexes = [m.index for m in before.members if m.counted]
    assume(counted_indexes)
    index = data.draw(st.sampled_from(counted_indexes), label="member")
    richer = copy.deepcopy(household)
    richer["members"][index]["income"] += data.draw(st.integers(1, 400_000), label="raise")
    after = assess_data(richer, STORE)
    assert RANK[after.status] <= RANK[before.status]
    assert after.monthly_amount <= before.monthly_amount
    assert after.per_capita_income > before.per_capita_income


@PROPERTIES
@given(households())
def test_the_amount_is_the_per_capita_gap_times_the_family_size(
    household: dict[str, Any],
) -> None:
    a = assess_data(household, STORE)
    assert a.family_size == sum(1 for m in household["members"] if counted(m))
    # Under review the amount is the core's own reading (the estimated line, the provisional loan
    # rule applied): the same formula, zero where that reading is above the line.
    if a.status == INELIGIBLE or a.per_capita_income > a.poverty_line:
        assert a.monthly_amount == 0
        return
    assert abs(a.monthly_amount - gap(a) * a.family_size) < Decimal("1e-20")
    assert a.monthly_amount == a.poverty_line * a.family_size - total_income(household)
    assert a.monthly_amount >= 0


@PROPERTIES
@given(households(), st.integers(0, 17))
def test_a_member_without_income_never_lowers_the_per_capita_gap(
    household: dict[str, Any], age: int
) -> None:
    before = assess_data(household, STORE)
    # With nobody counted the per-capita income is shown as 0 and means nothing.
    assume(before.family_size > 0)
    larger = copy.deepcopy(household)
    larger["members"].append({"age": age, "absence": None, "income": 0})
    after = assess_data(larger, STORE)
    assert after.family_size == before.family_size + 1
    assert after.poverty_line == before.poverty_line
    assert gap(after) >= gap(before)


@PROPERTIES
@given(households())
def test_the_quarter_total_is_the_rounded_amounts_times_the_months(
    household: dict[str, Any],
) -> None:
    a = assess_data(household, STORE)
    shown = a.to_dict()
    expected = (round2(a.monthly_amount) + round2(a.child_payment_monthly)) * shown["months"]
    assert shown["quarter_total"] == expected
    assert shown["quarter_total"] == (
        (shown["monthly_amount"] + shown["child_payment_monthly"]) * shown["months"]
    )
    day = date.fromisoformat(household["date"])
    assert shown["months"] == (3 - (day.month - 1) % 3 if a.family_size else 0)


# --------------------------------------------------------------------------------------------
# Parameter lookup


def all_parameters() -> list[Parameter[Any]]:
    return [*STORE.parameters.values(), *STORE.poverty_lines.values()]


def expected_entry(entries: list[Entry[Any]], day: date) -> Entry[Any] | None:
    """The newest entry started on or before `day`, found without bisect."""
    started = [e for e in entries if e.start <= day]
    return max(started, key=lambda e: e.start) if started else None


def assert_lookup(param: Parameter[Any], entries: list[Entry[Any]], day: date) -> None:
    newest = expected_entry(entries, day)
    if newest is None or newest.value is None:
        try:
            value = param.at(day)
        except ParameterError as exc:
            assert exc.file == param.file
        else:
            raise AssertionError(f"{param.file} on {day}: expected no value, got {value}")
    else:
        assert param.at(day) == newest.value
        assert param.entry_at(day) == newest


@PROPERTIES
@given(st.dates(date(2018, 1, 1), date(2032, 12, 31)))
def test_every_shipped_parameter_gives_the_newest_value_in_force(day: date) -> None:
    for param in all_parameters():
        assert_lookup(param, list(param.entries), day)


def _yaml_entry(start: date, value: int | None) -> str:
    if value is None:
        return f"  {start}: null\n"
    return (
        f"  {start}:\n    value: {value}\n"
        "    reference: {title: A source, url: https://example.kz/source}\n"
    )


@PROPERTIES
@given(
    st.dictionaries(
        st.dates(date(2018, 1, 1), date(2032, 12, 31)),
        st.one_of(st.none(), st.integers(0, 10_000)),
        min_size=1,
        max_size=8,
    ).filter(lambda values: any(v is not None for v in values.values())),
    st.lists(st.dates(date(2017, 1, 1), date(2033, 12, 31)), min_size=1, max_size=10),
)
def test_a_parsed_file_gives_the_newest_value_in_force(
    values: dict[date, int | None], days: list[date]
) -> None:
    text = "description: Generated.\nvalues:\n" + "".join(
        _yaml_entry(start, value) for start, value in values.items()
    )
    param = parse_parameter("mrp.yaml", text, Decimal)
    written = [Entry(start, None if v is None else Decimal(v), ()) for start, v in values.items()]
    for day in days:
        newest = expected_entry(written, day)
        if newest is None or newest.value is None:
            try:
                param.at(day)
            except ParameterError as exc:
                assert exc.file == "mrp.yaml"
            else:
                raise AssertionError(f"expected no value on {day}")
        else:
            assert param.at(day) == newest.value


# --------------------------------------------------------------------------------------------
# Whatever the input, a result or an InputError naming the field

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["2026-01-15", "2026-02-30", "aktobe", "female", "prison", "", "-1"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4),
    ),
    max_leaves=20,
)
# Valid-looking values of other fields, so that a mutation may put a right value in a wrong place.
junk = st.one_of(
    json_values,
    st.dates(date(2018, 1, 1), date(2100, 12, 31)).map(_iso),
    st.integers(-3, 45),
    st.lists(st.integers(-2, 12), max_size=4),
    st.sampled_from([*REGIONS, *SEXES, *ABSENCES]),
    st.sampled_from([1e-320, 1e300, -0.0, float("inf"), float("nan"), 10**13, 2**64]),
)


def assess_or_input_error(data: Any) -> None:
    try:
        assess_data(data, STORE)
    except InputError as exc:
        assert exc.field
        assert exc.message


@PROPERTIES
@given(json_values)
def test_arbitrary_json_gets_a_result_or_an_input_error(data: Any) -> None:
    assess_or_input_error(data)


@PROPERTIES
@given(
    st.fixed_dictionaries(
        {"date": junk, "region": junk, "members": st.lists(json_values, max_size=3)},
        optional={
            "property": json_values,
            "non_mortgage_loans": junk,
            "poverty_line": junk,
            "contract_terminated_on": junk,
        },
    )
)
def test_arbitrary_json_under_the_contract_keys_gets_a_result_or_an_input_error(
    data: dict[str, Any],
) -> None:
    assess_or_input_error(data)


@PROPERTIES
@given(households(), st.data())
def test_a_valid_household_with_one_field_spoilt_gets_a_result_or_an_input_error(
    household: dict[str, Any], data: st.DataObject
) -> None:
    spoilt = copy.deepcopy(household)
    where = data.draw(st.sampled_from(["household", "member", "property"]), label="where")
    target: dict[str, Any]
    if where == "member":
        target = data.draw(st.sampled_from(spoilt["members"]), label="member")
    elif where == "property":
        target = spoilt.setdefault("property", {})
    else:
        target = spoilt
    keys = sorted(target) or ["dwellings"]
    key = data.draw(st.one_of(st.sampled_from(keys), st.text(min_size=1, max_size=8)), label="key")
    if data.draw(st.integers(0, 5), label="delete") == 0:
        target.pop(key, None)
    else:
        target[key] = data.draw(junk, label="junk")
    assess_or_input_error(spoilt)


# Field names are generated non-empty above: the empty name has its own test, below.


def test_an_unknown_field_with_an_empty_name_is_named_in_the_input_error() -> None:
    household = {
        "date": "2026-01-15",
        "region": "aktobe",
        "members": [{"age": 30, "sex": "female"}],
        "": None,
    }
    try:
        assess_data(household, STORE)
    except InputError as exc:
        assert exc.field
    else:
        raise AssertionError("the unknown field '' was accepted")


@PROPERTIES
@given(households(), st.dates(date(2000, 1, 1), date(2017, 12, 31)))
def test_an_application_date_the_parameters_do_not_cover_is_bad_input(
    household: dict[str, Any], day: date
) -> None:
    # parse_household accepts years 2000-2100, but no parameter has a value before 2018-01-01: the
    # date is the user's input, so the answer should be an InputError naming `date`.
    household["date"] = _iso(day)
    for bar in ("refused_employment_measures_on", "contract_terminated_on", "false_information_on"):
        household.pop(bar, None)
    try:
        assess_data(household, STORE)
    except InputError as exc:
        assert exc.field
