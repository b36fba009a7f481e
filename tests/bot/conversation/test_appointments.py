"""Visits on the database, through the runner, on SQLite and on PostgreSQL: booking, moving and
cancelling with their reminders; fifty people at once for the last seat; and the outbox
dispatcher sending reminders exactly when due, never for a cancelled or moved visit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, update

from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.senders import Outgoing
from bot.delivery.visits import renderers
from bot.i18n.translator import Translator
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import APPOINTMENTS, OUTBOX
from core.parameters import ParameterStore
from tests.bot.conftest import fresh_postgres
from tests.dialogs.memory_appointments import EXAMPLE_OFFICES

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # Thursday
TAKEN = "Sorry, that time has just been taken"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _open(url: str, store: ParameterStore, translator: Translator, clock: Clock) -> Runner:
    db = Database(url)
    await upgrade(db.engine)
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())
    await db.run(lambda c: import_offices(c, records, clock()))
    return Runner(db, store, translator, clock)


@pytest.fixture(params=["sqlite", "postgresql"])
async def setup(
    request: pytest.FixtureRequest, tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[tuple[Runner, str, Clock]]:
    clock = Clock(NOW)
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        runner = await _open(url, store, translator, clock)
        yield runner, url, clock
        await runner.db.close()


async def say(runner: Runner, who: str, *texts: str) -> list[Outgoing]:
    replies: list[Outgoing] = []
    for text in texts:
        replies = await runner.handle(InboundMessage("sms", who, text))
    return replies


# Hello (English), consent, VISIT, region 1 (Almaty city), office 2 (one seat per slot, 4 hours'
# notice): the first three free slots are offered.
TO_SLOTS = ("Hello", "1", "visit", "1", "2")


async def rows(runner: Runner, table: Any, *where: Any) -> list[Any]:
    def work(connection: Connection) -> list[Any]:
        return list(connection.execute(select(table).where(*where)).all())

    return await runner.db.run(work)


async def test_book_move_and_cancel_a_visit_for_today(
    setup: tuple[Runner, str, Clock],
) -> None:
    runner, _, _ = setup
    who = "+77011110000"
    replies = await say(runner, who, *TO_SLOTS)
    assert "1 Thu, 26 November 14:00" in replies[-1].text
    replies = await say(runner, who, "4", "1", "1")  # more, the first of those, yes
    assert "Your visit is booked, no. 1: Thu, 26 November at 15:30" in replies[-1].text
    (visit,) = await rows(runner, APPOINTMENTS)
    assert visit.status == "booked" and visit.seat == 1
    assert not await rows(runner, OUTBOX)  # today's visit: no reminder the day before

    replies = await say(runner, who, "visit", "1", "4", "4", "1", "1")  # move: later slots
    assert "Your visit no. 1 is moved to Fri, 27 November at 09:30" in replies[-1].text
    (visit,) = await rows(runner, APPOINTMENTS)
    assert f"{visit.starts_at.astimezone(NOW.tzinfo):%d %H:%M}" == "27 09:30"
    assert not await rows(runner, OUTBOX)  # its reminder time (today 10:00) is now: none

    replies = await say(runner, who, "visit", "2", "1")
    assert "Your visit is cancelled" in replies[-1].text
    (visit,) = await rows(runner, APPOINTMENTS)
    assert visit.status == "cancelled" and visit.cancelled_by == "person"


async def test_a_later_visit_gets_its_reminder_the_day_before_and_a_move_moves_it(
    setup: tuple[Runner, str, Clock],
) -> None:
    runner, _, _ = setup
    who = "+77011110001"
    # Telegram-style day then time: on the web channel the dialog asks for the day first.
    for text in ("Hello", "1", "visit", "2", "1", "3", "1", "1"):  # Astana, Mon 30 Nov, 09:00
        replies = await runner.handle(InboundMessage("web", who, text))
    assert "Mon, 30 November at 09:00" in replies[-1].text
    assert "We will remind you the day before" in replies[-1].text
    (reminder,) = await rows(runner, OUTBOX)
    assert reminder.due_at == datetime.fromisoformat("2026-11-29T10:00:00+05:00")
    for text in ("visit", "1", "4", "1", "1"):  # move to Tue 1 Dec, 09:00
        replies = await runner.handle(InboundMessage("web", who, text))
    assert "moved to Tue, 1 December at 09:00" in replies[-1].text
    reminders = sorted(await rows(runner, OUTBOX), key=lambda r: r.id)
    assert [r.status for r in reminders] == ["cancelled", "pending"]
    assert reminders[1].due_at == datetime.fromisoformat("2026-11-30T10:00:00+05:00")


async def _to_confirm(runner: Runner, who: str) -> None:
    replies = await say(runner, who, *TO_SLOTS, "1")
    assert "Book a visit: Thu, 26 November at 14:00" in replies[-1].text


async def test_fifty_people_at_once_for_the_last_seat_make_one_booking(
    setup: tuple[Runner, str, Clock], store: ParameterStore, translator: Translator
) -> None:
    runner, url, clock = setup
    people = [f"+7702{n:07d}" for n in range(50)]
    for who in people:
        await _to_confirm(runner, who)
    # On PostgreSQL the confirmations go through two workers (two pools, two group writers).
    runners = [runner]
    if runner.db.dialect == "postgresql":
        runners.append(await _open(url, store, translator, clock))
    try:
        answers = await asyncio.gather(
            *(runners[n % len(runners)].handle(InboundMessage("sms", who, "1"))
              for n, who in enumerate(people))
        )  # fmt: skip
    finally:
        for extra in runners[1:]:
            await extra.db.close()
    texts = [replies[-1].text for replies in answers]
    booked = [t for t in texts if "Your visit is booked" in t]
    taken = [t for t in texts if TAKEN in t]
    assert len(booked) == 1 and len(taken) == 49
    assert all("14:00" not in t.split("\n", 1)[1] for t in taken)  # the next ones offered
    seats = await rows(runner, APPOINTMENTS, APPOINTMENTS.c.status == "booked")
    assert len(seats) == 1


async def test_the_database_refuses_a_second_holder_of_a_seat(
    setup: tuple[Runner, str, Clock],
) -> None:
    runner, _, _ = setup
    await _to_confirm(runner, "+77030000001")
    await say(runner, "+77030000001", "1")
    (visit,) = await rows(runner, APPOINTMENTS)

    def second(connection: Connection) -> None:
        connection.execute(
            APPOINTMENTS.insert().values(
                office_id=visit.office_id,
                contact_id=visit.contact_id,
                starts_at=visit.starts_at,
                ends_at=visit.ends_at,
                seat=visit.seat,
                status="booked",
                created_at=NOW,
                updated_at=NOW,
            )
        )

    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await runner.db.run(second)
    # A cancelled visit frees its seat for the next person.
    await runner.db.run(lambda c: c.execute(update(APPOINTMENTS).values(status="cancelled")))
    await runner.db.run(second)


# ------------------------------------------------------------------------------------------
# The outbox dispatcher


class Inbox:
    """The channel side of a dispatch: takes the message as a channel sender does (and marks it
    sent), or fails the way a channel does when `failing` is set."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.got: list[tuple[str, str]] = []
        self.failing = False

    async def __call__(self, address: str, replies: list[Outgoing]) -> None:
        for reply in replies:
            if self.failing:
                await self.runner.mark(reply.message_id, "failed", "gateway down")
                continue
            self.got.append((address, reply.text))
            await self.runner.mark(reply.message_id, "sent")


async def _booked_for_monday(runner: Runner, who: str) -> None:
    for text in ("Hello", "1", "visit", "2", "1", "3", "1", "1"):  # Mon 30 Nov 09:00, Astana
        await runner.handle(InboundMessage("telegram", who, text))


def _dispatcher(runner: Runner) -> tuple[Dispatcher, Inbox]:
    inbox = Inbox(runner)
    runner.senders["telegram"] = inbox
    return Dispatcher(runner, renderers(runner.translator), poll=0.01), inbox


async def test_a_reminder_goes_once_when_due(setup: tuple[Runner, str, Clock]) -> None:
    runner, _, clock = setup
    who = "4001"
    await _booked_for_monday(runner, who)
    for text in ("visit", "1", "4", "1", "1"):  # moved to Tuesday: the reminder moves with it
        replies = await runner.handle(InboundMessage("telegram", who, text))
    assert "moved to Tue, 1 December" in replies[-1].text
    dispatcher, inbox = _dispatcher(runner)
    assert await dispatcher.dispatch_once() == 0  # not due yet
    clock.now = datetime.fromisoformat("2026-11-29T10:00:01+05:00")  # Monday's would be due
    assert await dispatcher.dispatch_once() == 0
    (reminder,) = await rows(runner, OUTBOX, OUTBOX.c.status == "pending")
    clock.now = reminder.due_at + timedelta(seconds=1)
    assert await dispatcher.dispatch_once() == 1
    assert await dispatcher.dispatch_once() == 0
    assert len(inbox.got) == 1 and inbox.got[0][0] == who
    assert inbox.got[0][1].startswith("Reminder: tomorrow, Tue, 1 December, at 09:00")
    (sent,) = await rows(runner, OUTBOX, OUTBOX.c.status == "sent")
    assert sent.message_id is not None


async def test_nothing_is_sent_for_a_cancelled_visit_or_to_an_opted_out_person(
    setup: tuple[Runner, str, Clock],
) -> None:
    runner, _, clock = setup
    await _booked_for_monday(runner, "5001")
    for text in ("visit", "2", "1"):  # cancelled
        await runner.handle(InboundMessage("telegram", "5001", text))
    await _booked_for_monday(runner, "5002")
    await runner.handle(InboundMessage("telegram", "5002", "STOP"))
    dispatcher, inbox = _dispatcher(runner)
    clock.now = datetime.fromisoformat("2026-11-29T10:00:01+05:00")
    await dispatcher.dispatch_once()
    assert inbox.got == []
    statuses = sorted(r.status for r in await rows(runner, OUTBOX))
    assert statuses == ["cancelled", "skipped"]


async def test_a_failed_send_is_retried_later_and_ends_failed_with_its_reason(
    setup: tuple[Runner, str, Clock],
) -> None:
    runner, _, clock = setup
    await _booked_for_monday(runner, "6001")
    dispatcher, inbox = _dispatcher(runner)
    inbox.failing = True
    clock.now = datetime.fromisoformat("2026-11-29T10:00:01+05:00")
    attempts = 0
    while True:
        claimed = await dispatcher.dispatch_once()
        if claimed == 0:
            (row,) = await rows(runner, OUTBOX)
            if row.status != "pending":
                break
            clock.now = row.due_at + timedelta(seconds=1)  # wait out the back-off
            continue
        attempts += claimed
    (row,) = await rows(runner, OUTBOX)
    assert row.status == "failed" and row.attempts == attempts == 6
    assert "failed" in (row.error or "")
    inbox.failing = False
    assert await dispatcher.dispatch_once() == 0 and inbox.got == []


async def test_a_row_left_sending_by_a_dead_dispatcher_is_sent_again_once(
    setup: tuple[Runner, str, Clock],
) -> None:
    runner, _, clock = setup
    await _booked_for_monday(runner, "7001")
    clock.now = datetime.fromisoformat("2026-11-29T10:00:01+05:00")
    await runner.db.run(
        lambda c: c.execute(update(OUTBOX).values(status="sending", updated_at=clock.now))
    )
    dispatcher, inbox = _dispatcher(runner)
    assert await dispatcher.dispatch_once() == 0  # claimed a moment ago: maybe still sending
    clock.now += timedelta(minutes=3)
    assert await dispatcher.dispatch_once() == 1
    assert await dispatcher.dispatch_once() == 0
    assert len(inbox.got) == 1


async def test_two_dispatchers_never_send_one_row_twice(
    setup: tuple[Runner, str, Clock], store: ParameterStore, translator: Translator
) -> None:
    runner, url, clock = setup
    for n in range(12):
        await _booked_for_monday(runner, f"80{n:02d}")
    clock.now = datetime.fromisoformat("2026-11-29T10:00:01+05:00")
    # On PostgreSQL the second dispatcher is another worker's; on SQLite, a second one in this
    # process (the single writer serialises their claims).
    postgres = runner.db.dialect == "postgresql"
    other = await _open(url, store, translator, clock) if postgres else runner
    try:
        first, inbox_one = _dispatcher(runner)
        second, inbox_two = _dispatcher(other) if postgres else (first, inbox_one)
        if not postgres:
            second = Dispatcher(runner, renderers(translator), poll=0.01)
        first.batch = second.batch = 3
        await asyncio.gather(*(d.dispatch_once() for d in (first, second) * 3))
        got = inbox_one.got + (inbox_two.got if postgres else [])
        assert len(got) == 12 and len({address for address, _ in got}) == 12
        sent = await rows(runner, OUTBOX, OUTBOX.c.status == "sent")
        assert len(sent) == 12
    finally:
        if postgres:
            await other.db.close()
