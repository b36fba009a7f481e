"""The one-time code that confirms a phone number (the web chat's move to SMS): queued in the
outbox like every message that is not a reply, rendered in the person's language when sent, and
sent even to a number that wrote STOP before (the person is asking for it right now)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.delivery.outbox import Claimed, Rendered, enqueue
from bot.i18n.translator import LANGUAGES, Translator
from dialogs.text import msg

KIND = "phone_code"


def queue_code(
    connection: Connection,
    handover_id: int,
    contact_id: int,
    code: str,
    now: datetime,
    *,
    language: str | None = None,
) -> None:
    """Queue the code, in the language of the conversation that asked for it."""
    enqueue(
        connection,
        key=f"handover:{handover_id}:code",
        contact_id=contact_id,
        kind=KIND,
        payload={"code": code, "language": language},
        due_at=now,
        now=now,
    )


def renderer(translator: Translator) -> Any:
    def render(connection: Connection, row: Claimed, language: str, now: datetime) -> Rendered:
        del connection, now
        text = msg(
            "Komek code: {code}. Write it in the chat on the web page. If you did not ask for "
            "it, do nothing.",
            code=str(row.payload["code"]),
        )
        asked_in = row.payload.get("language")
        # No approved form: a code goes only by SMS, the channel it confirms.
        return Rendered(translator.render(text, asked_in if asked_in in LANGUAGES else language))

    return render
