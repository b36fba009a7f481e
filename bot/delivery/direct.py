"""A message a social worker writes to one family from the family's page: sent through the
outbox on the family's channel, as the worker wrote it (in the language the worker chose)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection

from bot.delivery.outbox import Claimed, Render, Rendered, enqueue, notice
from bot.i18n.translator import Translator

KIND = "staff_message"
MAX_TEXT = 600


def queue_message(
    connection: Connection, *, case_id: int, contact_id: int, text: str, now: datetime
) -> str:
    """Queue the message (in the caller's transaction); its outbox key."""
    key = f"staff:{case_id}:{now:%Y%m%dT%H%M%S}:{secrets.token_hex(4)}"
    enqueue(
        connection,
        key=key,
        contact_id=contact_id,
        kind=KIND,
        payload={"text": text.strip()[:MAX_TEXT], "case": case_id},
        due_at=now,
        now=now,
    )
    return key


def renderers(translator: Translator) -> dict[str, Render]:
    def render(
        connection: Connection, row: Claimed, language: str, now: datetime
    ) -> Rendered | None:
        """As the worker wrote it; outside WhatsApp's window, within the approved form of a
        worker's message."""
        del connection, now
        text = str(row.payload.get("text") or "").strip()
        if not text:
            return None
        own = " / ".join(line.strip() for line in text.splitlines() if line.strip())
        return Rendered(text, notice(translator, "worker_message", {"text": own}, language))

    return {KIND: render}
