"""The outbox: every message that is not a direct reply (a reminder of a visit, a notice from
staff) is a row here before it is anything else, and the dispatcher sends it when due.

- A row's `key` says what it is for (`visit:41:20261130T0430Z:reminder`), and is unique: the same
  message cannot be queued twice, whoever queues it.
- The dispatcher claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that dispatchers of
  several workers never take the same row; the single writer on SQLite), renders the text in the
  contact's language at send time, records it as an outbound message, hands it to the contact's
  channel, and records the outcome. A failed send is retried with a growing delay and ends, after
  `MAX_ATTEMPTS`, in the `failed` state with the reason.
- Opted-out contacts are sent nothing (`skipped`); a message whose reason is gone (the visit was
  cancelled or moved) is dropped (`cancelled`).
- A row claimed by a dispatcher that died (`sending` for longer than `STALE`) goes back to
  `pending`, unless its message is known to have been sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update

from bot.storage.models import Contact, Message, Outbox

log = logging.getLogger(__name__)

OUTBOX = cast(Table, Outbox.__table__)
CONTACTS = cast(Table, Contact.__table__)
MESSAGES = cast(Table, Message.__table__)

PENDING, SENDING, SENT, FAILED, CANCELLED, SKIPPED = (
    "pending",
    "sending",
    "sent",
    "failed",
    "cancelled",
    "skipped",
)
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)  # then doubled: 30 s, 1 min, 2 min, 4 min, 8 min
STALE = timedelta(minutes=2)
BATCH = 50


def enqueue(
    connection: Connection,
    *,
    key: str,
    contact_id: int,
    kind: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> None:
    """Queue a message (in the caller's transaction). A key already queued is left as it is,
    unless it was cancelled: then it is due again."""
    o = OUTBOX.c
    found = connection.execute(select(o.id, o.status).where(o.key == key)).first()
    if found is None:
        connection.execute(
            insert(OUTBOX).values(
                key=key,
                contact_id=contact_id,
                kind=kind,
                payload=payload,
                due_at=due_at,
                status=PENDING,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )
    elif found.status == CANCELLED:
        connection.execute(
            update(OUTBOX)
            .where(o.id == found.id)
            .values(status=PENDING, due_at=due_at, payload=payload, attempts=0, updated_at=now)
        )


def cancel(connection: Connection, key_prefix: str, now: datetime) -> int:
    """Drop every message still waiting whose key starts with `key_prefix`."""
    o = OUTBOX.c
    result = connection.execute(
        update(OUTBOX)
        .where(o.key.startswith(key_prefix, autoescape=True), o.status == PENDING)
        .values(status=CANCELLED, updated_at=now)
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    contact_id: int
    channel: str
    address: str
    language: str
    opted_out: bool
    kind: str
    payload: dict[str, Any]
    attempts: int


# What a kind of message says, rendered at send time in the contact's language: a function of
# the connection (to read what it is about), the row and the language; None when its reason is
# gone (nothing is sent then).
Render = Callable[[Connection, Claimed, str], "str | None"]


def _claim(now: datetime, limit: int) -> Callable[[Connection], list[Claimed]]:
    def work(connection: Connection) -> list[Claimed]:
        o, c = OUTBOX.c, CONTACTS.c
        _release_stale(connection, now)
        due = (
            select(o.id)
            .where(o.status == PENDING, o.due_at <= now)
            .order_by(o.due_at, o.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = [row.id for row in connection.execute(due)]
        if not ids:
            return []
        connection.execute(
            update(OUTBOX).where(o.id.in_(ids)).values(status=SENDING, updated_at=now)
        )
        rows = connection.execute(
            select(
                o.id,
                o.contact_id,
                o.kind,
                o.payload,
                o.attempts,
                c.channel,
                c.address,
                c.language,
                c.opted_out,
            )
            .join(CONTACTS, c.id == o.contact_id)
            .where(o.id.in_(ids))
            .order_by(o.due_at, o.id)
        )
        return [
            Claimed(
                r.id,
                r.contact_id,
                r.channel,
                r.address,
                r.language or "ru",
                bool(r.opted_out),
                r.kind,
                dict(r.payload),
                r.attempts,
            )
            for r in rows
        ]

    return work


def _release_stale(connection: Connection, now: datetime) -> None:
    """Rows a dead dispatcher had claimed: sent if their message went out, else due again."""
    o, m = OUTBOX.c, MESSAGES.c
    stale = now - STALE
    went_out = select(m.id).where(m.id == o.message_id, m.status.in_(("sent", "delivered")))
    connection.execute(
        update(OUTBOX)
        .where(o.status == SENDING, o.updated_at < stale, went_out.exists())
        .values(status=SENT, updated_at=now)
    )
    connection.execute(
        update(OUTBOX)
        .where(o.status == SENDING, o.updated_at < stale)
        .values(status=PENDING, updated_at=now)
    )


FINISH = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row"))
    .values(
        status=bindparam("new_status"),
        error=bindparam("new_error"),
        attempts=bindparam("new_attempts"),
        due_at=bindparam("new_due"),
        updated_at=bindparam("now"),
    )
)


class Dispatcher:
    """Sends due outbox rows through the runner's channel senders."""

    def __init__(
        self,
        runner: Any,
        renderers: dict[str, Render],
        *,
        poll: float = 1.0,
        batch: int = BATCH,
    ) -> None:
        self.runner = runner
        self.renderers = renderers
        self.poll = poll
        self.batch = batch

    async def run_forever(self) -> None:
        while True:
            try:
                sent = await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the outbox dispatcher failed; trying again shortly")
                sent = 0
            if sent < self.batch:
                await asyncio.sleep(self.poll)

    async def dispatch_once(self) -> int:
        """Claim the due rows and send them; the number claimed."""
        now = self.runner.clock()
        claimed = await self.runner.db.run(_claim(now, self.batch))
        for row in claimed:
            await self._dispatch(row)
        return len(claimed)

    async def _dispatch(self, row: Claimed) -> None:
        if row.opted_out:
            await self._finish(row, SKIPPED, "opted out")
            return
        render = self.renderers.get(row.kind)
        if render is None:
            await self._finish(row, FAILED, f"unknown kind {row.kind}")
            return
        sender = self.runner.senders.get(row.channel)
        if sender is None:
            await self._finish(row, FAILED, f"no way to send on {row.channel}")
            return
        prepared = await self.runner.db.run(self._prepare(row, render))
        if prepared is None:
            await self._finish(row, CANCELLED, None)
            return
        message_id, text = prepared
        from bot.runner import Outgoing  # noqa: PLC0415 - the runner imports this module

        try:
            await sender(row.address, [Outgoing(message_id, text)])
        except Exception as exc:  # the channel's own failure: retried below
            log.warning("outbox %s: sending failed: %s", row.id, type(exc).__name__)
            await self.runner.mark(message_id, "failed", type(exc).__name__)
        status = await self.runner.db.run(_message_status(message_id))
        if status in ("sent", "delivered"):
            await self._finish(row, SENT, None)
        else:
            await self._retry(row, status or "not sent")

    def _prepare(
        self, row: Claimed, render: Render
    ) -> Callable[[Connection], tuple[int, str] | None]:
        def work(connection: Connection) -> tuple[int, str] | None:
            text = render(connection, row, row.language)
            if text is None:
                return None
            now = self.runner.clock()
            message_id = connection.execute(
                insert(MESSAGES)
                .values(
                    contact_id=row.contact_id,
                    channel=row.channel,
                    direction="out",
                    body=text,
                    status="queued",
                    created_at=now,
                    updated_at=now,
                )
                .returning(MESSAGES.c.id)
            ).scalar_one()
            connection.execute(
                update(OUTBOX).where(OUTBOX.c.id == row.id).values(message_id=message_id)
            )
            return int(message_id), text

        return work

    async def _retry(self, row: Claimed, reason: str) -> None:
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._finish(row, FAILED, reason, attempts=attempts)
            return
        delay = FIRST_RETRY * 2 ** (attempts - 1)
        await self._finish(row, PENDING, reason, attempts=attempts, delay=delay)

    async def _finish(
        self,
        row: Claimed,
        status: str,
        error: str | None,
        *,
        attempts: int | None = None,
        delay: timedelta | None = None,
    ) -> None:
        now = self.runner.clock()
        values = {
            "row": row.id,
            "new_status": status,
            "new_error": None if error is None else error[:200],
            "new_attempts": row.attempts if attempts is None else attempts,
            "new_due": now + (delay or timedelta()),
            "now": now,
        }
        await self.runner.db.run(lambda connection: connection.execute(FINISH, values))


def _message_status(message_id: int) -> Callable[[Connection], str | None]:
    def work(connection: Connection) -> str | None:
        m = MESSAGES.c
        value = connection.execute(select(m.status).where(m.id == message_id)).scalar()
        return None if value is None else str(value)

    return work


def counts(connection: Connection) -> dict[str, int]:
    """Rows per status (for /metrics and `komek` reports)."""
    o = OUTBOX.c
    rows = connection.execute(select(o.status, func.count()).group_by(o.status))
    return {str(status): int(n) for status, n in rows}
