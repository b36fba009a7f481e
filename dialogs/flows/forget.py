"""Forget me: confirm, then the runner deletes every stored answer of this person."""

from __future__ import annotations

from dialogs.engine import Answer, Choice, Ctx, Event, Go, Outcome, Reply, Retry, Step, register
from dialogs.parsing import parse_yes_no
from dialogs.text import msg

CHOICES = (Choice("yes", msg("Yes, delete")), Choice("no", msg("No, keep")))


def ask(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("Delete all your answers and results from Komek?"),), CHOICES)


def answer(ctx: Ctx, given: Answer) -> Outcome:
    sure = {"yes": True, "no": False}.get(given.key or "", parse_yes_no(given.text))
    if sure is None:
        return Retry(msg("Please answer 1 (yes) or 2 (no)."))
    if not sure:
        return Go("menu")
    ctx.events.append(Event("forget_me"))
    ctx.session["answers"] = {}
    ctx.session["history"] = []
    ctx.session["consent"] = False
    ctx.session["reminders"] = False  # the runner turns them off with the answers
    kept_keys = (
        "result",
        "assessed",
        "visit",
        "picking",
        "page",
        "echo",
        "topic",
        "feedback",
        "held",
        "person",
    )
    for kept in kept_keys:
        ctx.session.pop(kept, None)  # the last result is the household it was worked out for
    ctx.notes.append(msg("Your answers are deleted. Komek keeps nothing about you now."))
    return Go("consent")


register(Step("forget", ask, answer, flow="forget", remember=False))
