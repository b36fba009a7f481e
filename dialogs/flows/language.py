"""Choosing the language: a one-line trilingual menu (Telegram's language code skips it)."""

from __future__ import annotations

from dialogs.engine import Answer, Choice, Ctx, Go, Outcome, Reply, Retry, Step, register
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
        return Retry(msg("Тілді таңдаңыз / Выберите язык / Choose a language"))
    ctx.session["lang"] = given.key
    back = ctx.session.pop("after_language", None)
    if not ctx.session.get("consent"):
        return Go("consent")
    if isinstance(back, str) and back not in ("language", "consent"):
        return Go(back)
    return Go("menu")


register(Step("language", ask, answer, flow="language", remember=False))
