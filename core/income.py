"""Per-capita income and the income test (Social Code art. 120 p.1, 127 p.2, 128 sp.1)."""

from __future__ import annotations

from decimal import Decimal

from core.household import Household, Member
from core.parameters import InForce


def monthly_family_income(counted: tuple[Member, ...]) -> Decimal:
    """Art. 127 p.2: the family's countable income over the quarter before the application quarter,
    per month, where it is given as one number a member (already countable)."""
    return sum([m.income for m in counted], Decimal(0))


def named_incomes(counted: tuple[Member, ...]) -> dict[str, Decimal]:
    """The family's income named by kind, summed per kind (a kind named with 0 is kept: the
    family said it has none of it)."""
    named: dict[str, Decimal] = {}
    for m in counted:
        for kind, amount in m.incomes:
            named[kind] = named.get(kind, Decimal(0)) + amount
    return named


def counted_named_income(named: dict[str, Decimal], rules: InForce) -> Decimal:
    """Art. 127 p.1 and the rules on total income: each named kind counts as
    `income_kinds.yaml` says for the date (tsa-rules §7.2: the large-family allowance counted,
    stipends and the allowance for a disabled child not, farm income counted unless the district
    declares it not yielding income; the doubtful ones are flagged)."""
    kinds = rules.income_kinds
    return sum([amount for kind, amount in named.items() if kinds[kind].counted], Decimal(0))


def loan_income(household: Household, rules: InForce) -> Decimal:
    """Provisional (tsa-rules §7.3): since September 2025 MinLabor counts the principal of loans
    other than mortgages received in the income quarter as conditional income, spread over the
    quarter's three months (the minister's illustration). Zero before the methodology."""
    if not rules.loans.counted or household.non_mortgage_loans == 0:
        return Decimal(0)
    return household.non_mortgage_loans / rules.loans.months_divisor


def per_capita_income(total: Decimal, family_size: int) -> Decimal:
    """Art. 127 p.2: total income of the previous quarter divided by the members and by three
    months; `total` is already monthly."""
    return total / family_size


def meets_income_test(total: Decimal, family_size: int, line: Decimal) -> bool:
    """Art. 120 p.1 and 128 sp.1: per-capita income not exceeding the poverty line. Income
    exactly at the line is not refused (tsa-rules §7.1). Compared as total ≤ line × members so no
    division rounds the boundary."""
    return total <= line * family_size
