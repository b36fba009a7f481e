"""Quarterly reminders: TSA is assigned for the current quarter only, so a family that forgets to
apply again loses its payments. A person turns the reminders on or off here (from the menu); the
runner keeps the choice with the contact and the outbox sends them."""

from __future__ import annotations

from dialogs.engine import Answer, Choice, Ctx, Event, Go, Outcome, Reply, Retry, Step, register
from dialogs.flows import handover
from dialogs.text import msg

CHOICES_OFF = (Choice("on", msg("Yes, remind me")), Choice("menu", msg("Menu")))
CHOICES_ON = (Choice("off", msg("Stop the reminders")), Choice("menu", msg("Menu")))


def ask(ctx: Ctx) -> Reply:
    if ctx.session.get("reminders"):
        return Reply(
            (
                msg(
                    "Reminders are on: before each quarter ends and when the next one opens, "
                    "Komek reminds you to apply again."
                ),
            ),
            CHOICES_ON,
        )
    return Reply(
        (
            msg(
                "TSA is assigned until the end of the quarter. Shall Komek remind you before "
                "each quarter ends and when the next one opens, so that you apply again in time?"
            ),
        ),
        CHOICES_OFF,
    )


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "on" and handover.nowhere(ctx):
        ctx.notes.append(handover.NO_REMINDERS_HERE)
        return Go("menu")
    if given.key == "on" and handover.needed(ctx):
        # The web page cannot receive them: they are on once Telegram or an SMS number has
        # taken the conversation over (the runner gives them to that contact).
        ctx.session["reminders"] = True
        return handover.offer(ctx, "reminders")
    if given.key == "on":
        ctx.session["reminders"] = True
        ctx.events.append(Event("reminders_on"))
        ctx.notes.append(msg("Reminders are on. To stop them, choose Reminders in the menu."))
        return Go("menu")
    if given.key == "off":
        ctx.session["reminders"] = False
        ctx.events.append(Event("reminders_off"))
        ctx.notes.append(msg("Reminders are off."))
        return Go("menu")
    if given.key == "menu":
        return Go("menu")
    return Retry(msg("Please choose a number from the menu."))


register(Step("reminders", ask, answer, flow="reminders", remember=False))
