"""Passing a family to a social worker: the offer made after three answers in a row the bot
could not understand, and the region, asked when neither the answers nor a caseload tell it
(the region's queue is where the conversation goes). The hold itself and the words that ask
for a person are the engine's (`dialogs.engine.start_person`, `dialogs.person`)."""

from __future__ import annotations

from dialogs.engine import (
    Answer,
    Choice,
    Ctx,
    Go,
    Outcome,
    Reply,
    Retry,
    Step,
    hold_for_person,
    register,
    start_person,
)
from dialogs.flows.assessment import answer_region, ask_region
from dialogs.parsing import parse_yes_no
from dialogs.text import msg

OFFER_CHOICES = (
    Choice("person", msg("Yes, a social worker")),
    Choice("bot", msg("No, go on with Komek")),
)


def ask_offer(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (
            msg(
                "I could not understand your answer three times. Would you like a social worker "
                "to answer you here?"
            ),
        ),
        OFFER_CHOICES,
    )


def answer_offer(ctx: Ctx, given: Answer) -> Outcome:
    """Yes: the conversation goes to a person, the reason being the question the bot failed
    at; no: that question again."""
    wanted = {"person": True, "bot": False}.get(given.key or "", parse_yes_no(given.text))
    if wanted is None:
        return Retry(msg("Please answer 1 (yes) or 2 (no)."))
    failed = str(ctx.session.pop("person_offer", None) or "menu")
    if not wanted:
        return Go(failed)
    return start_person(ctx, failed, failed)


def answer_person_region(ctx: Ctx, given: Answer) -> Outcome:
    """The region list of the self-assessment, read the same way; once a region is known, the
    conversation goes to its queue."""
    outcome = answer_region(ctx, given)
    if isinstance(outcome, Retry):
        return outcome
    if outcome.step == "region":  # another page of the list, or "city or region?"
        return Go("person_region")
    return hold_for_person(ctx, str(ctx.answers["region"]))


register(
    Step("person_offer", ask_offer, answer_offer, flow="person", remember=False),
    Step("person_region", ask_region, answer_person_region, flow="person", remember=False),
)
