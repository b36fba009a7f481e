"""The dispatcher: sends due outbox rows through the channels' senders.

- It claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that dispatchers of several
  workers never take the same row; the single writer on SQLite), renders the text in the
  contact's language at send time, records it as an outbound message, hands it to the contact's
  channel, and records the outcome. A failed send is retried with a growing delay and ends, after
  `MAX_ATTEMPTS`, in the `failed` state with the reason.
- A row goes to a person, who may have several linked contacts (`bot.contacts.linking`): when
  first sent, its route is fixed, the contact the person last wrote from first, and each
  attempt is written on the row (`tried`). A channel that fails for good (`undeliverable`: a
  blocked bot, a number not on WhatsApp, no template outside WhatsApp's window, an SMS delivery
  report of failure, which comes later through `bot.delivery.fallback`) sends the row to the
  next contact of its route at once; an error that may pass is retried on the same one.
- A person who said STOP on one of their channels is sent nothing (`skipped`), nor is one no
  channel can reach; a message whose reason is gone (the visit was cancelled or moved) is
  dropped (`cancelled`).
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
from typing import Any, Protocol

from sqlalchemy import Connection, Row, String, bindparam, case, insert, select, update

from bot.contacts import linking
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
    Rendered,
)
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.senders import Outgoing, Senders
from bot.storage import messages, people
from bot.storage.database import Database
from bot.storage.people import Linked
from bot.storage.tables import MESSAGES, OUTBOX
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
# and never handed over to Telegram or SMS, nor reachable through a linked contact, is
# skipped, not failed.
CANNOT_BE_WRITTEN_TO = frozenset({"web"})


class Host(Protocol):
    """What the dispatcher needs of the process it runs in (the runner provides it): the
    database, the clock and the channels' senders."""

    db: Database
    senders: Senders

    def clock(self) -> datetime: ...


def _claim(
    now: datetime, limit: int, stale: datetime, channels: frozenset[str]
) -> Callable[[Connection], list[Claimed]]:
    def work(connection: Connection) -> list[Claimed]:
        o = OUTBOX.c
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
            select(o.id, o.contact_id, o.kind, o.payload, o.attempts, o.route, o.hop, o.tried)
            .where(o.id.in_(ids))
            .order_by(o.due_at, o.id)
        ).all()
        persons = people.linked(connection, [row.contact_id for row in rows])
        fresh = {c.id for row in rows if row.route is None for c in persons[row.contact_id]}
        last = messages.last_inbound(connection, sorted(fresh))
        claimed: list[Claimed] = []
        routes: list[dict[str, Any]] = []
        for row in rows:
            contacts = persons[row.contact_id]
            if row.route is None:
                route = tuple(c.id for c in linking.route(contacts, last, channels))
                routes.append({"row": row.id, "new_route": list(route)})
            else:
                route = tuple(int(i) for i in row.route)
            claimed.append(_choose(row, contacts, route, channels))
        if routes:
            connection.execute(SET_ROUTE, routes)
        return claimed

    return work


def _choose(
    row: Row[Any, *tuple[Any, ...]],
    contacts: list[Linked],
    route: tuple[int, ...],
    channels: frozenset[str],
) -> Claimed:
    """The row as it will be sent now: to the first contact of its route, from where it stands,
    that can still be reached; or, in `skip`, why nothing is tried."""
    by_id = {c.id: c for c in contacts}
    origin = by_id[row.contact_id]
    asked = row.kind in ASKED_FOR
    if asked:  # to the number it confirms, whatever it said before
        route = (row.contact_id,)
    hop = row.hop
    while hop < len(route):
        contact = by_id.get(route[hop])
        reachable = asked or not contact.opted_out if contact is not None else False
        if contact is not None and reachable and contact.channel in channels:
            break
        hop += 1
    to = by_id[route[hop]] if hop < len(route) else origin
    ordered = [by_id[i] for i in route if i in by_id]
    language = next((c.language for c in (to, origin, *ordered, *contacts) if c.language), "ru")
    skip: tuple[str, str] | None = None
    if linking.stopped(contacts) and not asked:
        skip = (SKIPPED, "opted out")
    elif hop >= len(route):
        if route:
            skip = (FAILED, "no channel left to try")
        elif all(c.opted_out for c in contacts):
            skip = (SKIPPED, f"unreachable: {origin.unreachable or 'opted out'}")
        elif origin.channel in CANNOT_BE_WRITTEN_TO:
            skip = (SKIPPED, f"{origin.channel}: cannot be written to first")
        else:
            skip = (FAILED, f"no way to send on {origin.channel}")
    return Claimed(
        row.id,
        row.contact_id,
        to.channel,
        to.address,
        language,
        skip is not None and skip[0] == SKIPPED,
        row.kind,
        dict(row.payload),
        row.attempts,
        to=to.id,
        route=route,
        hop=hop,
        tried=tuple(row.tried or ()),
        skip=skip,
    )


def _release_stale(connection: Connection, now: datetime, stale: datetime) -> None:
    """Rows a dead dispatcher had claimed before `stale`: sent if their message went out, due
    again otherwise (in doubt when their message had been handed over: see above)."""
    o, m = OUTBOX.c, MESSAGES.c
    claimed = (o.status == SENDING) & (o.updated_at < stale)
    went_out = select(m.id).where(m.id == o.message_id, m.status.in_(messages.WENT_OUT))
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
        hop=bindparam("new_hop"),
        tried=bindparam("new_tried", type_=OUTBOX.c.tried.type),
        updated_at=bindparam("now"),
    )
)
SET_ROUTE = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row"))
    .values(route=bindparam("new_route", type_=OUTBOX.c.route.type))
)
TRIED_KEPT = 20  # attempts written on a row; older ones are dropped


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
        channels = frozenset(self.host.senders)
        claimed: list[Claimed] = await self.host.db.run(_claim(now, self.batch, stale, channels))
        self._release_all = False
        if not claimed:
            return 0
        outcomes: dict[int, tuple[str, str | None]] = {}
        for row in claimed:
            if row.skip is not None:
                outcomes[row.id] = row.skip
            elif row.kind not in self.renderers:
                outcomes[row.id] = (FAILED, f"unknown kind {row.kind}")
        todo = [row for row in claimed if row.id not in outcomes]
        prepared = await self.host.db.run(self._prepare(todo)) if todo else {}
        ready: list[tuple[Claimed, int, Rendered]] = []
        for row in todo:
            found = prepared.get(row.id)
            if found is None:
                outcomes[row.id] = (CANCELLED, None)  # its reason is gone
            else:
                ready.append((row, *found))
        gate = asyncio.Semaphore(self.parallel)
        await asyncio.gather(*(self._send(gate, row, mid, text) for row, mid, text in ready))
        sent = {row.id: mid for row, mid, _ in ready}
        await self.host.db.run(self._finish(claimed, outcomes, sent))
        return len(claimed)

    async def _send(
        self, gate: asyncio.Semaphore, row: Claimed, message_id: int, rendered: Rendered
    ) -> None:
        async with gate:
            if self.limiter is not None:
                cost = segment_cost(rendered.text).segments if row.channel == "sms" else 1
                await self.limiter.acquire(row.channel, row.address, cost)
            outgoing = Outgoing(message_id, rendered.text, rendered.choices, notice=rendered.notice)
            try:
                await self.host.senders[row.channel](row.address, [outgoing])
            except Exception as exc:  # the channel's own failure: retried later
                log.warning("outbox %s: sending failed: %s", row.id, type(exc).__name__)
                now = self.host.clock()
                await self.host.db.run(
                    messages.mark([message_id], messages.FAILED, type(exc).__name__, now)
                )

    def _prepare(
        self, rows: list[Claimed]
    ) -> Callable[[Connection], dict[int, tuple[int, Rendered]]]:
        def work(connection: Connection) -> dict[int, tuple[int, Rendered]]:
            now = self.host.clock()
            found: dict[int, tuple[int, Rendered]] = {}
            for row in rows:
                rendered = self.renderers[row.kind](connection, row, row.language, now)
                if rendered is None:
                    continue
                message_id = connection.execute(
                    NEW_MESSAGE,
                    {
                        "contact_id": row.to,
                        "channel": row.channel,
                        "direction": "out",
                        "body": rendered.text,
                        "status": messages.QUEUED,
                        "created_at": now,
                        "updated_at": now,
                    },
                ).scalar_one()
                found[row.id] = (int(message_id), rendered)
            if found:
                connection.execute(
                    LINK_MESSAGE,
                    [{"row": row_id, "message": mid} for row_id, (mid, _) in found.items()],
                )
            return found

        return work

    def _finish(
        self,
        rows: list[Claimed],
        outcomes: dict[int, tuple[str, str | None]],
        sent: dict[int, int],
    ) -> Callable[[Connection], None]:
        """Record how each row went. The rows are locked before their messages' statuses are
        read, so that a failure reported meanwhile (`bot.delivery.fallback`) is seen either
        here or there, never lost between the two."""
        now = self.host.clock()

        def work(connection: Connection) -> None:
            o, m = OUTBOX.c, MESSAGES.c
            if sent:
                connection.execute(
                    select(o.id).where(o.id.in_(sorted(sent))).with_for_update()
                ).all()
                found = {
                    int(r.id): (str(r.status), r.error)
                    for r in connection.execute(
                        select(m.id, m.status, m.error).where(m.id.in_(sorted(sent.values())))
                    )
                }
            else:
                found = {}
            values = []
            for row in rows:
                status, error = outcomes.get(row.id, (PENDING, None))
                attempts, due, hop, tried = row.attempts, now, row.hop, list(row.tried)
                if row.id in sent:
                    message_id = sent[row.id]
                    state, error = found.get(message_id, (messages.FAILED, "not sent"))
                    tried.append(attempt(row, message_id, state, error, now))
                    if state in messages.WENT_OUT:
                        status, error = SENT, None
                    elif state == messages.UNDELIVERABLE and hop + 1 < len(row.route):
                        status, hop, attempts = PENDING, hop + 1, 0  # the next channel, now
                    elif state == messages.UNDELIVERABLE:
                        status = FAILED
                    else:  # failed this time: later, or given up
                        status = PENDING
                        attempts += 1
                        if attempts >= MAX_ATTEMPTS:
                            status = FAILED
                        else:
                            due = now + FIRST_RETRY * 2 ** (attempts - 1)
                        error = f"{state}: {error}" if error else state
                values.append(
                    {
                        "row": row.id,
                        "new_status": status,
                        "new_error": None if error is None else str(error)[:200],
                        "new_attempts": attempts,
                        "new_due": due,
                        "new_hop": hop,
                        "new_tried": tried[-TRIED_KEPT:] or None,
                        "now": now,
                    }
                )
            connection.execute(FINISH, values)

        return work


def attempt(
    row: Claimed, message_id: int, outcome: str, error: str | None, now: datetime
) -> dict[str, Any]:
    """One attempt as a row's `tried` lists it (for the family's timeline)."""
    return {
        "at": now.isoformat(),
        "channel": row.channel,
        "contact": row.to,
        "message": message_id,
        "outcome": outcome,
        "error": None if error is None else str(error)[:120],
    }


NEW_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
LINK_MESSAGE = (
    update(OUTBOX).where(OUTBOX.c.id == bindparam("row")).values(message_id=bindparam("message"))
)
