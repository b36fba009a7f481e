"""Several workers on one PostgreSQL and one Redis: concurrent messages from the same people are
each answered exactly once, and a worker killed mid-load loses nothing it acknowledged."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis

from bot.storage.db import make_engine, upgrade
from tests.bot.conftest import PG_ADMIN, _postgres_available
from tests.bot.servers import Server
from tests.conftest import require_service

REDIS_URL = "redis://127.0.0.1:6379/15"


async def _redis_available() -> bool:
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        return bool(await client.ping())
    except (OSError, aioredis.RedisError):
        return False
    finally:
        await client.aclose()


@pytest.fixture
async def database() -> AsyncIterator[str]:
    require_service(await _postgres_available(), f"PostgreSQL is not reachable at {PG_ADMIN}")
    require_service(await _redis_available(), f"Redis is not reachable at {REDIS_URL}")
    name = f"komek_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def post(client: aiohttp.ClientSession, server: Server, body: dict[str, Any]) -> list[Any]:
    async with client.post(f"{server.url}/api/chat", json=body) as response:
        assert response.status == 200, await response.text()
        data: dict[str, Any] = await response.json()
        replies: list[Any] = data["replies"]
        return replies


async def test_two_workers_answer_each_message_exactly_once(database: str, tmp_path: Path) -> None:
    env = {"KOMEK_DATABASE_URL": database, "KOMEK_REDIS_URL": REDIS_URL}
    servers = [Server(env, tmp_path / f"worker{n}.log") for n in range(2)]
    await asyncio.gather(*(s.start() for s in servers))
    people = [uuid.uuid4().hex for _ in range(12)]
    answers = ["1", "6", "34 32 7 2", "0", "2", "1"]
    try:
        async with aiohttp.ClientSession() as client:
            for person in people:  # open each conversation in English
                await post(client, servers[0], {"conversation": person, "language": "en"})
            workers = itertools.cycle(servers)
            sends = [
                post(
                    client,
                    next(workers),
                    {"conversation": person, "text": text, "message_id": f"{person}-{n}"},
                )
                for person in people
                for n, text in enumerate(answers)
            ]
            replies = await asyncio.gather(*sends)
    finally:
        for server in servers:
            server.stop()

    connection = await asyncpg.connect(database.replace("+asyncpg", ""))
    try:
        inbound = await connection.fetch("SELECT status FROM messages WHERE direction = 'in'")
        outbound = await connection.fetchval(
            "SELECT count(*) FROM messages WHERE direction = 'out'"
        )
    finally:
        await connection.close()
    expected = len(people) * (len(answers) + 1)
    assert len(inbound) == expected
    assert {row["status"] for row in inbound} == {"processed"}
    # Each message got its replies once: every stored reply reached exactly one response.
    returned = sum(len(r) for r in replies) + len(people)
    assert returned == outbound


async def test_a_killed_worker_loses_nothing_it_acknowledged(database: str, tmp_path: Path) -> None:
    env = {"KOMEK_DATABASE_URL": database, "KOMEK_REDIS_URL": REDIS_URL}
    server = Server(env, tmp_path / "worker.log")
    await server.start()
    people = [uuid.uuid4().hex for _ in range(40)]
    acknowledged: list[str] = []

    async def talk(client: aiohttp.ClientSession, person: str) -> None:
        for n, text in enumerate(["", "1", "6", "34 32 7 2"]):
            try:
                await post(
                    client,
                    server,
                    {
                        "conversation": person,
                        "text": text,
                        "language": "kk",
                        "message_id": f"{person}-{n}",
                    },
                )
            except (aiohttp.ClientError, AssertionError):
                return
            # Web message ids are kept per conversation: "<conversation>:<message id>".
            acknowledged.append(f"{person}:{person}-{n}")

    async with aiohttp.ClientSession() as client:
        load = asyncio.gather(*(talk(client, p) for p in people))
        for _ in range(200):  # mid-load: once a good part has been acknowledged
            if len(acknowledged) >= 40:
                break
            await asyncio.sleep(0.05)
        server.kill()
        await load
    restarted = Server(env, tmp_path / "worker2.log")
    await restarted.start()  # recovers what was recorded but not processed
    restarted.stop()

    connection = await asyncpg.connect(database.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "SELECT external_id, status FROM messages WHERE direction = 'in'"
        )
    finally:
        await connection.close()
    status = {row["external_id"]: row["status"] for row in rows}
    assert acknowledged, "the load ended before anything was acknowledged"
    assert all(status.get(message) == "processed" for message in acknowledged)
    assert set(status.values()) == {"processed"}
