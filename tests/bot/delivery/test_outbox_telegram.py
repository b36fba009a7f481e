"""The outbox on Telegram under a 429 storm: the chats Telegram floods wait their retry_after and
then get their message once; the others go on at the channel's rate, never faster than 30 a
second, and nobody gets anything twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, func, select

from bot.i18n.translator import Translator
from bot.storage.tables import OUTBOX
from bot.web.keys import RUNNER
from tests.bot.channels import test_telegram as telegram_tests
from tests.bot.delivery import test_outbox_kill as seeding
from tests.bot.telegram_stub import BotApiStub

stub = telegram_tests.stub
FLOODED = range(9000, 9000 + 40, 2)  # every other chat: one 429 with retry_after 1


@pytest.fixture
async def client(
    stub: BotApiStub, aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    app = telegram_tests._app(tmp_path, stub, translator, telegram_tests.SECRET)
    result: TestClient[Any, Any] = await aiohttp_client(app)
    return result


def _left(connection: Connection) -> int:
    o = OUTBOX.c
    return int(
        connection.execute(
            select(func.count()).where(o.status.in_(("pending", "sending")))
        ).scalar_one()
    )


async def test_a_429_storm_delays_only_the_flooded_chats(
    client: TestClient[Any, Any], stub: BotApiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seeding, "PEOPLE", 40)
    for chat in FLOODED:
        stub.flood[chat] = (1, 1)
    runner = client.app[RUNNER]
    started = asyncio.get_running_loop().time()
    await runner.db.run(seeding._seed)  # the app's own dispatcher picks the rows up
    for _ in range(150):
        if await runner.db.run(_left) == 0:
            break
        await asyncio.sleep(0.1)
    assert await runner.db.run(_left) == 0
    delivered = stub.sent()
    chats = [int(c.params["chat_id"]) for c in delivered]
    assert sorted(chats) == list(range(9000, 9040))  # each exactly once
    refused = {int(c.params["chat_id"]): c.at for c in stub.refused("sendMessage")}
    assert set(refused) == set(FLOODED)
    for call in delivered:
        chat = int(call.params["chat_id"])
        if chat in refused:
            assert call.at - refused[chat] >= 0.95  # waited its retry_after
    calm = sorted(c.at for c in delivered if int(c.params["chat_id"]) not in refused)
    assert calm[-1] - started < 4  # the others were not held up by the storm
    times = sorted(c.at for c in [*stub.sent(), *stub.refused("sendMessage")])
    for n in range(len(times) - 30):
        assert times[n + 30] - times[n] >= 0.95  # never more than 30 requests in a second
