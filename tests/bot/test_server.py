"""The server: the web chat in a browser's place, /healthz, /metrics, and bad requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.config import Config
from bot.i18n.translator import Translator
from bot.server import create_app

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
