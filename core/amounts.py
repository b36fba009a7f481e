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


def large_family_children(household: Household, rules: InForce) -> int:
    """Art. 90: minor children living with the family, and full-time students after 18 until they
    reach 23 wherever they live; not children on full state support (or otherwise excluded)."""
    limit = rules.large_family.student_age_limit if rules.large_family.in_force else 23
    count = 0
    for m in household.members:
        if m.absence in _EXCLUDED:
            continue
        if m.age < 18:
            if m.absence in (None, "studies_away"):
                count += 1
        elif m.student_full_time and m.age < limit:
            count += 1
    return count


def large_family_allowance(children: int, rules: InForce) -> Decimal:
    """Art. 91: 16.03 MRP for four children, 20.04 for five, 24.05 for six, 28.06 for seven, and
    4 MRP per child from eight, whatever the income. Rounded up to the tenge as the published
    tables are (tsa-rules §3.11; flagged)."""
    rule = rules.large_family
    if not rule.in_force:
        return Decimal(0)
    if rule.per_child_from and children >= rule.per_child_from:
        return up_to_tenge(rule.per_child_coefficient * children * rules.mrp)
    coefficient = rule.coefficients.get(children)
    if coefficient is None:
        return Decimal(0)
    return up_to_tenge(coefficient * rules.mrp)
