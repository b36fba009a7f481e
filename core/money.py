"""Money is Decimal, and rounding happens here only, each mode named for the rule that uses it."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENGE = Decimal("1")
ZERO = Decimal("0")


def to_cents(amount: Decimal) -> Decimal:
    """Round to the tiyn (two decimals), half up: how amounts and per-capita income are shown.

    The law fixes no rounding of TSA amounts (tsa-rules §7.9), so the core keeps exact values and
    rounds only for display and totals.
    """
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_tenge(amount: Decimal) -> Decimal:
    """Round to the whole tenge, half up: how published poverty lines are computed (70% × ПМ)."""
    return amount.quantize(TENGE, rounding=ROUND_HALF_UP)


def up_to_tenge(amount: Decimal) -> Decimal:
    """Round up to the whole tenge: the published large-family allowance tables (spec §3.11)."""
    return amount.quantize(TENGE, rounding=ROUND_CEILING)
