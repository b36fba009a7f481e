"""The result of the self-assessment: the answer, amounts, obligations, what would change it, and
what to do next; never a dead end."""

from __future__ import annotations

import json

from core.assess import Assessment, assess_data
from dialogs.engine import Answer, Choice, Ctx, Event, Go, Outcome, Reply, Retry, Step, register
from dialogs.explain import amounts, flag_lines, headline, next_step, obligations, reason_lines
from dialogs.flows.assessment import FLOW, household
from dialogs.text import Text, msg

RESULT_CHOICES = (
    Choice("why", msg("Why?")),
    Choice("learn", msg("How TSA works")),
    Choice("restart", msg("Check again")),
    Choice("menu", msg("Menu")),
)
NEXT_CHOICES = RESULT_CHOICES[1:]


def assessment(ctx: Ctx) -> Assessment:
    return assess_data(household(ctx), ctx.store)


def result_lines(ctx: Ctx, result: Assessment) -> list[Text]:
    """What the person reads first. SMS gets the short form: the answer, the money, the flags'
    gist and the next step; the reasons come on request."""
    lines = [headline(result), *amounts(result)]
    if not ctx.sms:
        lines.extend(obligations(result))
        lines.extend(flag_lines(result))
    elif result.poverty_line_estimated:
        lines.append(msg("The poverty line is an estimate: the real amount may be higher."))
    lines.append(next_step(result, short=ctx.sms))
    return lines


def ask(ctx: Ctx) -> Reply:
    result = assessment(ctx)
    data = household(ctx)
    fingerprint = json.dumps(data, sort_keys=True)
    if ctx.session.get("assessed") != fingerprint:
        ctx.session["assessed"] = fingerprint
        ctx.events.append(Event("assessment_done", {"household": data, "result": _summary(result)}))
    return Reply(tuple(result_lines(ctx, result)), RESULT_CHOICES)


def _summary(result: Assessment) -> dict[str, object]:
    return {
        key: str(value) if not isinstance(value, bool | int | str | type(None)) else value
        for key, value in result.to_dict().items()
        if key not in ("members", "reasons")
    }


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "why":
        result = assessment(ctx)
        ctx.notes.extend([*obligations(result), *reason_lines(result), *flag_lines(result)])
        return Go("next")
    return _after(ctx, given)


def _after(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "learn":
        return Go("explain_menu")
    if given.key == "restart":
        ctx.session["answers"] = {}
        ctx.session["history"] = []
        return Go("region")
    if given.key == "menu":
        return Go("menu")
    return Retry(msg("Please choose a number from the menu."))


def ask_next(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("What would you like to do next?"),), NEXT_CHOICES)


register(
    Step("result", ask, answer, flow=FLOW, remember=False),
    Step("next", ask_next, _after, flow="next", remember=False),
)
