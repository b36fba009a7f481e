"""The poverty line for a region and quarter: given, published, or estimated from the rule in force
(Social Code art. 120 p.3-4; MTSZN order No. 160 and its predecessors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.dates import add_months, previous_quarter_start, quarter_label, quarter_start
from core.household import Household
from core.money import to_tenge
from core.parameters import NATIONAL, Entry, InForce, ParameterStore
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
    more_reasons: tuple[Reason, ...] = ()

    @property
    def lowest(self) -> Decimal:
        return self.value if self.low is None else self.low

    @property
    def highest(self) -> Decimal:
        return self.value if self.high is None else self.high


@dataclass(slots=True)  # a record: never changed after it is built
class Basis:
    """The subsistence minimum an estimate rests on: its kind (a key of the margins), the value,
    how many quarters older than the income quarter its statistics are, and the entries used."""

    kind: str
    subsistence_minimum: Decimal
    stale_quarters: int
    entries: tuple[Entry[Decimal], ...]


def _quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def statistical_basis(region: str, on: date, store: ParameterStore) -> Basis | None:
    """The best statistical ПМ for the quarter before `on`'s quarter (the income quarter), or None
    when no statistics are known by then.

    The region's own value for that quarter; else the region's latest earlier value moved with the
    national ПМ since (national now × region then / national then, where both were calculated for
    the same month); else the latest national value. Never a value calculated after the quarter.
    """
    income_start = previous_quarter_start(on)
    income_end = quarter_start(on) - timedelta(days=1)
    regional = store.statistics.get(region)
    national = store.statistics.get(NATIONAL)
    own = regional.entry_or_none(income_end) if regional is not None else None
    if own is not None and own.start >= income_start:
        assert own.value is not None  # entry_or_none returns entries holding a value
        return Basis("regional", own.value, 0, (own,))
    latest = national.entry_or_none(income_end) if national is not None else None
    if latest is None or national is None:
        return None
    assert latest.value is not None
    stale = _quarter_index(income_start) - _quarter_index(latest.start)
    if own is not None:
        then = national.entry_starting(own.start)
        if then is not None and then.value:
            assert own.value is not None
            moved = latest.value * own.value / then.value
            return Basis("regional_scaled", moved, stale, (own, latest, then))
    return Basis("national", latest.value, stale, (latest,))


def _recent_published(
    region: str, on: date, store: ParameterStore, window: int
) -> tuple[int, Entry[Decimal]] | None:
    """The line the akimat published most recently within `window` quarters before `on`'s."""
    start = quarter_start(on)
    for back in range(1, window + 1):
        found = store.published_poverty_line(region, add_months(start, -3 * back))
        if found is not None and found.value is not None:
            return back, found
    return None


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
    return estimate_poverty_line(household.region, on, store, rules)


def estimate_poverty_line(
    region: str, on: date, store: ParameterStore, rules: InForce
) -> PovertyLine:
    """The line the rule in force gives, estimated with what the parameters know, and the band
    the real line is believed to lie in.

    Akimats compute the line from the region's statistical ПМ (since 2025 also the median income)
    of the quarter before the application quarter. The estimate takes the rule's share of the
    best such ПМ known (`statistical_basis`), or of the budget-law ПМ before any statistics (the
    rule's own floor share where it has one); a period's budget-law floor holds; a line the
    akimat published within the last quarters is a lower bound. Rounded to the whole tenge as
    every published line is. The margins of `poverty_line_estimate.yaml` give the band.
    """
    quarter = quarter_label(on)
    rule = rules.poverty_line_rule
    est = rules.estimate
    rule_entry = store.parameters["poverty_line_rule"].entry_at(on)
    pm_entry = store.parameters["subsistence_minimum"].entry_at(on)
    basis = statistical_basis(region, on, store)
    if basis is None:
        share = (
            rule.budget_floor_share
            if rule.budget_floor_share is not None
            else rule.subsistence_share
        )
        basis = Basis("budget_law", rules.subsistence_minimum, 0, (pm_entry,))
    else:
        share = rule.subsistence_share
    central = to_tenge(share * basis.subsistence_minimum)
    below, above = est.margins[basis.kind]
    above = above + est.median_above + est.stale_quarter_above * basis.stale_quarters
    low = to_tenge(central * (1 - below))
    high = to_tenge(central * (1 + above))
    if rule.budget_floor_share is not None:  # April-September 2019: not below the budget-law line
        floor = to_tenge(rule.budget_floor_share * rules.subsistence_minimum)
        central, low, high = max(central, floor), max(low, floor), max(high, floor)
    reasons_extra: list[Reason] = []
    recent = _recent_published(region, on, store, est.published_window_quarters)
    if recent is not None:
        back, published = recent
        assert published.value is not None
        bound = published.value
        central, low = max(central, bound), max(low, bound)
        high = max(high, to_tenge(bound * (1 + est.stale_quarter_above * back)))
        reasons_extra.append(
            sourced(
                "poverty_line_published_earlier",
                f"{reason('poverty_line_published', on).article}; {published.references[0].title}",
                published.references[0].url,
                line=bound,
                quarter=quarter_label(published.start),
            )
        )
    flags = ["estimated_poverty_line"]
    if rule.provisional:
        flags.append("provisional_rule")
    used = [*basis.entries, *((recent[1],) if recent is not None else ())]
    if any(entry.unverified for entry in used):
        flags.append("unverified_parameter")
    rule_ref = rule_entry.references[0]
    return PovertyLine(
        central,
        True,
        sourced(
            "poverty_line_estimated",
            rule_ref.title,
            rule_ref.url,
            quarter=quarter,
            region=region,
            basis=basis.kind,
            subsistence_minimum=to_tenge(basis.subsistence_minimum),
            line=central,
            low=low,
            high=high,
        ),
        tuple(flags),
        low,
        high,
        tuple(reasons_extra),
    )
