"""Every kind of message the outbox sends, with the function that writes it at send time."""

from __future__ import annotations

from bot import appointments, campaigns, reminders
from bot.i18n import Translator
from bot.outbox import Render


def renderers(translator: Translator) -> dict[str, Render]:
    return {
        **appointments.renderers(translator),
        reminders.KIND: reminders.renderer(translator),
        campaigns.KIND: campaigns.renderer(translator),
    }
