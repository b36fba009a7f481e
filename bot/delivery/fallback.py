"""A message the channel accepted and later learned it could not deliver (an SMS delivery report
of failure, a WhatsApp status callback saying it failed): recorded on the message, and, when it
was an outbox message, its row goes on to the person's next channel, as it would have at once
had the channel known when it sent (`bot.delivery.dispatcher`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from bot.delivery.outbox import FAILED, PENDING, SENT
from bot.storage import messages
from bot.storage.tables import MESSAGES, OUTBOX

log = logging.getLogger(__name__)
TRIED_KEPT = 20


def undeliverable(
    message_id: int, error: str | None, now: datetime
) -> Callable[[Connection], bool]:
    """Mark the message undeliverable and send its outbox row (if any, and if it counted as
    sent) to the next channel of its route, or to `failed` when none is left. True when a row
    was sent on."""

    def work(connection: Connection) -> bool:
        o, m = OUTBOX.c, MESSAGES.c
        # The row first (locked), then the message: the dispatcher's finish does the same.
        row = connection.execute(
            select(o.id, o.status, o.route, o.hop, o.tried)
            .where(o.message_id == message_id)
            .with_for_update()
        ).first()
        state = connection.execute(select(m.status).where(m.id == message_id)).scalar()
        if state is None or state in (messages.DELIVERED, messages.READ, messages.UNDELIVERABLE):
            return False  # delivered after all (reports can cross), or known already
        messages.mark([message_id], messages.UNDELIVERABLE, error, now)(connection)
        if row is None or row.status != SENT:
            return False  # a reply, or a row the dispatcher is still finishing: it sees this
        route = list(row.route or ())
        hop = int(row.hop)
        tried: list[dict[str, Any]] = list(row.tried or ())
        for entry in reversed(tried):
            if entry.get("message") == message_id:
                entry["outcome"] = messages.UNDELIVERABLE
                entry["error"] = None if error is None else error[:120]
                entry["reported_at"] = now.isoformat()
                break
        if hop + 1 < len(route):
            values: dict[str, Any] = {"status": PENDING, "hop": hop + 1, "attempts": 0}
            values["due_at"] = now
        else:
            values = {"status": FAILED}
        connection.execute(
            update(OUTBOX)
            .where(o.id == row.id)
            .values(
                **values,
                error=None if error is None else error[:200],
                tried=tried[-TRIED_KEPT:] or None,
                updated_at=now,
            )
        )
        log.info("outbox %s: undeliverable on its channel; %s", row.id, values["status"])
        return bool(values["status"] == PENDING)

    return work
