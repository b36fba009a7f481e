"""The self-assessment: as few questions as the law allows for this household.

Everyone is listed by age in one message (people on military service, in prison or in full state
care are not family members, art. 120 p.5, so they are left out there). A question is asked only
when its answer can change something for this household: no carer question without a child
under three, a disabled or an elderly member; no student question without members of 18 to 22; a
sex or a birth date only where the pension age depends on it (the core says which). Income is
asked once for the whole family: only the total counts (art. 127 p.2); a large family is asked
besides whether it received its allowance, which counts as income (tsa-rules §7.2).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from core.assess import assess_data
from core.dates import add_months, age_in_months, age_in_years, previous_quarter_start
from core.errors import InputError
from core.regions import REGIONS
from dialogs.engine import Answer, Choice, Ctx, Go, Outcome, Reply, Retry, Step, register
from dialogs.parsing import parse_amount, parse_numbers, parse_whole, parse_yes_no
from dialogs.text import N_, Money, Month, Text, msg

FLOW = "assessment"
MAX_PEOPLE = 15
REGION_PAGE = 7

REGION_NAMES: dict[str, Text] = {
    "astana": msg("Astana"),
    "almaty": msg("Almaty city"),
    "shymkent": msg("Shymkent"),
    "abai": msg("Abai"),
    "akmola": msg("Akmola"),
    "aktobe": msg("Aktobe"),
    "almaty_region": msg("Almaty region"),
    "atyrau": msg("Atyrau"),
    "east_kazakhstan": msg("East Kazakhstan"),
    "jetisu": msg("Jetisu"),
    "karaganda": msg("Karaganda"),
    "kostanay": msg("Kostanay"),
    "kyzylorda": msg("Kyzylorda"),
    "mangystau": msg("Mangystau"),
    "north_kazakhstan": msg("North Kazakhstan"),
    "pavlodar": msg("Pavlodar"),
    "turkistan": msg("Turkistan"),
    "ulytau": msg("Ulytau"),
    "west_kazakhstan": msg("West Kazakhstan"),
    "zhambyl": msg("Zhambyl"),
}
# Names people type, in any of the three languages, to the region's code.
REGION_WORDS: dict[str, str] = {
    "астана": "astana", "astana": "astana", "нур-султан": "astana", "нұр-сұлтан": "astana",
    "алматы": "almaty", "almaty": "almaty", "алма-ата": "almaty",
    "шымкент": "shymkent", "shymkent": "shymkent",
    "абай": "abai", "abai": "abai", "семей": "abai",
    "ақмола": "akmola", "акмола": "akmola", "akmola": "akmola", "көкшетау": "akmola",
    "кокшетау": "akmola",
    "ақтөбе": "aktobe", "актобе": "aktobe", "aktobe": "aktobe",
    "алматы облысы": "almaty_region", "алматинская": "almaty_region", "қонаев": "almaty_region",
    "конаев": "almaty_region",
    "атырау": "atyrau", "atyrau": "atyrau",
    "шығыс қазақстан": "east_kazakhstan", "восточно-казахстанская": "east_kazakhstan",
    "вко": "east_kazakhstan", "өскемен": "east_kazakhstan", "усть-каменогорск": "east_kazakhstan",
    "жетісу": "jetisu", "жетысу": "jetisu", "jetisu": "jetisu", "талдықорған": "jetisu",
    "талдыкорган": "jetisu",
    "қарағанды": "karaganda", "караганда": "karaganda", "karaganda": "karaganda",
    "қостанай": "kostanay", "костанай": "kostanay", "kostanay": "kostanay",
    "қызылорда": "kyzylorda", "кызылорда": "kyzylorda", "kyzylorda": "kyzylorda",
    "маңғыстау": "mangystau", "мангистау": "mangystau", "mangystau": "mangystau",
    "ақтау": "mangystau", "актау": "mangystau",
    "солтүстік қазақстан": "north_kazakhstan", "северо-казахстанская": "north_kazakhstan",
    "ско": "north_kazakhstan", "петропавл": "north_kazakhstan", "петропавловск": "north_kazakhstan",
    "павлодар": "pavlodar", "pavlodar": "pavlodar",
    "түркістан": "turkistan", "туркестан": "turkistan", "turkistan": "turkistan",
    "ұлытау": "ulytau", "улытау": "ulytau", "ulytau": "ulytau", "жезқазған": "ulytau",
    "жезказган": "ulytau",
    "батыс қазақстан": "west_kazakhstan", "западно-казахстанская": "west_kazakhstan",
    "зко": "west_kazakhstan", "орал": "west_kazakhstan", "уральск": "west_kazakhstan",
    "жамбыл": "zhambyl", "zhambyl": "zhambyl", "тараз": "zhambyl", "taraz": "zhambyl",
}  # fmt: skip

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
        received = a.get("allowance")
        if received in ("no", "included", "separate"):
            members[0]["income"] = _with_allowance(
                members[0]["income"], str(received), a.get("allowance_amount")
            )
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
    return data


def _with_allowance(total: int | float, received: str, amount: Any) -> dict[str, int | float]:
    """The family's income with the large-family allowance named by kind (it counts as income,
    tsa-rules §7.2): the core then knows whether the family received it in those months."""
    allowance = _number(amount) if received != "no" else 0
    if received == "included":
        allowance = min(allowance, total)
        return {"other": total - allowance, "large_family_allowance": allowance}
    return {"other": total, "large_family_allowance": allowance}


def _number(value: Any) -> int | float:
    if isinstance(value, str):
        parsed = parse_amount(value)
        if parsed is not None:
            return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)
    return 0


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


def missing_fact(ctx: Ctx) -> tuple[str, int] | None:
    """A sex or birth date the core needs for this household (the pension age depends on it)."""
    try:
        assess_data(household(ctx), ctx.store)
    except InputError as exc:
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
    numbers = parse_numbers(given.text, 1, len(ages(ctx)))
    if numbers is None:
        return None
    chosen = sorted({n - 1 for n in numbers})
    return chosen if all(i in allowed for i in chosen) else None


# ------------------------------------------------------------------------------------------
# Steps


def ask_region(ctx: Ctx) -> Reply:
    page = int(ctx.answers.get("region_page", 0))
    codes = REGIONS[page * REGION_PAGE : (page + 1) * REGION_PAGE]
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
    code = given.key
    if code is None:
        typed = " ".join(given.text.lower().split())
        typed = typed.removesuffix(" облысы").removesuffix(" область").removesuffix(" region")
        code = REGION_WORDS.get(typed)
    if code not in REGIONS:
        return Retry(msg("I did not find that region. Choose a number or write its name."))
    ctx.answers["region"] = code
    ctx.answers.pop("region_page", None)
    return Go()


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
                "allowance", "allowance_amount"):  # fmt: skip
        ctx.answers.pop(key, None)
    ctx.answers["ages"] = numbers
    return Go()


def ask_missing(ctx: Ctx) -> Reply:
    found = missing_fact(ctx)
    fact, index = found if found is not None else ("sex", 0)
    age = ages(ctx)[index] if index < len(ages(ctx)) else 0
    if fact == "sex":
        return Reply(
            (msg("Is person {number} (age {age}) a woman or a man?", number=index + 1, age=age),),
            (Choice("female", msg("A woman")), Choice("male", msg("A man"))),
        )
    return Reply(
        (
            msg(
                "What is the date of birth of person {number} (age {age})? For example: 14.03.1966",
                number=index + 1,
                age=age,
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


def ask_disabled(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (
            msg(
                "Does anyone have a disability of group I or II, a disabled child, or an illness "
                "of over 2 months? Write their numbers in the order of the ages, or 0."
            ),
        ),
    )


def answer_disabled(ctx: Ctx, given: Answer) -> Outcome:
    chosen = _choose_people(given, ctx, list(range(len(ages(ctx)))))
    if chosen is None:
        return Retry(msg("Please write the numbers of the people, or 0 if nobody."))
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
    return Reply(
        (msg("Person {number} (age {age}) has:", number=index + 1, age=ages(ctx)[index]),),
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


def people_step(
    step_id: str, question: str, candidates: Callable[[Ctx], list[int]], key: str
) -> Step:
    """A question answered with the numbers of some of the family's people, or 0 for nobody; it
    applies only when there is somebody it can be about. `question` has a {people} placeholder."""

    def ask(ctx: Ctx) -> Reply:
        return Reply((Text(question, {"people": people(ctx, candidates(ctx))}),))

    def answer(ctx: Ctx, given: Answer) -> Outcome:
        chosen = _choose_people(given, ctx, candidates(ctx))
        if chosen is None:
            return Retry(msg("Please write the numbers of the people, or 0 if nobody."))
        ctx.answers[key] = chosen
        return Go()

    return Step(step_id, ask, answer, lambda ctx: bool(candidates(ctx)), FLOW)


def _students_age(ctx: Ctx) -> list[int]:
    return [i for i in possible_workers(ctx) if ages(ctx)[i] <= 22]


def _elderly(ctx: Ctx) -> list[int]:
    limit = _pension_years(ctx)
    return [i for i, age in enumerate(ages(ctx)) if age >= limit]


def _carer_candidates(ctx: Ctx) -> list[int]:
    deps = set(dependants(ctx))
    return [i for i in possible_workers(ctx) if i not in deps]


def ask_carer(ctx: Ctx) -> Reply:
    return Reply(
        (
            msg(
                "Who looks after the small child, the disabled or the elderly family member? "
                "Write the number ({people}) or 0 if nobody does.",
                people=people(ctx, _carer_candidates(ctx)),
            ),
        ),
    )


def answer_carer(ctx: Ctx, given: Answer) -> Outcome:
    chosen = _choose_people(given, ctx, _carer_candidates(ctx))
    if chosen is None or len(chosen) > 1:
        return Retry(msg("Please write one number, or 0 if nobody."))
    ctx.answers["carer"] = chosen[0] if chosen else None
    return Go()


def _job_candidates(ctx: Ctx) -> list[int]:
    students = set(_indexes(ctx, "students"))
    return [i for i in possible_workers(ctx) if i not in students]


def income_months(ctx: Ctx) -> tuple[Month, Month]:
    """Art. 127 p.2: the quarter before the application quarter."""
    start = previous_quarter_start(application_date(ctx))
    return Month(start), Month(add_months(start, 2))


def ask_income(ctx: Ctx) -> Reply:
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
    amount = parse_amount(given.text)
    if amount is None and given.text.strip().lower() in NONE_WORDS:
        amount = Decimal(0)
    if amount is None:
        return Retry(msg("Please write the amount in tenge, for example: 120000 or 120 мың."))
    ctx.answers["income"] = str(amount)
    return Go()


def large_family_allowance(ctx: Ctx) -> Decimal:
    """The large-family allowance the core gives this household; 0 when it is not a large family
    (or a fact the core needs is still missing)."""
    try:
        return assess_data(household(ctx), ctx.store).large_family_allowance_monthly
    except InputError:
        return Decimal(0)


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
    if given.key not in ("no", "included", "separate"):
        return Retry(msg("Please answer 1, 2 or 3."))
    ctx.answers["allowance_amount"] = str(large_family_allowance(ctx))
    ctx.answers["allowance"] = given.key
    return Go()


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
    if not owns:
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
    del ctx
    return Reply((msg("Which of these? Write all the numbers that apply."),), PROPERTY_CHOICES)


def answer_property_kinds(ctx: Ctx, given: Answer) -> Outcome:
    chosen = [int(given.key)] if given.key else parse_numbers(given.text, 1, 5)
    if not chosen:
        return Retry(msg("Please write the numbers that apply, for example: 1 2"))
    ctx.answers["property"] = sorted(set(chosen))
    return Go()


def ask_area(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("What is the total living area of all the homes, in m²?"),))


def answer_area(ctx: Ctx, given: Answer) -> Outcome:
    area = parse_amount(given.text)
    if area is None or area > 100000:
        return Retry(msg("Please write the area as a number of square metres, for example: 64"))
    ctx.answers["area"] = str(area)
    return Go()


OBLIGATION_CHOICES = (
    Choice("none", msg("No")),
    Choice("loan", msg("A loan")),
    Choice("refusal", msg("A refusal")),
    Choice("both", msg("Both")),
)


def ask_obligations(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (
            msg(
                "A loan (not a mortgage) in those months, or in the last 6 months a refusal of "
                "measures or a broken social contract?"
            ),
        ),
        OBLIGATION_CHOICES,
    )


def answer_obligations(ctx: Ctx, given: Answer) -> Outcome:
    key = given.key
    if key is None:
        no = parse_yes_no(given.text)
        key = "none" if no is False else None
    if key is None:
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
    del ctx
    return Reply((msg("How much was borrowed in all, in tenge?"),))


def answer_loan(ctx: Ctx, given: Answer) -> Outcome:
    amount = parse_amount(given.text)
    if amount is None:
        return Retry(msg("Please write the amount in tenge, for example: 120000 or 120 мың."))
    ctx.answers["loan"] = str(amount)
    return Go()


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


register(
    Step("region", ask_region, answer_region, flow=FLOW),
    Step("ages", ask_ages, answer_ages, flow=FLOW),
    Step("missing", ask_missing, answer_missing, lambda c: missing_fact(c) is not None, FLOW),
    Step("disabled", ask_disabled, answer_disabled, flow=FLOW),
    Step("classify", ask_classify, answer_classify, lambda c: bool(_to_classify(c)), FLOW),
    people_step(
        "students",
        N_("Who of them studies full-time? Write their numbers ({people}) or 0 if nobody."),
        _students_age,
        "students",
    ),
    people_step(
        "needs_care",
        N_(
            "Does an elderly family member need constant care from someone else? "
            "Write their numbers ({people}) or 0 if nobody."
        ),
        _elderly,
        "needs_care",
    ),
    Step(
        "carer",
        ask_carer,
        answer_carer,
        lambda c: bool(dependants(c)) and bool(_carer_candidates(c)),
        FLOW,
    ),
    people_step(
        "jobs",
        N_("Who has a permanent job? Write their numbers ({people}) or 0 if nobody."),
        _job_candidates,
        "jobs",
    ),
    Step("income", ask_income, answer_income, flow=FLOW),
    Step(
        "allowance",
        ask_allowance,
        answer_allowance,
        lambda c: large_family_allowance(c) > 0,
        FLOW,
    ),
    Step("property", ask_property, answer_property, flow=FLOW),
    Step(
        "property_kinds",
        ask_property_kinds,
        answer_property_kinds,
        lambda c: bool(c.answers.get("owns")),
        FLOW,
    ),
    Step("area", ask_area, answer_area, lambda c: 1 in _indexes(c, "property"), FLOW),
    Step("obligations", ask_obligations, answer_obligations, flow=FLOW),
    Step("loan", ask_loan, answer_loan, lambda c: bool(c.answers.get("has_loan")), FLOW),
    Step(
        "refusal", ask_refusal, answer_refusal, lambda c: bool(c.answers.get("has_refusal")), FLOW
    ),
    Step(
        "refusal_months",
        ask_refusal_months,
        answer_refusal_months,
        lambda c: bool(c.answers.get("has_refusal")),
        FLOW,
    ),
)
