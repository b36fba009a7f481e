"""The result of the self-assessment: the answer, amounts, obligations, what would change it, and
what to do next; never a dead end."""

from __future__ import annotations

import json

from core.assess import Assessment, assess_data
from dialogs.engine import Answer, Choice, Ctx, Event, Go, Outcome, Reply, Retry, Step, register
from dialogs.explain import (
    amounts,
    flag_lines,
    headline,
    next_step,
    obligations,
    reason_lines,
    short_summary,
)
from dialogs.flows.assessment import FLOW, household
from dialogs.flows.visit import start_visit
from dialogs.text import Text, msg, pmsg

RESULT_CHOICES = (
    Choice("why", msg("Why?")),
    Choice("book", msg("Book a visit")),
    Choice("learn", msg("Learn more")),
    Choice("restart", msg("Check again")),
    Choice("menu", msg("Menu")),
    Choice("reminders", msg("Remind me each quarter")),
)
NEXT_CHOICES = RESULT_CHOICES[1:]
SMS_RESULT_CHOICES = (
    RESULT_CHOICES[0],
    Choice("book", pmsg("short", "Visit")),
    Choice("menu", msg("Menu")),
)


def assessment(ctx: Ctx) -> Assessment:
    return assess_data(household(ctx), ctx.store)


def result_lines(ctx: Ctx, result: Assessment) -> list[Text]:
    """What the person reads first: on SMS the short form (the reasons come on request)."""
    if ctx.sms:
        return short_summary(result)
    return [
        headline(result),
        *amounts(result),
        *obligations(result),
        *flag_lines(result),
        next_step(result),
    ]


def ask(ctx: Ctx) -> Reply:
    result = assessment(ctx)
    data = household(ctx)
    fingerprint = json.dumps(data, sort_keys=True)
    if ctx.session.get("assessed") != fingerprint:
        ctx.session["assessed"] = fingerprint
        ctx.events.append(Event("assessment_done", {"household": data, "result": _summary(result)}))
    # On SMS every character costs: "check again" and "learn more" are in the menu (and RESTART
    # works anywhere); booking the visit, the next step, stays, with a one-word label.
    choices = SMS_RESULT_CHOICES if ctx.sms else RESULT_CHOICES
    return Reply(tuple(result_lines(ctx, result)), choices)


def _summary(result: Assessment) -> dict[str, object]:
    return {
        key: str(value) if not isinstance(value, bool | int | str | type(None)) else value
        for key, value in result.to_dict().items()
        if key not in ("members", "reasons")
    }


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "why":
        result = assessment(ctx)
        ctx.notes.extend(
            [
                *obligations(result, cite=not ctx.sms),
                *reason_lines(result, cite=not ctx.sms),
                *flag_lines(result),
            ]
        )
        return Go("next")
    return _after(ctx, given)


def _after(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "learn":
        return Go("explain_menu")
    if given.key == "book":
        return start_visit(ctx)
    if given.key == "restart":
        ctx.session["answers"] = {}
        ctx.session["history"] = []
        return Go("region")
    if given.key == "menu":
        return Go("menu")
    if given.key == "reminders":
        return Go("reminders")
    return Retry(msg("Please choose a number from the menu."))


def ask_next(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("What would you like to do next?"),), NEXT_CHOICES)


register(
    Step("result", ask, answer, flow=FLOW, remember=False),
    Step("next", ask_next, _after, flow="next", remember=False),
)
