"""The server: the web chat in a browser's place, /healthz, /metrics, and bad requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from bot.config import Config
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.staff.accounts import create, find, issue_token
from bot.storage.db import make_engine, upgrade
from bot.web.keys import RUNNER
from tests.bot.conftest import PG_ADMIN, fresh_postgres

CHAT = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def client(
    aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    config = Config(database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")
    result: TestClient[Any, Any] = await aiohttp_client(create_app(config, translator))
    return result


async def say(client: TestClient[Any, Any], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/chat", json={"conversation": CHAT, **body})
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


async def test_the_web_chat_page_is_served(client: TestClient[Any, Any]) -> None:
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert '<script src="/static/webchat/chat.js"' in page and "<style" not in page
    script = await client.get("/static/webchat/chat.js")
    assert script.status == 200
    assert "/api/chat" in await script.text()
    style = await client.get("/static/webchat/chat.css")
    assert style.status == 200 and style.content_type == "text/css"


async def test_a_conversation_in_the_browser_uses_buttons(client: TestClient[Any, Any]) -> None:
    first = await say(client, text="", language="ru")
    consent = first["replies"][-1]
    assert [c["key"] for c in consent["choices"]] == ["yes", "no"]
    assert "1 " not in consent["text"]  # buttons, not a numbered menu
    region = await say(client, choice="yes", message_id="a1")
    assert "регионе" in region["replies"][-1]["text"]


async def test_health_and_metrics(client: TestClient[Any, Any]) -> None:
    await say(client, text="", language="en")
    assert (await client.get("/healthz")).status == 200
    metrics = await (await client.get("/metrics")).text()
    assert 'komek_messages_in_total{channel="web"} 1.0' in metrics
    assert "komek_missing_translations" in metrics
    assert 'komek_outbox{status="pending"} 0.0' in metrics


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"conversation": "short"}',
        b'{"conversation": "' + CHAT.encode() + b'", "text": 5}',
        b'{"conversation": "' + CHAT.encode() + b'", "choice": {"a": 1}}',
    ],
)
async def test_bad_requests_get_a_400_with_a_reason(
    client: TestClient[Any, Any], body: bytes
) -> None:
    response = await client.post("/api/chat", data=body)
    assert response.status == 400
    assert "error" in await response.json()


async def test_a_huge_body_is_refused(client: TestClient[Any, Any]) -> None:
    response = await client.post("/api/chat", data=b"x" * 100_000)
    assert response.status == 413


@pytest.fixture
async def pg_client(aiohttp_client: Any, translator: Translator) -> AsyncIterator[PgClient]:
    async with fresh_postgres() as url:
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
        config = Config(database_url=url, secret_key="k" * 40)
        client: TestClient[Any, Any] = await aiohttp_client(create_app(config, translator))
        yield PgClient(client, url.rsplit("/", 1)[1])
        await client.close()


class PgClient:
    def __init__(self, client: TestClient[Any, Any], database: str) -> None:
        self.client, self.database = client, database

    async def read_only(self, on: bool) -> None:
        """The database refuses every write from now on (and the app's connections are cut, so
        that it takes new ones): as when a disk fills or a replica is promoted wrongly."""
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            value = "on" if on else "off"
            await admin.execute(
                f'ALTER DATABASE "{self.database}" SET default_transaction_read_only = {value}'
            )
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                self.database,
            )
        finally:
            await admin.close()


async def test_liveness_and_readiness_are_apart(pg_client: PgClient) -> None:
    client = pg_client.client
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["status"] == "ready"
    await pg_client.read_only(True)
    try:
        alive = await client.get("/healthz")
        assert alive.status == 200
        for _ in range(2):  # the first use finds its connection cut; then read-only ones
            refused = await client.get("/readyz")
            assert refused.status == 503 and refused.headers["Retry-After"]
        assert "refuses writes" in (await refused.json())["reason"]
        # What cannot be stored gets a 503 with Retry-After, so that the gateways try again.
        chat = await client.post("/api/chat", json={"conversation": CHAT, "text": "Сәлем"})
        assert chat.status == 503 and chat.headers["Retry-After"]
    finally:
        await pg_client.read_only(False)
    for _ in range(2):
        last = await client.get("/readyz")
    assert last.status == 200


async def test_errors_are_counted_by_route_not_by_path(
    pg_client: PgClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = pg_client.client
    runner = client.app[RUNNER]

    def staff_token(connection: Any) -> str:
        create(
            connection,
            username="root",
            name="Root",
            role="admin",
            region=None,
            password="a long enough password",
            now=runner.clock(),
        )
        member = find(connection, "root")
        assert member is not None
        return issue_token(connection, member, "tests", runner.clock())

    token = await runner.db.run(staff_token)
    await pg_client.read_only(True)
    try:
        for n in range(1, 6):
            await client.post(
                "/api/chat", json={"conversation": f"{n:032x}", "text": "+77011234567 Сәлем"}
            )
            await client.post(
                f"/api/staff/caseload/{1000 + n}/link",
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        await pg_client.read_only(False)
    for _ in range(3):  # the first requests after the cut find their connections gone
        scraped = await client.get("/metrics")
        if scraped.status == 200:
            break
    metrics = await scraped.text()
    series = [line for line in metrics.splitlines() if line.startswith("komek_errors_total{")]
    assert 'komek_errors_total{route="/api/chat"} 5.0' in series
    template = 'komek_errors_total{route="/api/staff/caseload/{id}/link"}'
    assert [line for line in series if "caseload" in line] == [f"{template} 5.0"]
    logged = caplog.text
    assert "/api/chat" in logged
    assert "7011234567" not in logged and "Сәлем" not in logged


def test_the_redis_client_gives_up_on_a_stuck_connection() -> None:
    from bot.server import redis_client  # noqa: PLC0415

    client = redis_client("redis://127.0.0.1:6379/15")
    settings = client.connection_pool.connection_kwargs
    assert settings["socket_timeout"] == 5.0 and settings["socket_connect_timeout"] == 5.0
