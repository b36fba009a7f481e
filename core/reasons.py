"""Reason codes and flags: what every determination rests on, as codes with article and URL.

The core never returns text for people. A reason is a stable code, the article of the law (or the
order, decree or published source) it rests on, a URL, and the facts the rule used, so that the
dialogs can say it back in any language. Flags mark a judgement the domain spec calls doubtful
(tsa-rules.md §7) or an input the core had to estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

SOCIAL_CODE_URL = "https://adilet.zan.kz/rus/docs/K2300000224"
SOCIAL_CODE_IN_FORCE = date(2023, 7, 1)
TSA_LAW_2001 = (
    "Law No. 246-II of 17.07.2001 «On state targeted social assistance»",
    "https://adilet.zan.kz/eng/docs/Z010000246_",
)
FAMILY_ALLOWANCE_LAW_2005 = (
    "Law No. 63 of 28.06.2005 «On state allowances for families with children»",
    "https://adilet.zan.kz/eng/docs/Z050000063_/compare/rus",
)

Fact = str | int | Decimal | date | bool | None


@dataclass(slots=True)  # a record: never changed after it is built
class Reason:
    code: str
    article: str
    url: str
    facts: Mapping[str, Fact] = field(default_factory=dict)


# code -> Social Code article. Before the Code came into force (1 July 2023) the same rules stood
# in the 2001 TSA law (or the 2005 family-allowance law), which is then cited with the Code's
# article for orientation.
_ARTICLES: dict[str, str] = {
    "income_within_poverty_line": "art. 120 p.1",
    "income_at_poverty_line": "art. 120 p.1",
    "income_above_poverty_line": "art. 128 sp.1",
    "poverty_line_published": "art. 120 p.4",
    "poverty_line_given": "art. 120 p.4",
    "poverty_line_uncertain": "art. 120 p.4",
    "no_counted_members": "art. 120 p.5",
    "member_not_counted_conscript": "art. 120 p.5 sp.2",
    "member_not_counted_prison": "art. 120 p.5 sp.3",
    "member_not_counted_state_care": "art. 120 p.5 sp.1",
    "member_not_counted_student_over_age": "art. 120 p.5",
    "member_not_counted_student_not_full_time": "art. 120 p.5",
    "member_counted_works_away": "art. 120 p.5",
    "member_counted_studies_away": "art. 120 p.5",
    "able_bodied": "art. 1 sp.43",
    "not_able_bodied_disability": "art. 1 sp.43",
    "not_able_bodied_illness": "art. 1 sp.43",
    "not_able_bodied_pension_age": "art. 207 p.1",
    "unconditional_alone": "art. 121 sp.1",
    "unconditional_no_able_bodied": "art. 121 sp.2",
    "unconditional_sole_carer": "art. 121 sp.2",
    "minor_living_alone": "art. 122 p.1",
    "conditional_able_bodied": "art. 122 p.1",
    "social_contract_required": "art. 122 p.2",
    "one_carer_exempt": "art. 122 p.4 sp.4",
    "exempt_student_full_time": "art. 122 p.4 sp.2",
    "exempt_carer": "art. 122 p.4 sp.4",
    "exempt_permanent_job": "art. 122 p.4 sp.5",
    "suspended_entrepreneur": "art. 122 p.1",
    "property_dwellings": "art. 125 p.1 sp.1",
    "property_dwellings_within_area": "art. 125 p.1 sp.1",
    "property_commercial_premises": "art. 125 p.1 sp.2",
    "property_izhs_land_plot": "art. 125 p.1 sp.3",
    "property_passenger_cars": "art. 125 p.1 sp.4",
    "property_passenger_cars_allowed": "art. 125 p.1 sp.4",
    "property_commercial_vehicles": "art. 125 p.1 sp.5",
    "no_need_concluded": "art. 128 sp.3",
    "refused_employment_measures": "art. 128 sp.4",
    "contract_terminated": "art. 128 sp.5",
    "false_information": "art. 128 sp.6",
    "amount_per_member": "art. 126 p.1",
    "months_to_quarter_end": "art. 123 p.3",
    "child_payment": "art. 126 p.2",
    "large_family_allowance": "art. 90-91",
}
_CODE_ARTICLES = {code: f"Social Code {article}" for code, article in _ARTICLES.items()}
_PLAIN = {code: Reason(code, article, SOCIAL_CODE_URL) for code, article in _CODE_ARTICLES.items()}
_FAMILY_ALLOWANCE_CODES = frozenset({"large_family_allowance"})


def reason(code: str, on: date, **facts: Fact) -> Reason:
    """The reason `code` with the article in force on `on`."""
    if on >= SOCIAL_CODE_IN_FORCE:
        if not facts:  # a reason without facts is the same every time: share one
            return _PLAIN[code]
        return Reason(code, _CODE_ARTICLES[code], SOCIAL_CODE_URL, facts)
    article = _ARTICLES[code]
    title, url = FAMILY_ALLOWANCE_LAW_2005 if code in _FAMILY_ALLOWANCE_CODES else TSA_LAW_2001
    return Reason(code, f"{title} (Social Code {article} since 01.07.2023)", url, facts)


_MEMBER_REASONS: dict[tuple[str, int, bool], Reason] = {}


def member_reason(code: str, on: date, member: int) -> Reason:
    """`reason(code, on, member=member)`, shared: a reason about one member by index is the same
    every time, and households have few members, so each is built once."""
    key = (code, member, on >= SOCIAL_CODE_IN_FORCE)
    found = _MEMBER_REASONS.get(key)
    if found is None:
        found = _MEMBER_REASONS[key] = reason(code, on, member=member)
    return found


def sourced(code: str, article: str, url: str, **facts: Fact) -> Reason:
    """A reason that rests on an order, a decree or a published value rather than an article."""
    return Reason(code, article, url, facts)


def known_codes() -> frozenset[str]:
    return frozenset(_ARTICLES) | SOURCED_CODES


# Codes whose source comes from a parameter file (an order, a decree, a publication).
SOURCED_CODES = frozenset(
    {
        "poverty_line_estimated",
        "poverty_line_published_earlier",
        "non_mortgage_loan_counted",
        "provisional_loan_rule_decides",
        "income_not_counted",
        "fixed_child_amount",
        "assignment_period_fixed",
        "guaranteed_social_package",
    }
)

# A kind of income whose counting the domain spec doubts (§7.2), and the flag it raises when named.
INCOME_DOUBT_FLAGS = {
    kind: f"income_{kind}_doubtful"
    for kind in (
        "allowances",
        "large_family_allowance",
        "child_disability_allowance",
        "stipend",
        "farm",
    )
}

# Flags: a judgement the domain spec doubts, or an estimate. Stable codes, translated in dialogs.
FLAGS = (
    "estimated_poverty_line",
    "provisional_loan_rule",
    "zero_amount_child_payment_unknown",
    "large_family_allowance_rounding",
    "large_family_students_unconfirmed",
    "child_payment_half_tenge",
    "elderly_care_under_exemption_age",
    "elderly_over_80_read_as_81",
    "category_not_in_code",
    "social_contract_all_exempt",
    "age_changes_within_quarter",
    "parameter_past_review_date",
    "provisional_rule",
    "unverified_parameter",
    *INCOME_DOUBT_FLAGS.values(),
    "large_family_allowance_not_in_income",
)
