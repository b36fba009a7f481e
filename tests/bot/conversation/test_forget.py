"""FORGET keeps what it promises, table by table, and a person who returns, or writes STOP, is
still recognised; the retention job deletes conversation data past its time, table by table.
On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, select, update

from bot.conversation.forget import hashed_address, is_forgotten
from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.outbox import enqueue
from bot.i18n.translator import Translator
from bot.staff.accounts import create, find
from bot.staff.caseload import CaseRow, import_caseload
from bot.staff.visits import day_visits
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.offices import import_offices, read_office_records
from bot.storage.retention import purge
from bot.storage.tables import (
    APPOINTMENTS,
    ASSESSMENTS,
    AUTH_FAILURES,
    CASES,
    CONTACTS,
    CONVERSATIONS,
    FEEDBACK,
    MESSAGES,
    OUTBOX,
)
from core.parameters import ParameterStore
from tests.bot.conftest import book_a_visit, fresh_postgres

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # Thursday
VISIT_DAY = date(2026, 11, 30)
CHAT = "555000111"


@pytest.fixture(params=["sqlite", "postgresql"])
async def runner(
    request: pytest.FixtureRequest, tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[Runner]:
    async def made(url: str) -> AsyncIterator[Runner]:
        db = Database(url)
        await upgrade(db.engine)
        try:
            yield Runner(db, store, translator, lambda: NOW)
        finally:
            await db.close()

    if request.param == "sqlite":
        async for made_runner in made(f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"):
            yield made_runner
        return
    async with fresh_postgres() as url:
        async for made_runner in made(url):
            yield made_runner


async def rows(runner: Runner, query: Any) -> list[Any]:
    return await runner.db.run(lambda c: list(c.execute(query).all()))


async def say(
    runner: Runner, text: str, n: int, address: str = CHAT, channel: str = "telegram"
) -> list[str]:
    replies = await runner.handle(InboundMessage(channel, address, text, external_id=str(n)))
    await runner.mark_many([r.message_id for r in replies], "sent")  # as the channel does
    return [r.text for r in replies]


async def a_family_with_everything(runner: Runner) -> tuple[int, int, int]:
    """A Telegram family that consented, was assessed, booked a visit (its reminder queued),
    asked for quarterly reminders and is linked to a worker's case: (contact, visit, case)."""
    examples = ROOT / "examples" / "offices.example.yaml"

    def seed(connection: Connection) -> tuple[int, int]:
        import_offices(connection, read_office_records(examples.name, examples.read_bytes()), NOW)
        create(
            connection,
            username="alice",
            name="Alice",
            role="worker",
            region="astana",
            password="a long enough password",
            now=NOW,
        )
        visit, contact = book_a_visit(
            connection, channel="telegram", address=CHAT, language="kk", now=NOW, day=VISIT_DAY
        )
        connection.execute(update(CONTACTS).where(CONTACTS.c.id == contact).values(reminders=True))
        connection.execute(
            insert(ASSESSMENTS).values(
                contact_id=contact,
                household={"members": [{"age": 34, "income": 120000}]},
                result={"status": "eligible"},
                created_at=NOW,
            )
        )
        enqueue(
            connection,
            key=f"quarter:{contact}:2026-Q4:ending",
            contact_id=contact,
            kind="quarter_reminder",
            payload={"kind": "ending", "quarter": "2026-Q4", "apply_from": "2027-01-01"},
            due_at=NOW + timedelta(days=20),
            now=NOW,
        )
        return visit, contact

    visit, contact = await runner.db.run(seed)
    alice = await runner.db.run(lambda c: find(c, "alice"))
    assert alice is not None
    family = CaseRow("Aigerim", "+77011234567", "astana", "kk", "two children", None)
    await import_caseload(runner.db, alice, [(2, family)], NOW)
    case = (await rows(runner, select(CASES.c.id)))[0].id
    await runner.db.run(
        lambda c: c.execute(
            update(CASES).where(CASES.c.id == case).values(telegram_contact_id=contact)
        )
    )
    await say(runner, "menu", 1)
    await say(runner, "menu", 2)
    return contact, visit, case


async def test_forget_deletes_everything_it_promises_table_by_table(runner: Runner) -> None:
    contact, visit, case = await a_family_with_everything(runner)
    m = MESSAGES.c
    texts = select(func.count()).where(m.contact_id == contact, m.body.is_not(None))
    assert (await rows(runner, texts))[0][0] > 0

    asked = await say(runner, "forget", 3)
    assert asked
    assert await say(runner, "1", 4)

    # messages: no text, choice or buttons of the person's, in or out
    kept = await rows(
        runner,
        select(m.id).where(
            m.contact_id == contact,
            (m.body.is_not(None)) | (m.choice.is_not(None)) | (m.choices.is_not(None)),
        ),
    )
    assert kept == []
    # assessments: none
    assert await rows(runner, select(ASSESSMENTS).where(ASSESSMENTS.c.contact_id == contact)) == []
    # the session: no answer, no household, no result
    (state,) = await rows(
        runner, select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.contact_id == contact)
    )
    assert state.state["answers"] == {} and state.state["history"] == []
    assert not {"assessed", "result", "visit"} & set(state.state)
    # the outbox: the visit's reminder and the quarterly one are gone, not just cancelled
    assert await rows(runner, select(OUTBOX).where(OUTBOX.c.contact_id == contact)) == []
    # the visit: cancelled, and the office's day list names no one
    (booking,) = await rows(
        runner,
        select(APPOINTMENTS.c.status, APPOINTMENTS.c.cancelled_by).where(
            APPOINTMENTS.c.id == visit
        ),
    )
    assert (booking.status, booking.cancelled_by) == ("cancelled", "forget")
    day = await runner.db.run(lambda c: day_visits(c, "example-astana-1", VISIT_DAY))
    assert [(v.status, v.contact) for v in day if v.id == visit] == [("cancelled", "—")]
    # the contact: kept, under a keyed hash of its address, without consent or reminders
    (person,) = await rows(runner, select(CONTACTS).where(CONTACTS.c.id == contact))
    assert person.address == hashed_address(runner.address_key, "telegram", CHAT)
    assert is_forgotten(person.address) and CHAT not in person.address
    assert (person.consent, person.reminders) == (False, False)
    # the worker's case: still the office's record, without the chat, saying why
    (kept_case,) = await rows(runner, select(CASES).where(CASES.c.id == case))
    assert kept_case.telegram_contact_id is None and kept_case.chat_forgotten_at is not None
    assert kept_case.name == "Aigerim"


async def test_a_forgotten_person_who_returns_or_writes_stop_is_recognised(
    runner: Runner,
) -> None:
    contact, _, _ = await a_family_with_everything(runner)
    await say(runner, "forget", 3)
    await say(runner, "1", 4)
    assert await say(runner, "1", 4) == []  # a gateway's retry of a message before: nothing
    await say(runner, "STOP", 5)  # the same person, recognised by the hash: the same contact
    (person,) = await rows(runner, select(CONTACTS).where(CONTACTS.c.id == contact))
    assert person.opted_out and person.address == CHAT  # writing again gives the address back
    everyone = await rows(runner, select(CONTACTS.c.id).where(CONTACTS.c.channel == "telegram"))
    assert [row.id for row in everyone] == [contact]


async def test_retention_deletes_what_is_older_than_its_time_table_by_table(
    runner: Runner,
) -> None:
    old, recent = NOW - timedelta(days=120), NOW - timedelta(days=10)

    def seed(connection: Connection) -> int:
        contact = int(
            connection.execute(
                insert(CONTACTS)
                .values(
                    channel="sms",
                    address="+77015550000",
                    consent=True,
                    opted_out=True,
                    created_at=old,
                )
                .returning(CONTACTS.c.id)
            ).scalar_one()
        )
        for when, status in ((old, "processed"), (recent, "processed"), (old, "received")):
            connection.execute(
                insert(MESSAGES).values(
                    contact_id=contact,
                    channel="sms",
                    direction="in",
                    body="Сәлем",
                    status=status,
                    created_at=when,
                    updated_at=when,
                )
            )
        for when in (old, recent):
            connection.execute(
                insert(ASSESSMENTS).values(
                    contact_id=contact, household={}, result={}, created_at=when
                )
            )
            connection.execute(
                insert(AUTH_FAILURES).values(at=when, username="x", ip="127.0.0.1", kind="token")
            )
            connection.execute(
                insert(FEEDBACK).values(
                    contact_id=contact,
                    kind="result",
                    region="abai",
                    channel="sms",
                    rating=3,
                    comment="Жақсы",
                    created_at=when,
                )
            )
        connection.execute(
            insert(CONVERSATIONS).values(contact_id=contact, state={"v": 1}, updated_at=old)
        )
        for n, (when, status) in enumerate(((old, "sent"), (old, "pending"), (recent, "sent"))):
            connection.execute(
                insert(OUTBOX).values(
                    key=f"k{n}",
                    contact_id=contact,
                    kind="campaign",
                    payload={},
                    due_at=when,
                    status=status,
                    attempts=0,
                    created_at=when,
                    updated_at=when,
                )
            )
        return contact

    contact = await runner.db.run(seed)
    deleted = await purge(runner.db, NOW - timedelta(days=90), batch=1)  # batches of one row
    assert deleted == {
        "messages": 1,
        "assessments": 1,
        "conversations": 1,
        "outbox": 1,
        "staff_auth_failures": 1,
        "feedback_comments": 1,
    }
    left = await rows(runner, select(MESSAGES.c.status, MESSAGES.c.created_at))
    assert sorted(row.status for row in left) == ["processed", "received"]  # recent; waiting
    assert len(await rows(runner, select(ASSESSMENTS))) == 1
    assert await rows(runner, select(CONVERSATIONS)) == []
    assert sorted(r.key for r in await rows(runner, select(OUTBOX.c.key))) == ["k1", "k2"]
    assert len(await rows(runner, select(AUTH_FAILURES))) == 1
    # Feedback: the old comment and whose it was are gone; both ratings stay, as figures.
    f = FEEDBACK.c
    kept = await rows(runner, select(f.rating, f.comment, f.contact_id).order_by(f.created_at))
    assert [tuple(r) for r in kept] == [(3, None, None), (3, "Жақсы", contact)]
    # The contact stays: its STOP outlives its conversation.
    (person,) = await rows(runner, select(CONTACTS).where(CONTACTS.c.id == contact))
    assert person.opted_out
    assert await purge(runner.db, NOW - timedelta(days=90)) == dict.fromkeys(deleted, 0)


async def test_stop_on_the_web_is_kept_after_forget_and_start_still_ends_it(
    runner: Runner,
) -> None:
    page = "0123456789abcdef0123456789abcdef"
    for n, text in enumerate(["hi", "1", "stop", "forget", "1"], 1):
        await say(runner, text, n, address=page, channel="web")
    (person,) = await rows(runner, select(CONTACTS).where(CONTACTS.c.channel == "web"))
    assert person.opted_out and is_forgotten(person.address)
    (state,) = await rows(
        runner, select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.contact_id == person.id)
    )
    assert state.state["opted_out"] and state.state["answers"] == {}
    await say(runner, "start", 6, address=page, channel="web")  # the messages back on
    (person,) = await rows(runner, select(CONTACTS).where(CONTACTS.c.id == person.id))
    assert not person.opted_out
