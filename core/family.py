"""Who is in the family, who is able-bodied, the category of assistance and who must take part in
employment measures (Social Code art. 1 sp.43, 120 p.5, 121, 122, 207)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.errors import InputError
from core.household import SEXES, Household, Member
from core.parameters import CarerRule, InForce, PensionAge
from core.reasons import Reason, reason

UNCONDITIONAL = "unconditional"
CONDITIONAL = "conditional"
REQUIRED = "required"
EXEMPT = "exempt"
NOT_APPLICABLE = "not_applicable"
ADULT_AGE = 18

_EXCLUDED_ABSENCES = {
    "conscript": "member_not_counted_conscript",
    "prison": "member_not_counted_prison",
    "state_care": "member_not_counted_state_care",
}


def counted_in_family(member: Member, rules: InForce) -> tuple[bool, str | None]:
    """Art. 120 p.5: is this person counted as a member of the family, and on what ground.

    Excluded: persons on full state support, on compulsory military service, or in places of
    deprivation of liberty. Counted although living away: those working elsewhere, and pupils and
    full-time students studying elsewhere, students only until they reach 23.
    """
    if member.absence is None:
        return True, None
    excluded = _EXCLUDED_ABSENCES.get(member.absence)
    if excluded is not None:
        return False, excluded
    if member.absence == "works_away":
        return True, "member_counted_works_away"
    # studies_away: school pupils and boarders always; students after 18 until reaching the limit.
    if member.age < rules.student_away_under_age:
        return True, "member_counted_studies_away"
    return False, "member_not_counted_student_over_age"


def _years(months: int) -> str:
    whole, rest = divmod(months, 12)
    return f"{whole}" if rest == 0 else f"{whole} years {rest} months"


def has_reached_pension_age(member: Member, pension: PensionAge, on: date) -> bool:
    """Art. 207 p.1: has the person reached the pension age in force on the date.

    The age is the one on the application date (tsa-rules §7.7). Whole years decide unless the
    pension age is a half year (women, 2018-2022, 2028-2030); then the birth date must be given.
    When the sex is not given and the answer depends on it, the sex must be given. Neither is
    guessed.
    """
    if member.sex is not None and member.age_months is None:  # the common case, decided at once
        needed = pension.months(member.sex)
        if member.age * 12 >= needed:
            return True
        if member.age * 12 + 11 < needed:
            return False
    sexes = (member.sex,) if member.sex is not None else SEXES
    answers: set[bool] = set()
    for sex in sexes:
        needed = pension.months(sex)
        if member.age_months is not None:
            answers.add(member.age_months >= needed)
        elif member.age * 12 >= needed:
            answers.add(True)
        elif member.age * 12 + 11 < needed:
            answers.add(False)
        else:
            raise InputError(
                f"members[{member.index}].birth_date",
                f"needed: the pension age on {on} is {_years(needed)} for a {sex} person, so "
                f"age {member.age} in whole years does not decide it; give birth_date (YYYY-MM-DD)",
            )
    if len(answers) > 1:
        raise InputError(
            f"members[{member.index}].sex",
            f"needed: at age {member.age} on {on} the pension age decides (female "
            f"{_years(pension.female_months)}, male {_years(pension.male_months)}); "
            "allowed: female, male",
        )
    return answers.pop()


def is_able_bodied(member: Member, rules: InForce) -> bool:
    """Art. 1 sp.43: from 18 to the pension age of art. 207 p.1, except persons with a group I or II
    disability or an illness that may bring temporary incapacity of more than two months.
    Group III does not remove able-bodied status."""
    if member.age < ADULT_AGE or member.disability_group in (1, 2) or member.long_illness:
        return False
    return not has_reached_pension_age(member, rules.pension_age, rules.day)


def has_disability(member: Member) -> bool:
    """A child with disability, or an adult with a group I or II disability (art. 121 sp.2)."""
    if member.age < ADULT_AGE:
        return member.child_disability or member.disability_group > 0
    return member.disability_group in (1, 2)


def care_kind(cared: Member, rules: InForce) -> str | None:
    """What kind of care the cared-for person needs, in the terms of art. 121 sp.2 / 122 p.4 sp.4.

    Returns the exemption reason code, or None when caring for this person counts for neither.
    `cares_for_elderly_needing_care` (pension age, needs outside care, not over 80) counts for the
    unconditional category (art. 121: "престарелым, нуждающимся в постороннем уходе", no age)
    but not for the exemption (art. 122 p.4: "престарелыми старше восьмидесяти лет").
    """
    carers: CarerRule = rules.carers
    if cared.age < ADULT_AGE and has_disability(cared):
        return "cares_for_child_with_disability"
    if cared.age < carers.child_under_age:
        return f"cares_for_child_under_{carers.child_under_age}"
    if cared.age >= ADULT_AGE and has_disability(cared):
        return "cares_for_person_with_disability"
    if cared.needs_outside_care:
        if cared.age > carers.elderly_over_age:
            return "cares_for_elderly_over_80"
        if has_reached_pension_age(cared, rules.pension_age, rules.day):
            return "cares_for_elderly_needing_care"
    return None


def exempting_care(carer: Member, family: dict[int, Member], rules: InForce) -> str | None:
    """The strongest care ground this member has among the counted members they care for."""
    kinds = [care_kind(family[i], rules) for i in carer.cares_for if i in family]
    for kind in kinds:
        if kind is not None and kind != "cares_for_elderly_needing_care":
            return kind
    return "cares_for_elderly_needing_care" if "cares_for_elderly_needing_care" in kinds else None


@dataclass(slots=True)  # a record: never changed after it is built
class Obligation:
    index: int
    counted: bool
    able_bodied: bool
    employment_measures: str
    exempt_reason: str | None


@dataclass(slots=True)  # a record: never changed after it is built
class FamilyFacts:
    counted: tuple[Member, ...]
    category: str | None
    obligations: tuple[Obligation, ...]
    reasons: tuple[Reason, ...]
    flags: tuple[str, ...]


def assess_family(household: Household, rules: InForce) -> FamilyFacts:
    """Composition (art. 120 p.5), category (art. 121-122) and each member's obligation to take
    part in employment measures, with exemptions (art. 122 p.4)."""
    on = household.date
    reasons: list[Reason] = []
    flags: list[str] = []
    counted: list[Member] = []
    counted_flags: list[bool] = []
    for member in household.members:
        if member.absence is None:  # living with the family: counted, nothing to say
            counted_flags.append(True)
            counted.append(member)
            continue
        is_counted, code = counted_in_family(member, rules)
        counted_flags.append(is_counted)
        if is_counted:
            counted.append(member)
        if code is not None:
            reasons.append(reason(code, on, member=member.index))
    family = {m.index: m for m in counted}
    able_list = [m.index for m in counted if is_able_bodied(m, rules)]  # in index order
    able = set(able_list)

    # Art. 122 p.4: students (sp.2) and permanent workers (sp.5) are exempt in their own right;
    # of the carers (sp.4) only one able-bodied member may be exempt.
    exempt: dict[int, str] = {}
    for index in able_list:
        member = family[index]
        if member.student_full_time:
            exempt[index] = "student_full_time"
        elif member.permanent_job:
            exempt[index] = "permanent_job"
    carers = [
        (index, kind)
        for index in able_list
        if index not in exempt
        and family[index].cares_for
        and (kind := exempting_care(family[index], family, rules)) is not None
    ]
    sole_carer_kind: str | None = None
    if len(able) == 1:
        (only,) = able
        sole_carer_kind = exempting_care(family[only], family, rules)

    category: str | None = None
    if counted:
        if not able:
            category = UNCONDITIONAL
            code = "unconditional_alone" if len(counted) == 1 else "unconditional_no_able_bodied"
            reasons.append(reason(code, on))
        elif sole_carer_kind is not None:
            category = UNCONDITIONAL
            (only,) = able
            reasons.append(
                reason("unconditional_sole_carer", on, member=only, care=sole_carer_kind)
            )
            exempt[only] = sole_carer_kind
            if sole_carer_kind == "cares_for_elderly_needing_care":
                flags.append("elderly_care_under_exemption_age")
            if rules.carers.provisional and sole_carer_kind.startswith("cares_for_child_under_"):
                flags.append("provisional_rule")
        else:
            category = CONDITIONAL
            reasons.append(reason("conditional_able_bodied", on))
            reasons.append(reason("social_contract_required", on))
            strict = [(i, k) for i, k in carers if k != "cares_for_elderly_needing_care"]
            if strict:
                index, kind = strict[0]
                exempt[index] = kind
                if len(strict) > 1:
                    reasons.append(reason("one_carer_exempt", on, member=index))
                if rules.carers.provisional and kind.startswith("cares_for_child_under_"):
                    flags.append("provisional_rule")
            if all(i in exempt for i in able):
                flags.append("social_contract_all_exempt")
            for index in able_list:
                if index not in exempt and family[index].suspended_entrepreneur:
                    reasons.append(reason("suspended_entrepreneur", on, member=index))

    obligations = [
        Obligation(index, is_counted, False, NOT_APPLICABLE, None)
        if index not in able
        else Obligation(index, True, True, EXEMPT, exempt[index])
        if index in exempt
        else Obligation(index, True, True, REQUIRED, None)
        for index, is_counted in enumerate(counted_flags)
    ]
    return FamilyFacts(tuple(counted), category, tuple(obligations), tuple(reasons), tuple(flags))
