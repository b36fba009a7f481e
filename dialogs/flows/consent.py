"""Consent to keep the answers: what is kept, for how long, and how to have it deleted."""

from __future__ import annotations

from dialogs.engine import Answer, Choice, Ctx, Event, Go, Outcome, Reply, Retry, Step, register
from dialogs.parsing import parse_yes_no
from dialogs.text import msg

RETENTION_DAYS = 90
CHOICES = (Choice("yes", msg("Yes, I agree")), Choice("no", msg("No")))


def ask(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (
            msg(
                "Komek checks whether your family can get TSA. To do it, it keeps your answers "
                "for {days} days. Write FORGET at any time to delete them. Do you agree?",
                days=RETENTION_DAYS,
            ),
        ),
        CHOICES,
    )


def answer(ctx: Ctx, given: Answer) -> Outcome:
    agreed = {"yes": True, "no": False}.get(given.key or "", parse_yes_no(given.text))
    if agreed is None:
        return Retry(msg("Please answer 1 (yes) or 2 (no)."))
    if agreed:
        ctx.session["consent"] = True
        ctx.events.append(Event("consent_given", {"days": RETENTION_DAYS}))
        return Go("region")
    ctx.session["consent"] = False
    ctx.events.append(Event("consent_declined"))
    ctx.notes.append(msg("Understood: nothing is kept. You can still read how TSA works."))
    return Go("explain_menu")


register(Step("consent", ask, answer, flow="consent", remember=False))
