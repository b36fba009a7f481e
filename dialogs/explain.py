"""The explanation of an assessment a person can read: the answer, the amounts, who must do what,
and why, each reason with the article it rests on. Returns messages, never text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from core.assess import ELIGIBLE, INELIGIBLE, NEEDS_REVIEW, Assessment
from core.family import CONDITIONAL, EXEMPT, REQUIRED, UNCONDITIONAL
from core.reasons import Reason
from dialogs.text import Money, Text, msg, nmsg

_ARTICLE = re.compile(r"Social Code art\. ([\d-]+)(?: p\.(\d+))?(?: sp\.(\d+))?")


def citation(reason: Reason) -> Text:
    """The article in the reader's language, or the source's address when it is not an article."""
    found = _ARTICLE.search(reason.article)
    if found is None:
        return msg("source: {url}", url=reason.url)
    article, point, sub = found.groups()
    if point and sub:
        return msg(
            "Social Code, art. {article}, p. {point}, subp. {sub}",
            article=article,
            point=point,
            sub=sub,
        )
    if point:
        return msg("Social Code, art. {article}, p. {point}", article=article, point=point)
    if sub:
        return msg("Social Code, art. {article}, subp. {sub}", article=article, sub=sub)
    if article.isdecimal():
        return msg("Social Code, art. {article}", article=article)
    return msg("Social Code, arts. {article}", article=article)


def person(index: int) -> Text:
    return msg("Member {number}", number=index + 1)


def _member(reason: Reason) -> Text:
    index = reason.facts.get("member")
    return person(index if isinstance(index, int) else 0)


def _care(code: str) -> Text:
    texts = {
        "cares_for_child_under_3": msg("cares for a child under three"),
        "cares_for_child_under_7": msg("cares for a child under seven"),
        "cares_for_child_with_disability": msg("cares for a child with a disability"),
        "cares_for_person_with_disability": msg(
            "cares for a person with a group I or II disability"
        ),
        "cares_for_elderly_over_80": msg("cares for an elderly person over 80 who needs care"),
        "cares_for_elderly_needing_care": msg("cares for an elderly person who needs care"),
        "student_full_time": msg("studies full-time"),
        "permanent_job": msg("has a permanent job"),
    }
    return texts.get(code, msg("is exempt"))


def _money_fact(reason: Reason, key: str) -> Money:
    value = reason.facts.get(key)
    return Money(value if isinstance(value, Decimal) else Decimal(0))


def _date_fact(reason: Reason, key: str) -> date:
    value = reason.facts.get(key)
    return value if isinstance(value, date) else date.min


def _int_fact(reason: Reason, key: str) -> int:
    value = reason.facts.get(key)
    return value if isinstance(value, int) else 0


# What an estimated poverty line rests on (core/poverty_line.py, `Basis.kind`).
_BASES: dict[str, Text] = {
    "regional": msg("from the region's subsistence minimum for the previous quarter"),
    "regional_scaled": msg(
        "from the region's subsistence minimum of an earlier month, moved with the national one"
    ),
    "national": msg("from the national subsistence minimum, as the region's is not known"),
    "budget_law": msg(
        "from the subsistence minimum of the budget law, as no statistics for the quarter are known"
    ),
}

# Kinds of income a household may name (core/household.py INCOME_KINDS).
_INCOME_KINDS: dict[str, Text] = {
    "wages": msg("wages"),
    "pension": msg("a pension"),
    "allowances": msg("state allowances"),
    "large_family_allowance": msg("the large-family allowance"),
    "child_disability_allowance": msg("the allowance for a child with a disability"),
    "alimony": msg("alimony"),
    "stipend": msg("a stipend"),
    "farm": msg("income from a farm or plot"),
    "other": msg("other income"),
}

_REASONS: dict[str, Callable[[Reason], Text]] = {
    "income_within_poverty_line": lambda r: msg(
        "Income per person, {income} a month, does not exceed the poverty line of {line}.",
        income=_money_fact(r, "per_capita_income"),
        line=_money_fact(r, "poverty_line"),
    ),
    "income_at_poverty_line": lambda r: msg(
        "Income per person is exactly at the poverty line, so the difference to pay is zero."
    ),
    "income_above_poverty_line": lambda r: msg(
        "Income per person, {income} a month, is above the poverty line of {line}.",
        income=_money_fact(r, "per_capita_income"),
        line=_money_fact(r, "poverty_line"),
    ),
    "poverty_line_published": lambda r: msg(
        "The poverty line is the one the akimat published for the quarter."
    ),
    "poverty_line_given": lambda r: msg("The poverty line used is the one given."),
    "poverty_line_estimated": lambda r: msg(
        "The akimat's poverty line for this quarter is not yet known to us; it was estimated at "
        "{line} {basis}, and is likely between {low} and {high}.",
        line=_money_fact(r, "line"),
        basis=_BASES.get(str(r.facts.get("basis")), _BASES["budget_law"]),
        low=_money_fact(r, "low"),
        high=_money_fact(r, "high"),
    ),
    "poverty_line_published_earlier": lambda r: msg(
        "It is taken as no lower than {line}, the line the akimat published for {quarter}.",
        line=_money_fact(r, "line"),
        quarter=str(r.facts.get("quarter", "")),
    ),
    "no_counted_members": lambda r: msg("Nobody in the household counts as a family member."),
    "member_not_counted_conscript": lambda r: msg(
        "{person} is on military service and is not counted in the family.", person=_member(r)
    ),
    "member_not_counted_prison": lambda r: msg(
        "{person} is in a place of detention and is not counted in the family.",
        person=_member(r),
    ),
    "member_not_counted_state_care": lambda r: msg(
        "{person} is fully supported by the state and is not counted in the family.",
        person=_member(r),
    ),
    "member_not_counted_student_over_age": lambda r: msg(
        "{person} studies away from home and is 23 or older, so is not counted in the family.",
        person=_member(r),
    ),
    "member_not_counted_student_not_full_time": lambda r: msg(
        "{person} studies away from home but not full-time, so is not counted in the family.",
        person=_member(r),
    ),
    "able_bodied": lambda r: msg(
        "{person} is able-bodied: aged 18 to the pension age, with no group I or II disability "
        "and no long illness.",
        person=_member(r),
    ),
    "not_able_bodied_disability": lambda r: msg(
        "{person} has a group I or II disability and is not counted as able-bodied.",
        person=_member(r),
    ),
    "not_able_bodied_illness": lambda r: msg(
        "{person} has a long illness and is not counted as able-bodied.", person=_member(r)
    ),
    "not_able_bodied_pension_age": lambda r: msg(
        "{person} has reached the pension age and is not counted as able-bodied.",
        person=_member(r),
    ),
    "member_counted_works_away": lambda r: msg(
        "{person} works in another place but is counted in the family.", person=_member(r)
    ),
    "member_counted_studies_away": lambda r: msg(
        "{person} studies in another place but is counted in the family.", person=_member(r)
    ),
    "unconditional_alone": lambda r: msg(
        "A person living alone who has reached pension age, has a group I or II disability "
        "or a long illness receives unconditional cash assistance."
    ),
    "unconditional_no_able_bodied": lambda r: msg(
        "There is no able-bodied member in the family, so the assistance is unconditional."
    ),
    "unconditional_sole_carer": lambda r: msg(
        "The only able-bodied member {care}, so the assistance is unconditional.",
        care=_care(str(r.facts.get("care", ""))),
    ),
    "minor_living_alone": lambda r: msg(
        "{person} is under 18 and lives alone: the law names such a person neither among those "
        "who get unconditional assistance nor among the able-bodied. By the rule used here the "
        "assistance is conditional; the office that assigns TSA decides.",
        person=_member(r),
    ),
    "conditional_able_bodied": lambda r: msg(
        "The family has able-bodied members, so the assistance is conditional."
    ),
    "social_contract_required": lambda r: msg(
        "Conditional cash assistance is paid under a social contract signed at the career centre."
    ),
    "one_carer_exempt": lambda r: msg(
        "Only one able-bodied carer in a family is exempt from employment measures."
    ),
    "exempt_student_full_time": lambda r: msg(
        "{person} studies full-time and is exempt from employment measures.", person=_member(r)
    ),
    "exempt_permanent_job": lambda r: msg(
        "{person} has a permanent job and is exempt from employment measures.", person=_member(r)
    ),
    "exempt_carer": lambda r: msg(
        "{person} {care} and is exempt from employment measures.",
        person=_member(r),
        care=_care(str(r.facts.get("care", ""))),
    ),
    "suspended_entrepreneur": lambda r: msg(
        "{person} has suspended a business and must take part in employment measures.",
        person=_member(r),
    ),
    "property_dwellings": lambda r: msg(
        "The family owns more than one dwelling with more than 18 m² per member."
    ),
    "property_dwellings_within_area": lambda r: msg(
        "The family owns more than one dwelling, but within 18 m² per member: this is allowed."
    ),
    "property_commercial_premises": lambda r: msg(
        "The family owns separate premises used to earn income."
    ),
    "property_izhs_land_plot": lambda r: msg(
        "The family owns a plot for individual housing besides a dwelling."
    ),
    "property_passenger_cars": lambda r: msg("The family owns more than one passenger car."),
    "property_passenger_cars_allowed": lambda r: msg(
        "A large family or a family with a disabled member may own more than one car."
    ),
    "property_commercial_vehicles": lambda r: msg(
        "The family owns farm machinery, a bus, a truck or other transport for work."
    ),
    "no_need_concluded": lambda r: msg(
        "With such property the district commission is likely to conclude there is no need."
    ),
    "refused_employment_measures": lambda r: msg(
        "A family member refused employment measures on {since}; assistance is refused "
        "until {until}.",
        since=_date_fact(r, "since"),
        until=_date_fact(r, "until"),
    ),
    "contract_terminated": lambda r: msg(
        "A social contract was terminated on {since}; assistance is refused until {until}.",
        since=_date_fact(r, "since"),
        until=_date_fact(r, "until"),
    ),
    "false_information": lambda r: msg(
        "False information was given on {since}; assistance is refused until {until}.",
        since=_date_fact(r, "since"),
        until=_date_fact(r, "until"),
    ),
    "non_mortgage_loan_counted": lambda r: msg(
        "A loan other than a mortgage counts as income of {amount} a month (a third of it).",
        amount=_money_fact(r, "monthly"),
    ),
    "income_not_counted": lambda r: msg(
        "Income of this kind is not counted: {kind}, {amount} a month.",
        kind=_INCOME_KINDS.get(str(r.facts.get("kind")), _INCOME_KINDS["other"]),
        amount=_money_fact(r, "amount"),
    ),
    "provisional_loan_rule_decides": lambda r: msg(
        "Counting the loan as income rests on a new rule that is not yet in the Code, so a "
        "specialist must check the answer."
    ),
    "poverty_line_uncertain": lambda r: msg(
        "The akimat has not yet published this quarter's poverty line; it is likely between "
        "{low} and {high}, and income per person, {income}, is within that range.",
        low=_money_fact(r, "low"),
        high=_money_fact(r, "high"),
        income=_money_fact(r, "per_capita_income"),
    ),
    "amount_per_member": lambda r: msg(
        "The amount is the difference between the poverty line and the income per person, "
        "for each family member."
    ),
    "fixed_child_amount": lambda r: msg(
        "In 2019 each child received a fixed amount instead of the difference."
    ),
    "months_to_quarter_end": lambda r: msg(
        "Assistance is assigned from the month of application to the end of the quarter."
    ),
    "assignment_period_fixed": lambda r: nmsg(
        "In that year assistance was assigned for {n} month.",
        "In that year assistance was assigned for {n} months.",
        _int_fact(r, "months"),
    ),
    "child_payment": lambda r: msg(
        "Each child from one to six years old receives an additional 1.5 MRP a month."
    ),
    "guaranteed_social_package": lambda r: msg(
        "Children received the guaranteed social package in kind."
    ),
    "large_family_allowance": lambda r: msg(
        "A family raising four or more children receives the large-family allowance "
        "whatever its income."
    ),
}

_FLAGS: dict[str, Text] = {
    "estimated_poverty_line": msg(
        "The poverty line is an estimate: the real line for your region may be higher or lower, "
        "and the amount with it."
    ),
    "provisional_loan_rule": msg(
        "The rule on loans is new and not yet in the Code; a specialist will check it."
    ),
    "zero_amount_child_payment_unknown": msg(
        "It is not certain whether the child payment is made when the amount is zero; "
        "ask at the career centre."
    ),
    "large_family_allowance_rounding": msg(
        "The large-family allowance was rounded up to the tenge; no published table for this "
        "date shows the same figure, so the last tenge may differ."
    ),
    "large_family_students_unconfirmed": msg(
        "Before July 2023 it is not confirmed that full-time students counted for the "
        "large-family allowance; they were not counted here."
    ),
    "income_allowances_doubtful": msg(
        "Whether state allowances count as income is not certain today; they were counted. "
        "The career centre will check."
    ),
    "income_large_family_allowance_doubtful": msg(
        "Whether the large-family allowance counts as income is not certain today; it was "
        "counted, as in the most recent known case. The career centre will check."
    ),
    "income_child_disability_allowance_doubtful": msg(
        "Whether the allowance for a child with a disability counts as income is not certain "
        "today; it was not counted. The career centre will check."
    ),
    "income_stipend_doubtful": msg(
        "Whether a stipend counts as income is not certain today; it was not counted, as in the "
        "2019 rules. The career centre will check."
    ),
    "income_farm_doubtful": msg(
        "Income from livestock, poultry or a plot counts unless the district akimat has "
        "declared it not to yield income; ask at the career centre."
    ),
    "large_family_allowance_not_in_income": msg(
        "The large-family allowance counts as income: if the family received it in the income "
        "months and did not include it, the answer may change."
    ),
    "child_payment_half_tenge": msg(
        "The child payment of 1.5 MRP has half a tenge; how it is rounded when paid is not known."
    ),
    "elderly_care_under_exemption_age": msg(
        "Whether care for an elderly person not over 80 counts is not certain; "
        "the commission decides."
    ),
    "elderly_over_80_read_as_81": msg(
        "The law exempts one carer of a person «over 80»; a person of exactly 80 was not "
        "counted as over 80. The career centre decides."
    ),
    "category_not_in_code": msg(
        "The law names no kind of assistance for this household; the office that assigns TSA "
        "decides."
    ),
    "social_contract_all_exempt": msg(
        "All able-bodied members are exempt from employment measures; the career centre "
        "will say whether a social contract is still needed."
    ),
    "age_changes_within_quarter": msg(
        "Someone's birthday this quarter changes a rule; "
        "the ages on the application date were used."
    ),
    "parameter_past_review_date": msg(
        "Some amounts of the law for this date may have changed and are being checked."
    ),
    "provisional_rule": msg("A rule for this date is uncertain; a specialist will check it."),
    "unverified_parameter": msg("An amount used for this date is not yet verified."),
}


def headline(a: Assessment) -> Text:
    if a.status == ELIGIBLE and "category_not_in_code" in a.flags:
        return msg(
            "Your family's income is within the poverty line, but the law names no kind of "
            "assistance for this household: the office that assigns TSA decides."
        )
    if a.status == ELIGIBLE and a.category == UNCONDITIONAL:
        return msg("Your family is likely eligible for unconditional cash assistance (TSA).")
    if a.status == ELIGIBLE and a.category == CONDITIONAL:
        return msg(
            "Your family is likely eligible for conditional cash assistance (TSA), "
            "under a social contract."
        )
    band = _reason(a, "poverty_line_uncertain")
    if a.status == NEEDS_REVIEW and band is not None:
        return msg(
            "Income per person is {income} a month. This quarter's poverty line for your region is "
            "not published yet and is likely between {low} and {high}, so a specialist must check "
            "whether you qualify.",
            income=_money_fact(band, "per_capita_income"),
            low=_money_fact(band, "low"),
            high=_money_fact(band, "high"),
        )
    if a.status == NEEDS_REVIEW:
        loan = _reason(a, "provisional_loan_rule_decides")
        if _reason(a, "poverty_line_uncertain") is None and loan is not None:
            if _money_fact(loan, "with_loan").amount > 0:
                return msg(
                    "Your family is likely eligible for TSA; the amount depends on a new rule on "
                    "loans that is not yet in the Code, which a specialist must check."
                )
            return msg(
                "Without the loan your family would likely be eligible for TSA; whether the loan "
                "counts as income is a new rule that is not yet in the Code, so a specialist "
                "must check."
            )
        return msg("A specialist must look at your case before an answer can be given.")
    return msg("Your family is likely not eligible for TSA now.")


def _reason(a: Assessment, code: str) -> Reason | None:
    return next((r for r in a.reasons if r.code == code), None)


def amounts(a: Assessment, short: bool = False) -> list[Text]:
    """The money lines: TSA, the child payment, the large-family allowance, and the income change
    that would make the family eligible. `short` is the wording SMS can afford."""
    lines: list[Text] = []
    money, total = Money(a.monthly_amount), Money(a.quarter_total)
    if a.status == ELIGIBLE:
        lines.append(
            nmsg(
                "{amount} a month for {n} month: {total}.",
                "{amount} a month for {n} months: {total}.",
                a.months,
                amount=money,
                total=total,
            )
            if short
            else nmsg(
                "TSA: {amount} a month for {n} month, {total} in all.",
                "TSA: {amount} a month for {n} months, {total} in all.",
                a.months,
                amount=money,
                total=total,
            )
        )
        if a.child_payment_monthly > 0:
            child, count = Money(a.child_payment_monthly), a.child_payment_children
            lines.append(
                nmsg(
                    "Plus {amount} a month for {n} child aged 1-6.",
                    "Plus {amount} a month for {n} children aged 1-6.",
                    count,
                    amount=child,
                )
                if short
                else nmsg(
                    "Additional payment for {n} child aged 1 to 6: {amount} a month.",
                    "Additional payment for {n} children aged 1 to 6: {amount} a month.",
                    count,
                    amount=child,
                )
            )
    if a.poverty_line_estimated and a.status != INELIGIBLE:
        low, high = Money(a.monthly_amount_low), Money(a.monthly_amount_high)
        lines.append(
            msg("With the real line: {low} to {high} a month.", low=low, high=high)
            if short
            else msg(
                "The real poverty line is likely between {line_low} and {line_high}: TSA would "
                "then be from {low} to {high} a month.",
                line_low=Money(a.poverty_line_low),
                line_high=Money(a.poverty_line_high),
                low=low,
                high=high,
            )
        )
    loan = _reason(a, "provisional_loan_rule_decides")
    if a.status == NEEDS_REVIEW and loan is not None:
        with_loan, without = _money_fact(loan, "with_loan"), _money_fact(loan, "without_loan")
        lines.append(
            msg(
                "With the loan: {with_loan} a month; without it: {without} a month.",
                with_loan=with_loan,
                without=without,
            )
            if short
            else msg(
                "TSA with the loan counted: {with_loan} a month; without it: {without} a month.",
                with_loan=with_loan,
                without=without,
            )
        )
    if a.large_family_allowance_monthly > 0:
        allowance = Money(a.large_family_allowance_monthly)
        lines.append(
            msg("Large-family allowance: {amount} a month.", amount=allowance)
            if short
            else msg(
                "Large-family allowance: {amount} a month, whatever the income.", amount=allowance
            )
        )
    if a.status == INELIGIBLE and a.income_gap > 0 and _only_income_refuses(a):
        gap = Money(a.income_gap)
        lines.append(
            msg("With {amount} less income a month you would qualify.", amount=gap)
            if short
            else msg(
                "With {amount} less family income a month the family would qualify.", amount=gap
            )
        )
    return lines


def short_summary(a: Assessment) -> list[Text]:
    """The result as one SMS conversation can afford it (at most 4 segments with the menu)."""
    if a.status == ELIGIBLE and "category_not_in_code" in a.flags:
        lines = [msg("Income within the line; the office decides the kind of help.")]
    elif a.status == ELIGIBLE and a.category == UNCONDITIONAL:
        lines = [msg("Likely eligible: unconditional cash assistance.")]
    elif a.status == ELIGIBLE:
        lines = [msg("Likely eligible: conditional cash assistance (social contract).")]
    elif a.status == NEEDS_REVIEW:
        lines = [msg("A specialist must check your case.")]
    else:
        lines = [msg("Likely not eligible now.")]
    lines.extend(amounts(a, short=True))
    if a.poverty_line_estimated and a.status == INELIGIBLE:
        lines.append(msg("The poverty line is an estimate."))
    lines.append(next_step(a, short=True))
    return lines


def _only_income_refuses(a: Assessment) -> bool:
    refusing = {
        "no_need_concluded",
        "refused_employment_measures",
        "contract_terminated",
        "false_information",
        "no_counted_members",
    }
    return not any(r.code in refusing for r in a.reasons)


# Reasons that say why one member is exempt: shown with the obligations, cited there.
_EXEMPTIONS = frozenset(
    {"exempt_student_full_time", "exempt_permanent_job", "exempt_carer", "unconditional_sole_carer"}
)
# Reasons about one member that the obligations already say in short: left out where no article
# is cited (SMS), to keep the message short.
_MEMBER_DETAIL = frozenset(
    {
        "able_bodied",
        "not_able_bodied_disability",
        "not_able_bodied_illness",
        "not_able_bodied_pension_age",
        "exempt_student_full_time",
        "exempt_permanent_job",
        "exempt_carer",
    }
)


def obligations(a: Assessment, cite: bool = False) -> list[Text]:
    """Who must take part in employment measures and who is exempt, and why; with `cite` each
    exemption carries the article it rests on (art. 122 p.4, or art. 121 sp.2 for the sole
    carer of an unconditional family)."""
    if a.status == INELIGIBLE:
        return []
    grounds = {r.facts.get("member"): r for r in a.reasons if r.code in _EXEMPTIONS} if cite else {}
    lines = []
    for m in a.members:
        if m.employment_measures == REQUIRED:
            lines.append(
                msg("{person} must take part in employment measures.", person=person(m.index))
            )
        elif m.employment_measures == EXEMPT and m.exempt_reason is not None:
            line = msg(
                "{person} is exempt from employment measures: {reason}.",
                person=person(m.index),
                reason=_care(m.exempt_reason),
            )
            ground = grounds.get(m.index)
            if ground is not None:
                line = msg("{sentence} ({citation})", sentence=line, citation=citation(ground))
            lines.append(line)
    return lines


def reason_lines(a: Assessment, cite: bool = True) -> list[Text]:
    """A sentence per reason; with the article it rests on unless `cite` is off (SMS)."""
    lines = []
    for r in a.reasons:
        if (
            r.code in _EXEMPTIONS
            and r.code != "unconditional_sole_carer"
            and a.status != INELIGIBLE
        ):
            continue  # said with the obligations
        if not cite and r.code in _MEMBER_DETAIL:
            continue
        make = _REASONS.get(r.code)
        if make is not None:
            sentence = make(r)
            lines.append(
                msg("{sentence} ({citation})", sentence=sentence, citation=citation(r))
                if cite
                else sentence
            )
    return lines


def flag_lines(a: Assessment) -> list[Text]:
    return [_FLAGS[f] for f in a.flags if f in _FLAGS]


def next_step(a: Assessment, short: bool = False) -> Text:
    if a.status == INELIGIBLE:
        if short:
            return msg("If things change, check again.")
        return msg(
            "If your situation changes, check again; the career centre can advise on other help."
        )
    if short:
        return msg("Apply on egov.kz or at the career centre.")
    return msg(
        "Next step: apply on eGov (egov.kz) or at your career centre; in a village, "
        "at the akim's office."
    )


def explain(a: Assessment) -> list[Text]:
    """The whole explanation, in reading order."""
    lines = [headline(a), *amounts(a), *obligations(a, cite=True)]
    reasons = reason_lines(a)
    if reasons:
        lines.append(msg("Why:"))
        lines.extend(reasons)
    flags = flag_lines(a)
    if flags:
        lines.append(msg("Please note:"))
        lines.extend(flags)
    lines.append(next_step(a))
    return lines


def known_reason_codes() -> frozenset[str]:
    return frozenset(_REASONS)


def known_flags() -> frozenset[str]:
    return frozenset(_FLAGS)
