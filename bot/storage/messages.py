"""A message's life, as every room records it: received, processed, queued, sent, delivered,
failed. The statuses and the statements that change them live here, below the runner (which
records replies), the channels (which send them) and the dispatcher (which sends the rest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select, update

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
READ = "read"  # WhatsApp says the person opened it
# Failed for good on its channel (blocked, not on WhatsApp, no template outside the window, an
# SMS delivery report of failure): an outbox message then goes to the person's next channel.
# "failed" is an error that may pass (refused connections, 5xx): retried on the same channel.
UNDELIVERABLE = "undeliverable"
WENT_OUT = (SENT, DELIVERED, READ)

_m, _c = MESSAGES.c, CONTACTS.c
FINAL = (SENT, DELIVERED, FAILED, READ, UNDELIVERABLE)
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


# How far a message got, for a provider's status callbacks, which may arrive out of order: a
# status only moves a message forward ("delivered" after "read" changes nothing), and a failure
# counts only while nothing better is known.
_RANK = {QUEUED: 0, INTERRUPTED: 0, SENT: 1, DELIVERED: 2, READ: 3}
_BEFORE = {status: tuple(s for s, r in _RANK.items() if r < rank) for status, rank in _RANK.items()}


def progress(
    channel: str, external_id: str, status: str, error: str | None, now: datetime
) -> Callable[[Connection], int | None]:
    """Record a provider's word on an outbound message it knows by `external_id`; the message's
    id when that changed it, None otherwise (unknown, or already further)."""
    earlier = _BEFORE.get(status, (QUEUED, INTERRUPTED, SENT))

    def work(connection: Connection) -> int | None:
        found = connection.execute(
            select(_m.id).where(
                _m.channel == channel,
                _m.direction == "out",
                _m.external_id == external_id,
                _m.status.in_(earlier),
            )
        ).scalar()
        if found is None:
            return None
        mark([int(found)], status, error, now)(connection)
        return int(found)

    return work


_SENT_AS = (
    update(MESSAGES)
    .where(_m.id == bindparam("message"))
    .values(external_id=bindparam("provider_id"), template=bindparam("template_name"))
)


def sent_as(
    sent: list[tuple[int, str | None, str | None]], now: datetime
) -> Callable[[Connection], None]:
    """Messages that went out: (id, the provider's id for its status callbacks, the template
    it went as), marked sent in one transaction."""

    def work(connection: Connection) -> None:
        named = [
            {"message": i, "provider_id": provider, "template_name": template}
            for i, provider, template in sent
            if provider is not None or template is not None
        ]
        if named:
            connection.execute(_SENT_AS, named)
        mark([i for i, _, _ in sent], SENT, None, now)(connection)

    return work


def _of_address(channel: str, address: str) -> Any:
    return select(_c.id).where(_c.channel == channel, _c.address == address).scalar_subquery()


def wrote_since_address(
    channel: str, address: str, since: datetime
) -> Callable[[Connection], bool]:
    """Whether the contact at this address wrote at `since` or later."""

    def work(connection: Connection) -> bool:
        found = connection.execute(
            select(_m.id)
            .where(
                _m.contact_id == _of_address(channel, address),
                _m.direction == "in",
                _m.created_at >= since,
            )
            .limit(1)
        ).first()
        return found is not None

    return work


TIER_LOCK = 0x6B6F6D656B  # PostgreSQL advisory lock: one reservation at a time


def may_start(
    channel: str, address: str, message_id: int, template: str, *, since: datetime, limit: int
) -> Callable[[Connection], bool]:
    """Reserve a template for this message under a cap of `limit` people sent templates since
    `since`: yes for someone who got one since (counted already), and for someone new while
    fewer than `limit` did. The message is marked with the template at once, so that sends
    side by side count each other."""

    def work(connection: Connection) -> bool:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(TIER_LOCK)))
        templated = (
            _m.channel == channel,
            _m.direction == "out",
            _m.template.is_not(None),
            _m.created_at >= since,
            _m.status.in_((QUEUED, *WENT_OUT)),
        )
        again = connection.execute(
            select(_m.id).where(*templated, _m.contact_id == _of_address(channel, address)).limit(1)
        ).first()
        if again is None:
            people = connection.execute(
                select(func.count(func.distinct(_m.contact_id))).where(*templated)
            ).scalar_one()
            if int(people) >= limit:
                return False
        connection.execute(update(MESSAGES).where(_m.id == message_id).values(template=template))
        return True

    return work


def last_inbound(connection: Connection, contact_ids: list[int]) -> dict[int, datetime]:
    """When each of these contacts last wrote, to order them (contacts that never did, or whose
    messages are past retention, are absent). On SQLite the values are naive: compare them only
    with each other, and ask `wrote_since` for a comparison with a clock's time."""
    if not contact_ids:
        return {}
    rows = connection.execute(
        select(_m.contact_id, func.max(_m.created_at))
        .where(_m.contact_id.in_(contact_ids), _m.direction == "in")
        .group_by(_m.contact_id)
    )
    return {int(contact): at for contact, at in rows if at is not None}


def wrote_since(connection: Connection, contact_id: int, since: datetime) -> bool:
    """Whether the contact wrote at `since` or later (the comparison made by the database, with
    `since` stored as every time is)."""
    found = connection.execute(
        select(_m.id)
        .where(_m.contact_id == contact_id, _m.direction == "in", _m.created_at >= since)
        .limit(1)
    ).first()
    return found is not None


def outbound(channel: str, external_id: str) -> Callable[[Connection], tuple[int, int] | None]:
    """(id, contact) of the outbound message the provider knows by this id."""

    def work(connection: Connection) -> tuple[int, int] | None:
        row = connection.execute(
            select(_m.id, _m.contact_id).where(
                _m.channel == channel, _m.direction == "out", _m.external_id == external_id
            )
        ).first()
        return None if row is None else (int(row.id), int(row.contact_id))

    return work
