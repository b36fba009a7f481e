"""The dispatcher: sends due outbox rows through the channels' senders.

- It claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that dispatchers of several
  workers never take the same row; the single writer on SQLite), renders the text in the
  contact's language at send time, records it as an outbound message, hands it to the contact's
  channel, and records the outcome. A failed send is retried with a growing delay and ends, after
  `MAX_ATTEMPTS`, in the `failed` state with the reason.
- Opted-out contacts are sent nothing (`skipped`); a message whose reason is gone (the visit was
  cancelled or moved) is dropped (`cancelled`).
- A row claimed by a dispatcher that died (`sending` for longer than `STALE`, or every such row
  when the only dispatcher starts, as on SQLite) goes back to `pending`, unless its message is
  known to have been sent. A message handed to the channel just before the crash and not yet
  recorded as sent is in doubt: the Bot API and Kannel's sendsms have no idempotency key, so it
  cannot be asked whether it arrived. It is sent again (a reminder twice is better than none),
  and the row says so in `error`; its first message is marked `interrupted`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, String, bindparam, case, insert, select, update

from bot.delivery import codes
from bot.delivery.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    Claimed,
    Render,
)
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.senders import Outgoing, Senders
from bot.storage import messages
from bot.storage.database import Database
from bot.storage.tables import CONTACTS, MESSAGES, OUTBOX
from dialogs.segments import cost as segment_cost

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(seconds=30)  # then doubled: 30 s, 1 min, 2 min, 4 min, 8 min
STALE = timedelta(minutes=2)
BATCH = 50
INTERRUPTED = "interrupted while sending: sent again"
# Messages a person asks for at that moment (a code to confirm their number): sent even to an
# address that wrote STOP before; everything else respects it.
ASKED_FOR = frozenset({codes.KIND})
# Channels that only answer (a web page asks, and gets its replies): what was queued for one
# and never handed over to Telegram or SMS is skipped, not failed.
CANNOT_BE_WRITTEN_TO = frozenset({"web"})


class Host(Protocol):
    """What the dispatcher needs of the process it runs in (the runner provides it): the
    database, the clock and the channels' senders."""

    db: Database
    senders: Senders

    def clock(self) -> datetime: ...


def _claim(now: datetime, limit: int, stale: datetime) -> Callable[[Connection], list[Claimed]]:
    def work(connection: Connection) -> list[Claimed]:
        o, c = OUTBOX.c, CONTACTS.c
        _release_stale(connection, now, stale)
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


def _release_stale(connection: Connection, now: datetime, stale: datetime) -> None:
    """Rows a dead dispatcher had claimed before `stale`: sent if their message went out, due
    again otherwise (in doubt when their message had been handed over: see above)."""
    o, m = OUTBOX.c, MESSAGES.c
    claimed = (o.status == SENDING) & (o.updated_at < stale)
    went_out = select(m.id).where(
        m.id == o.message_id, m.status.in_((messages.SENT, messages.DELIVERED))
    )
    connection.execute(
        update(OUTBOX).where(claimed, went_out.exists()).values(status=SENT, updated_at=now)
    )
    doubtful = select(o.message_id).where(claimed, o.message_id.is_not(None))
    connection.execute(
        update(MESSAGES)
        .where(m.id.in_(doubtful.scalar_subquery()), m.status == messages.QUEUED)
        .values(status=messages.INTERRUPTED, updated_at=now)
    )
    connection.execute(
        update(OUTBOX)
        .where(claimed, o.message_id.is_not(None))
        .values(status=PENDING, error=INTERRUPTED, message_id=None, updated_at=now)
    )
    connection.execute(update(OUTBOX).where(claimed).values(status=PENDING, updated_at=now))


FINISH = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row"))
    .values(
        status=bindparam("new_status"),
        # A resend after an interrupted send keeps saying so, also once it went out.
        error=case(
            (
                bindparam("new_error", type_=String).is_(None) & (OUTBOX.c.error == INTERRUPTED),
                OUTBOX.c.error,
            ),
            else_=bindparam("new_error", type_=String),
        ),
        attempts=bindparam("new_attempts"),
        due_at=bindparam("new_due"),
        updated_at=bindparam("now"),
    )
)


Scheduler = Callable[[Connection, datetime], int]


def _at(scheduler: Scheduler, now: datetime) -> Callable[[Connection], int]:
    return lambda connection: scheduler(connection, now)


class Dispatcher:
    """Sends due outbox rows through the host's channel senders, a batch at a time: one
    transaction claims the batch, one renders and records its messages, the sends go out side by
    side under the channel's rate limit, and one transaction records how each went."""

    def __init__(
        self,
        host: Host,
        renderers: dict[str, Render],
        *,
        poll: float = 1.0,
        batch: int = BATCH,
        parallel: int = 16,
        limiter: RateLimiter | None = None,
        schedulers: Sequence[Scheduler] = (),
        schedule_every: float = 60.0,
        stale: timedelta = STALE,
        sole: bool = False,
    ) -> None:
        self.host = host
        self.renderers = renderers
        self.poll = poll
        self.batch = batch
        self.parallel = parallel
        self.limiter = limiter  # None: no limit
        self.schedulers = list(schedulers)
        self.schedule_every = schedule_every
        self._scheduled_at = -schedule_every
        self.stale = stale
        # The only dispatcher (SQLite): whatever is `sending` when it starts was left by a dead one.
        self._release_all = sole

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                if self.schedulers and loop.time() - self._scheduled_at >= self.schedule_every:
                    self._scheduled_at = loop.time()
                    await self.schedule()
                sent = await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the outbox dispatcher failed; trying again shortly")
                sent = 0
            if sent < self.batch:
                await asyncio.sleep(self.poll)

    async def schedule(self) -> int:
        """Queue what the schedulers say is coming (quarterly reminders); idempotent."""
        now = self.host.clock()
        added = 0
        for scheduler in self.schedulers:
            added += await self.host.db.run(_at(scheduler, now))
        return added

    async def dispatch_once(self) -> int:
        """Claim the due rows and send them; the number claimed."""
        now = self.host.clock()
        stale = now if self._release_all else now - self.stale
        claimed: list[Claimed] = await self.host.db.run(_claim(now, self.batch, stale))
        self._release_all = False
        if not claimed:
            return 0
        outcomes: dict[int, tuple[str, str | None]] = {}
        ready: list[tuple[Claimed, int, str]] = []
        for row in claimed:
            if row.opted_out and row.kind not in ASKED_FOR:
                outcomes[row.id] = (SKIPPED, "opted out")
            elif row.kind not in self.renderers:
                outcomes[row.id] = (FAILED, f"unknown kind {row.kind}")
            elif row.channel in CANNOT_BE_WRITTEN_TO:
                outcomes[row.id] = (SKIPPED, f"{row.channel}: cannot be written to first")
            elif row.channel not in self.host.senders:
                outcomes[row.id] = (FAILED, f"no way to send on {row.channel}")
        todo = [row for row in claimed if row.id not in outcomes]
        prepared = await self.host.db.run(self._prepare(todo)) if todo else {}
        for row in todo:
            found = prepared.get(row.id)
            if found is None:
                outcomes[row.id] = (CANCELLED, None)  # its reason is gone
            else:
                ready.append((row, *found))
        gate = asyncio.Semaphore(self.parallel)
        await asyncio.gather(*(self._send(gate, row, mid, text) for row, mid, text in ready))
        ids = [mid for _, mid, _ in ready]
        statuses = await self.host.db.run(messages.statuses(ids)) if ids else {}
        for row, message_id, _ in ready:
            status = statuses.get(message_id)
            outcomes[row.id] = (
                (SENT, None)
                if status in (messages.SENT, messages.DELIVERED)
                else (
                    PENDING,
                    status or "not sent",
                )
            )
        await self.host.db.run(self._finish(claimed, outcomes))
        return len(claimed)

    async def _send(
        self, gate: asyncio.Semaphore, row: Claimed, message_id: int, text: str
    ) -> None:
        async with gate:
            if self.limiter is not None:
                cost = segment_cost(text).segments if row.channel == "sms" else 1
                await self.limiter.acquire(row.channel, row.address, cost)
            try:
                await self.host.senders[row.channel](row.address, [Outgoing(message_id, text)])
            except Exception as exc:  # the channel's own failure: retried later
                log.warning("outbox %s: sending failed: %s", row.id, type(exc).__name__)
                now = self.host.clock()
                await self.host.db.run(
                    messages.mark([message_id], messages.FAILED, type(exc).__name__, now)
                )

    def _prepare(self, rows: list[Claimed]) -> Callable[[Connection], dict[int, tuple[int, str]]]:
        def work(connection: Connection) -> dict[int, tuple[int, str]]:
            now = self.host.clock()
            found: dict[int, tuple[int, str]] = {}
            for row in rows:
                text = self.renderers[row.kind](connection, row, row.language, now)
                if text is None:
                    continue
                message_id = connection.execute(
                    NEW_MESSAGE,
                    {
                        "contact_id": row.contact_id,
                        "channel": row.channel,
                        "direction": "out",
                        "body": text,
                        "status": messages.QUEUED,
                        "created_at": now,
                        "updated_at": now,
                    },
                ).scalar_one()
                found[row.id] = (int(message_id), text)
            if found:
                connection.execute(
                    LINK_MESSAGE,
                    [{"row": row_id, "message": mid} for row_id, (mid, _) in found.items()],
                )
            return found

        return work

    def _finish(
        self, rows: list[Claimed], outcomes: dict[int, tuple[str, str | None]]
    ) -> Callable[[Connection], None]:
        now = self.host.clock()
        values = []
        for row in rows:
            status, error = outcomes[row.id]
            attempts, due = row.attempts, now
            if status == PENDING:  # failed this time: later, or given up
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    status = FAILED
                else:
                    due = now + FIRST_RETRY * 2 ** (attempts - 1)
            values.append(
                {
                    "row": row.id,
                    "new_status": status,
                    "new_error": None if error is None else error[:200],
                    "new_attempts": attempts,
                    "new_due": due,
                    "now": now,
                }
            )

        def work(connection: Connection) -> None:
            connection.execute(FINISH, values)

        return work


NEW_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
LINK_MESSAGE = (
    update(OUTBOX).where(OUTBOX.c.id == bindparam("row")).values(message_id=bindparam("message"))
)
