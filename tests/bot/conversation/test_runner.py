"""The runner: recorded before processed, de-duplicated, consent and forget-me honoured, and a
message recorded before a crash processed after the restart."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select

from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.models import Assessment, Contact, Message
from core.parameters import ParameterStore
from tests.bot.conftest import PG_ADMIN, _postgres_available
from tests.conftest import require_service

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
T13 = ["Сәлем", "1", "3", "28 2 5", "0", "1", "0", "30000", "1", "1"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def runner(
    request: pytest.FixtureRequest, tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[Runner]:
    """The same tests on the embedded SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
        name = None
    else:
        require_service(await _postgres_available(), f"PostgreSQL is not reachable at {PG_ADMIN}")
        name = f"komek_test_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    db = Database(url)
    await upgrade(db.engine)
    yield Runner(db, store, translator, lambda: NOW)
    await db.close()
    if name is not None:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def sms(text: str, n: int) -> InboundMessage:
    return InboundMessage("sms", "+77011234567", text, external_id=f"m{n}")


async def count(runner: Runner, query: object) -> int:
    async with runner.sessions() as db:
        return int(await db.scalar(query) or 0)  # type: ignore[call-overload]


async def test_a_whole_conversation_stores_one_assessment(runner: Runner) -> None:
    for n, text in enumerate(T13):
        replies = await runner.handle(sms(text, n))
        assert replies
    async with runner.sessions() as db:
        assessment = await db.scalar(select(Assessment))
        contact = await db.scalar(select(Contact))
    assert assessment is not None and contact is not None
    assert assessment.result["monthly_amount"] == "81180.00"
    assert contact.consent and contact.language == "kk"
    assert "1 Неліктен?" in replies[-1].text


async def sent(runner: Runner, replies: list[Outgoing]) -> list[Outgoing]:
    """Mark replies sent, as a channel does once they have gone out."""
    await runner.mark_many([reply.message_id for reply in replies], "sent")
    return replies


async def test_a_repeated_delivery_is_answered_once(runner: Runner) -> None:
    assert await sent(runner, await runner.handle(sms("Сәлем", 1)))
    assert await runner.handle(sms("Сәлем", 1)) == []
    assert await count(runner, select(func.count()).select_from(Message)) == 2


async def test_a_repeated_delivery_whose_reply_did_not_go_out_gets_that_reply(
    runner: Runner,
) -> None:
    first = await runner.handle(sms("Сәлем", 1))  # the answer to this request was lost
    again = await runner.handle(sms("Сәлем", 1))
    assert [r.message_id for r in again] == [r.message_id for r in first]
    assert [r.text for r in again] == [r.text for r in first]
    assert await count(runner, select(func.count()).select_from(Message)) == 2  # no new turn
    await sent(runner, again)
    assert await runner.handle(sms("Сәлем", 1)) == []


async def test_without_consent_nothing_typed_is_kept(runner: Runner) -> None:
    await sent(runner, await runner.handle(sms("Сәлем", 1)))
    await sent(runner, await runner.handle(sms("2", 2)))  # declines
    bodies = await count(
        runner, select(func.count()).select_from(Message).where(Message.body.is_not(None))
    )
    assert bodies == 0


async def test_a_reply_keeps_its_text_and_buttons_until_it_is_sent(runner: Runner) -> None:
    web = InboundMessage("web", "a" * 16, "/start", external_id="w1")
    (reply,) = await runner.handle(web)
    assert reply.choices
    async with runner.sessions() as db:
        stored = await db.get(Message, reply.message_id)
    assert stored is not None and stored.body == reply.text
    assert stored.choices == [list(choice) for choice in reply.choices]
    await sent(runner, [reply])
    async with runner.sessions() as db:
        stored = await db.get(Message, reply.message_id)
    assert stored is not None and stored.body is None and stored.choices is None


async def test_forget_me_deletes_assessments_and_texts(runner: Runner) -> None:
    for n, text in enumerate(T13):
        await sent(runner, await runner.handle(sms(text, n)))
    await sent(runner, await runner.handle(sms("ұмыту", 100)))
    await sent(runner, await runner.handle(sms("1", 101)))
    assert await count(runner, select(func.count()).select_from(Assessment)) == 0
    kept = await count(
        runner, select(func.count()).select_from(Message).where(Message.body.is_not(None))
    )
    assert kept == 0


async def test_a_message_recorded_before_a_crash_is_processed_after_restart(
    runner: Runner,
) -> None:
    recorded = await runner.record(sms("Сәлем", 1))
    assert recorded is not None
    assert await runner.recover() == 1
    assert await runner.recover() == 0
    outbound = await count(
        runner, select(func.count()).select_from(Message).where(Message.direction == "out")
    )
    assert outbound == 1


async def test_nul_and_an_overlong_language_hint_are_stored_on_every_database(
    runner: Runner,
) -> None:
    """PostgreSQL refuses NUL in text and a 17-character value in a 16-character column: what
    a person (or their phone) sent is made storable, not refused."""
    inbound = InboundMessage(
        "telegram", "901", "a\x00b\ud800", language_hint="x" * 17, external_id="\x00" * 3
    )
    assert await runner.handle(inbound)
    async with runner.sessions() as db:
        stored = await db.scalar(select(Message).where(Message.direction == "in"))
    assert stored is not None and stored.language_hint == "x" * 16
