"""A message's life, as every room records it: received, processed, queued, sent, delivered,
failed. The statuses and the statements that change them live here, below the runner (which
records replies), the channels (which send them) and the dispatcher (which sends the rest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, select, update

from bot.storage.tables import CONTACTS, MESSAGES

RECEIVED, PROCESSED, QUEUED, SENT, DELIVERED, FAILED = (
    "received",
    "processed",
    "queued",
    "sent",
    "delivered",
    "failed",
)
INTERRUPTED = "interrupted"  # handed to a channel just before a crash: it may have arrived

_m, _c = MESSAGES.c, CONTACTS.c
FINAL = (SENT, DELIVERED, FAILED)
# A reply's text and buttons are kept until it has gone out; after that only for a person who
# consented to Komek keeping their conversation.
_CONSENTED = select(_c.consent).where(_c.id == _m.contact_id).scalar_subquery()
MARK = (
    update(MESSAGES)
    .where(_m.id.in_(bindparam("ids", expanding=True)))
    .values(
        status=bindparam("new_status"), error=bindparam("new_error"), updated_at=bindparam("now")
    )
)
MARK_FINAL = MARK.values(
    body=case((_CONSENTED.is_(True), _m.body), else_=None),
    choices=case((_CONSENTED.is_(True), _m.choices), else_=None),
)
# "sent" never overwrites what a delivery report (which may come first) said.
MARK_SENT = MARK_FINAL.where(_m.status == QUEUED)


def mark(
    message_ids: list[int], status: str, error: str | None, now: datetime
) -> Callable[[Connection], None]:
    """The transaction that records how the sending of these messages went."""
    statement = MARK_SENT if status == SENT else MARK_FINAL if status in FINAL else MARK

    def work(connection: Connection) -> None:
        connection.execute(
            statement, {"ids": message_ids, "new_status": status, "new_error": error, "now": now}
        )

    return work


def statuses(message_ids: list[int]) -> Callable[[Connection], dict[int, str]]:
    def work(connection: Connection) -> dict[int, str]:
        rows = connection.execute(select(_m.id, _m.status).where(_m.id.in_(message_ids)))
        return {int(i): str(status) for i, status in rows}

    return work
