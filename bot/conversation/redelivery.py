"""Replies that were stored but did not reach the person: the statements that find them again.

A reply is committed with its turn before any channel sends it. Two things can then come
between it and the person: the worker dies before sending (a Telegram or SMS reply that no
request waits for), or the HTTP response that was to carry it never arrives (Kannel's get-url,
the web chat's POST). A channel that delivers the same message again (Kannel's retry by message
id) gets the stored replies that are still waiting (`waiting_replies`); the rest are claimed by
`claim_stranded` once they have waited longer than any send takes, and sent through the
channel's sender. A web chat has no way to push: its page asks for what is waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, select, update

from bot.conversation.forget import is_forgotten
from bot.delivery.senders import Outgoing
from bot.storage import messages
from bot.storage.tables import CONTACTS, MESSAGES

BATCH = 500
# A reply queued this long has surely been given up by whoever was sending it: the Telegram
# channel's longest wait (three flood waits of a minute) is well inside it.
STRANDED_AFTER = timedelta(minutes=10)

_m, _c = MESSAGES.c, CONTACTS.c


def _outgoing(row: Row[Any, *tuple[Any, ...]]) -> Outgoing:
    choices = tuple((str(key), str(label)) for key, label in row.choices or ())
    return Outgoing(int(row.id), str(row.body), choices)


def inbound_of(
    channel: str, address: str, external_id: str
) -> Callable[[Connection], tuple[int, int, str] | None]:
    """The message a channel delivered before under this id: (id, contact, status)."""

    def work(connection: Connection) -> tuple[int, int, str] | None:
        row = connection.execute(
            select(_m.id, _m.contact_id, _m.status)
            .join(CONTACTS, _c.id == _m.contact_id)
            .where(
                _m.channel == channel,
                _m.direction == "in",
                _m.external_id == external_id,
                _c.address == address,
            )
        ).first()
        return None if row is None else (int(row.id), int(row.contact_id), str(row.status))

    return work


def waiting_replies(message_id: int) -> Callable[[Connection], list[Outgoing]]:
    """The replies to a message that have not gone out yet, in order."""

    def work(connection: Connection) -> list[Outgoing]:
        rows = connection.execute(
            select(_m.id, _m.body, _m.choices)
            .where(
                _m.reply_to == message_id,
                _m.status == messages.QUEUED,
                _m.body.is_not(None),
            )
            .order_by(_m.id)
        )
        return [_outgoing(row) for row in rows]

    return work


def claim_stranded(
    channels: list[str], before: datetime, now: datetime, limit: int
) -> Callable[[Connection], dict[tuple[str, str], list[Outgoing]]]:
    """Replies on `channels` queued before `before`, claimed for this worker (their
    `updated_at` moves to now, so that another worker's sweep leaves them alone), grouped by
    person in the order they were written. Replies to a forgotten person cannot be delivered
    and end as failed (which clears their text)."""

    def work(connection: Connection) -> dict[tuple[str, str], list[Outgoing]]:
        rows = connection.execute(
            select(_m.id, _m.channel, _m.body, _m.choices, _c.address)
            .join(CONTACTS, _c.id == _m.contact_id)
            .where(
                _m.direction == "out",
                _m.status == messages.QUEUED,
                _m.reply_to.is_not(None),
                _m.channel.in_(channels),
                _m.updated_at < before,
                _m.body.is_not(None),
            )
            .order_by(_m.id)
            .limit(limit)
            .with_for_update(of=MESSAGES, skip_locked=True)
        ).all()
        if not rows:
            return {}
        lost = [row.id for row in rows if is_forgotten(row.address)]
        if lost:
            messages.mark(lost, messages.FAILED, "the person asked to be forgotten", now)(
                connection
            )
        claimed = [row for row in rows if not is_forgotten(row.address)]
        connection.execute(
            update(MESSAGES).where(_m.id.in_([row.id for row in claimed])).values(updated_at=now)
        )
        grouped: dict[tuple[str, str], list[Outgoing]] = {}
        for row in claimed:
            grouped.setdefault((row.channel, row.address), []).append(_outgoing(row))
        return grouped

    return work


def conversation_of(
    channel: str, address: str, limit: int
) -> Callable[[Connection], list[tuple[int, str, str, tuple[tuple[str, str], ...], str]]]:
    """The last `limit` messages of a conversation that still have their text, oldest first:
    (id, direction, text, choices, status). Texts are kept only for people who consented and
    for replies that have not gone out yet."""

    def work(
        connection: Connection,
    ) -> list[tuple[int, str, str, tuple[tuple[str, str], ...], str]]:
        rows = connection.execute(
            select(_m.id, _m.direction, _m.body, _m.choices, _m.status)
            .join(CONTACTS, _c.id == _m.contact_id)
            .where(_m.channel == channel, _c.address == address, _m.body.is_not(None))
            .order_by(_m.id.desc())
            .limit(limit)
        ).all()
        return [
            (
                int(row.id),
                str(row.direction),
                str(row.body),
                tuple((str(key), str(label)) for key, label in row.choices or ()),
                str(row.status),
            )
            for row in reversed(rows)
        ]

    return work
