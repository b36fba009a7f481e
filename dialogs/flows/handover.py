"""Continue on Telegram or by SMS: offered on the web chat when a person asks for something only
a message can bring (quarterly reminders, a visit's reminder). Nothing is promised that cannot
be sent: on the web, reminders start once Telegram or an SMS number has taken over."""

from __future__ import annotations

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
from dialogs.text import msg

WHY = {
    "reminders": msg(
        "This page cannot write to you first, so Komek cannot send reminders here. Where shall "
        "they go?"
    ),
    "visit": msg(
        "This page cannot write to you first. To get a reminder the day before the visit, "
        "choose where Komek may write to you:"
    ),
}
NOT_NOW = Choice("later", msg("Not now"))
# Said first by the chat that took a web conversation over.
WENT_ON = msg(
    "Hello again: the conversation from the web page goes on here, with your answers. "
    "Reminders will come to this chat."
)


def _state(ctx: Ctx) -> dict[str, object]:
    state: dict[str, object] = ctx.session.setdefault("handover", {})
    return state


def needed(ctx: Ctx) -> bool:
    """On the web, and not handed over yet, with somewhere to hand over to."""
    port = ctx.handover
    if ctx.channel != "web" or port is None or port.target() is not None:
        return False
    return port.telegram_link() is not None or port.can_text()


def nowhere(ctx: Ctx) -> bool:
    """On the web, not handed over, and nowhere to hand over to (Komek runs without Telegram
    and SMS): reminders cannot reach this person at all."""
    port = ctx.handover
    if ctx.channel != "web" or port is None or port.target() is not None:
        return False
    return port.telegram_link() is None and not port.can_text()


NO_REMINDERS_HERE = msg(
    "This page cannot write to you first, and Komek has no other way to reach you here, so it "
    "cannot send reminders. Apply again at the start of each quarter on egov.kz or at the "
    "career centre."
)


def offer(ctx: Ctx, reason: str) -> Outcome:
    """Go to the offer, remembering what it is for (and where to come back to)."""
    _state(ctx).update({"for": reason})
    return Go("handover")


def ask(ctx: Ctx) -> Reply:
    port = ctx.handover
    reason = str(_state(ctx).get("for") or "reminders")
    choices = []
    if port is not None and port.telegram_link() is not None:
        choices.append(Choice("telegram", msg("Telegram")))
    if port is not None and port.can_text():
        choices.append(Choice("sms", msg("SMS to my phone")))
    choices.append(NOT_NOW)
    return Reply((WHY.get(reason, WHY["reminders"]),), tuple(choices))


def answer(ctx: Ctx, given: Answer) -> Outcome:
    port = ctx.handover
    if given.key == "telegram" and port is not None:
        link = port.telegram_link()
        if link is not None:
            ctx.notes.append(
                msg(
                    "Open this link on the phone where you have Telegram: {link}\n"
                    "The conversation goes on there, with your answers, and the reminders "
                    "will come there. The link works once, for a day.",
                    link=link,
                )
            )
            return Go("menu")
    if given.key == "sms" and port is not None and port.can_text():
        return Go("handover_phone")
    if given.key == "later":
        if _state(ctx).get("for") == "reminders":
            ctx.session["reminders"] = False
        ctx.session["handover"] = {}
        ctx.notes.append(
            msg("Then Komek will not send reminders. You can ask again from the menu: Reminders.")
        )
        return Go("menu")
    return Retry(msg("Please choose one of the buttons."))


def ask_phone(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (msg("Write your mobile number, for example 8 701 123 45 67."),),
        (NOT_NOW,),
        input_hint=NUMERIC,
    )


def answer_phone(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "later":
        return Go("menu")
    port = ctx.handover
    shown = port.send_code(given.text) if port is not None else None
    if shown is None:
        return Retry(
            msg("That is not a mobile number Komek can write to. Write it like 8 701 123 45 67.")
        )
    _state(ctx)["phone"] = shown
    return Go("handover_code")


def ask_code(ctx: Ctx) -> Reply:
    shown = str(_state(ctx).get("phone") or "")
    return Reply(
        (
            msg(
                "Komek has sent a code by SMS to {phone}. Write the code here. If it does not "
                "come within a few minutes, write BACK and check the number.",
                phone=shown,
            ),
        ),
        (NOT_NOW,),
        input_hint=NUMERIC,
    )


def answer_code(ctx: Ctx, given: Answer) -> Outcome:
    if given.key == "later":
        return Go("menu")
    port = ctx.handover
    shown = port.confirm(given.text) if port is not None else None
    if shown is None:
        return Retry(msg("That code is not right, or it has expired. Check the SMS and try again."))
    reason = _state(ctx).get("for")
    ctx.session["handover"] = {}
    if reason == "visit":
        ctx.notes.append(
            msg(
                "Done: the day before your visit Komek will remind you by SMS at {phone}. You "
                "can go on here or by SMS.",
                phone=shown,
            )
        )
    else:
        ctx.notes.append(
            msg(
                "Done: reminders will come by SMS to {phone}. You can go on here or by SMS.",
                phone=shown,
            )
        )
    return Go("menu")


register(
    Step("handover", ask, answer, flow="handover", remember=False),
    Step("handover_phone", ask_phone, answer_phone, flow="handover", input=NUMERIC),
    Step("handover_code", ask_code, answer_code, flow="handover", input=NUMERIC),
)
