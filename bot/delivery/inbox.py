"""What a social worker writes from the inbox, and the bot's word when the worker hands the
conversation back: outbox rows of kind `inbox_reply`, sent on the family's channel (the one it
last wrote from) as written, rate-limited, retried and tracked like every outbox message.
Outside WhatsApp's 24-hour window the text goes inside the approved form of a worker's message,
as the family page's messages do (`bot.delivery.direct`); a web chat's page takes its messages
when it next asks (`leave_for_page`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from bot.delivery.outbox import SENT, Claimed, Render, Rendered, enqueue, notice
from bot.i18n.translator import Translator
from bot.storage.messages import QUEUED
from bot.storage.tables import MESSAGES, OUTBOX

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


def leave_for_page(
    connection: Connection,
    *,
    conversation_id: int,
    contact_id: int,
    text: str,
    number: int,
    now: datetime,
    staff_id: int | None,
) -> str:
    """A web chat cannot be written to first: its page asks for what waits for it when it opens
    or comes back into view (`bot.channels.webchat`). The message is stored queued for the page,
    which marks it sent when it takes it; its outbox row is done at once (handed to the page's
    mailbox, nothing for the dispatcher to send). Its key, as `queue_reply`'s."""
    key = f"{key_prefix(conversation_id)}{number:06d}"
    message_id = connection.execute(
        insert(MESSAGES)
        .values(
            contact_id=contact_id,
            channel="web",
            direction="out",
            body=text.strip()[:MAX_TEXT],
            status=QUEUED,
            created_at=now,
            updated_at=now,
        )
        .returning(MESSAGES.c.id)
    ).scalar_one()
    connection.execute(
        insert(OUTBOX).values(
            key=key,
            contact_id=contact_id,
            kind=KIND,
            payload={
                "text": text.strip()[:MAX_TEXT],
                "conversation": conversation_id,
                "staff": staff_id,
            },
            due_at=now,
            status=SENT,
            attempts=0,
            message_id=message_id,
            created_at=now,
            updated_at=now,
        )
    )
    return key
