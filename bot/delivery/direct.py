"""A message a social worker writes to one family from the family's page: sent through the
outbox on the family's channel, as the worker wrote it (in the language the worker chose)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection

from bot.delivery.outbox import Claimed, Render, enqueue

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


def render(connection: Connection, row: Claimed, language: str, now: datetime) -> str | None:
    del connection, language, now
    text = str(row.payload.get("text") or "").strip()
    return text or None


def renderers() -> dict[str, Render]:
    return {KIND: render}
