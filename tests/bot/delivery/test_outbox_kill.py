"""kill -9 of a server while its dispatcher sends a campaign, again and again, then a restart:
every recipient gets the message (none lost), on SQLite and on PostgreSQL. A message can only
arrive twice when the kill fell between the Bot API's answer and our record of it (no
idempotency key exists to ask Telegram); each such resend is written on its outbox row, and the
test checks that the duplicates are exactly those."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, select

from bot.delivery.campaigns import KIND
from bot.delivery.dispatcher import BATCH, INTERRUPTED
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import CAMPAIGNS, CONTACTS, OUTBOX, STAFF
from tests.bot.conftest import fresh_postgres
from tests.bot.servers import Server
from tests.bot.telegram_stub import BotApiStub

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
PEOPLE = 150
KILLS = 4
SECRET = "kill-secret"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            yield f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
        else:
            yield await stack.enter_async_context(fresh_postgres())


def _seed(connection: Connection) -> None:
    staff_id = connection.execute(
        insert(STAFF)
        .values(
            username="admin",
            name="Admin",
            role="admin",
            region=None,
            password_hash="x",
            active=True,
            created_at=NOW,
        )
        .returning(STAFF.c.id)
    ).scalar_one()
    campaign = connection.execute(
        insert(CAMPAIGNS)
        .values(
            staff_id=staff_id,
            name="kill test",
            template="custom",
            texts={"kk": "Сәлем", "ru": "Привет", "en": "Hello"},
            audience={},
            status="sending",
            created_at=NOW,
        )
        .returning(CAMPAIGNS.c.id)
    ).scalar_one()
    for n in range(PEOPLE):
        contact = connection.execute(
            insert(CONTACTS)
            .values(
                channel="telegram",
                address=str(9000 + n),
                language="kk",
                consent=True,
                opted_out=False,
                created_at=NOW,
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        connection.execute(
            insert(OUTBOX).values(
                key=f"campaign:{campaign}:{contact}",
                contact_id=contact,
                kind=KIND,
                payload={"campaign": campaign},
                due_at=NOW,
                status="pending",
                attempts=0,
                created_at=NOW,
                updated_at=NOW,
            )
        )


def _left(connection: Connection) -> int:
    o = OUTBOX.c
    return int(
        connection.execute(
            select(func.count()).where(o.status.in_(("pending", "sending")))
        ).scalar_one()
    )


def _resent(connection: Connection) -> int:
    o = OUTBOX.c
    return int(connection.execute(select(func.count()).where(o.error == INTERRUPTED)).scalar_one())


async def test_killed_again_and_again_every_recipient_gets_the_message(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    await upgrade(db.engine)
    await db.run(_seed)
    stub = await BotApiStub().start()
    env = {
        "KOMEK_DATABASE_URL": database_url,
        "KOMEK_TELEGRAM_TOKEN": "123456:kill",
        "KOMEK_TELEGRAM_API_URL": stub.url,
        "KOMEK_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "KOMEK_TELEGRAM_RATE": "300",
        "KOMEK_OUTBOX_POLL": "0.05",
        "KOMEK_OUTBOX_STALE": "1",
    }
    rng = random.Random(7)
    try:
        for n in range(KILLS):
            server = Server(env, tmp_path / f"run{n}.log")
            await server.start()
            await asyncio.sleep(rng.uniform(0.05, 0.3))
            server.kill()
            assert server.process is not None
            server.process.wait()
        final = Server(env, tmp_path / "final.log")
        await final.start()
        try:
            for _ in range(300):
                if await db.run(_left) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await db.run(_left) == 0, "the outbox did not drain after the restart"
        finally:
            final.stop()
        got: Counter[Any] = Counter(int(c.params["chat_id"]) for c in stub.of("sendMessage"))
        resent = await db.run(_resent)
    finally:
        await stub.close()
        await db.close()
    assert set(got) == {9000 + n for n in range(PEOPLE)}, "someone got nothing"
    duplicates = sum(n - 1 for n in got.values())
    # Every second copy is one recorded as sent again in doubt.
    assert duplicates <= resent, f"{duplicates} duplicate(s), {resent} recorded resend(s)"
    assert resent <= KILLS * BATCH  # at most one batch in hand at each kill
