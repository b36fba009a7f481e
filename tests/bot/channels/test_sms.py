"""The SMS channel: Kannel's get-url webhook, delivery reports, the sendsms client and phone
numbers, against the aiohttp app with a temporary SQLite database."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.channels.sms.kannel import (
    RESEND,
    SENDSMS,
    SendSms,
    SendSmsError,
    UnreadableError,
    decode_text,
    raw_query,
    setup,
)
from bot.config import Config
from bot.contacts.phone import normalise
from bot.conversation.runner import Runner
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.storage.models import Contact, Message
from bot.web.keys import RUNNER

TOKEN = "kannel-secret"
PHONE = "87011234567"
E164 = "+77011234567"


def make_app(tmp_path: Path, translator: Translator, **settings: Any) -> web.Application:
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}", sms_token=TOKEN, **settings
    )
    app = create_app(config, translator)
    if "sms-kannel" not in app.router.named_resources():
        setup(app)
    return app


@pytest.fixture
async def client(
    aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    result: TestClient[Any, Any] = await aiohttp_client(make_app(tmp_path, translator))
    return result


def runner_of(client: TestClient[Any, Any]) -> Runner:
    app: web.Application = client.app
    return app[RUNNER]


async def sms(
    client: TestClient[Any, Any],
    text: str | None,
    message_id: str | None = None,
    sender: str | None = PHONE,
    token: str | None = TOKEN,
    **extra: str,
) -> Any:
    params = {"token": token, "from": sender, "to": "1414", "text": text, "id": message_id}
    params.update({"coding": "0", "charset": "UTF-8", **extra})
    query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)
    return await client.get(f"/sms/kannel?{query}")


async def raw_sms(client: TestClient[Any, Any], query: str) -> Any:
    return await client.get(f"/sms/kannel?token={TOKEN}&from={PHONE}&{query}")


async def messages(client: TestClient[Any, Any]) -> int:
    async with runner_of(client).sessions() as db:
        return int(await db.scalar(select(func.count()).select_from(Message)) or 0)


async def contact(client: TestClient[Any, Any]) -> Contact:
    async with runner_of(client).sessions() as db:
        found = await db.scalar(select(Contact).where(Contact.address == E164))
    assert found is not None
    return found


async def out_messages(client: TestClient[Any, Any]) -> list[Message]:
    """The outbound messages, once those the server is still marking have been marked: a reply
    is marked sent only after the response carrying it has left, so the client may see the
    response a moment before the mark."""
    deadline = asyncio.get_running_loop().time() + 2.0
    while True:
        async with runner_of(client).sessions() as db:
            found = list(
                await db.scalars(
                    select(Message).where(Message.direction == "out").order_by(Message.id)
                )
            )
        if all(m.status != "queued" for m in found) or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------------------------------
# phone numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("87011234567", E164),
        ("+7 701 123 45 67", E164),
        ("7011234567", E164),
        ("8 (701) 123-45-67", E164),
        ("77011234567", E164),
        ("+77011234567", E164),
        ("0077011234567", E164),
        (" 8-747-555-00-11 ", "+77475550011"),
        ("+7 727 250 00 00", "+77272500000"),  # an Almaty fixed line, written internationally
        ("+7 916 123 45 67", "+79161234567"),  # a Russian mobile, written internationally
        ("+49 151 12345678", "+4915112345678"),
        ("4915112345678", "+4915112345678"),  # an SMSC that drops the "+"
        ("+1 (202) 555-0100", "+12025550100"),
        ("89161234567", None),  # national form of a number that is not Kazakh
        ("8701123456", None),  # a digit short
        ("870112345678", None),  # a digit too many
        ("+7701123456", None),
        ("+770112345678", None),
        ("+7 0011234567", None),
        ("1414", None),  # a short code
        ("Beeline", None),  # an alphanumeric sender
        ("+0123456789", None),
        ("+1234567", None),
        ("+1234567890123456", None),
        ("", None),
        ("+", None),
        ("8701123456x", None),
        ("８７０１１２３４５６７", None),  # full-width digits
        ("+7 701 123 45 67" * 3, None),
    ],
)
def test_phone_numbers_become_e164(raw: str, expected: str | None) -> None:
    assert normalise(raw) == expected


# ------------------------------------------------------------------------------------------
# decoding


@pytest.mark.parametrize(
    ("data", "coding", "charset", "expected"),
    [
        ("Сәлем".encode(), "0", "UTF-8", "Сәлем"),
        ("Сәлем".encode("utf-16-be"), "2", "UTF-16BE", "Сәлем"),
        ("Сәлем".encode("utf-16-be"), "2", "", "Сәлем"),
        ("Сәлем".encode("utf-16-be"), "0", "UCS-2", "Сәлем"),
        (b"STOP", "0", "", "STOP"),
        ("café".encode("latin-1"), "0", "ISO-8859-1", "café"),
        ("тоқтату".encode(), "0", "NO-SUCH-CHARSET", "тоқтату"),
        (b"line\nbreak", "0", "UTF-8", "line\nbreak"),
    ],
)
def test_inbound_text_is_decoded(data: bytes, coding: str, charset: str, expected: str) -> None:
    assert decode_text(data, coding, charset) == expected


@pytest.mark.parametrize(
    ("data", "coding", "charset"),
    [
        (b"\xff\xfe\xfd", "0", "UTF-8"),
        (b"\x04\xd9\x04", "2", "UTF-16BE"),  # an odd number of bytes
        (b"\xd8\x00", "2", "UTF-16BE"),  # a lone surrogate
        (b"\x00\x00\x00\x07", "2", "UTF-16BE"),  # control characters
        (b"\x01\x02\x03", "1", ""),  # 8-bit binary data
    ],
)
def test_unreadable_text_is_refused(data: bytes, coding: str, charset: str) -> None:
    with pytest.raises(UnreadableError):
        decode_text(data, coding, charset)


# ------------------------------------------------------------------------------------------
# the webhook


async def test_a_kazakh_conversation_start_gets_a_ucs2_reply(client: TestClient[Any, Any]) -> None:
    response = await sms(client, "Сәлем", "k1")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Kannel-Coding"] == "2"
    body = await response.text()
    assert "Келісесіз бе?" in body and "1 Иә" in body
    assert [m.status for m in await out_messages(client)] == ["sent"]
    region = await sms(client, "1", "k2")
    assert "Қай өңірде тұрасыз?" in await region.text()
    metrics = await (await client.get("/metrics")).text()
    assert 'komek_messages_in_total{channel="sms"} 2.0' in metrics
    assert 'komek_messages_out_total{channel="sms"} 2.0' in metrics


async def test_a_gsm7_reply_has_no_coding_header(client: TestClient[Any, Any]) -> None:
    response = await sms(client, "hello", "e1")
    assert response.status == 200
    assert "Do you agree?" in await response.text()
    assert "X-Kannel-Coding" not in response.headers


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN.upper()])
async def test_a_wrong_token_is_refused_and_nothing_recorded(
    client: TestClient[Any, Any], token: str | None
) -> None:
    response = await sms(client, "Сәлем", "t1", token=token)
    assert response.status == 403
    assert await messages(client) == 0


async def test_without_a_configured_token_everything_is_refused(
    aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> None:
    config = Config(database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")
    app = create_app(config, translator)
    setup(app)
    setup(app)  # twice is harmless
    client: TestClient[Any, Any] = await aiohttp_client(app)
    assert (await sms(client, "Сәлем", "n1", token="")).status == 403
    assert (await client.get("/sms/dlr?id=1&status=1&token=")).status == 403


@pytest.mark.parametrize(
    "query",
    [
        f"token={TOKEN}&text=hi&id=1",  # no sender
        f"token={TOKEN}&from={PHONE}&id=1",  # no text
        f"token={TOKEN}&from=Beeline&text=hi&id=1",
        f"token={TOKEN}&from=1414&text=hi&id=1",
        f"token={TOKEN}&from=%FF%FE&text=hi&id=1",
        f"token={TOKEN}&from={PHONE}&text=hi&id={'x' * 129}",
        f"token={TOKEN}&from={PHONE}&text={'%D0%90' * 2100}&id=1",
    ],
)
async def test_bad_requests_get_a_400(client: TestClient[Any, Any], query: str) -> None:
    response = await client.get(f"/sms/kannel?{query}")
    assert response.status == 400
    assert await messages(client) == 0


async def test_a_message_delivered_twice_is_answered_once(client: TestClient[Any, Any]) -> None:
    first = await sms(client, "Сәлем", "dup-1")
    second = await sms(client, "Сәлем", "dup-1")
    assert first.status == second.status == 200
    assert await first.text()
    assert await second.text() == ""
    assert "X-Kannel-Coding" not in second.headers
    assert await messages(client) == 2  # one in, one out


@pytest.mark.parametrize(
    ("text", "charset"),
    [("Сәлем", "UTF-16BE"), ("Сәлем досым", "UTF-16BE"), ("Сәлем", "")],
)
async def test_utf16be_input_is_decoded(
    client: TestClient[Any, Any], text: str, charset: str
) -> None:
    encoded = quote_from_bytes(text.encode("utf-16-be")).replace("%20", "+")
    response = await raw_sms(client, f"text={encoded}&id=u1&coding=2&charset={charset}")
    assert response.status == 200
    assert "Келісесіз бе?" in await response.text()  # Kazakh recognised from the text


@pytest.mark.parametrize(
    "query",
    [
        "text=%FF%FE%FD&id=g1&coding=0&charset=UTF-8",
        "text=%04%D9%04&id=g2&coding=2&charset=UTF-16BE",
        "text=%D8%00%00A&id=g3&coding=2&charset=UTF-16BE",
        "text=%01%02%03&id=g4&coding=1&charset=",
        "text=%00%07&id=g5&coding=0&charset=UTF-8",
    ],
)
async def test_unreadable_bytes_get_a_polite_reply(
    client: TestClient[Any, Any], query: str
) -> None:
    response = await raw_sms(client, query)
    assert response.status == 200
    assert await response.text() == RESEND
    assert response.headers["X-Kannel-Coding"] == "2"
    assert await messages(client) == 0


@pytest.mark.parametrize("word", ["STOP", "СТОП", "ТОҚТАТУ", "stop", "тоқтату"])
async def test_stop_words_opt_out_and_start_resumes(
    client: TestClient[Any, Any], word: str
) -> None:
    await sms(client, "Сәлем", "s1")
    stopped = await sms(client, word, "s2")
    assert "БАСТАУ" in await stopped.text()  # START in Kazakh; START itself works too
    assert (await contact(client)).opted_out
    assert await (await sms(client, "Сәлем", "s3")).text() == ""  # silence after STOP
    assert await (await raw_sms(client, "text=%FF&id=s4")).text() == ""  # even for garbage
    resumed = await sms(client, "START", "s5")
    assert await resumed.text()
    assert not (await contact(client)).opted_out


async def test_nothing_of_the_text_or_number_is_logged(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await sms(client, "Сәлем", "l1")
    await raw_sms(client, "text=%FF&id=l2")
    # Our own loggers; aiohttp's access log (configured by the server) is not this channel's.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert "…4567" in logged
    assert "Сәлем" not in logged
    assert "7011234567" not in logged


# ------------------------------------------------------------------------------------------
# delivery reports


async def dlr(client: TestClient[Any, Any], query: str) -> Any:
    return await client.get(f"/sms/dlr?{query}")


@pytest.mark.parametrize(
    ("status", "expected", "error"),
    [
        (1, "delivered", None),
        (2, "undeliverable", "not delivered"),  # failed for good: the next channel is tried
        (16, "undeliverable", "rejected by the SMSC"),
        (8, "sent", None),  # submitted to the SMSC: not final, nothing changes
        (4, "sent", None),
    ],
)
async def test_a_delivery_report_marks_the_message(
    client: TestClient[Any, Any], status: int, expected: str, error: str | None
) -> None:
    await sms(client, "Сәлем", "d1")
    (reply,) = await out_messages(client)
    response = await dlr(client, f"id={reply.id}&status={status}&token={TOKEN}")
    assert response.status == 200
    (marked,) = await out_messages(client)
    assert (marked.status, marked.error) == (expected, error)


async def test_a_delivery_report_with_a_wrong_token_is_refused(
    client: TestClient[Any, Any],
) -> None:
    await sms(client, "Сәлем", "d1")
    (reply,) = await out_messages(client)
    assert (await dlr(client, f"id={reply.id}&status=1&token=nope")).status == 403
    assert (await dlr(client, f"id={reply.id}&status=1")).status == 403
    assert [m.status for m in await out_messages(client)] == ["sent"]


@pytest.mark.parametrize(
    "query",
    [
        "status=1",
        "id=&status=1",
        "id=abc&status=1",
        "id=-3&status=1",
        "id=0&status=1",
        "id=1.5&status=1",
        f"id={2**64}&status=1",
        "id=١&status=1",  # an Arabic-Indic digit
        "id=1",
        "id=1&status=x",
        "id=1&status=%d",
        "id=1&status=123456",
    ],
)
async def test_a_bad_delivery_report_gets_a_400(client: TestClient[Any, Any], query: str) -> None:
    assert (await dlr(client, f"{query}&token={TOKEN}")).status == 400


# ------------------------------------------------------------------------------------------
# sendsms


class KannelStub:
    """Kannel's sendsms interface: records each request's raw query, answers like Kannel."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.queries: list[dict[str, bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.queries.append(raw_query(request))
        text = "0: Accepted for delivery" if self.status == 202 else "Authorization failed"
        return web.Response(status=self.status, text=text)


@pytest.fixture
async def kannel_stub(aiohttp_server: Any) -> tuple[KannelStub, str]:
    stub = KannelStub()
    app = web.Application()
    app.router.add_get("/cgi-bin/sendsms", stub.handle)
    server: TestServer = await aiohttp_server(app)
    return stub, str(server.make_url("/cgi-bin/sendsms"))


DLR_BASE = f"http://127.0.0.1:8080/sms/dlr?token={TOKEN}"


@pytest.mark.parametrize(
    ("text", "coding"),
    [
        ("Ертең 10:00-де ХҚКО-ға келіңіз: құжаттарыңызды алыңыз.", b"2"),
        ("Завтра в 10:00 приходите в ЦОН.", b"2"),
        ("Come to the PSC tomorrow at 10:00 & bring 100% of papers + ID", None),
    ],
)
async def test_sendsms_passes_utf8_text_coding_and_a_delivery_report_url(
    kannel_stub: tuple[KannelStub, str], text: str, coding: bytes | None
) -> None:
    stub, url = kannel_stub
    async with SendSms(url, "komek", "p@ss word", DLR_BASE) as client:
        answer = await client.send("8 701 123 45 67", text, 42)
    assert answer == "0: Accepted for delivery"
    (query,) = stub.queries
    assert query["username"] == b"komek"
    assert query["password"] == b"p@ss word"
    assert query["to"] == E164.encode()
    assert query["text"].decode("utf-8") == text
    assert query["charset"] == b"UTF-8"
    assert query.get("coding") == coding
    assert query["dlr-mask"] == b"3"
    assert query["dlr-url"].decode() == f"{DLR_BASE}&id=42&status=%d"


async def test_sendsms_errors(kannel_stub: tuple[KannelStub, str]) -> None:
    stub, url = kannel_stub
    stub.status = 403
    async with SendSms(url, "komek", "wrong", sender="1414") as client:
        with pytest.raises(SendSmsError, match="403"):
            await client.send(PHONE, "Сәлем", 1)
        assert stub.queries[0]["from"] == b"1414"
        assert "dlr-url" not in stub.queries[0]
        with pytest.raises(ValueError, match="phone"):
            await client.send("Beeline", "Сәлем", 2)
    async with SendSms("http://127.0.0.1:1/cgi-bin/sendsms", "u", "p", timeout=2) as client:
        with pytest.raises(SendSmsError, match="unreachable"):
            await client.send(PHONE, "hi", 3)


def test_sendsms_from_config() -> None:
    with pytest.raises(ValueError, match="KOMEK_KANNEL_SENDSMS_URL"):
        SendSms.from_config(Config())
    config = Config(
        host="0.0.0.0",
        port=8081,
        sms_token="a b",
        kannel_sendsms_url="http://127.0.0.1:13013/cgi-bin/sendsms",
        kannel_username="komek",
        kannel_password="secret",
    )
    client = SendSms.from_config(config)
    assert client.dlr_url == "http://127.0.0.1:8081/sms/dlr?token=a+b"
    assert SendSms.from_config(config, "http://example.test/dlr").dlr_url == (
        "http://example.test/dlr"
    )


async def test_setup_opens_a_sendsms_client_when_configured(
    aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> None:
    app = make_app(
        tmp_path,
        translator,
        kannel_sendsms_url="http://127.0.0.1:13013/cgi-bin/sendsms",
        kannel_username="komek",
        kannel_password="secret",
    )
    client: TestClient[Any, Any] = await aiohttp_client(app)
    assert client.app[SENDSMS].username == "komek"


@pytest.mark.parametrize("charset", ["base64", "hex", "zlib", "bz2", "punycode", "rot13"])
async def test_a_charset_that_is_not_a_text_encoding_is_never_a_500(
    client: TestClient[Any, Any], charset: str
) -> None:
    response = await sms(client, "Сәлем", f"cs-{charset}", charset=charset)
    assert response.status == 200
    assert await response.text()  # answered: read as UTF-8, or asked to write again


async def test_replies_kannel_hung_up_on_go_out_through_sendsms(
    tmp_path: Path, translator: Translator
) -> None:
    """Kannel's request dies before its response could carry the replies: they are sent as
    SMS of their own (through sendsms), not marked sent unseen. (Served as `komek serve` does,
    where a handler is not cancelled when its client goes.)"""
    app = make_app(tmp_path, translator)
    served = web.AppRunner(app)
    await served.setup()
    site = web.TCPSite(served, "127.0.0.1", 0)
    await site.start()
    port = served.addresses[0][1]
    runner = app[RUNNER]
    handed: list[tuple[str, list[str]]] = []
    arrived = asyncio.Event()

    async def sendsms(number: str, replies: list[Outgoing]) -> None:
        handed.append((number, [r.text for r in replies]))
        await runner.mark_many([r.message_id for r in replies], "sent")
        arrived.set()

    runner.senders["sms"] = sendsms
    slow = runner.process

    async def slowly(recorded: Any) -> list[Outgoing]:
        await asyncio.sleep(0.3)  # the turn takes long enough for Kannel to give up
        return await slow(recorded)

    runner.process = slowly  # type: ignore[method-assign]
    query = urlencode(
        {"token": TOKEN, "from": PHONE, "to": "1414", "text": "Сәлем", "id": "gone-1"},
        quote_via=quote,
    )
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /sms/kannel?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await writer.drain()
        await asyncio.sleep(0.1)  # recorded, and the turn under way
        writer.close()  # Kannel hangs up before the answer
        await asyncio.wait_for(arrived.wait(), 5)
        ((number, texts),) = handed
        assert number == E164 and "Келісесіз бе?" in texts[0]
        async with runner.sessions() as db:
            statuses = list(
                await db.scalars(select(Message.status).where(Message.direction == "out"))
            )
        assert statuses == ["sent"]
    finally:
        await served.cleanup()
