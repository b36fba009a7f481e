"""Who is in the family, who is able-bodied, the category of assistance and who must take part in
employment measures (Social Code art. 1 sp.43, 120 p.5, 121, 122, 207)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from core.errors import InputError
from core.household import SEXES, Household, Member
from core.parameters import CarerRule, InForce, PensionAge
from core.reasons import Reason, member_reason, reason

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
    deprivation of liberty. Counted although living away: those working elsewhere (sp.1), children
    at school or in a boarding school elsewhere (sp.2-3), and students "по очной форме" after 18
    until graduation but not beyond reaching 23 (sp.3). The waiver of joint residence is for
    full-time students only: a part-time student living away is not counted.
    """
    if member.absence is None:
        return True, None
    excluded = _EXCLUDED_ABSENCES.get(member.absence)
    if excluded is not None:
        return False, excluded
    if member.absence == "works_away":
        return True, "member_counted_works_away"
    # studies_away: a child at school or in a boarding school elsewhere is counted at any rate.
    if member.age < ADULT_AGE:
        return True, "member_counted_studies_away"
    if not member.student_full_time:
        return False, "member_not_counted_student_not_full_time"
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


def able_bodied_ground(member: Member, rules: InForce) -> str | None:
    """Art. 1 sp.43: from 18 to the pension age of art. 207 p.1, except persons with a group I or II
    disability or an illness that may bring temporary incapacity of more than two months.
    Group III does not remove able-bodied status.

    Returns the reason code that decides it for an adult (`able_bodied`, or why not), and None for
    a member under 18, who is not able-bodied by age alone."""
    if member.age < ADULT_AGE:
        return None
    if member.disability_group in (1, 2):
        return "not_able_bodied_disability"
    if member.long_illness:
        return "not_able_bodied_illness"
    if has_reached_pension_age(member, rules.pension_age, rules.day):
        return "not_able_bodied_pension_age"
    return "able_bodied"


def is_able_bodied(member: Member, rules: InForce) -> bool:
    """Art. 1 sp.43 (see `able_bodied_ground`)."""
    return able_bodied_ground(member, rules) == "able_bodied"


def fits_unconditional_alone(member: Member, rules: InForce) -> bool:
    """Art. 121 sp.1: a person alone with limited means to take part in employment measures because
    of the pension age of art. 207 p.1, a group I or II disability, or a long illness."""
    if member.disability_group in (1, 2) or member.long_illness:
        return True
    return member.age >= ADULT_AGE and has_reached_pension_age(member, rules.pension_age, rules.day)


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


_EXEMPTION_REASONS = {
    "student_full_time": "exempt_student_full_time",
    "permanent_job": "exempt_permanent_job",
}


def assess_family(household: Household, rules: InForce) -> FamilyFacts:
    """Composition (art. 120 p.5), who is able-bodied (art. 1 sp.43), category (art. 121-122) and
    each member's obligation to take part in employment measures, with exemptions (art. 122 p.4).

    "Престарелыми старше восьмидесяти лет" (art. 122 p.4 sp.4) is read as 81 whole years and
    more; where that reading decides someone's obligation or the category, it is flagged."""
    facts = _assess_family(household, rules)
    if not _eighty_decides(household, facts, rules):
        return facts
    flags = (*facts.flags, "elderly_over_80_read_as_81")
    return FamilyFacts(facts.counted, facts.category, facts.obligations, facts.reasons, flags)


def _eighty_decides(household: Household, facts: FamilyFacts, rules: InForce) -> bool:
    """Would counting a person of exactly 80 needing care as "over 80" change an obligation or the
    category? Asked only when such a person is cared for by a counted member."""
    age = rules.carers.elderly_over_age
    if not any(m.age == age and m.needs_outside_care for m in facts.counted):
        return False
    eighty = {
        m.index
        for m in facts.counted
        if m.age == age and m.needs_outside_care and not has_disability(m)
    }
    if not eighty or not any(eighty.intersection(m.cares_for) for m in facts.counted):
        return False
    alternative = replace(rules, carers=replace(rules.carers, elderly_over_age=age - 1))
    other = _assess_family(household, alternative)
    measures = [o.employment_measures for o in facts.obligations]
    return other.category != facts.category or measures != [
        o.employment_measures for o in other.obligations
    ]


def _assess_family(household: Household, rules: InForce) -> FamilyFacts:
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
            reasons.append(member_reason(code, on, member.index))
    family = {m.index: m for m in counted}
    able_list: list[int] = []  # in index order
    for m in counted:
        ground = able_bodied_ground(m, rules)
        if ground is None:
            continue
        reasons.append(member_reason(ground, on, m.index))
        if ground == "able_bodied":
            able_list.append(m.index)
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
        if len(counted) == 1 and not able and not fits_unconditional_alone(counted[0], rules):
            # A minor living alone: neither art. 121 sp.1 (pension age, group I-II disability,
            # long illness) nor art. 122 p.1 (able-bodied persons) names them. The spec's
            # decision logic (§3.6) gives conditional assistance; the office decides.
            category = CONDITIONAL
            reasons.append(reason("minor_living_alone", on, member=counted[0].index))
            reasons.append(reason("social_contract_required", on))
            flags.append("category_not_in_code")
        elif not able:
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
                reasons.append(reason("exempt_carer", on, member=index, care=kind))
                if len(strict) > 1:
                    reasons.append(reason("one_carer_exempt", on, member=index))
                if rules.carers.provisional and kind.startswith("cares_for_child_under_"):
                    flags.append("provisional_rule")
            elif carers:
                # Only care for an elderly person not over 80 is left: art. 121 counts such care,
                # art. 122 p.4 sp.4 exempts only carers of persons over 80, so the carer must
                # take part. Had that care counted, they would be exempt: the doubt is flagged.
                flags.append("elderly_care_under_exemption_age")
            for index in able_list:
                code = _EXEMPTION_REASONS.get(exempt.get(index, ""))
                if code is not None:
                    reasons.append(member_reason(code, on, index))
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
