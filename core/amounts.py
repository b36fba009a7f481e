"""What is paid: the monthly TSA amount, for how many months, the 1.5 MRP child payment and the
large-family allowance (Social Code art. 90-91, 123 p.3, 126)."""

from __future__ import annotations

from decimal import Decimal

from core.dates import months_to_quarter_end
from core.family import UNCONDITIONAL
from core.household import Household, Member
from core.money import up_to_tenge
from core.parameters import InForce

_EXCLUDED = frozenset({"conscript", "prison", "state_care"})


def monthly_amount(
    counted: tuple[Member, ...], total: Decimal, line: Decimal, rules: InForce
) -> Decimal:
    """Art. 126 p.1: the difference between the poverty line and the per-capita income, for each
    family member: (line − per-capita income) × members = line × members − family income.

    From April to December 2019 adults got the difference and each child (students to 23) a fixed
    amount of 70% of the budget-law ПМ instead.
    """
    size = len(counted)
    rule = rules.amount
    if rule.method == "per_member":
        return line * size - total
    children = sum(
        1
        for m in counted
        if m.age < rule.child_under_age or (m.student_full_time and m.age < rule.student_under_age)
    )
    adults = size - children
    return (line - total / size) * adults + rule.child_amount * children


def assignment_months(household: Household, category: str | None, rules: InForce) -> int:
    """Art. 123 p.3: assigned for the current quarter from the month of application, that month
    counted in full whatever the day. In 2018-2019 for fixed periods by category."""
    rule = rules.assignment
    if rule.quarterly:
        return months_to_quarter_end(household.date)
    return rule.unconditional_months if category == UNCONDITIONAL else rule.conditional_months


def child_payment_children(counted: tuple[Member, ...], rules: InForce) -> int:
    """Art. 126 p.2: children from one year to six years inclusive."""
    rule = rules.child_payment
    if not rule.in_force:
        return 0
    return len([m for m in counted if rule.min_age <= m.age <= rule.max_age])


def child_payment(children: int, rules: InForce) -> Decimal:
    """Art. 126 p.2: 1.5 MRP of the budget law for each child from one to six inclusive, for the
    period TSA is assigned. Kept exact (6,487.50 in 2026): the half tenge's rounding is unknown."""
    return rules.child_payment.mrp_multiple * rules.mrp * children


def child_payment_has_fraction(rules: InForce) -> bool:
    """Whether 1.5 MRP per child is not a whole tenge (an odd MRP): how the half tenge is paid is
    not known (tsa-rules §7.9)."""
    per_child = rules.child_payment.mrp_multiple * rules.mrp
    return per_child != per_child.to_integral_value()


def large_family_children(household: Household, rules: InForce) -> int:
    """Art. 90: minor children living with the family, and full-time students after 18 until they
    reach 23 wherever they live; not children on full state support (or otherwise excluded).
    Before the Social Code students are counted only where the rule in force says so."""
    limit = rules.large_family.student_age_limit if rules.large_family.in_force else 23
    count = 0
    for m in household.members:
        if m.absence in _EXCLUDED:
            continue
        if m.age < 18:
            if m.absence in (None, "studies_away"):
                count += 1
        elif limit is not None and m.student_full_time and m.age < limit:
            count += 1
    return count


def unconfirmed_students(household: Household, rules: InForce) -> int:
    """Full-time students the allowance may have counted under a rule the domain spec does not
    confirm (2020 to June 2023: the 2005 law spoke of minor children)."""
    rule = rules.large_family
    limit = rule.students_doubtful_under_age
    if not rule.in_force or rule.student_age_limit is not None or limit is None:
        return 0
    return sum(
        1
        for m in household.members
        if m.absence not in _EXCLUDED and m.age >= 18 and m.student_full_time and m.age < limit
    )


def _exact_allowance(children: int, rules: InForce) -> Decimal:
    rule = rules.large_family
    if not rule.in_force:
        return Decimal(0)
    if rule.per_child_from and children >= rule.per_child_from:
        return rule.per_child_coefficient * children * rules.mrp
    coefficient = rule.coefficients.get(children)
    if coefficient is None:
        return Decimal(0)
    return coefficient * rules.mrp


def large_family_allowance(children: int, rules: InForce) -> Decimal:
    """Art. 91: 16.03 MRP for four children, 20.04 for five, 24.05 for six, 28.06 for seven, and
    4 MRP per child from eight, whatever the income. Rounded up to the tenge as the published
    tables are (tsa-rules §3.11)."""
    return up_to_tenge(_exact_allowance(children, rules))


def allowance_rounding_in_doubt(children: int, rules: InForce) -> bool:
    """The rounding of the allowance is in doubt only when the exact product has a fraction and
    no published figure for the year equals the rounded-up amount (2022's were rounded half up)."""
    exact = _exact_allowance(children, rules)
    if exact == exact.to_integral_value():
        return False
    return rules.large_family_published.get(children) != up_to_tenge(exact)
