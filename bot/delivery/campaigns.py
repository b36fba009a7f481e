"""A campaign's message as each family reads it: a template (the quarterly reassessment,
documents due by a date) translated into the family's language, or the worker's own text in it;
rendered when the message is sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from bot.delivery.outbox import Claimed, Rendered, notice
from bot.delivery.senders import Notice
from bot.i18n.translator import Translator
from bot.storage.tables import CAMPAIGNS
from dialogs.text import Text, msg

KIND = "campaign"
TEMPLATES = ("quarterly", "documents_due", "custom")


def template_text(template: str, texts: Mapping[str, Any]) -> Text | None:
    """The message of a template (None for a custom text, which is taken as written)."""
    if template == "quarterly":
        return msg(
            "Komek: a new quarter has begun. Apply for TSA again this month (the whole month is "
            "paid, whatever the day): egov.kz or the career centre."
        )
    if template == "documents_due":
        return msg(
            "Komek: please bring the documents for your TSA case to the career centre by {date}.",
            date=date.fromisoformat(str(texts["due"])),
        )
    return None


def render(translator: Translator, template: str, texts: Mapping[str, Any], language: str) -> str:
    text = template_text(template, texts)
    if text is None:
        return str(texts[language])
    return translator.render(text, language)


def notice_of(
    translator: Translator, template: str, texts: Mapping[str, Any], language: str
) -> Notice:
    """What a campaign's message says, as data: its template's form, or the worker's text
    within the form for a message from a social worker."""
    if template == "quarterly":
        return notice(translator, "quarter_new", {}, language)
    if template == "documents_due":
        due = date.fromisoformat(str(texts["due"]))
        return notice(translator, "documents_due", {"date": due}, language)
    own = " / ".join(line.strip() for line in str(texts[language]).splitlines() if line.strip())
    return notice(translator, "worker_message", {"text": own}, language)


def renderer(translator: Translator) -> Any:
    cache: dict[int, tuple[str, dict[str, Any]]] = {}

    def render_one(connection: Connection, row: Claimed, language: str, now: datetime) -> Rendered:
        del now
        campaign_id = int(row.payload["campaign"])
        found = cache.get(campaign_id)
        if found is None:
            loaded = connection.execute(
                select(CAMPAIGNS.c.template, CAMPAIGNS.c.texts).where(CAMPAIGNS.c.id == campaign_id)
            ).one()
            found = (str(loaded.template), dict(loaded.texts))
            if len(cache) > 100:
                cache.clear()
            cache[campaign_id] = found
        template, texts = found
        return Rendered(
            render(translator, template, texts, language),
            notice_of(translator, template, texts, language),
        )

    return render_one
