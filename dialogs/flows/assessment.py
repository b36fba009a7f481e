"""The self-assessment: as few questions as the law allows for this household.

Everyone is listed by age in one message (people on military service, in prison or in full state
care are not family members, art. 120 p.5, so they are left out there). A question is asked only
when its answer can change something for this household: no carer question without a child
under three, a disabled or an elderly member; no student question without members of 18 to 22; no
question about refusing employment measures where nobody can be able-bodied; a sex or a birth
date only where the pension age depends on it (the core says which). Income is asked once for
the whole family: only the total counts (art. 127 p.2); a large family is asked besides whether
it received its allowance, which counts as income (tsa-rules §7.2).

Every amount and the list of ages, which decide the result, are said back with the next question
("You wrote 120 000 ₸ a month for the whole family"), with a way to change them; on the button
channels the answers are shown once more before the result. On Telegram and the web, questions
about some of the family's members are buttons, one per member, toggled; on SMS they are answered
with the members' numbers, shown with each one's age.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core.assess import Assessment, assess_data
from core.dates import add_months, age_in_months, age_in_years, previous_quarter_start
from core.errors import InputError
from core.regions import REGIONS
from dialogs.engine import (
    NUMERIC,
    Answer,
    Choice,
    Ctx,
    Go,
    Outcome,
    Reply,
    Retry,
    Step,
    register,
)
from dialogs.parsing import parse_amount, parse_numbers, parse_whole, parse_yes_no, read_amount
from dialogs.regions import AMBIGUOUS, REGION_NAMES, REGION_WORDS, read_region, sorted_regions
from dialogs.text import Money, Month, Param, Text, msg, nmsg

__all__ = ["REGION_NAMES", "REGION_WORDS"]  # the caseload import reads region names with them

FLOW = "assessment"
MAX_PEOPLE = 15
REGION_PAGE = 7

NONE_WORDS = {"0", "нет", "жоқ", "no", "none", "никто", "ешкім", "nobody", "-"}


# ------------------------------------------------------------------------------------------
# What the answers say about the household


def ages(ctx: Ctx) -> list[int]:
    value = ctx.answers.get("ages")
    return [int(a) for a in value] if isinstance(value, list) else []


def _indexes(ctx: Ctx, key: str) -> list[int]:
    value = ctx.answers.get(key)
    return [int(i) for i in value] if isinstance(value, list) else []


def application_date(ctx: Ctx) -> date:
    return ctx.now.date()


def household(ctx: Ctx) -> dict[str, Any]:
    """The household of the `komek assess` contract, from the answers given so far."""
    a = ctx.answers
    disabled = set(_indexes(ctx, "disabled"))
    ill = set(_indexes(ctx, "ill"))
    members: list[dict[str, Any]] = []
    for i, age in enumerate(ages(ctx)):
        member: dict[str, Any] = {"age": age}
        sex = (a.get("sex") or {}).get(str(i))
        if sex in ("female", "male"):
            member["sex"] = sex
        birth = (a.get("birth") or {}).get(str(i))
        if isinstance(birth, str):
            member["birth_date"] = birth
            member.pop("age")
        if i in disabled:
            if age < 18:
                member["child_disability"] = True
            else:
                member["disability_group"] = 2
        if i in ill:
            member["long_illness"] = True
        if i in _indexes(ctx, "students"):
            member["student_full_time"] = True
        if i in _indexes(ctx, "jobs"):
            member["permanent_job"] = True
        if i in _indexes(ctx, "needs_care"):
            member["needs_outside_care"] = True
        members.append(member)
    carer = a.get("carer")
    if isinstance(carer, int) and 0 <= carer < len(members):
        members[carer]["cares_for"] = [i for i in dependants(ctx) if i != carer]
    if members:
        members[0]["income"] = _number(a.get("income"))
    data: dict[str, Any] = {
        "date": application_date(ctx).isoformat(),
        "region": a.get("region") or "astana",
        "members": members,
    }
    owned = set(_indexes(ctx, "property"))
    if owned:
        data["property"] = {
            "dwellings": 2 if 1 in owned else 1,
            "dwellings_area_m2": _number(a.get("area")) if 1 in owned else 0,
            "passenger_cars": 2 if 2 in owned else 0,
            "commercial_premises": 3 in owned,
            "commercial_vehicles": 4 in owned,
            "izhs_land_plot": 5 in owned,
        }
    loans = _number(a.get("loan"))
    if loans:
        data["non_mortgage_loans"] = loans
    refusal = a.get("refusal")
    months_ago = a.get("refusal_months")
    if refusal in ("refused", "terminated", "false") and isinstance(months_ago, int):
        field = {
            "refused": "refused_employment_measures_on",
            "terminated": "contract_terminated_on",
            "false": "false_information_on",
        }[refusal]
        data[field] = add_months(application_date(ctx), -months_ago).isoformat()
    received = a.get("allowance")
    if members and received in ALLOWANCE_ANSWERS:
        # The allowance of the household as it is now (an answer changed since may change it);
        # none where it is no longer a large family.
        amount = _allowance_of(data, ctx)
        if amount > 0:
            members[0]["income"] = _with_allowance(
                members[0]["income"], str(received), _number(_keep(amount))
            )
    return data


ALLOWANCE_ANSWERS = ("no", "included", "separate")


def _with_allowance(
    total: int | float, received: str, amount: int | float
) -> dict[str, int | float]:
    """The family's income with the large-family allowance named by kind (it counts as income,
    tsa-rules §7.2): the core then knows whether the family received it in those months."""
    allowance = amount if received != "no" else 0
    if received == "included":
        allowance = min(allowance, total)
        return {"other": total - allowance, "large_family_allowance": allowance}
    return {"other": total, "large_family_allowance": allowance}


def _number(value: Any) -> int | float:
    """An amount kept in the session (written by `_keep`), as the household contract wants it."""
    if isinstance(value, str):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            return 0
        if parsed.is_finite():
            return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)
    return 0


def _keep(amount: Decimal) -> str:
    """An amount as the session keeps it: plain digits ("120000", "37060.5")."""
    return format(amount, "f")


def _pension_years(ctx: Ctx) -> int:
    """The lowest pension age in force (women's), in whole years: who may be elderly."""
    rules = ctx.store.in_force(application_date(ctx))
    return rules.pension_age.female_months // 12


def dependants(ctx: Ctx) -> list[int]:
    """Members whose care can matter: a child under the carer age, a disabled member, an elderly
    member needing outside care (art. 121 sp.2, art. 122 p.4 sp.4)."""
    rules = ctx.store.in_force(application_date(ctx))
    disabled = set(_indexes(ctx, "disabled"))
    needs_care = set(_indexes(ctx, "needs_care"))
    return [
        i
        for i, age in enumerate(ages(ctx))
        if age < rules.carers.child_under_age or i in disabled or i in needs_care
    ]


def possible_workers(ctx: Ctx) -> list[int]:
    """Adults who may be able-bodied: 18 to the pension age (the men's while the sex is not
    known), not disabled, not ill."""
    today = application_date(ctx)
    pension = ctx.store.in_force(today).pension_age
    sexes = ctx.answers.get("sex") or {}
    births = ctx.answers.get("birth") or {}
    excluded = set(_indexes(ctx, "disabled")) | set(_indexes(ctx, "ill"))
    workers = []
    for i, age in enumerate(ages(ctx)):
        birth = births.get(str(i))
        months = age_in_months(date.fromisoformat(birth), today) if birth else age * 12
        if age >= 18 and months < pension.months(sexes.get(str(i), "male")) and i not in excluded:
            workers.append(i)
    return workers


def people(ctx: Ctx, indexes: list[int] | None = None) -> str:
    """ "1=34 2=32 3=7": who is who, by the number to answer with and the age."""
    listed = range(len(ages(ctx))) if indexes is None else indexes
    return " ".join(f"{i + 1}={ages(ctx)[i]}" for i in listed)


def ages_text(ctx: Ctx) -> str:
    """ "34, 32, 7, 2": the ages as they were given."""
    return ", ".join(str(a) for a in ages(ctx))


def member(ctx: Ctx, index: int) -> Text:
    """A member named by age, as on a button ("34 years"); with the number where two share it."""
    family = ages(ctx)
    age = family[index] if index < len(family) else 0
    years = msg("under 1 year") if age == 0 else nmsg("{n} year", "{n} years", age)
    if family.count(age) > 1:
        return msg("{age}, no. {number}", age=years, number=index + 1)
    return years


def assessed(ctx: Ctx) -> Assessment | InputError:
    """The core's assessment of the answers so far, or what it says is wrong or missing. Worked
    out once for each state of the answers (`repr` of the same answers is the same string)."""
    key = repr(ctx.answers), ctx.now.date()
    kept = ctx.memo.get("assessed")
    if kept is not None and kept[0] == key:
        result: Assessment | InputError = kept[1]
        return result
    try:
        result = assess_data(household(ctx), ctx.store)
    except InputError as exc:
        result = exc
    ctx.memo["assessed"] = (key, result)
    return result


def missing_fact(ctx: Ctx) -> tuple[str, int] | None:
    """A sex or birth date the core needs for this household (the pension age depends on it)."""
    exc = assessed(ctx)
    if isinstance(exc, InputError):
        for fact in ("sex", "birth_date"):
            if exc.field.endswith(f".{fact}") and exc.field.startswith("members["):
                index = int(exc.field[len("members[") : exc.field.index("]")])
                return fact, index
    return None


def _choose_people(given: Answer, ctx: Ctx, allowed: list[int]) -> list[int] | None:
    """Numbers of people (1-based as shown), or an empty list for "nobody"; None if unclear."""
    text = given.text.strip().lower()
    if text in NONE_WORDS or given.key == "none":
        return []
    if len(allowed) == 1 and parse_yes_no(text) is not None:  # "is it so for them?"
        return allowed if parse_yes_no(text) else []
    numbers = parse_numbers(given.text, 1, len(ages(ctx)))
    if numbers is None:
        return None
    chosen = sorted({n - 1 for n in numbers})
    return chosen if all(i in allowed for i in chosen) else None


def reviewing(ctx: Ctx) -> bool:
    """Changing one answer from the review: questions already answered are not asked again."""
    return bool(ctx.answers.get("reviewing"))


def _fresh(key: str, applies: Callable[[Ctx], bool] | None = None) -> Callable[[Ctx], bool]:
    """A step that applies (when `applies` says so), except while reviewing with its answer
    (`answers[key]`) already given."""

    def fresh(ctx: Ctx) -> bool:
        if reviewing(ctx) and key in ctx.answers:
            return False
        return applies is None or applies(ctx)

    return fresh


# ------------------------------------------------------------------------------------------
# Region


def _region_codes(ctx: Ctx) -> list[str]:
    return sorted_regions(REGIONS, ctx.lang, ctx.label_of)


def ask_region(ctx: Ctx) -> Reply:
    if ctx.answers.get("region_almaty"):
        return Reply(
            (msg("Almaty city or Almaty region?"),),
            (
                Choice("almaty", REGION_NAMES["almaty"]),
                Choice("almaty_region", REGION_NAMES["almaty_region"]),
            ),
        )
    page = int(ctx.answers.get("region_page", 0))
    codes = _region_codes(ctx)[page * REGION_PAGE : (page + 1) * REGION_PAGE]
    choices = [Choice(code, REGION_NAMES[code]) for code in codes]
    if (page + 1) * REGION_PAGE < len(REGIONS):
        choices.append(Choice("more", msg("More")))
    else:
        choices.append(Choice("first", msg("Back to the start of the list")))
    return Reply((msg("Which region do you live in?"),), tuple(choices))


def answer_region(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "more":
        ctx.answers["region_page"] = int(ctx.answers.get("region_page", 0)) + 1
        return Go("region")
    if given.key == "first":
        ctx.answers["region_page"] = 0
        return Go("region")
    typed = None if given.tapped else read_region(given.text)  # "Almaty" is not yet the city
    code = typed if typed is not None else given.key
    if code == AMBIGUOUS:
        ctx.answers["region_almaty"] = True
        return Go("region")
    if code not in REGIONS:
        return Retry(msg("I did not find that region. Choose a number or write its name."))
    ctx.answers["region"] = code
    ctx.answers.pop("region_page", None)
    ctx.answers.pop("region_almaty", None)
    return Go()


def back_region(ctx: Ctx) -> str | None:
    """ "Back" on the region list: the list again after "city or region?", the page before."""
    if ctx.answers.pop("region_almaty", None):
        return "region"
    page = int(ctx.answers.get("region_page", 0))
    if page > 0:
        ctx.answers["region_page"] = page - 1
        return "region"
    return None


def echo_region(ctx: Ctx) -> Text | None:
    code = ctx.answers.get("region")
    return msg("Region: {region}.", region=REGION_NAMES[code]) if code in REGION_NAMES else None


# ------------------------------------------------------------------------------------------
# Ages, and a sex or a birth date where the pension age depends on it


def ask_ages(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (
            msg(
                "Write the age of everyone in your family who lives with you or studies or works "
                "elsewhere, yourself first. For example: 34 32 7 2"
            ),
        )
    )


def answer_ages(ctx: Ctx, given: Answer) -> Outcome:
    numbers = parse_numbers(given.text, 0, 120, MAX_PEOPLE)
    if numbers is None:
        return Retry(
            msg("Please write the ages as numbers, separated by spaces. For example: 34 32 7 2")
        )
    for key in ("disabled", "ill", "students", "jobs", "needs_care", "carer", "sex", "birth",
                "allowance"):  # fmt: skip
        ctx.answers.pop(key, None)
    ctx.answers.pop("to_classify", None)
    ctx.answers["ages"] = numbers
    return Go()


def echo_ages(ctx: Ctx) -> Text | None:
    if not ages(ctx):
        return None
    if ctx.sms and ctx.session.get("step") == "disabled":
        return None  # on SMS that question lists every member with their age: the ages said back
    return msg("Ages in the family: {ages}.", ages=ages_text(ctx))


def ask_missing(ctx: Ctx) -> Reply:
    found = missing_fact(ctx)
    fact, index = found if found is not None else ("sex", 0)
    age = ages(ctx)[index] if index < len(ages(ctx)) else 0
    if fact == "sex":
        return Reply(
            (
                nmsg(
                    "Is the member aged {n} a woman or a man?",
                    "Is the member aged {n} a woman or a man?",
                    age,
                ),
            ),
            (Choice("female", msg("A woman")), Choice("male", msg("A man"))),
        )
    return Reply(
        (
            nmsg(
                "What is the date of birth of the member aged {n}? For example: 14.03.1966",
                "What is the date of birth of the member aged {n}? For example: 14.03.1966",
                age,
            ),
        )
    )


def answer_missing(ctx: Ctx, given: Answer) -> Outcome:
    found = missing_fact(ctx)
    if found is None:
        return Go()
    fact, index = found
    if fact == "sex":
        sex = given.key
        if sex not in ("female", "male"):
            return Retry(msg("Please answer 1 (a woman) or 2 (a man)."))
        ctx.answers.setdefault("sex", {})[str(index)] = sex
        return Go("missing")
    birth = _read_date(given.text)
    age = ages(ctx)[index]
    today = application_date(ctx)
    if birth is None or birth > today:
        return Retry(msg("Please write the date as day.month.year, for example: 14.03.1966"))
    if age_in_years(birth, today) != age:
        return Retry(msg("That date does not match the age {age}. Please check it.", age=age))
    ctx.answers.setdefault("birth", {})[str(index)] = birth.isoformat()
    return Go("missing")


def _read_date(text: str) -> date | None:
    parts = [p for p in text.replace("/", ".").replace("-", ".").replace(" ", ".").split(".") if p]
    if len(parts) != 3 or not all(p.isdecimal() for p in parts):
        return None
    day, month, year = (int(p) for p in parts)
    try:
        return date(year, month, day)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------
# Questions about some of the family's members: buttons to toggle on Telegram and the web,
# the members' numbers on SMS


def _picked(ctx: Ctx, step_id: str) -> list[str]:
    """The choices toggled on so far in a multi-select question (kept until it is answered)."""
    picking = ctx.session.get("picking")
    if isinstance(picking, dict) and picking.get("step") == step_id:
        return [str(k) for k in picking.get("on", [])]
    return []


def _toggle(ctx: Ctx, step_id: str, key: str) -> None:
    on = _picked(ctx, step_id)
    on = [k for k in on if k != key] if key in on else [*on, key]
    ctx.session["picking"] = {"step": step_id, "on": on}


def _done_picking(ctx: Ctx) -> None:
    ctx.session.pop("picking", None)


def pick_reply(
    ctx: Ctx, step_id: str, question: Text, options: list[Choice], *, many: bool
) -> Reply:
    """A question about some of the members (or of a list) on a button channel: one button
    each, toggled when `many` (with "Nobody" and "Done"), chosen at once otherwise."""
    if not many:
        return Reply((question,), (*options, Choice("none", msg("Nobody"))))
    on = set(_picked(ctx, step_id))
    toggled = tuple(Choice(c.key, c.label, selected=c.key in on) for c in options)
    return Reply(
        (question, msg("Choose all that apply, then Done.")),
        (*toggled, Choice("none", msg("Nobody")), Choice("done", msg("Done"))),
        multi=True,
    )


def numbered_people(ctx: Ctx, question: Text, candidates: list[int], *, many: bool) -> Reply:
    """The SMS form: the question, the members' numbers with their ages, and an example taken
    from this family ("2 is the one aged 32")."""
    if len(candidates) == 1:  # one person it can be about: yes or no
        return Reply(
            (
                question,
                msg(
                    "Write 1 if so (the member aged {age}), or 0 if not.",
                    age=ages(ctx)[candidates[0]],
                ),
            )
        )
    example = candidates[1]
    params: dict[str, Param] = {
        "people": people(ctx, candidates),
        "number": example + 1,
        "age": ages(ctx)[example],
    }
    if many:
        how = msg(
            "Write their numbers from {people} (for example, {number} is the one aged {age}), "
            "or 0 if nobody.",
            **params,
        )
    else:
        how = msg(
            "Write the number from {people} (for example, {number} is the one aged {age}), "
            "or 0 if nobody.",
            **params,
        )
    return Reply((question, how))


def _member_key(index: int) -> str:
    return f"p{index + 1}"


def _member_index(key: str | None) -> int | None:
    if key is None or not key.startswith("p") or not key[1:].isdecimal():
        return None
    return int(key[1:]) - 1


def ask_people(
    ctx: Ctx, step_id: str, question: Text, candidates: list[int], *, many: bool = True
) -> Reply:
    if not candidates:  # asked only when there is someone it can be about
        return Reply((question,))
    if ctx.buttons:
        options = [Choice(_member_key(i), member(ctx, i)) for i in candidates]
        return pick_reply(ctx, step_id, question, options, many=many)
    return numbered_people(ctx, question, candidates, many=many)


def answer_people(
    ctx: Ctx, step_id: str, given: Answer, candidates: list[int], *, many: bool = True
) -> list[int] | Outcome:
    """The members chosen, or what to do meanwhile (a toggle shows the question again)."""
    if given.tapped and many:
        if given.key == "done":
            picked = [i for i in map(_member_index, _picked(ctx, step_id)) if i is not None]
            _done_picking(ctx)
            return sorted(i for i in picked if i in candidates)
        tapped = _member_index(given.key)
        if tapped is not None and tapped in candidates:
            _toggle(ctx, step_id, given.key or "")
            return Go(step_id)
    if given.tapped and given.key is not None:
        one = _member_index(given.key)
        if one is not None and one in candidates:
            _done_picking(ctx)
            return [one]
    chosen = _choose_people(given, ctx, candidates)
    if chosen is None or (not many and len(chosen) > 1):
        if many:
            return Retry(msg("Please write the numbers of the people, or 0 if nobody."))
        return Retry(msg("Please write one number, or 0 if nobody."))
    _done_picking(ctx)
    return chosen


DISABLED_QUESTION = msg(
    "Who has a disability (group I or II; for a child, any) or an illness lasting over 2 months?"
)


def ask_disabled(ctx: Ctx) -> Reply:
    return ask_people(ctx, "disabled", DISABLED_QUESTION, list(range(len(ages(ctx)))))


def answer_disabled(ctx: Ctx, given: Answer) -> Outcome:
    chosen = answer_people(ctx, "disabled", given, list(range(len(ages(ctx)))))
    if not isinstance(chosen, list):
        return chosen
    adults = [i for i in chosen if ages(ctx)[i] >= 18]
    ctx.answers["disabled"] = [i for i in chosen if ages(ctx)[i] < 18]
    ctx.answers["ill"] = []
    ctx.answers["to_classify"] = adults
    for i in adults:  # until told otherwise: a disability (asked next)
        ctx.answers["disabled"].append(i)
    return Go()


def _to_classify(ctx: Ctx) -> list[int]:
    return _indexes(ctx, "to_classify")


def ask_classify(ctx: Ctx) -> Reply:
    index = _to_classify(ctx)[0]
    age = ages(ctx)[index]
    return Reply(
        (nmsg("The member aged {n} has:", "The member aged {n} has:", age),),
        (
            Choice("disability", msg("A disability of group I or II")),
            Choice("illness", msg("A long illness")),
        ),
    )


def answer_classify(ctx: Ctx, given: Answer) -> Outcome:
    pending = _to_classify(ctx)
    if given.key not in ("disability", "illness"):
        return Retry(msg("Please answer 1 or 2."))
    index = pending[0]
    if given.key == "illness":
        ctx.answers["disabled"] = [i for i in _indexes(ctx, "disabled") if i != index]
        ctx.answers["ill"] = [*_indexes(ctx, "ill"), index]
    ctx.answers["to_classify"] = pending[1:]
    return Go("classify" if pending[1:] else None)


def people_step(step_id: str, question: Text, candidates: Callable[[Ctx], list[int]]) -> Step:
    """A question about some of the family's members, kept in `answers[step_id]`; it applies
    only when there is somebody it can be about."""

    def ask(ctx: Ctx) -> Reply:
        return ask_people(ctx, step_id, question, candidates(ctx))

    def answer(ctx: Ctx, given: Answer) -> Outcome:
        chosen = answer_people(ctx, step_id, given, candidates(ctx))
        if not isinstance(chosen, list):
            return chosen
        ctx.answers[step_id] = chosen
        return Go()

    return Step(
        step_id,
        ask,
        answer,
        _fresh(step_id, lambda ctx: bool(candidates(ctx))),
        FLOW,
        input=NUMERIC,
    )


def _students_age(ctx: Ctx) -> list[int]:
    return [i for i in possible_workers(ctx) if ages(ctx)[i] <= 22]


def _elderly(ctx: Ctx) -> list[int]:
    """Members of pension age, whose need of care matters only through a member who may be able
    to care for them (art. 121 sp.2, art. 122 p.4 sp.4): not asked where nobody can be."""
    limit = _pension_years(ctx)
    elderly = [i for i, age in enumerate(ages(ctx)) if age >= limit]
    return elderly if set(possible_workers(ctx)) - set(elderly) else []


def _carer_candidates(ctx: Ctx) -> list[int]:
    deps = set(dependants(ctx))
    return [i for i in possible_workers(ctx) if i not in deps]


CARER_QUESTION = msg(
    "Who looks after the small child, the family member with a disability or the elderly one?"
)


def ask_carer(ctx: Ctx) -> Reply:
    return ask_people(ctx, "carer", CARER_QUESTION, _carer_candidates(ctx), many=False)


def answer_carer(ctx: Ctx, given: Answer) -> Outcome:
    chosen = answer_people(ctx, "carer", given, _carer_candidates(ctx), many=False)
    if not isinstance(chosen, list):
        return chosen
    ctx.answers["carer"] = chosen[0] if chosen else None
    return Go()


def _job_candidates(ctx: Ctx) -> list[int]:
    students = set(_indexes(ctx, "students"))
    return [i for i in possible_workers(ctx) if i not in students]


# ------------------------------------------------------------------------------------------
# Income


def income_months(ctx: Ctx) -> tuple[Month, Month]:
    """Art. 127 p.2: the quarter before the application quarter."""
    start = previous_quarter_start(application_date(ctx))
    return Month(start), Month(add_months(start, 2))


def _which_amount(ctx: Ctx, step_id: str) -> Reply | None:
    """ "2 500 ₸ or 2 500 000 ₸?" when what was typed can mean either."""
    pending = ctx.answers.get("which_amount")
    if not isinstance(pending, dict) or pending.get("step") != step_id:
        return None
    options = [Decimal(str(v)) for v in pending.get("options", [])]
    return Reply(
        (msg("Which amount did you mean?"),),
        tuple(Choice(_keep(v), msg("{amount}", amount=Money(v))) for v in options),
    )


def _read_money(ctx: Ctx, step_id: str, given: Answer) -> Decimal | Outcome:
    """An amount in tenge; a question back when it can be read two ways; None words are 0."""
    pending = ctx.answers.pop("which_amount", None)
    if isinstance(pending, dict) and pending.get("step") == step_id and given.key is not None:
        return Decimal(given.key)
    readings = read_amount(given.text)
    if not readings and given.text.strip().lower() in NONE_WORDS:
        readings = (Decimal(0),)
    if len(readings) > 1:
        ctx.answers["which_amount"] = {"step": step_id, "options": [_keep(r) for r in readings]}
        return Go(step_id)
    if not readings:
        return Retry(msg("Please write the amount in tenge, for example: 120 000 or 120 thousand."))
    return readings[0]


def ask_income(ctx: Ctx) -> Reply:
    which = _which_amount(ctx, "income")
    if which is not None:
        return which
    first, last = income_months(ctx)
    return Reply(
        (
            msg(
                "What was the whole family's income per month from {first} to {last}? Wages, "
                "pensions, allowances, alimony. Write 0 if none.",
                first=first,
                last=last,
            ),
        )
    )


def answer_income(ctx: Ctx, given: Answer) -> Outcome:
    amount = _read_money(ctx, "income", given)
    if not isinstance(amount, Decimal):
        return amount
    ctx.answers["income"] = _keep(amount)
    return Go()


def echo_income(ctx: Ctx) -> Text | None:
    income = ctx.answers.get("income")
    if not isinstance(income, str):
        return None
    return msg("Income: {amount} a month for the whole family.", amount=Money(Decimal(income)))


# ------------------------------------------------------------------------------------------
# The large-family allowance, which counts as income (tsa-rules §7.2)


def _allowance_of(data: dict[str, Any], ctx: Ctx) -> Decimal:
    try:
        return assess_data(data, ctx.store).large_family_allowance_monthly
    except InputError:
        return Decimal(0)


def large_family_allowance(ctx: Ctx) -> Decimal:
    """The large-family allowance the core gives this household; 0 when it is not a large family
    (or a fact the core needs is still missing)."""
    result = assessed(ctx)
    return Decimal(0) if isinstance(result, InputError) else result.large_family_allowance_monthly


def is_large_family(ctx: Ctx) -> bool:
    return large_family_allowance(ctx) > 0


ALLOWANCE_CHOICES = (
    Choice("no", msg("No")),
    Choice("included", msg("Yes, in that income")),
    Choice("separate", msg("Yes, not in it")),
)


def ask_allowance(ctx: Ctx) -> Reply:
    return Reply(
        (
            msg(
                "Did the family get the large-family allowance ({amount} a month) in those months?",
                amount=Money(large_family_allowance(ctx)),
            ),
        ),
        ALLOWANCE_CHOICES,
    )


def answer_allowance(ctx: Ctx, given: Answer) -> Outcome:
    if given.key not in ALLOWANCE_ANSWERS:
        return Retry(msg("Please answer 1, 2 or 3."))
    ctx.answers["allowance"] = given.key
    return Go()


# ------------------------------------------------------------------------------------------
# Property


YES_NO = (Choice("no", msg("No")), Choice("yes", msg("Yes")))


def ask_property(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (
            msg(
                "Does the family own more than one home or car, business premises, a truck or "
                "farm machinery, or a building plot besides its home?"
            ),
        ),
        YES_NO,
    )


def _yes_no(given: Answer) -> bool | None:
    if given.key in ("yes", "no"):
        return given.key == "yes"
    return parse_yes_no(given.text)


def answer_property(ctx: Ctx, given: Answer) -> Outcome:
    owns = _yes_no(given)
    if owns is None:
        return Retry(msg("Please answer 1 (no) or 2 (yes)."))
    ctx.answers["owns"] = owns
    ctx.answers.pop("area", None)
    if owns:
        ctx.answers.pop("property", None)
    else:
        ctx.answers["property"] = []
    return Go()


PROPERTY_CHOICES = (
    Choice("1", msg("More than one home")),
    Choice("2", msg("More than one car")),
    Choice("3", msg("Business premises")),
    Choice("4", msg("Truck, bus or farm machinery")),
    Choice("5", msg("A building plot besides the home")),
)


def ask_property_kinds(ctx: Ctx) -> Reply:
    if ctx.buttons:
        on = set(_picked(ctx, "property_kinds"))
        return Reply(
            (msg("Which of these? Choose all that apply, then Done."),),
            (
                *(Choice(c.key, c.label, selected=c.key in on) for c in PROPERTY_CHOICES),
                Choice("done", msg("Done")),
            ),
            multi=True,
        )
    return Reply((msg("Which of these? Write all the numbers that apply."),), PROPERTY_CHOICES)


def answer_property_kinds(ctx: Ctx, given: Answer) -> Outcome:
    keys = {c.key for c in PROPERTY_CHOICES}
    if ctx.buttons and given.tapped:
        if given.key in keys:
            _toggle(ctx, "property_kinds", given.key or "")
            return Go("property_kinds")
        if given.key == "done":
            chosen = [int(k) for k in _picked(ctx, "property_kinds") if k in keys]
            if not chosen:
                return Retry(msg("Please choose at least one, or go back and answer No."))
            _done_picking(ctx)
            ctx.answers["property"] = sorted(set(chosen))
            return Go()
    numbers = parse_numbers(given.text, 1, 5) or (
        [int(given.key)] if given.key is not None and given.key in keys else None
    )
    if not numbers:
        return Retry(msg("Please write the numbers that apply, for example: 1 2"))
    _done_picking(ctx)
    ctx.answers["property"] = sorted(set(numbers))
    return Go()


def ask_area(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("What is the total living area of all the homes, in m²?"),))


def answer_area(ctx: Ctx, given: Answer) -> Outcome:
    area = parse_amount(given.text)
    if area is None or area > 100000:
        return Retry(msg("Please write the area as a number of square metres, for example: 64"))
    ctx.answers["area"] = _keep(area)
    return Go()


def echo_area(ctx: Ctx) -> Text | None:
    area = ctx.answers.get("area")
    if not isinstance(area, str):
        return None
    return msg("Living area of all the homes: {area} m².", area=Decimal(area))


# ------------------------------------------------------------------------------------------
# A loan, a refusal of employment measures, a broken social contract


def can_refuse(ctx: Ctx) -> bool:
    """Only an able-bodied member can be offered employment measures or a social contract: a
    pensioner living alone is asked about a loan only."""
    return bool(possible_workers(ctx))


OBLIGATION_CHOICES = (
    Choice("none", msg("No")),
    Choice("loan", msg("A loan")),
    Choice("refusal", msg("A refusal")),
    Choice("both", msg("Both")),
)


def ask_obligations(ctx: Ctx) -> Reply:
    first, last = income_months(ctx)
    if not can_refuse(ctx):
        return Reply(
            (
                msg(
                    "From {first} to {last}, did the family take a loan other than a mortgage?",
                    first=first,
                    last=last,
                ),
            ),
            YES_NO,
        )
    return Reply(
        (
            msg(
                "From {first} to {last}, did the family take a loan other than a mortgage? In the "
                "last 6 months, did anyone refuse a job or training from the career centre, or "
                "break a social contract?",
                first=first,
                last=last,
            ),
        ),
        OBLIGATION_CHOICES,
    )


def answer_obligations(ctx: Ctx, given: Answer) -> Outcome:
    key = given.key
    if not can_refuse(ctx):
        took = _yes_no(given)
        key = None if took is None else ("loan" if took else "none")
        if key is None:
            return Retry(msg("Please answer 1 (no) or 2 (yes)."))
    if key is None:
        no = parse_yes_no(given.text)
        key = "none" if no is False else None
    if key not in ("none", "loan", "refusal", "both"):
        return Retry(msg("Please choose a number from 1 to 4."))
    ctx.answers["has_loan"] = key in ("loan", "both")
    ctx.answers["has_refusal"] = key in ("refusal", "both")
    if not ctx.answers["has_loan"]:
        ctx.answers.pop("loan", None)
    if not ctx.answers["has_refusal"]:
        ctx.answers.pop("refusal", None)
        ctx.answers.pop("refusal_months", None)
    return Go()


def ask_loan(ctx: Ctx) -> Reply:
    which = _which_amount(ctx, "loan")
    if which is not None:
        return which
    return Reply((msg("How much was borrowed in all, in tenge?"),))


def answer_loan(ctx: Ctx, given: Answer) -> Outcome:
    amount = _read_money(ctx, "loan", given)
    if not isinstance(amount, Decimal):
        return amount
    ctx.answers["loan"] = _keep(amount)
    return Go()


def echo_loan(ctx: Ctx) -> Text | None:
    loan = ctx.answers.get("loan")
    if not isinstance(loan, str):
        return None
    return msg("Loan: {amount}.", amount=Money(Decimal(loan)))


REFUSAL_CHOICES = (
    Choice("refused", msg("Refused employment measures")),
    Choice("terminated", msg("Social contract terminated")),
    Choice("false", msg("False information given")),
)


def ask_refusal(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("What happened?"),), REFUSAL_CHOICES)


def answer_refusal(ctx: Ctx, given: Answer) -> Outcome:
    if given.key is None:
        return Retry(msg("Please answer 1, 2 or 3."))
    ctx.answers["refusal"] = given.key
    return Go()


def ask_refusal_months(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("How many months ago was it? Write 0 if this month."),))


def answer_refusal_months(ctx: Ctx, given: Answer) -> Outcome:
    months = parse_whole(given.text, 0, 120)
    if months is None:
        return Retry(msg("Please write a number of months, for example: 2"))
    ctx.answers["refusal_months"] = months
    return Go()


def _has(key: str) -> Callable[[Ctx], bool]:
    return lambda ctx: bool(ctx.answers.get(key))


register(
    Step(
        "region",
        ask_region,
        answer_region,
        _fresh("region"),
        FLOW,
        echo=echo_region,
        back=back_region,
    ),
    Step("ages", ask_ages, answer_ages, _fresh("ages"), FLOW, input=NUMERIC, echo=echo_ages),
    Step("missing", ask_missing, answer_missing, lambda c: missing_fact(c) is not None, FLOW),
    Step("disabled", ask_disabled, answer_disabled, _fresh("disabled"), FLOW, input=NUMERIC),
    Step("classify", ask_classify, answer_classify, lambda c: bool(_to_classify(c)), FLOW),
    people_step("students", msg("Who of them studies full-time?"), _students_age),
    people_step(
        "needs_care",
        msg("Does an elderly family member need constant care from someone else?"),
        _elderly,
    ),
    Step(
        "carer",
        ask_carer,
        answer_carer,
        _fresh("carer", lambda c: bool(dependants(c)) and bool(_carer_candidates(c))),
        FLOW,
        input=NUMERIC,
    ),
    people_step("jobs", msg("Who has a permanent job?"), _job_candidates),
    Step(
        "income", ask_income, answer_income, _fresh("income"), FLOW, input=NUMERIC, echo=echo_income
    ),
    # Kept when another answer is changed from the review; asked again after new ages.
    Step("allowance", ask_allowance, answer_allowance, _fresh("allowance", is_large_family), FLOW),
    Step("property", ask_property, answer_property, _fresh("owns"), FLOW),
    Step(
        "property_kinds",
        ask_property_kinds,
        answer_property_kinds,
        _fresh("property", _has("owns")),
        FLOW,
        input=NUMERIC,
    ),
    Step(
        "area",
        ask_area,
        answer_area,
        _fresh("area", lambda c: 1 in _indexes(c, "property")),
        FLOW,
        input=NUMERIC,
        echo=echo_area,
    ),
    Step("obligations", ask_obligations, answer_obligations, _fresh("has_loan"), FLOW),
    Step(
        "loan",
        ask_loan,
        answer_loan,
        _fresh("loan", _has("has_loan")),
        FLOW,
        input=NUMERIC,
        echo=echo_loan,
    ),
    Step("refusal", ask_refusal, answer_refusal, _fresh("refusal", _has("has_refusal")), FLOW),
    Step(
        "refusal_months",
        ask_refusal_months,
        answer_refusal_months,
        _fresh("refusal_months", _has("has_refusal")),
        FLOW,
        input=NUMERIC,
    ),
)
