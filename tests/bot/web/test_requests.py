"""Bodies are read whole and within their limit, whatever the segments they arrive in; JSON a
database cannot keep, or nested past the parser, is a 400; the pages carry their security
headers; new web conversations are limited per address."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.config import Config
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.web.requests import BodyError, parse_json

CHAT = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def client(
    aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}", web_new_per_minute=3
    )
    result: TestClient[Any, Any] = await aiohttp_client(create_app(config, translator))
    return result


async def raw_request(client: TestClient[Any, Any], head: bytes, parts: list[bytes]) -> bytes:
    """An HTTP request written by hand: the head, then each part as its own TCP segment, a
    pause between them, and the whole response read back."""
    port = client.server.port
    assert port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    for part in parts:
        await asyncio.sleep(0.05)
        writer.write(part)
        await writer.drain()
    response = await reader.read()
    writer.close()
    return response


async def test_a_chat_body_in_two_segments_is_read_whole(client: TestClient[Any, Any]) -> None:
    body = json.dumps(
        {"conversation": CHAT, "text": "Сәлем " * 200, "language": "kk", "message_id": "m1"},
        ensure_ascii=False,
    ).encode()
    assert len(body) > 1800
    head = (
        b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    response = await raw_request(client, head, [body[:900], body[900:]])
    assert response.startswith(b"HTTP/1.1 200"), response[:200]


async def test_a_chunked_body_past_the_limit_is_refused(client: TestClient[Any, Any]) -> None:
    head = (
        b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 8192
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)] + [b"0\r\n\r\n"]
    response = await raw_request(client, head, parts)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 16_000, "nested too deeply"),
        (b'{"text": "\\ud800"}', "NUL or unpaired surrogate"),
        (b'{"a": ["ok", {"b": "x\\u0000y"}]}', "NUL or unpaired surrogate"),
        (b'{"\\udfff": 1}', "NUL or unpaired surrogate"),
        (b"\xff", "UTF-8"),
    ],
)
def test_json_a_database_cannot_keep_is_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(BodyError) as refused:
        parse_json(raw)
    assert refused.value.status == 400 and reason in refused.value.reason


async def test_nested_json_on_the_chat_is_a_400(client: TestClient[Any, Any]) -> None:
    response = await client.post("/api/chat", data=b"[" * 16_000)
    assert response.status == 400
    assert "nested" in (await response.json())["error"]


async def test_a_lone_surrogate_typed_in_the_chat_is_answered(
    client: TestClient[Any, Any],
) -> None:
    body = b'{"conversation": "' + CHAT.encode() + b'", "text": "\\ud800", "language": "kk"}'
    response = await client.post("/api/chat", data=body)
    assert response.status == 400  # refused at the door, with a reason, never a 500
    typed = {"conversation": CHAT, "text": "Сәлем", "language": "kk"}
    assert (await client.post("/api/chat", json=typed)).status == 200


async def test_an_overlong_message_gets_a_polite_sentence_in_the_persons_language(
    client: TestClient[Any, Any],
) -> None:
    await client.post("/api/chat", json={"conversation": CHAT, "text": "", "language": "ru"})
    response = await client.post(
        "/api/chat", json={"conversation": CHAT, "text": "а" * 2500, "message_id": "long"}
    )
    assert response.status == 200
    (reply,) = (await response.json())["replies"]
    assert reply["text"].startswith("Это сообщение слишком длинное")
    assert "2 000" in reply["text"].replace("\xa0", " ")


async def test_pages_carry_security_headers_and_no_version(
    client: TestClient[Any, Any],
) -> None:
    page = await client.get("/")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Server"] == "Komek"
    api = await client.get("/healthz")
    assert api.headers["Server"] == "Komek" and "aiohttp" not in str(api.headers)
    assert api.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_same_message_id_in_two_conversations_is_two_messages(
    client: TestClient[Any, Any],
) -> None:
    other = "f" * 32
    for conversation in (CHAT, other):
        response = await client.post(
            "/api/chat",
            json={"conversation": conversation, "text": "", "language": "en", "message_id": "1"},
        )
        assert (await response.json())["replies"], conversation


async def test_new_web_conversations_are_limited_per_address(
    client: TestClient[Any, Any],
) -> None:
    conversations = [f"{n:032x}" for n in range(1, 5)]
    statuses = []
    for conversation in conversations:
        response = await client.post(
            "/api/chat", json={"conversation": conversation, "text": "", "language": "en"}
        )
        statuses.append(response.status)
    assert statuses == [200, 200, 200, 429]
    refused = await client.post("/api/chat", json={"conversation": conversations[3], "text": ""})
    assert refused.headers["Retry-After"] == "60"
    assert "Too many requests" in (await refused.json())["error"]
    # A conversation that exists goes on whatever the count.
    going_on = await client.post(
        "/api/chat", json={"conversation": conversations[0], "text": "1", "message_id": "2"}
    )
    assert going_on.status == 200


async def test_the_page_gets_what_waits_for_its_conversation(
    client: TestClient[Any, Any],
) -> None:
    """A reply whose request died is delivered when the page asks again."""
    from bot.conversation.runner import InboundMessage  # noqa: PLC0415
    from bot.web.keys import RUNNER  # noqa: PLC0415

    runner = client.app[RUNNER]
    lost = await runner.handle(InboundMessage("web", CHAT, "", language_hint="en"))
    assert lost  # stored, and the request that was to carry it is gone
    first = await client.get(f"/api/chat/{CHAT}")
    messages = (await first.json())["messages"]
    assert [m["text"] for m in messages if m["from"] == "bot"] == [r.text for r in lost]
    assert messages[-1]["choices"]
    again = await client.get(f"/api/chat/{CHAT}")  # delivered now: its text is not kept
    assert (await again.json())["messages"] == []
    assert (await client.get("/api/chat/not-hex")).status == 400
