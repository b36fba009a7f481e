"""The poverty line for a region and quarter: given, published, or estimated from the rule in force
(Social Code art. 120 p.3-4; MTSZN order No. 160 and its predecessors)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.dates import quarter_label
from core.household import Household
from core.money import to_tenge
from core.parameters import InForce, ParameterStore
from core.reasons import Reason, reason, sourced


@dataclass(slots=True)  # a record: never changed after it is built
class PovertyLine:
    """The line used, and the band the real line is believed to lie in (the value itself when
    the line is given or published)."""

    value: Decimal
    estimated: bool
    reason: Reason
    flags: tuple[str, ...] = ()
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def lowest(self) -> Decimal:
        return self.value if self.low is None else self.low

    @property
    def highest(self) -> Decimal:
        return self.value if self.high is None else self.high


def estimate_poverty_line(rules: InForce) -> Decimal:
    """The line the rule in force gives with the parameters the core has.

    Akimats compute the line from the regional ПМ (and since 2025 the regional median income) of the
    previous quarter; those statistics are not in the parameters, so the estimate takes the
    budget-law ПМ in their place: the rule's own floor where it has one, its ПМ share otherwise.
    Since 2025 the line is the higher of 35% of the median and 70% of the ПМ, so 70% of the ПМ is
    the floor. Rounded to the whole tenge as every published line is.
    """
    rule = rules.poverty_line_rule
    share = (
        rule.budget_floor_share if rule.budget_floor_share is not None else rule.subsistence_share
    )
    return to_tenge(share * rules.subsistence_minimum)


def poverty_line(household: Household, store: ParameterStore, rules: InForce) -> PovertyLine:
    """An explicit line in the input wins; then the akimat's published value for the quarter; else
    an estimate, flagged `estimated_poverty_line`."""
    on = household.date
    if household.poverty_line is not None:
        given = reason("poverty_line_given", on, quarter=quarter_label(on))
        return PovertyLine(household.poverty_line, False, given)
    key = ("poverty_line", household.region, rules.poverty_line_key)
    found: PovertyLine | None = store.memo.get(key)
    if found is None:
        found = _table_line(household, store, rules)
        store.remember(key, found)
    return found


def _table_line(household: Household, store: ParameterStore, rules: InForce) -> PovertyLine:
    on = household.date
    quarter = quarter_label(on)
    published = store.published_poverty_line(household.region, on)
    if published is not None and published.value is not None:
        source = published.references[0]
        return PovertyLine(
            published.value,
            False,
            sourced(
                "poverty_line_published",
                f"{reason('poverty_line_published', on).article}; {source.title}",
                source.url,
                quarter=quarter,
                region=household.region,
            ),
            ("unverified_parameter",) if published.unverified else (),
        )
    rule_entry = store.parameters["poverty_line_rule"].entry_at(on)
    pm_entry = store.parameters["subsistence_minimum"].entry_at(on)
    flags = ["estimated_poverty_line"]
    if rules.poverty_line_rule.provisional:
        flags.append("provisional_rule")
    if pm_entry.unverified:
        flags.append("unverified_parameter")
    rule_ref = rule_entry.references[0]
    return PovertyLine(
        estimate_poverty_line(rules),
        True,
        sourced(
            "poverty_line_estimated",
            rule_ref.title,
            rule_ref.url,
            quarter=quarter,
            region=household.region,
            subsistence_minimum=rules.subsistence_minimum,
        ),
        tuple(flags),
    )
