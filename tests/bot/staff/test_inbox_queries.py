"""The inbox's statements on SQLite and on PostgreSQL: a family's request goes to its worker or
to its region's queue, once; what it writes counts as unread until read; who sees what; an
answer is queued and starts the time to a first answer; mark unread; a transfer only within the
region; handed back, the session is the bot's again; the figures of /metrics and the charts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select

from bot.conversation.inbox import BackTo, close_for, family_wrote, hand_back, open_conversation
from bot.i18n.translator import Translator
from bot.parameters import default_calendar, default_store
from bot.staff import inbox
from bot.staff.accounts import Member, create, find
from bot.staff.caseload import CaseRow, import_caseload
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import CASES, CONTACTS, CONVERSATIONS, INBOX, MESSAGES, OUTBOX
from tests.bot.conftest import fresh_postgres

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
        await upgrade(database.engine)
        yield database
        await database.close()
        return
    async with fresh_postgres() as url:
        database = Database(url)
        await upgrade(database.engine)
        yield database
        await database.close()


def _staff(connection: Connection) -> dict[str, Member]:
    for username, role, region in (
        ("aigerim", "worker", "astana"),
        ("bota", "worker", "astana"),
        ("dana", "worker", "almaty"),
        ("sara", "supervisor", "astana"),
        ("root", "admin", None),
    ):
        create(
            connection,
            username=username,
            name=username.title(),
            role=role,
            region=region,
            password="a long enough password",
            now=NOW,
        )
    found = {name: find(connection, name) for name in ("aigerim", "bota", "dana", "sara", "root")}
    return {name: member for name, member in found.items() if member is not None}


def _message(connection: Connection, contact: int, text: str, at: datetime) -> int:
    return int(
        connection.execute(
            insert(MESSAGES)
            .values(
                contact_id=contact,
                channel="sms",
                direction="in",
                body=text,
                status="processed",
                created_at=at,
                updated_at=at,
            )
            .returning(MESSAGES.c.id)
        ).scalar_one()
    )


async def test_the_inbox_on_the_database(db: Database, translator: Translator) -> None:
    staff = await db.run(_staff)
    aigerim, bota, dana, sara, root = (
        staff[n] for n in ("aigerim", "bota", "dana", "sara", "root")
    )
    rows = [CaseRow("Айгерім Сәрсенова", "+77011110001", "astana", "kk", None, None)]
    await import_caseload(db, aigerim, list(enumerate(rows, 2)), NOW)

    def opened(connection: Connection) -> tuple[int, int, int]:
        own = connection.execute(select(CASES.c.sms_contact_id)).scalar_one()
        stranger = connection.execute(
            insert(CONTACTS)
            .values(
                channel="sms", address="+77770000001", consent=True, opted_out=False, created_at=NOW
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        for contact in (own, stranger):
            connection.execute(
                insert(CONVERSATIONS).values(
                    contact_id=contact,
                    state={
                        "v": 1,
                        "lang": "kk",
                        "step": "ages",
                        "consent": True,
                        "answers": {"region": "astana"},
                        "history": [],
                        "held": True,
                        "person": {"reason": "asked", "region": "astana"},
                    },
                    updated_at=NOW,
                )
            )
            _message(connection, contact, "адам", NOW)
        mine = open_conversation(connection, own, "asked", None, NOW)
        again = open_conversation(connection, own, "asked", None, NOW + timedelta(minutes=1))
        assert again == mine  # one open conversation per family
        queue = open_conversation(connection, stranger, "ages", "astana", NOW)
        _message(connection, own, "Ақша қашан?", NOW + timedelta(minutes=2))
        family_wrote(connection, own, NOW + timedelta(minutes=2))
        return mine, queue, int(stranger)

    mine, queue, stranger = await db.run(opened)

    def seen(member: Member) -> Any:
        return lambda c: [(r.id, r.unread) for r in inbox.waiting(c, member)]

    assert await db.run(seen(aigerim)) == [(mine, 1), (queue, 0)]  # newest activity first
    assert await db.run(seen(bota)) == [(queue, 0)]  # the queue, not aigerim's family
    assert await db.run(seen(dana)) == []
    assert await db.run(seen(sara)) == [(mine, 1), (queue, 0)]
    assert await db.run(lambda c: inbox.counts(c, aigerim)) == {"unread": 1, "waiting": 1}
    assert await db.run(lambda c: inbox.find(c, bota, mine)) is None
    assert await db.run(lambda c: inbox.waiting(c, root, "almaty")) == []

    def answered(connection: Connection) -> tuple[Any, ...]:
        found = inbox.find(connection, aigerim, mine)
        assert found is not None and inbox.may_answer(aigerim, found)
        assert not inbox.may_answer(sara, found) and inbox.may_take(sara, found)
        inbox.answer(connection, aigerim, found, "Сәлеметсіз бе!", NOW + timedelta(minutes=5))
        lines = inbox.thread(connection, found)
        after = inbox.find(connection, aigerim, mine)
        assert after is not None
        inbox.mark_unread(connection, after, NOW + timedelta(minutes=6))
        unread = inbox.counts(connection, aigerim)["unread"]
        moved = inbox.transfer(connection, after, dana.id, NOW)  # another region: refused
        return lines, after.first_answer_at, unread, moved

    lines, first, unread, moved = await db.run(answered)
    assert [(line.direction, line.body) for line in lines.lines] == [
        ("in", "адам"),
        ("in", "Ақша қашан?"),
        ("out", "Сәлеметсіз бе!"),
    ]
    assert lines.lines[-1].by_worker and lines.lines[-1].status == "outbox:pending"
    assert first == NOW + timedelta(minutes=5)
    assert unread == 1 and moved is False

    back = BackTo(default_store(), translator, default_calendar())
    assert await db.run(lambda c: hand_back(c, mine, aigerim.id, NOW, back)) is True
    assert await db.run(lambda c: hand_back(c, mine, aigerim.id, NOW, back)) is False

    def after_back(connection: Connection) -> tuple[Any, ...]:
        own = connection.execute(select(INBOX.c.contact_id).where(INBOX.c.id == mine)).scalar()
        state = connection.execute(
            select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.contact_id == own)
        ).scalar_one()
        texts = (
            connection.execute(select(OUTBOX.c.payload["text"].as_string()).order_by(OUTBOX.c.id))
            .scalars()
            .all()
        )
        close_for(connection, stranger, NOW)
        return state, texts, inbox.waiting(connection, root)

    state, texts, left = await db.run(after_back)
    assert state["step"] == "ages" and "held" not in state
    assert texts[0] == "Сәлеметсіз бе!"
    assert texts[1].startswith("Әлеуметтік қызметкер сөйлесуді «Көмек»-ке қайтарды.")
    assert "34 32 7 2" in texts[1]  # the ages' question, asked again
    assert left == []

    figures = await db.run(lambda c: inbox.figures(c, sara, NOW + timedelta(days=1)))
    assert sum(n for _, n, _ in figures.weeks) == 2
    assert dict(figures.reasons) == {"asked": 1, "ages": 1}
    assert figures.weeks[0][2] == 5.0  # minutes to the first answer (the other had none)
    stats = await db.run(lambda c: inbox.stats(c, NOW + timedelta(days=1)))
    assert (stats.week, stats.waiting, stats.reasons) == (2, 0, {"asked": 1, "ages": 1})


async def test_a_whatsapp_family_silent_for_a_day_is_outside_its_window(db: Database) -> None:
    """The page warns the worker: WhatsApp takes the answer only inside the approved form."""

    def seed(connection: Connection) -> tuple[bool, bool]:
        contact = connection.execute(
            insert(CONTACTS)
            .values(
                channel="whatsapp",
                address="+77010000009",
                consent=True,
                opted_out=False,
                created_at=NOW,
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        _message(connection, contact, "адам", NOW - timedelta(hours=25))
        conversation = open_conversation(connection, contact, "asked", "astana", NOW)
        root = _staff(connection)["root"]
        found = inbox.find(connection, root, conversation)
        assert found is not None
        late = inbox.window_closed(connection, found, NOW)
        _message(connection, contact, "сәлем", NOW - timedelta(hours=1))
        return late, inbox.window_closed(connection, found, NOW)

    assert await db.run(seed) == (True, False)


async def test_two_workers_taking_one_conversation_the_first_has_it(db: Database) -> None:
    def race(connection: Connection) -> tuple[bool, bool, int | None]:
        staff = _staff(connection)
        contact = connection.execute(
            insert(CONTACTS)
            .values(
                channel="sms", address="+77770000002", consent=True, opted_out=False, created_at=NOW
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        conversation = open_conversation(connection, contact, "asked", "astana", NOW)
        first = inbox.take(connection, staff["aigerim"], conversation, NOW)
        second = inbox.take(connection, staff["bota"], conversation, NOW)
        holder = connection.execute(
            select(INBOX.c.staff_id).where(INBOX.c.id == conversation)
        ).scalar()
        assert holder == staff["aigerim"].id
        assert inbox.take(connection, staff["sara"], conversation, NOW)  # a supervisor may
        return first, second, holder

    first, second, _ = await db.run(race)
    assert (first, second) == (True, False)
