"""What a social worker writes from the inbox, and the bot's word when the worker hands the
conversation back: outbox rows of kind `inbox_reply`, sent on the family's channel (the one it
last wrote from) as written, rate-limited, retried and tracked like every outbox message.
Outside WhatsApp's 24-hour window the text goes inside the approved form of a worker's message,
as the family page's messages do (`bot.delivery.direct`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.delivery.outbox import Claimed, Render, Rendered, enqueue, notice
from bot.i18n.translator import Translator

KIND = "inbox_reply"
MAX_TEXT = 1000
KEY_PREFIX = "inbox:"


def key_prefix(conversation_id: int) -> str:
    """The start of the outbox keys of one inbox conversation (its messages, in order)."""
    return f"{KEY_PREFIX}{conversation_id}:"


def queue_reply(
    connection: Connection,
    *,
    conversation_id: int,
    contact_id: int,
    text: str,
    number: int,
    now: datetime,
    staff_id: int | None,
) -> str:
    """Queue the conversation's `number`th message (in the caller's transaction); its key.
    `staff_id` None: the bot's own word (handed back)."""
    key = f"{key_prefix(conversation_id)}{number:06d}"
    enqueue(
        connection,
        key=key,
        contact_id=contact_id,
        kind=KIND,
        payload={
            "text": text.strip()[:MAX_TEXT],
            "conversation": conversation_id,
            "staff": staff_id,
        },
        due_at=now,
        now=now,
    )
    return key


def renderers(translator: Translator) -> dict[str, Render]:
    def render(
        connection: Connection, row: Claimed, language: str, now: datetime
    ) -> Rendered | None:
        del connection, now
        text = str(row.payload.get("text") or "").strip()
        if not text:
            return None
        own = " / ".join(line.strip() for line in text.splitlines() if line.strip())
        return Rendered(text, notice(translator, "worker_message", {"text": own}, language))

    return {KIND: render}
