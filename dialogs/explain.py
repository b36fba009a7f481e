"""The explanation of an assessment a person can read: the answer, the amounts, who must do what,
and why, each reason with the article it rests on. Returns messages, never text.

Each outcome gets only the lines that apply to it: a refused family reads nothing about its
amount or its social contract. Members are named by their age where the ages are known ("the
member aged 36"), by their number otherwise (`komek assess --explain`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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


Ages = Sequence[int] | None  # the members' ages in the order given, where they are known


def person(index: int, ages: Ages = None) -> Text:
    """ "The member aged 36"; with the number too where two members share an age."""
    if ages is None or not 0 <= index < len(ages):
        return msg("Member {number}", number=index + 1)
    age = ages[index]
    if list(ages).count(age) > 1:
        return nmsg(
            "The member aged {n} (no. {number})",
            "The member aged {n} (no. {number})",
            age,
            number=index + 1,
        )
    return nmsg("The member aged {n}", "The member aged {n}", age)


def _member(reason: Reason, ages: Ages) -> Text:
    index = reason.facts.get("member")
    return person(index if isinstance(index, int) else 0, ages)


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

_REASONS: dict[str, Callable[[Reason, Text], Text]] = {
    "income_within_poverty_line": lambda r, who: msg(
        "Income per person, {income} a month, does not exceed the poverty line of {line}.",
        income=_money_fact(r, "per_capita_income"),
        line=_money_fact(r, "poverty_line"),
    ),
    "income_at_poverty_line": lambda r, who: msg(
        "Income per person is exactly at the poverty line, so the difference to pay is zero."
    ),
    "income_above_poverty_line": lambda r, who: msg(
        "Income per person, {income} a month, is above the poverty line of {line}.",
        income=_money_fact(r, "per_capita_income"),
        line=_money_fact(r, "poverty_line"),
    ),
    "poverty_line_published": lambda r, who: msg(
        "The poverty line is the one the akimat published for the quarter."
    ),
    "poverty_line_given": lambda r, who: msg("The poverty line used is the one given."),
    "poverty_line_estimated": lambda r, who: msg(
        "The akimat's poverty line for this quarter is not yet known to us; it was estimated at "
        "{line} {basis}, and is likely between {low} and {high}.",
        line=_money_fact(r, "line"),
        basis=_BASES.get(str(r.facts.get("basis")), _BASES["budget_law"]),
        low=_money_fact(r, "low"),
        high=_money_fact(r, "high"),
    ),
    "poverty_line_published_earlier": lambda r, who: msg(
        "It is taken as no lower than {line}, the line the akimat published for {quarter}.",
        line=_money_fact(r, "line"),
        quarter=str(r.facts.get("quarter", "")),
    ),
    "no_counted_members": lambda r, who: msg("Nobody in the household counts as a family member."),
    "member_not_counted_conscript": lambda r, who: msg(
        "{person} is on military service and is not counted in the family.", person=who
    ),
    "member_not_counted_prison": lambda r, who: msg(
        "{person} is in a place of detention and is not counted in the family.",
        person=who,
    ),
    "member_not_counted_state_care": lambda r, who: msg(
        "{person} is fully supported by the state and is not counted in the family.",
        person=who,
    ),
    "member_not_counted_student_over_age": lambda r, who: msg(
        "{person} studies away from home and is 23 or older, so is not counted in the family.",
        person=who,
    ),
    "member_not_counted_student_not_full_time": lambda r, who: msg(
        "{person} studies away from home but not full-time, so is not counted in the family.",
        person=who,
    ),
    "able_bodied": lambda r, who: msg(
        "{person} is able-bodied: aged 18 to the pension age, with no group I or II disability "
        "and no long illness.",
        person=who,
    ),
    "not_able_bodied_disability": lambda r, who: msg(
        "{person} has a group I or II disability and is not counted as able-bodied.",
        person=who,
    ),
    "not_able_bodied_illness": lambda r, who: msg(
        "{person} has a long illness and is not counted as able-bodied.", person=who
    ),
    "not_able_bodied_pension_age": lambda r, who: msg(
        "{person} has reached the pension age and is not counted as able-bodied.",
        person=who,
    ),
    "member_counted_works_away": lambda r, who: msg(
        "{person} works in another place but is counted in the family.", person=who
    ),
    "member_counted_studies_away": lambda r, who: msg(
        "{person} studies in another place but is counted in the family.", person=who
    ),
    "unconditional_alone": lambda r, who: msg(
        "A person living alone who has reached pension age, has a group I or II disability "
        "or a long illness receives unconditional cash assistance."
    ),
    "unconditional_no_able_bodied": lambda r, who: msg(
        "There is no able-bodied member in the family, so the assistance is unconditional."
    ),
    "unconditional_sole_carer": lambda r, who: msg(
        "The only able-bodied member {care}, so the assistance is unconditional.",
        care=_care(str(r.facts.get("care", ""))),
    ),
    "minor_living_alone": lambda r, who: msg(
        "{person} is under 18 and lives alone: the law names such a person neither among those "
        "who get unconditional assistance nor among the able-bodied. By the rule used here the "
        "assistance is conditional; the office that assigns TSA decides.",
        person=who,
    ),
    "conditional_able_bodied": lambda r, who: msg(
        "The family has able-bodied members, so the assistance is conditional."
    ),
    "social_contract_required": lambda r, who: msg(
        "Conditional cash assistance is paid under a social contract signed at the career centre."
    ),
    "one_carer_exempt": lambda r, who: msg(
        "Only one able-bodied carer in a family is exempt from employment measures."
    ),
    "exempt_student_full_time": lambda r, who: msg(
        "{person} studies full-time and is exempt from employment measures.", person=who
    ),
    "exempt_permanent_job": lambda r, who: msg(
        "{person} has a permanent job and is exempt from employment measures.", person=who
    ),
    "exempt_carer": lambda r, who: msg(
        "{person} {care} and is exempt from employment measures.",
        person=who,
        care=_care(str(r.facts.get("care", ""))),
    ),
    "suspended_entrepreneur": lambda r, who: msg(
        "{person} has suspended a business and must take part in employment measures.",
        person=who,
    ),
    "property_dwellings": lambda r, who: msg(
        "The family owns more than one dwelling with more than 18 m² per member."
    ),
    "property_dwellings_within_area": lambda r, who: msg(
        "The family owns more than one dwelling, but within 18 m² per member: this is allowed."
    ),
    "property_commercial_premises": lambda r, who: msg(
        "The family owns separate premises used to earn income."
    ),
    "property_izhs_land_plot": lambda r, who: msg(
        "The family owns a plot for individual housing besides a dwelling."
    ),
    "property_passenger_cars": lambda r, who: msg("The family owns more than one passenger car."),
    "property_passenger_cars_allowed": lambda r, who: msg(
        "A large family or a family with a disabled member may own more than one car."
    ),
    "property_commercial_vehicles": lambda r, who: msg(
        "The family owns farm machinery, a bus, a truck or other transport for work."
    ),
    "no_need_concluded": lambda r, who: msg(
        "With such property the district commission is likely to conclude there is no need."
    ),
    "refused_employment_measures": lambda r, who: msg(
        "A family member refused employment measures on {since}; assistance is refused "
        "until {until}.",
        since=_date_fact(r, "since"),
        until=_date_fact(r, "until"),
    ),
    "contract_terminated": lambda r, who: msg(
        "A social contract was terminated on {since}; assistance is refused until {until}.",
        since=_date_fact(r, "since"),
        until=_date_fact(r, "until"),
    ),
    "false_information": lambda r, who: msg(
        "False information was given on {since}; assistance is refused until {until}.",
        since=_date_fact(r, "since"),
        until=_date_fact(r, "until"),
    ),
    "non_mortgage_loan_counted": lambda r, who: msg(
        "A loan other than a mortgage counts as income of {amount} a month (a third of it).",
        amount=_money_fact(r, "monthly"),
    ),
    "income_not_counted": lambda r, who: msg(
        "Income of this kind is not counted: {kind}, {amount} a month.",
        kind=_INCOME_KINDS.get(str(r.facts.get("kind")), _INCOME_KINDS["other"]),
        amount=_money_fact(r, "amount"),
    ),
    "provisional_loan_rule_decides": lambda r, who: msg(
        "Counting the loan as income rests on a new rule that is not yet in the Code, so a "
        "specialist must check the answer."
    ),
    "poverty_line_uncertain": lambda r, who: msg(
        "The akimat has not yet published this quarter's poverty line; it is likely between "
        "{low} and {high}, and income per person, {income}, is within that range.",
        low=_money_fact(r, "low"),
        high=_money_fact(r, "high"),
        income=_money_fact(r, "per_capita_income"),
    ),
    "amount_per_member": lambda r, who: msg(
        "The amount is the difference between the poverty line and the income per person, "
        "for each family member."
    ),
    "fixed_child_amount": lambda r, who: msg(
        "In 2019 each child received a fixed amount instead of the difference."
    ),
    "months_to_quarter_end": lambda r, who: msg(
        "Assistance is assigned from the month of application to the end of the quarter."
    ),
    "assignment_period_fixed": lambda r, who: nmsg(
        "In that year assistance was assigned for {n} month.",
        "In that year assistance was assigned for {n} months.",
        _int_fact(r, "months"),
    ),
    "child_payment": lambda r, who: msg(
        "Each child from one to six years old receives an additional 1.5 MRP a month."
    ),
    "guaranteed_social_package": lambda r, who: msg(
        "Children received the guaranteed social package in kind."
    ),
    "large_family_allowance": lambda r, who: msg(
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
# Where no amount is assigned, an estimated line can still change the answer itself.
_ESTIMATE_MAY_CHANGE_ANSWER = msg(
    "The poverty line is an estimate: if the real line for your region is higher, the answer may "
    "change."
)
# Flags about the social contract, an exemption or the kind of assistance: said only where the
# obligations are (not to a refused family).
_ONLY_WITH_OBLIGATIONS = frozenset(
    {
        "social_contract_all_exempt",
        "elderly_care_under_exemption_age",
        "elderly_over_80_read_as_81",
        "category_not_in_code",
    }
)
# Flags about the child payment: said only where it is assigned.
_ONLY_WITH_CHILD_PAYMENT = frozenset(
    {"zero_amount_child_payment_unknown", "child_payment_half_tenge"}
)


def headline(a: Assessment) -> Text:
    alone = a.family_size == 1
    if a.status == ELIGIBLE and "category_not_in_code" in a.flags:
        if alone:
            return msg(
                "Your income is within the poverty line, but the law names no kind of assistance "
                "for a person in your situation: the office that assigns TSA decides."
            )
        return msg(
            "Your family's income is within the poverty line, but the law names no kind of "
            "assistance for this household: the office that assigns TSA decides."
        )
    if a.status == ELIGIBLE and a.category == UNCONDITIONAL:
        if alone:
            return msg("You are likely eligible for TSA as unconditional cash assistance.")
        return msg("Your family is likely eligible for TSA as unconditional cash assistance.")
    if a.status == ELIGIBLE and a.category == CONDITIONAL:
        if alone:
            return msg(
                "You are likely eligible for TSA as conditional cash assistance, under a social "
                "contract."
            )
        return msg(
            "Your family is likely eligible for TSA as conditional cash assistance, under a "
            "social contract."
        )
    if a.status == NEEDS_REVIEW:
        return _under_review(a, alone)
    if alone:
        return msg("You are likely not eligible for TSA now.")
    return msg("Your family is likely not eligible for TSA now.")


def _under_review(a: Assessment, alone: bool) -> Text:
    """What is certain first: the income against the likely range of an unpublished line, or the
    answer with and without a loan the new rule counts."""
    band = _reason(a, "poverty_line_uncertain")
    if band is not None:
        return msg(
            "Income per person is {income} a month. This quarter's poverty line for your region is "
            "not published yet and is likely between {low} and {high}, so a specialist must check "
            "whether you qualify.",
            income=_money_fact(band, "per_capita_income"),
            low=_money_fact(band, "low"),
            high=_money_fact(band, "high"),
        )
    loan = _reason(a, "provisional_loan_rule_decides")
    if loan is not None:
        if _money_fact(loan, "with_loan").amount > 0:
            if alone:
                return msg(
                    "You are likely eligible for TSA; the amount depends on a new rule on loans "
                    "that is not yet in the Code, which a specialist must check."
                )
            return msg(
                "Your family is likely eligible for TSA; the amount depends on a new rule on "
                "loans that is not yet in the Code, which a specialist must check."
            )
        if alone:
            return msg(
                "Without the loan you would likely be eligible for TSA; whether the loan counts "
                "as income is a new rule that is not yet in the Code, so a specialist must check."
            )
        return msg(
            "Without the loan your family would likely be eligible for TSA; whether the loan "
            "counts as income is a new rule that is not yet in the Code, so a specialist "
            "must check."
        )
    return msg("A specialist must look at your case before an answer can be given.")


def _reason(a: Assessment, code: str) -> Reason | None:
    return next((r for r in a.reasons if r.code == code), None)


def amounts(a: Assessment, short: bool = False) -> list[Text]:
    """The money lines, each labelled: TSA, the child payment, what they come to together, TSA at
    either end of an estimated line's band, TSA with and without a loan under review, the
    large-family allowance, and the income change that would make the family eligible. `short`
    is the wording SMS can afford."""
    lines: list[Text] = []
    money, total = Money(a.monthly_amount), Money(a.quarter_total)
    if a.status == ELIGIBLE:
        if a.child_payment_monthly > 0:
            child, count = Money(a.child_payment_monthly), a.child_payment_children
            together = Money(a.monthly_amount + a.child_payment_monthly)
            lines.append(msg("TSA: {amount} a month.", amount=money))
            lines.append(
                nmsg(
                    "Child payment, {n} child aged 1-6: {amount} a month.",
                    "Child payment, {n} children aged 1-6: {amount} a month.",
                    count,
                    amount=child,
                )
                if short
                else nmsg(
                    "Child payment (1.5 MRP a child) for {n} child aged 1 to 6: {amount} a month.",
                    "Child payment (1.5 MRP a child) for {n} children aged 1 to 6: {amount} a "
                    "month.",
                    count,
                    amount=child,
                )
            )
            lines.append(
                nmsg(
                    "Together: {amount} a month, {total} for {n} month.",
                    "Together: {amount} a month, {total} for {n} months.",
                    a.months,
                    amount=together,
                    total=total,
                )
            )
        else:
            lines.append(
                nmsg(
                    "TSA: {amount} a month for {n} month, {total} in all.",
                    "TSA: {amount} a month for {n} months, {total} in all.",
                    a.months,
                    amount=money,
                    total=total,
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
        if short or a.family_size == 1:
            lines.append(msg("With {amount} less income a month you would qualify.", amount=gap))
        else:
            lines.append(
                msg(
                    "With {amount} less family income a month the family would qualify.",
                    amount=gap,
                )
            )
    return lines


def short_summary(a: Assessment) -> list[Text]:
    """The result as one SMS conversation can afford it (what does not fit in one reply comes
    with "More")."""
    if a.status == ELIGIBLE and "category_not_in_code" in a.flags:
        lines = [msg("Income within the line; the office decides the kind of help.")]
    elif a.status == ELIGIBLE and a.category == UNCONDITIONAL:
        lines = [msg("Likely eligible for TSA: unconditional cash assistance.")]
    elif a.status == ELIGIBLE:
        lines = [msg("Likely eligible for TSA: conditional cash assistance.")]
    elif a.status == NEEDS_REVIEW:
        lines = [msg("A specialist must check your case.")]
    else:
        lines = [msg("Likely not eligible for TSA now.")]
    lines.extend(amounts(a, short=True))  # with an estimated line, TSA at either end of its band
    if a.poverty_line_estimated and a.status == INELIGIBLE:
        lines.append(msg("The poverty line is an estimate: the answer may change."))
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


def obligations(a: Assessment, ages: Ages = None, cite: bool = False) -> list[Text]:
    """Who must take part in employment measures and who is exempt, and why; with `cite` each
    exemption carries the article it rests on (art. 122 p.4, or art. 121 sp.2 for the sole
    carer of an unconditional family). Nothing for a refused family."""
    if a.status == INELIGIBLE:
        return []
    grounds = {r.facts.get("member"): r for r in a.reasons if r.code in _EXEMPTIONS} if cite else {}
    lines = []
    for m in a.members:
        if m.employment_measures == REQUIRED:
            lines.append(
                msg("{person} must take part in employment measures.", person=person(m.index, ages))
            )
        elif m.employment_measures == EXEMPT and m.exempt_reason is not None:
            line = msg(
                "{person} is exempt from employment measures: {reason}.",
                person=person(m.index, ages),
                reason=_care(m.exempt_reason),
            )
            ground = grounds.get(m.index)
            if ground is not None:
                line = msg("{sentence} ({citation})", sentence=line, citation=citation(ground))
            lines.append(line)
    return lines


# The reasons that decide the answer come first, then the kind of assistance, then how the amount
# is worked out, then where the poverty line comes from: on SMS the first part is read alone.
_DECISIVE = frozenset(
    {
        "income_within_poverty_line",
        "income_at_poverty_line",
        "income_above_poverty_line",
        "poverty_line_uncertain",
        "provisional_loan_rule_decides",
        "no_counted_members",
        "no_need_concluded",
        "refused_employment_measures",
        "contract_terminated",
        "false_information",
        "non_mortgage_loan_counted",
        "property_dwellings",
        "property_commercial_premises",
        "property_izhs_land_plot",
        "property_passenger_cars",
        "property_commercial_vehicles",
    }
)
# Who is able-bodied, which decides the kind of assistance.
_KIND = frozenset(
    {
        "minor_living_alone",
        "able_bodied",
        "not_able_bodied_disability",
        "not_able_bodied_illness",
        "not_able_bodied_pension_age",
    }
)
_BACKGROUND = frozenset(
    {
        "poverty_line_published",
        "poverty_line_given",
        "poverty_line_estimated",
        "poverty_line_published_earlier",
    }
)


# How the assistance would be paid and for how long, and who must do what for it: nothing to a
# family that is refused.
_ONLY_WHEN_PAID = frozenset(
    {
        "unconditional_alone",
        "unconditional_no_able_bodied",
        "unconditional_sole_carer",
        "conditional_able_bodied",
        "social_contract_required",
        "one_carer_exempt",
        "suspended_entrepreneur",
        "amount_per_member",
        "fixed_child_amount",
        "months_to_quarter_end",
        "assignment_period_fixed",
        "child_payment",
        "guaranteed_social_package",
        *_KIND,
        *_EXEMPTIONS,
    }
)


def _concerns(a: Assessment, r: Reason) -> bool:
    return a.status != INELIGIBLE or r.code not in _ONLY_WHEN_PAID


def _weight(code: str) -> int:
    if code in _DECISIVE:
        return 0
    if code in _BACKGROUND:
        return 3
    if code in _KIND or code.startswith(
        ("unconditional", "conditional", "social_contract", "member_")
    ):
        return 1
    return 2


# Reasons too long for one SMS reply: on SMS (no article cited) said in two sentences, each read
# a part at a time if need be.
_IN_PARTS: dict[str, Callable[[Reason, Text], list[Text]]] = {
    "poverty_line_estimated": lambda r, who: [
        msg(
            "The akimat's poverty line for this quarter is not yet known to us; it was estimated "
            "at {line}, and is likely between {low} and {high}.",
            line=_money_fact(r, "line"),
            low=_money_fact(r, "low"),
            high=_money_fact(r, "high"),
        ),
        msg(
            "The line was estimated {basis}.",
            basis=_BASES.get(str(r.facts.get("basis")), _BASES["budget_law"]),
        ),
    ],
    "minor_living_alone": lambda r, who: [
        msg(
            "{person} is under 18 and lives alone: the law names such a person neither among "
            "those who get unconditional assistance nor among the able-bodied.",
            person=who,
        ),
        msg(
            "By the rule used here the assistance is conditional; the office that assigns TSA "
            "decides."
        ),
    ],
}


def reason_lines(
    a: Assessment, cite: bool = True, ages: Ages = None, reasons: Sequence[Reason] | None = None
) -> list[Text]:
    """A sentence per reason; with the article it rests on unless `cite` is off (SMS)."""
    lines: list[Text] = []
    for r in a.reasons if reasons is None else reasons:
        if r.code in _EXEMPTIONS and r.code != "unconditional_sole_carer":
            continue  # said with the obligations
        if not cite and r.code in _MEMBER_DETAIL:
            continue
        if not cite and r.code in _IN_PARTS:
            if _concerns(a, r):
                lines.extend(_IN_PARTS[r.code](r, _member(r, ages)))
            continue
        make = _REASONS.get(r.code)
        if make is not None and _concerns(a, r):
            sentence = make(r, _member(r, ages))
            lines.append(
                msg("{sentence} ({citation})", sentence=sentence, citation=citation(r))
                if cite
                else sentence
            )
    return lines


def why(a: Assessment, cite: bool = True, ages: Ages = None) -> list[Text]:
    """ "Why?" after a result: what decided it and the kind of assistance, who must do what, how
    the amount is worked out, then the reservations; on SMS it is read a part at a time."""
    ordered = sorted(a.reasons, key=lambda r: _weight(r.code))
    first = [r for r in ordered if _weight(r.code) <= 1]
    later = [r for r in ordered if _weight(r.code) > 1]
    return [
        *reason_lines(a, cite, ages, first),
        *obligations(a, ages, cite),
        *reason_lines(a, cite, ages, later),
        *flag_lines(a),
    ]


def flag_lines(a: Assessment) -> list[Text]:
    """The reservations that concern this outcome."""
    lines = []
    for flag in a.flags:
        if flag not in _FLAGS:
            continue
        if a.status == INELIGIBLE and flag in _ONLY_WITH_OBLIGATIONS:
            continue
        if a.status != ELIGIBLE and flag in _ONLY_WITH_CHILD_PAYMENT:
            continue
        if flag == "social_contract_all_exempt" and a.category != CONDITIONAL:
            continue
        if flag == "provisional_loan_rule" and a.status == INELIGIBLE:
            continue  # the loan rule alone never refuses: that is sent to a specialist
        if flag == "large_family_allowance_rounding" and a.large_family_allowance_monthly <= 0:
            continue
        if flag == "estimated_poverty_line" and a.status == INELIGIBLE:
            lines.append(_ESTIMATE_MAY_CHANGE_ANSWER)
            continue
        lines.append(_FLAGS[flag])
    return lines


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


def explain(a: Assessment, ages: Ages = None) -> list[Text]:
    """The whole explanation, in reading order."""
    lines = [headline(a), *amounts(a), *obligations(a, ages, cite=True)]
    reasons = reason_lines(a, ages=ages)
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
