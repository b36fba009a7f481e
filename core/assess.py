"""One assessment: a household and the parameters in force on its date, to a result that explains
itself. This is the function every channel, dialog and staff tool calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core import amounts
from core.dates import age_in_months, quarter_end
from core.errors import InputError
from core.family import Obligation, assess_family
from core.household import SEXES, Household, parse_household
from core.income import (
    counted_named_income,
    loan_income,
    meets_income_test,
    monthly_family_income,
    named_incomes,
    per_capita_income,
)
from core.money import ZERO, to_cents
from core.need import active_bars, property_grounds
from core.parameters import InForce, ParameterStore
from core.poverty_line import poverty_line
from core.reasons import INCOME_DOUBT_FLAGS, Reason, reason, sourced

ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
NEEDS_REVIEW = "needs_review"

# Ages at which a rule changes for a member (child payment 1 and 7, carer 3, adult 18, student 23,
# carer exemption 81): a birthday between the application date and the quarter's end is flagged.
_THRESHOLD_MONTHS = tuple(12 * years for years in (1, 3, 7, 18, 23, 81))


@dataclass(slots=True)  # a record: never changed after it is built
class Assessment:
    """The result of DESIGN.md §2, with exact amounts; `to_dict` gives the contract's JSON form."""

    status: str
    category: str | None
    family_size: int
    per_capita_income: Decimal
    poverty_line: Decimal
    poverty_line_estimated: bool
    monthly_amount: Decimal
    child_payment_monthly: Decimal
    months: int
    large_family_allowance_monthly: Decimal
    members: tuple[Obligation, ...]
    reasons: tuple[Reason, ...]
    flags: tuple[str, ...]
    # Facts beyond the contract, for explanations: the income change that would flip the income
    # test (positive: income to lose to qualify; negative: headroom), and the counts used.
    date: date
    region: str
    income_gap: Decimal
    child_payment_children: int
    large_family_children: int
    # The band the real poverty line lies in (the line itself unless it is estimated), and the
    # monthly amount at either end of it (the core's own reading: the provisional rules applied).
    poverty_line_low: Decimal
    poverty_line_high: Decimal
    monthly_amount_low: Decimal = ZERO
    monthly_amount_high: Decimal = ZERO

    @property
    def quarter_total(self) -> Decimal:
        """(monthly amount + child payment) × months, from the amounts as shown."""
        return (to_cents(self.monthly_amount) + to_cents(self.child_payment_monthly)) * self.months

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "category": self.category,
            "family_size": self.family_size,
            "per_capita_income": to_cents(self.per_capita_income),
            "poverty_line": _whole_or_cents(self.poverty_line),
            "poverty_line_estimated": self.poverty_line_estimated,
            "monthly_amount": to_cents(self.monthly_amount),
            "child_payment_monthly": to_cents(self.child_payment_monthly),
            "months": self.months,
            "quarter_total": self.quarter_total,
            "large_family_allowance_monthly": _whole_or_cents(self.large_family_allowance_monthly),
            "members": [
                {
                    "index": m.index,
                    "counted": m.counted,
                    "able_bodied": m.able_bodied,
                    "employment_measures": m.employment_measures,
                    "exempt_reason": m.exempt_reason,
                }
                for m in self.members
            ],
            "reasons": [{"code": r.code, "article": r.article, "url": r.url} for r in self.reasons],
            "flags": list(self.flags),
        }


def _whole_or_cents(amount: Decimal) -> Decimal | int:
    return int(amount) if amount == amount.to_integral_value() else to_cents(amount)


def _age_flags(household: Household, rules: InForce) -> list[str]:
    """tsa-rules §7.7: ages are taken on the application date; flag a birthday within the quarter
    that crosses an age a rule turns on (known only when a birth date is given)."""
    born = [m for m in household.members if m.birth_date is not None]
    if not born:
        return []
    end = quarter_end(household.date)
    pension = rules.pension_age
    for m in born:
        assert m.birth_date is not None and m.age_months is not None  # set together by parsing
        now, later = m.age_months, age_in_months(m.birth_date, end)
        sexes = (m.sex,) if m.sex is not None else SEXES
        turning = [*_THRESHOLD_MONTHS, *(pension.months(sex) for sex in sexes)]
        if any(now < months <= later for months in turning):
            return ["age_changes_within_quarter"]
    return []


# Parameters that only some households use: past their review date, or resting on a reference
# with a reservation, they are flagged only where the assessment used them. The poverty line's
# own parameters are judged by the line (core/poverty_line.py).
_LINE_PARAMETERS = frozenset(
    {
        "poverty_line_rule",
        "subsistence_minimum",
        "poverty_line_estimate",
        "regional_subsistence_minimum",
    }
)


def _used(name: str, household: Household, line_estimated: bool, lfa: bool, child: bool) -> bool:
    if name in _LINE_PARAMETERS:
        return line_estimated
    if name == "non_mortgage_loans":
        return household.non_mortgage_loans > 0
    if name == "income_kinds":
        return household.named_income
    if name in ("large_family_allowance", "large_family_allowance_published"):
        return lfa
    if name == "child_payment":
        return child
    if name == "mrp":
        return lfa or child
    return True


def assess(household: Household, store: ParameterStore) -> Assessment:
    """Assess one household on its date: composition, poverty line, income test, property, bars,
    category and obligations, amounts, child payment and large-family allowance.

    The status is firm only where every reading still in doubt gives the same answer: the real
    poverty line anywhere in the band of an estimate, and the provisional loan rule applied or
    not. Otherwise, or where an amount rests on the provisional loan rule, it is `needs_review`;
    the amounts are then those of the core's own reading (the estimate, the rule applied)."""
    on = household.date
    if on < store.first_day:
        raise InputError(
            "date",
            f"must be on or after {store.first_day}, the first date the parameters cover",
        )
    rules = store.in_force(on)
    family = assess_family(household, rules)
    counted = family.counted
    size = len(counted)
    line = poverty_line(household, store, rules)

    reasons: list[Reason] = [line.reason, *line.more_reasons, *family.reasons]
    flags: list[str] = [*line.flags, *family.flags]
    flags.extend(_age_flags(household, rules))

    lfa_children = amounts.large_family_children(household, rules)
    lfa = amounts.large_family_allowance(lfa_children, rules)
    if lfa > 0:
        reasons.append(reason("large_family_allowance", on, children=lfa_children))
        if amounts.allowance_rounding_in_doubt(lfa_children, rules):
            flags.append("large_family_allowance_rounding")
    if rules.large_family.students_doubtful_under_age is not None:
        students = amounts.unconfirmed_students(household, rules)
        if students and lfa_children + students >= 4:
            flags.append("large_family_students_unconfirmed")
    children = amounts.child_payment_children(counted, rules)

    if rules.past_review or rules.unverified:

        def used(name: str) -> bool:
            return _used(name, household, line.estimated, lfa > 0, children > 0)

        if any(used(name) for name in rules.past_review):
            flags.append("parameter_past_review_date")
        if any(used(name) for name in rules.unverified if name not in _LINE_PARAMETERS):
            flags.append("unverified_parameter")

    if size == 0:
        reasons.append(reason("no_counted_members", on))
        return Assessment(
            status=INELIGIBLE,
            category=None,
            family_size=0,
            per_capita_income=ZERO,
            poverty_line=line.value,
            poverty_line_estimated=line.estimated,
            monthly_amount=ZERO,
            child_payment_monthly=ZERO,
            months=0,
            large_family_allowance_monthly=lfa,
            members=family.obligations,
            reasons=tuple(reasons),
            flags=tuple(dict.fromkeys(flags)),
            date=on,
            region=household.region,
            income_gap=ZERO,
            child_payment_children=0,
            large_family_children=lfa_children,
            poverty_line_low=line.lowest,
            poverty_line_high=line.highest,
        )

    income = monthly_family_income(counted)
    named = named_incomes(counted) if household.named_income else {}
    if named:
        income += counted_named_income(named, rules)
        kinds_ref = store.parameters["income_kinds"].entry_at(on).references[0]
        for kind, amount in named.items():
            rule = rules.income_kinds[kind]
            if amount <= 0:
                continue
            if rule.doubtful:
                flags.append(INCOME_DOUBT_FLAGS[kind])
            if not rule.counted:
                reasons.append(
                    sourced(
                        "income_not_counted",
                        kinds_ref.title,
                        kinds_ref.url,
                        kind=kind,
                        amount=amount,
                    )
                )
    loans = loan_income(household, rules)
    total = income + loans
    provisional_loans = loans > 0 and rules.loans.provisional
    if loans > 0:
        ref = store.parameters["non_mortgage_loans"].entry_at(on).references[0]
        reasons.append(sourced("non_mortgage_loan_counted", ref.title, ref.url, monthly=loans))
        if provisional_loans:
            flags.append("provisional_loan_rule")
    pci = per_capita_income(total, size)
    passes = meets_income_test(total, size, line.value)
    gap = total - line.value * size
    if passes:
        code = "income_at_poverty_line" if gap == 0 else "income_within_poverty_line"
        reasons.append(reason(code, on, per_capita_income=pci, poverty_line=line.value))
    else:
        reasons.append(
            reason("income_above_poverty_line", on, per_capita_income=pci, poverty_line=line.value)
        )
    grounds_property, property_exceptions = property_grounds(
        household, counted, lfa_children, rules
    )
    reasons.extend(property_exceptions)
    refusals = [*grounds_property, *active_bars(household, rules)]
    if grounds_property and not rules.property.social_code:
        flags.append("provisional_rule")
    reasons.extend(refusals)

    if refusals:
        status = INELIGIBLE
    elif not provisional_loans and line.low is None:  # nothing in doubt: the common case
        status = ELIGIBLE if passes else INELIGIBLE
    else:
        # The answer under each reading still in doubt: the line at either end of its band, the
        # provisional loan rule applied or not.
        totals = (total, income) if provisional_loans else (total,)
        low_cap, high_cap = line.lowest * size, line.highest * size  # art. 120 p.1 at each end
        band_decides = any((t <= low_cap) != (t <= high_cap) for t in totals)
        if all(t > high_cap for t in totals):
            status = INELIGIBLE
        elif not provisional_loans and total <= low_cap:
            status = ELIGIBLE
        else:
            status = NEEDS_REVIEW
            if band_decides:
                reasons.append(
                    reason(
                        "poverty_line_uncertain",
                        on,
                        low=line.lowest,
                        high=line.highest,
                        per_capita_income=pci,
                    )
                )
            if provisional_loans:
                ref = store.parameters["non_mortgage_loans"].entry_at(on).references[0]
                without = (
                    amounts.monthly_amount(counted, income, line.value, rules)
                    if meets_income_test(income, size, line.value)
                    else ZERO
                )
                with_loan = (
                    amounts.monthly_amount(counted, total, line.value, rules) if passes else ZERO
                )
                reasons.append(
                    sourced(
                        "provisional_loan_rule_decides",
                        ref.title,
                        ref.url,
                        with_loan=with_loan,
                        without_loan=without,
                    )
                )

    if (
        lfa > 0
        and status != INELIGIBLE
        and rules.income_kinds["large_family_allowance"].counted
        and "large_family_allowance" not in named
    ):
        # The allowance counts as income (tsa-rules §7.2) but the family did not say whether it
        # received it in the income quarter: adding it could change the answer.
        flags.append("large_family_allowance_not_in_income")

    category = family.category if status != INELIGIBLE else None
    months = amounts.assignment_months(household, family.category, rules)
    if not rules.assignment.quarterly:
        reasons.append(
            sourced(
                "assignment_period_fixed",
                *_first_ref(store, "assignment_period", on),
                months=months,
            )
        )
        flags.append("provisional_rule")
    else:
        reasons.append(reason("months_to_quarter_end", on, months=months))

    monthly = ZERO
    child = ZERO
    amount_low = amount_high = ZERO
    if status != INELIGIBLE and line.estimated:
        low, high = line.lowest, line.highest
        if total <= low * size:
            amount_low = amounts.monthly_amount(counted, total, low, rules)
        if total <= high * size:
            amount_high = amounts.monthly_amount(counted, total, high, rules)
    if status != INELIGIBLE and passes:  # eligible, or the core's reading under review
        monthly = amounts.monthly_amount(counted, total, line.value, rules)
        reasons.append(reason("amount_per_member", on, family_size=size))
        if rules.amount.method != "per_member":
            reasons.append(sourced("fixed_child_amount", *_first_ref(store, "amount_rule", on)))
        if children:
            if monthly > 0:
                child = amounts.child_payment(children, rules)
                reasons.append(reason("child_payment", on, children=children, mrp=rules.mrp))
                if amounts.child_payment_has_fraction(rules):
                    flags.append("child_payment_half_tenge")
            else:
                flags.append("zero_amount_child_payment_unknown")
        if rules.social_package.in_force and any(
            rules.social_package.min_age <= m.age <= rules.social_package.max_age for m in counted
        ):
            reasons.append(
                sourced(
                    "guaranteed_social_package", *_first_ref(store, "guaranteed_social_package", on)
                )
            )
    return Assessment(
        status=status,
        category=category,
        family_size=size,
        per_capita_income=pci,
        poverty_line=line.value,
        poverty_line_estimated=line.estimated,
        monthly_amount=monthly,
        child_payment_monthly=child,
        months=months,
        large_family_allowance_monthly=lfa,
        members=family.obligations,
        reasons=tuple(reasons),
        flags=tuple(dict.fromkeys(flags)),
        date=on,
        region=household.region,
        income_gap=gap,
        child_payment_children=children,
        large_family_children=lfa_children,
        poverty_line_low=line.lowest,
        poverty_line_high=line.highest,
        monthly_amount_low=amount_low,
        monthly_amount_high=amount_high,
    )


def _first_ref(store: ParameterStore, name: str, on: date) -> tuple[str, str]:
    ref = store.parameters[name].entry_at(on).references[0]
    return ref.title, ref.url


def assess_data(data: Mapping[str, Any] | Any, store: ParameterStore) -> Assessment:
    """Validate a household of the JSON contract and assess it (raises InputError on bad input)."""
    return assess(parse_household(data), store)
