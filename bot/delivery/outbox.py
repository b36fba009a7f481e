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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.models import Contact, Message, Outbox
from dialogs.segments import cost as segment_cost

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


def enqueue_all(
    connection: Connection,
    *,
    contact_id: ColumnElement[int],
    key: tuple[str, str],
    kind: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
    where: Sequence[ColumnElement[bool]] = (),
) -> int:
    """Queue one message for every contact `contact_id` yields (a column of a table or subquery,
    filtered by `where`) in one INSERT ... SELECT, keyed `key[0] + contact id + key[1]`; keys
    already queued are left alone. The number of new rows."""
    o = OUTBOX.c
    rows = select(
        literal(key[0]) + sql_cast(contact_id, String) + literal(key[1]),
        contact_id,
        literal(kind),
        literal(payload, o.payload.type),
        literal(due_at, o.due_at.type),
        literal(PENDING),
        literal(0),
        literal(now, o.created_at.type),
        literal(now, o.updated_at.type),
    ).where(*where, true())  # SQLite: INSERT ... SELECT needs a WHERE before ON CONFLICT
    columns = [
        o.key,
        o.contact_id,
        o.kind,
        o.payload,
        o.due_at,
        o.status,
        o.attempts,
        o.created_at,
        o.updated_at,
    ]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(OUTBOX).from_select(columns, rows).on_conflict_do_nothing()
    return int(connection.execute(statement).rowcount or 0)


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
# the connection (to read what it is about), the row, the language and the time; None when its
# reason is gone (nothing is sent then).
Render = Callable[[Connection, Claimed, str, datetime], "str | None"]


INTERRUPTED = "interrupted while sending: sent again"


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
    went_out = select(m.id).where(m.id == o.message_id, m.status.in_(("sent", "delivered")))
    connection.execute(
        update(OUTBOX).where(claimed, went_out.exists()).values(status=SENT, updated_at=now)
    )
    doubtful = select(o.message_id).where(claimed, o.message_id.is_not(None))
    connection.execute(
        update(MESSAGES)
        .where(m.id.in_(doubtful.scalar_subquery()), m.status == "queued")
        .values(status="interrupted", updated_at=now)
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


class Dispatcher:
    """Sends due outbox rows through the runner's channel senders, a batch at a time: one
    transaction claims the batch, one renders and records its messages, the sends go out side by
    side under the channel's rate limit, and one transaction records how each went."""

    def __init__(
        self,
        runner: Any,
        renderers: dict[str, Render],
        *,
        poll: float = 1.0,
        batch: int = BATCH,
        parallel: int = 16,
        limiter: Any = None,
        schedulers: Sequence[Callable[[Connection, datetime], int]] = (),
        schedule_every: float = 60.0,
        stale: timedelta = STALE,
        sole: bool = False,
    ) -> None:
        self.runner = runner
        self.renderers = renderers
        self.poll = poll
        self.batch = batch
        self.parallel = parallel
        self.limiter = limiter  # bot.ratelimit.RateLimiter, or None: no limit
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
        now = self.runner.clock()
        added = 0
        for scheduler in self.schedulers:
            added += await self.runner.db.run(lambda c, s=scheduler: s(c, now))
        return added

    async def dispatch_once(self) -> int:
        """Claim the due rows and send them; the number claimed."""
        now = self.runner.clock()
        stale = now if self._release_all else now - self.stale
        claimed: list[Claimed] = await self.runner.db.run(_claim(now, self.batch, stale))
        self._release_all = False
        if not claimed:
            return 0
        outcomes: dict[int, tuple[str, str | None]] = {}
        ready: list[tuple[Claimed, int, str]] = []
        for row in claimed:
            if row.opted_out:
                outcomes[row.id] = (SKIPPED, "opted out")
            elif row.kind not in self.renderers:
                outcomes[row.id] = (FAILED, f"unknown kind {row.kind}")
            elif row.channel not in self.runner.senders:
                outcomes[row.id] = (FAILED, f"no way to send on {row.channel}")
        todo = [row for row in claimed if row.id not in outcomes]
        prepared = await self.runner.db.run(self._prepare(todo)) if todo else {}
        for row in todo:
            found = prepared.get(row.id)
            if found is None:
                outcomes[row.id] = (CANCELLED, None)  # its reason is gone
            else:
                ready.append((row, *found))
        gate = asyncio.Semaphore(self.parallel)
        await asyncio.gather(*(self._send(gate, row, mid, text) for row, mid, text in ready))
        ids = [mid for _, mid, _ in ready]
        statuses = await self.runner.db.run(_message_statuses(ids)) if ids else {}
        for row, message_id, _ in ready:
            status = statuses.get(message_id)
            outcomes[row.id] = (
                (SENT, None)
                if status in ("sent", "delivered")
                else (
                    PENDING,
                    status or "not sent",
                )
            )
        await self.runner.db.run(self._finish(claimed, outcomes))
        return len(claimed)

    async def _send(
        self, gate: asyncio.Semaphore, row: Claimed, message_id: int, text: str
    ) -> None:
        from bot.runner import Outgoing  # noqa: PLC0415 - the runner imports this module

        async with gate:
            if self.limiter is not None:
                cost = segment_cost(text).segments if row.channel == "sms" else 1
                await self.limiter.acquire(row.channel, row.address, cost)
            try:
                await self.runner.senders[row.channel](row.address, [Outgoing(message_id, text)])
            except Exception as exc:  # the channel's own failure: retried later
                log.warning("outbox %s: sending failed: %s", row.id, type(exc).__name__)
                await self.runner.mark(message_id, "failed", type(exc).__name__)

    def _prepare(self, rows: list[Claimed]) -> Callable[[Connection], dict[int, tuple[int, str]]]:
        def work(connection: Connection) -> dict[int, tuple[int, str]]:
            now = self.runner.clock()
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
                        "status": "queued",
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
        now = self.runner.clock()
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


def _message_statuses(ids: list[int]) -> Callable[[Connection], dict[int, str]]:
    def work(connection: Connection) -> dict[int, str]:
        m = MESSAGES.c
        rows = connection.execute(select(m.id, m.status).where(m.id.in_(ids)))
        return {int(i): str(status) for i, status in rows}

    return work


def counts(connection: Connection) -> dict[str, int]:
    """Rows per status (for /metrics and `komek` reports)."""
    o = OUTBOX.c
    rows = connection.execute(select(o.status, func.count()).group_by(o.status))
    return {str(status): int(n) for status, n in rows}
