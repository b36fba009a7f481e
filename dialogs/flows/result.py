"""The result of the self-assessment: the answer, amounts, obligations, what would change it, and
what to do next; never a dead end.

On Telegram and the web the answers are shown once more before the result, each with a way to
change it. The last result stays with the person ("My result" in the menu) as the household it
was worked out for, so it reads the same later, until they ask Komek to forget it. On SMS "Why?"
comes a part at a time, each within the SMS budget, with "More".
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from core.assess import Assessment, assess_data
from core.dates import age_in_years
from core.errors import InputError
from dialogs import paging
from dialogs.documents import document_lines, family_documents
from dialogs.engine import Answer, Choice, Ctx, Event, Go, Outcome, Reply, Retry, Step, register
from dialogs.explain import amounts, flag_lines, headline, next_step, obligations, short_summary
from dialogs.explain import why as why_lines
from dialogs.flows.assessment import (
    ALLOWANCE_ANSWERS,
    FLOW,
    REFUSAL_CHOICES,
    REGION_NAMES,
    ages,
    ages_text,
    assessed,
    can_refuse,
    household,
    large_family_allowance,
    member,
)
from dialogs.flows.feedback import after_result
from dialogs.flows.visit import start_visit
from dialogs.text import Money, Text, joined, msg, nmsg, pmsg

RESULT_CHOICES = (
    Choice("why", msg("Why?")),
    Choice("book", msg("Book a visit")),
    Choice("docs", msg("Documents to bring")),
    Choice("learn", msg("Learn more")),
    Choice("restart", msg("Check again")),
    Choice("menu", msg("Menu")),
    Choice("reminders", msg("Remind me each quarter")),
)
NEXT_CHOICES = RESULT_CHOICES[1:]
SMS_RESULT_CHOICES = (
    RESULT_CHOICES[0],
    Choice("book", pmsg("short", "Visit")),
    Choice("docs", pmsg("short", "Documents")),
    Choice("menu", msg("Menu")),
)


def assessment(ctx: Ctx) -> Assessment:
    result = assessed(ctx)
    if isinstance(result, InputError):
        raise result
    return result


def household_ages(data: dict[str, Any]) -> list[int]:
    """The members' ages on the household's date, as the result names them."""
    on = date.fromisoformat(str(data.get("date")))
    found = []
    for m in data.get("members", []):
        if isinstance(m.get("age"), int):
            found.append(int(m["age"]))
        elif isinstance(m.get("birth_date"), str):
            found.append(age_in_years(date.fromisoformat(m["birth_date"]), on))
        else:
            found.append(0)
    return found


def last_household(ctx: Ctx) -> dict[str, Any] | None:
    """The household of the last result shown (the session keeps it until "forget me")."""
    kept = ctx.session.get("assessed")
    if not isinstance(kept, str):
        return None
    try:
        data = json.loads(kept)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def last_assessment(ctx: Ctx) -> tuple[Assessment, list[int]] | None:
    data = last_household(ctx)
    if data is None:
        return None
    try:
        return assess_data(data, ctx.store), household_ages(data)
    except (ValueError, TypeError, KeyError):  # a household kept by an older release
        return None


def result_lines(ctx: Ctx, result: Assessment, family: list[int]) -> list[Text]:
    """What the person reads first: on SMS the short form (the reasons come on request)."""
    if ctx.sms:
        return short_summary(result)
    return [
        headline(result),
        *amounts(result),
        *obligations(result, family),
        *flag_lines(result),
        next_step(result),
    ]


# ------------------------------------------------------------------------------------------
# The answers once more, before the result (not on SMS, where every message costs)

REVIEW_CHOICES = (
    Choice("ok", msg("Right, show the result")),
    Choice("region", msg("Change the region")),
    Choice("ages", msg("Change the ages")),
    Choice("members", msg("Change illness, study, work, care")),
    Choice("income", msg("Change the income")),
    Choice("allowance", msg("Change the large-family allowance")),
    Choice("property", msg("Change the property")),
    Choice("obligations", msg("Change the loan or refusal")),
)
# What each change clears, so that its questions are asked again (and no other).
REVIEW_CHANGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "region": ("region", ("region",)),
    "ages": ("ages", ("ages",)),
    "members": (
        "disabled",
        ("disabled", "ill", "to_classify", "students", "needs_care", "carer", "jobs"),
    ),
    "income": ("income", ("income",)),
    "allowance": ("allowance", ("allowance",)),
    "property": ("property", ("owns", "property", "area")),
    "obligations": (
        "obligations",
        ("has_loan", "has_refusal", "loan", "refusal", "refusal_months"),
    ),
}
MEMBER_LINES = (
    ("disabled", msg("Disability: {people}.")),
    ("ill", msg("Long illness: {people}.")),
    ("students", msg("Studies full-time: {people}.")),
    ("needs_care", msg("Needs constant care: {people}.")),
    ("jobs", msg("Permanent job: {people}.")),
)


def review_applies(ctx: Ctx) -> bool:
    return not ctx.sms


def _members_line(ctx: Ctx, line: Text, indexes: list[int]) -> Text | None:
    named = [member(ctx, i) for i in indexes if 0 <= i < len(ages(ctx))]
    if not named:
        return None
    return Text(line.msgid, {"people": joined(*named)})


def _allowance_line(ctx: Ctx) -> Text | None:
    """What a large family said of its allowance (none where it is no longer a large family)."""
    received = ctx.answers.get("allowance")
    if received not in ALLOWANCE_ANSWERS:
        return None
    amount = large_family_allowance(ctx)
    if amount <= 0:
        return None
    if received == "no":
        return msg("Large-family allowance: not received.")
    if received == "included":
        return msg(
            "Large-family allowance: {amount} a month, received, part of the income.",
            amount=Money(amount),
        )
    return msg(
        "Large-family allowance: {amount} a month, received besides the income.",
        amount=Money(amount),
    )


def review_lines(ctx: Ctx) -> list[Text]:
    a = ctx.answers
    lines: list[Text] = [msg("Please check your answers:")]
    if a.get("region") in REGION_NAMES:
        lines.append(msg("Region: {region}.", region=REGION_NAMES[a["region"]]))
    lines.append(msg("Ages in the family: {ages}.", ages=ages_text(ctx)))
    for key, line in MEMBER_LINES:
        value = a.get(key)
        said = _members_line(ctx, line, value if isinstance(value, list) else [])
        if said is not None:
            lines.append(said)
    carer = a.get("carer")
    if isinstance(carer, int):
        said = _members_line(ctx, msg("Looks after the family member: {people}."), [carer])
        if said is not None:
            lines.append(said)
    if isinstance(a.get("income"), str):
        lines.append(
            msg(
                "Income: {amount} a month for the whole family.",
                amount=Money(Decimal(a["income"])),
            )
        )
    said = _allowance_line(ctx)
    if said is not None:
        lines.append(said)
    lines.append(
        msg("Property beyond the home: yes.")
        if a.get("owns")
        else msg("Property beyond the home: none.")
    )
    if isinstance(a.get("loan"), str):
        lines.append(msg("Loan: {amount}.", amount=Money(Decimal(a["loan"]))))
    refusal = next((c.label for c in REFUSAL_CHOICES if c.key == a.get("refusal")), None)
    months = a.get("refusal_months")
    if refusal is not None and isinstance(months, int):
        lines.append(
            nmsg(
                "{what}: {n} month ago.",
                "{what}: {n} months ago.",
                months,
                what=refusal,
            )
        )
    if not a.get("has_loan") and not a.get("has_refusal"):
        lines.append(msg("No loan, no refusal.") if can_refuse(ctx) else msg("No loan."))
    lines.append(msg("Is everything right?"))
    return lines


def ask_review(ctx: Ctx) -> Reply:
    choices: tuple[Choice, ...] = REVIEW_CHOICES
    if not any(isinstance(ctx.answers.get(k), list) for k, _ in MEMBER_LINES):
        choices = tuple(c for c in choices if c.key != "members")
    if _allowance_line(ctx) is None:
        choices = tuple(c for c in choices if c.key != "allowance")
    return Reply(tuple(review_lines(ctx)), choices)


def answer_review(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "ok":
        ctx.answers.pop("reviewing", None)
        return Go("result")
    change = REVIEW_CHANGES.get(given.key or "")
    if change is None:
        return Retry(msg("Please choose a number from the menu."))
    step, cleared = change
    for key in cleared:
        ctx.answers.pop(key, None)
    ctx.session.pop("picking", None)
    ctx.answers["reviewing"] = True  # after it, back here: what is answered is not asked again
    return Go(step)


# ------------------------------------------------------------------------------------------
# The result


def ask(ctx: Ctx) -> Reply:
    result = assessment(ctx)
    data = household(ctx)
    fingerprint = json.dumps(data, sort_keys=True)
    if ctx.session.get("assessed") != fingerprint:
        ctx.session["assessed"] = fingerprint
        ctx.events.append(Event("assessment_done", {"household": data, "result": _summary(result)}))
    return _result_reply(ctx, "result", result_lines(ctx, result, ages(ctx)))


def _result_reply(ctx: Ctx, step_id: str, lines: list[Text]) -> Reply:
    # On SMS every character costs: "check again" and "learn more" are in the menu (and RESTART
    # works anywhere); booking the visit, the next step, stays, with a one-word label. What does
    # not fit in one SMS reply comes with "More".
    if ctx.sms:
        return paging.paged(ctx, step_id, lines, SMS_RESULT_CHOICES)
    return Reply(tuple(lines), RESULT_CHOICES)


def _summary(result: Assessment) -> dict[str, object]:
    return {
        key: str(value) if not isinstance(value, bool | int | str | type(None)) else value
        for key, value in result.to_dict().items()
        if key not in ("members", "reasons")
    }


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if paging.more(ctx, "result", given):
        return Go("result")
    return _after_result(ctx, given)


def _after_result(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "why":
        if ctx.sms:
            return Go("why")
        found = last_assessment(ctx)
        if found is not None:
            ctx.notes.extend(why_lines(found[0], cite=True, ages=found[1]))
        return Go("next")
    return _after(ctx, given)


def _after(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "learn":
        return Go("explain_menu")
    if given.key == "book":
        return start_visit(ctx)
    if given.key == "docs":
        return Go("documents")
    if given.key == "restart":
        ctx.session["answers"] = {}
        ctx.session["history"] = []
        return Go("region")
    if given.key == "menu":
        return after_result(ctx)
    if given.key == "reminders":
        return Go("reminders")
    return Retry(msg("Please choose a number from the menu."))


def ask_next(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("What would you like to do next?"),), NEXT_CHOICES)


# ------------------------------------------------------------------------------------------
# "Why?" on SMS, a part at a time

WHY_LAST_CHOICES = (Choice("book", pmsg("short", "Visit")), Choice("menu", msg("Menu")))


def ask_why(ctx: Ctx) -> Reply:
    found = last_assessment(ctx)
    if found is None:
        lines = [msg("There is no result yet: choose Check eligibility in the menu.")]
    else:
        lines = why_lines(found[0], cite=False, ages=found[1])
    return paging.paged(ctx, "why", lines, WHY_LAST_CHOICES)


def answer_why(ctx: Ctx, given: Answer) -> Outcome:
    if paging.more(ctx, "why", given):
        return Go("why")
    return _after(ctx, given)


def back_why(ctx: Ctx) -> str | None:
    return paging.back(ctx, "why")


# ------------------------------------------------------------------------------------------
# The family's own list of documents, after the result

DOCUMENTS_CHOICES = (Choice("book", pmsg("short", "Visit")), Choice("menu", msg("Menu")))


def ask_documents(ctx: Ctx) -> Reply:
    lines = document_lines(family_documents(ctx.session), sms=ctx.sms)
    return paging.paged(ctx, "documents", lines, DOCUMENTS_CHOICES)


def answer_documents(ctx: Ctx, given: Answer) -> Outcome:
    if paging.more(ctx, "documents", given):
        return Go("documents")
    return _after(ctx, given)


# ------------------------------------------------------------------------------------------
# My result: the last one, again, from the menu


def my_result_applies(ctx: Ctx) -> bool:
    return last_assessment(ctx) is not None


def ask_my_result(ctx: Ctx) -> Reply:
    found = last_assessment(ctx)
    data = last_household(ctx)
    if found is None or data is None:
        return Reply((msg("There is no result yet: choose Check eligibility in the menu."),))
    result, family = found
    lines = [msg("Your result of {day}:", day=date.fromisoformat(str(data["date"])))]
    lines.extend(result_lines(ctx, result, family))
    return _result_reply(ctx, "my_result", lines)


def answer_my_result(ctx: Ctx, given: Answer) -> Outcome:
    if paging.more(ctx, "my_result", given):
        return Go("my_result")
    return _after_result(ctx, given)


register(
    Step(
        "review",
        ask_review,
        answer_review,
        review_applies,
        flow=FLOW,
        remember=False,
        question=False,
    ),
    Step(
        "result",
        ask,
        answer,
        flow=FLOW,
        remember=False,
        question=False,
        back=lambda ctx: paging.back(ctx, "result"),
    ),
    Step("next", ask_next, _after, flow="next", remember=False),
    Step("why", ask_why, answer_why, flow="next", remember=False, back=back_why),
    Step(
        "documents",
        ask_documents,
        answer_documents,
        flow="next",
        remember=False,
        question=False,
        back=lambda ctx: paging.back(ctx, "documents"),
    ),
    Step(
        "my_result",
        ask_my_result,
        answer_my_result,
        my_result_applies,
        flow="next",
        remember=False,
        back=lambda ctx: paging.back(ctx, "my_result"),
    ),
)
