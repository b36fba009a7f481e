"""Every kind of message the outbox sends, with the function that writes it at send time."""

from __future__ import annotations

from bot.delivery import campaigns, codes, direct, feedback, inbox, quarterly, stages, visits
from bot.delivery.outbox import Render
from bot.i18n.translator import Translator


def renderers(translator: Translator) -> dict[str, Render]:
    return {
        **visits.renderers(translator),
        **direct.renderers(translator),
        **feedback.renderers(translator),
        **inbox.renderers(translator),
        quarterly.KIND: quarterly.renderer(translator),
        campaigns.KIND: campaigns.renderer(translator),
        codes.KIND: codes.renderer(translator),
        stages.KIND: stages.renderer(translator),
    }
