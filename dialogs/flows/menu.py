"""The main menu: check eligibility, my last result, book a visit, my application, explanations,
reminders, language, forget me."""

from __future__ import annotations

from dialogs.engine import Answer, Choice, Ctx, Go, Outcome, Reply, Retry, Step, register
from dialogs.flows.visit import start_visit
from dialogs.text import msg

CHOICES = (
    Choice("check", msg("Check eligibility")),
    Choice("result", msg("My result")),
    Choice("visit", msg("Book a visit")),
    Choice("application", msg("My application")),
    Choice("learn", msg("How TSA works")),
    Choice("language", msg("Language")),
    Choice("forget", msg("Delete my answers")),
    Choice("reminders", msg("Reminders")),
)


def ask(ctx: Ctx) -> Reply:
    # "My result" once there is one to show again.
    shown = (
        CHOICES if ctx.session.get("assessed") else tuple(c for c in CHOICES if c.key != "result")
    )
    return Reply((msg("Komek menu. What would you like to do?"),), shown)


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "check":
        if not ctx.session.get("consent"):
            return Go("consent")
        ctx.session["answers"] = {}
        ctx.session["history"] = []
        return Go("region")
    if given.key == "result":
        return Go("my_result")
    if given.key == "visit":
        if not ctx.session.get("consent"):
            return Go("consent")
        return start_visit(ctx)
    if given.key == "application":
        return Go("my_application")
    if given.key == "learn":
        return Go("explain_menu")
    if given.key == "reminders":
        return Go("reminders" if ctx.session.get("consent") else "consent")
    if given.key == "language":
        return Go("language")
    if given.key == "forget":
        return Go("forget")
    return Retry(msg("Please choose a number from the menu."))


register(Step("menu", ask, answer, flow="menu", remember=False))
