"""Quarterly reassessment reminders end to end, on SQLite and on PostgreSQL: people turn them on
and off through the dialog, the dispatcher's scheduler queues them and the dispatcher sends them
over a whole year, each on its day and never twice, in the person's language; "stop", "forget me"
and turning them off end them; a booked visit is named instead of the invitation to book."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from bot.conversation.forget import hashed_address
from bot.conversation.runner import InboundMessage, Runner
from bot.delivery import quarterly as reminders
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import CONTACTS, OUTBOX
from core.almaty import local
from core.parameters import ParameterStore
from tests.bot.conftest import fresh_postgres
from tests.dialogs.memory_appointments import EXAMPLE_OFFICES

START = datetime.fromisoformat("2026-12-01T10:00:30+05:00")  # just after the reminders' 10:00
LAST_DAY = date(2027, 12, 31)
VISIT_BOOKED_ON = date(2027, 3, 30)  # two days before the second quarter opens
ENDING = "Komek: TSA is paid until the end of the quarter."
OPENED = "Komek: a new quarter has begun."
TO_BOOK = "To book a visit, write VISIT. To stop these reminders: MENU."
YOUR_VISIT = "Your visit: Fri, 2 April at 09:00, Career centre (example) No. 1, Astana."

# A's reminders over the walk: (day, kind, the day to apply from as the text says it).
EXPECTED = [
    (date(2026, 12, 20), "ending", "1 January 2027"),
    (date(2027, 1, 1), "opened", None),
    (date(2027, 3, 20), "ending", "1 April 2027"),
    (date(2027, 4, 1), "opened", None),
    (date(2027, 6, 20), "ending", "1 July 2027"),
    (date(2027, 7, 1), "opened", None),
    (date(2027, 9, 20), "ending", "1 October 2027"),
    (date(2027, 10, 1), "opened", None),
    (date(2027, 12, 20), "ending", "1 January 2028"),
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Inbox:
    """The Telegram side of a dispatch: takes each message (noting when) and marks it sent."""

    def __init__(self, runner: Runner, clock: Clock) -> None:
        self.runner = runner
        self.clock = clock
        self.got: list[tuple[datetime, str, str]] = []

    async def __call__(self, address: str, replies: list[Outgoing]) -> None:
        for reply in replies:
            self.got.append((self.clock(), address, reply.text))
            await self.runner.mark(reply.message_id, "sent")

    def of(self, address: str) -> list[tuple[date, str]]:
        return [(local(at).date(), text) for at, to, text in self.got if to == address]


@pytest.fixture(params=["sqlite", "postgresql"])
async def setup(
    request: pytest.FixtureRequest, tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[tuple[Runner, Clock]]:
    clock = Clock(START)
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        db = Database(url)
        await upgrade(db.engine)
        records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())
        await db.run(lambda c: import_offices(c, records, clock()))
        runner = Runner(db, store, translator, clock)
        yield runner, clock
        await db.close()


async def say(runner: Runner, who: str, *texts: str) -> list[Outgoing]:
    replies: list[Outgoing] = []
    for text in texts:
        replies = await runner.handle(InboundMessage("telegram", who, text))
    return replies


def number_of(reply: Outgoing, label: str) -> str:
    """What to type for the choice labelled `label` (the channel's buttons, numbered)."""
    labels = [shown for _, shown in reply.choices]
    assert label in labels, labels
    return str(labels.index(label) + 1)


async def greet(runner: Runner, who: str, greeting: str = "Hello") -> None:
    replies = await say(runner, who, greeting, "1")  # a greeting, then consent
    assert replies


async def reminders_menu(runner: Runner, who: str, menu_word: str = "menu") -> Outgoing:
    (menu,) = await say(runner, who, menu_word)
    labels = [shown for _, shown in menu.choices]
    item = str(len(labels))  # Reminders: the menu's last item, in every language
    (asked,) = await say(runner, who, item)
    return asked


async def turn_on(runner: Runner, who: str) -> None:
    (menu,) = await say(runner, who, "menu")
    (asked,) = await say(runner, who, number_of(menu, "Reminders"))
    assert "Shall Komek remind you" in asked.text
    assert asked.choices[0][1] == "Yes, remind me"
    (done,) = await say(runner, who, "1")
    assert done.text.startswith("Reminders are on.")


async def turn_off(runner: Runner, who: str) -> None:
    (menu,) = await say(runner, who, "menu")
    (asked,) = await say(runner, who, number_of(menu, "Reminders"))
    assert asked.text.startswith("Reminders are on:")
    (done,) = await say(runner, who, number_of(asked, "Stop the reminders"))
    assert done.text.startswith("Reminders are off.")


async def book_friday_2_april(runner: Runner, who: str) -> None:
    (reply,) = await say(runner, who, "visit")
    (reply,) = await say(runner, who, number_of(reply, "Astana"))
    (reply,) = await say(runner, who, number_of(reply, "Career centre (example) No. 1, Astana"))
    (reply,) = await say(runner, who, number_of(reply, "Fri, 2 April"))
    (reply,) = await say(runner, who, number_of(reply, "09:00"))
    (reply,) = await say(runner, who, number_of(reply, "Yes, book it"))
    assert reply.text.startswith("Your visit is booked, no. 1: Fri, 2 April at 09:00")


async def outbox_of(runner: Runner, address: str) -> list[Any]:
    def work(connection: Connection) -> list[Any]:
        o, c = OUTBOX.c, CONTACTS.c
        return list(
            connection.execute(
                select(o.key, o.kind, o.status, o.due_at)
                .join(CONTACTS, c.id == o.contact_id)
                .where(c.address == address, c.channel == "telegram")
                .order_by(o.due_at, o.id)
            ).all()
        )

    return await runner.db.run(work)


async def wants_reminders(runner: Runner, address: str) -> bool:
    c = CONTACTS.c
    query = select(c.reminders).where(c.channel == "telegram", c.address == address)
    return bool(await runner.db.run(lambda connection: connection.execute(query).scalar_one()))


def dispatcher_of(runner: Runner, clock: Clock) -> tuple[Dispatcher, Inbox]:
    inbox = Inbox(runner, clock)
    runner.senders["telegram"] = inbox
    dispatcher = Dispatcher(
        runner, renderers(runner.translator), schedulers=[reminders.schedule], poll=0.01
    )
    return dispatcher, inbox


async def walk(
    runner: Runner, clock: Clock, dispatcher: Dispatcher, last: date, *, on: Any = None
) -> None:
    """Day by day at 10:00:30 to `last`: what the dispatcher's loop does once a day."""
    while local(clock.now).date() <= last:
        if on is not None:
            await on(local(clock.now).date())
        await dispatcher.schedule()
        while await dispatcher.dispatch_once():
            pass
        clock.now += timedelta(days=1)


async def test_a_year_of_reminders_for_those_who_asked_and_none_for_the_others(
    setup: tuple[Runner, Clock],
) -> None:
    runner, clock = setup
    for who in ("A", "B", "C", "D", "E"):
        await greet(runner, who)
    for who in ("A", "B", "C", "E"):
        await turn_on(runner, who)
    assert [await wants_reminders(runner, w) for w in "ABCDE"] == [True] * 3 + [False, True]
    dispatcher, inbox = dispatcher_of(runner, clock)

    # The scheduler queues December's end and January's opening for those who asked ...
    assert await dispatcher.schedule() == 2 * 4
    assert await dispatcher.schedule() == 0  # idempotent
    assert [r.key.rsplit(":", 2)[1:] for r in await outbox_of(runner, "A")] == [
        ["2026-Q4", "ending"],
        ["2027-Q1", "opened"],
    ]
    # ... then B turns them off, C writes STOP and E asks to be forgotten.
    await turn_off(runner, "B")
    (stopped,) = await say(runner, "C", "STOP")
    assert stopped.text
    (forget,) = await say(runner, "E", "forget")
    assert forget.text.startswith("Delete all your answers")
    (forgotten,) = await say(runner, "E", "1")
    assert forgotten.text.startswith("Your answers are deleted.")
    assert not await wants_reminders(runner, "B")
    assert [r.status for r in await outbox_of(runner, "B")] == ["cancelled", "cancelled"]
    # E's contact is kept under a keyed hash of its address, and its reminders are gone.
    e_forgotten = hashed_address(runner.address_key, "telegram", "E")
    assert not await wants_reminders(runner, e_forgotten)
    assert await outbox_of(runner, e_forgotten) == []

    async def book_a_visit(day: date) -> None:
        if day == VISIT_BOOKED_ON:
            await book_friday_2_april(runner, "A")

    await walk(runner, clock, dispatcher, LAST_DAY, on=book_a_visit)

    got = inbox.of("A")
    quarterly = [(day, text) for day, text in got if text.startswith("Komek:")]
    others = [(day, text) for day, text in got if not text.startswith("Komek:")]
    assert [day for day, _ in quarterly] == [day for day, _, _ in EXPECTED]
    assert len(set(quarterly)) == len(quarterly) == 9
    for (day, text), (_, kind, apply_from) in zip(quarterly, EXPECTED, strict=True):
        if kind == "ending":
            assert text.startswith(ENDING), (day, text)
            assert f"apply again from {apply_from} on egov.kz" in text, (day, text)
        else:
            assert text.startswith(OPENED), (day, text)
        if day == date(2027, 4, 1):  # the visit of 2 April is booked by then
            assert YOUR_VISIT in text and "To book a visit" not in text
        else:
            assert text.endswith(TO_BOOK), (day, text)
    # The visit's own reminder, the day before; nothing else.
    ((visit_day, visit_text),) = others
    assert visit_day == date(2027, 4, 1)
    assert visit_text.startswith("Reminder: tomorrow, Fri, 2 April, at 09:00")

    for who in ("B", "C", "D", "E"):
        assert inbox.of(who) == [], who

    a_rows = await outbox_of(runner, "A")
    quarterly_rows = [r for r in a_rows if r.kind == reminders.KIND]
    assert [r.status for r in quarterly_rows if r.status != "pending"] == ["sent"] * 9
    assert len({r.key for r in quarterly_rows}) == len(quarterly_rows)
    # Queued already for after the walk: January 2028's opening and March's end.
    assert [r.key.rsplit(":", 2)[1:] for r in quarterly_rows if r.status == "pending"] == [
        ["2028-Q1", "opened"],
        ["2028-Q1", "ending"],
    ]
    # C's two queued before the STOP are skipped when due, and nothing more is queued for C.
    assert [r.status for r in await outbox_of(runner, "C")] == ["skipped", "skipped"]
    assert [r.status for r in await outbox_of(runner, "B")] == ["cancelled", "cancelled"]
    assert await outbox_of(runner, e_forgotten) == []  # forgotten: nothing queued again
    assert await outbox_of(runner, "D") == []


async def test_reminders_turned_on_again_come_again_from_the_next_one(
    setup: tuple[Runner, Clock],
) -> None:
    runner, clock = setup
    await greet(runner, "F")
    await turn_on(runner, "F")
    await turn_off(runner, "F")
    dispatcher, inbox = dispatcher_of(runner, clock)
    await walk(runner, clock, dispatcher, date(2026, 12, 25))
    assert inbox.of("F") == []  # December's end went by while they were off
    await turn_on(runner, "F")
    await walk(runner, clock, dispatcher, date(2027, 1, 2))
    ((day, text),) = inbox.of("F")
    assert day == date(2027, 1, 1) and text.startswith(OPENED)


@pytest.mark.parametrize(
    ("greeting", "menu_word", "on", "expected"),
    [
        (
            "Сәлеметсіз бе",
            "мәзір",
            "Еске салу қосылды.",
            "1 қаңтар 2027 күнінен бастап egov.kz арқылы",
        ),
        (
            "Здравствуйте",
            "меню",
            "Напоминания включены.",
            "подайте заявление снова с 1 января 2027 на egov.kz",
        ),
        (
            "Hello",
            "menu",
            "Reminders are on.",
            "apply again from 1 January 2027 on egov.kz",
        ),
    ],
    ids=["kk", "ru", "en"],
)
async def test_the_reminder_is_in_the_person_s_language_with_the_day_to_apply_from(
    setup: tuple[Runner, Clock], greeting: str, menu_word: str, on: str, expected: str
) -> None:
    runner, clock = setup
    await greet(runner, "G", greeting)
    asked = await reminders_menu(runner, "G", menu_word)
    assert len(asked.choices) == 2
    (done,) = await say(runner, "G", "1")  # yes, remind me
    assert done.text.startswith(on)
    dispatcher, inbox = dispatcher_of(runner, clock)
    await walk(runner, clock, dispatcher, date(2026, 12, 20))
    ((day, text),) = inbox.of("G")
    assert day == date(2026, 12, 20)
    assert expected in text
