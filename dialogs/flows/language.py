"""Choosing the language: a one-line trilingual menu (Telegram's language code skips it)."""

from __future__ import annotations

from dialogs.engine import (
    BUTTON_CHANNELS,
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

CHOICES = (
    Choice("kk", msg("Қазақша")),
    Choice("ru", msg("Русский")),
    Choice("en", msg("English")),
)


def ask(ctx: Ctx) -> Reply:
    del ctx
    return Reply((msg("Тілді таңдаңыз / Выберите язык / Choose a language"),), CHOICES)


def answer(ctx: Ctx, given: Answer) -> Outcome:
    if given.key is None:
        # How to answer, in the three languages: the question itself follows the hint.
        if ctx.channel in BUTTON_CHANNELS:
            return Retry(
                msg("Батырманы басыңыз / Нажмите кнопку / Tap a button"),
            )
        return Retry(msg("1, 2 немесе 3 деп жазыңыз / Ответьте 1, 2 или 3 / Reply 1, 2 or 3"))
    ctx.session["lang"] = given.key
    back = ctx.session.pop("after_language", None)
    if not ctx.session.get("consent"):
        return Go("consent")
    if isinstance(back, str) and back not in ("language", "consent"):
        return Go(back)
    return Go("menu")


register(Step("language", ask, answer, flow="language", remember=False))
