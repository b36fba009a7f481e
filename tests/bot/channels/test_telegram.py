"""The Telegram channel against a local Bot API stub: webhook and polling, buttons, duplicates,
bad bodies, flood waits for one chat only, a blocked bot, long texts; and the aiohttp transport's
mapping of timeouts, connection errors and HTTP errors to PTB's errors."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.channel import (
    SECRET_HEADER,
    TELEGRAM,
    TEXT_LIMIT,
    WEBHOOK_PATH,
    TelegramChannel,
    make_bot,
    parse_update,
    setup,
    split_text,
)
from bot.channels.telegram.transport import AiohttpRequest
from bot.config import Config
from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.parameters import default_stages, default_store
from bot.server import create_app
from bot.staff.accounts import Member, create
from bot.staff.caseload import CaseRow, import_caseload
from bot.staff.stages import change_stage, read_change
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.models import Contact, Message
from bot.storage.tables import CASES
from bot.web.keys import RUNNER
from bot.web.metrics import Metrics
from tests.bot.telegram_stub import BotApiStub

TOKEN = "123456:TEST-token"
SECRET = "s3cret-Token_1"
KAZAKH = 1001
OTHER = 1002
_ids = itertools.count(1)


def message(chat_id: int, text: str, language: str = "kk", update_id: int | None = None) -> Any:
    update_id = next(_ids) if update_id is None else update_id
    user = {"id": chat_id, "is_bot": False, "first_name": "Айгүл", "language_code": language}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private"},
            "from": user,
            "text": text,
        },
    }


def press(chat_id: int, data: str, language: str = "kk") -> Any:
    update_id = next(_ids)
    user = {"id": chat_id, "is_bot": False, "first_name": "Айгүл", "language_code": language}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": user,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1_790_000_000,
                "chat": {"id": chat_id, "type": "private"},
            },
        },
    }


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    server = await BotApiStub().start()
    yield server
    await server.close()


def _app(tmp_path: Path, stub: BotApiStub, translator: Translator, secret: str | None) -> Any:
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}",
        telegram_token=TOKEN,
        telegram_api_url=stub.url,
        telegram_webhook_secret=secret,
    )
    app = create_app(config, translator)
    if not any(r.resource and r.resource.canonical == WEBHOOK_PATH for r in app.router.routes()):
        setup(app, poll_timeout=1, shutdown_grace=3.0)
    return app


@pytest.fixture
async def client(
    stub: BotApiStub, aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    result: TestClient[Any, Any] = await aiohttp_client(_app(tmp_path, stub, translator, SECRET))
    return result


async def post(client: TestClient[Any, Any], body: Any, secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if isinstance(body, bytes):
        response = await client.post(WEBHOOK_PATH, data=io.BytesIO(body), headers=headers)
    else:
        response = await client.post(WEBHOOK_PATH, json=body, headers=headers)
    return response.status


def buttons(call: Any) -> list[str]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


async def messages_in(app: web.Application) -> list[Message]:
    async with app[RUNNER].sessions() as db:
        return list(await db.scalars(select(Message).where(Message.direction == "in")))


# -- webhook -------------------------------------------------------------------------------


async def test_a_kazakh_family_starts_and_presses_yes(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    assert await post(client, message(KAZAKH, "/start from-akimat")) == 200
    sent = await stub.wait_for("sendMessage")
    consent = sent[-1]
    assert int(consent.params["chat_id"]) == KAZAKH
    assert buttons(consent) == ["yes", "no"]
    assert any(c in consent.params["text"] for c in "әғқңөұүі")  # in Kazakh

    assert await post(client, press(KAZAKH, "yes")) == 200
    answered = await stub.wait_for("answerCallbackQuery")
    assert answered[0].params["callback_query_id"].startswith("q")
    region = (await stub.wait_for("sendMessage", len(sent) + 1))[-1]
    assert "Қай өңірде тұрасыз?" in region.params["text"]
    assert "astana" in buttons(region)
    rows = region.params["reply_markup"]["inline_keyboard"]
    assert all(len(row) <= 2 for row in rows)

    commands = await stub.wait_for("setMyCommands", 3)
    by_language = {c.params.get("language_code"): c.params["commands"] for c in commands}
    assert set(by_language) == {"kk", "ru", None}
    assert [c["command"] for c in by_language["kk"]] == [
        "start",
        "menu",
        "help",
        "language",
        "stop",
    ]
    assert by_language["ru"][1]["description"] == "Открыть главное меню"
    assert by_language[None][1]["description"] == "Open the main menu"


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_recorded(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    assert await post(client, message(KAZAKH, "/start"), secret="wrong") == 401
    assert await post(client, message(KAZAKH, "/start"), secret=None) == 401
    assert await messages_in(client.app) == []
    await asyncio.sleep(0.1)
    assert stub.sent() == []


async def test_a_duplicate_update_is_answered_once(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    update = message(KAZAKH, "/start")
    assert await post(client, update) == 200
    first = len(await stub.wait_for("sendMessage"))
    assert await post(client, update) == 200
    await asyncio.sleep(0.3)
    assert len(stub.sent()) == first
    assert len(await messages_in(client.app)) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2]", 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"update_id": "7", "message": {}}', 400),
        (b'{"update_id": 7, "message": {"chat": {"id": "x"}}}', 400),
        (b'{"update_id": 8, "edited_message": {"text": "hi"}}', 200),
        (b'{"update_id": 9, "poll": {"id": "1"}}', 200),
        (b"x" * (1024 * 1024 + 1), 413),
    ],
)
async def test_bad_bodies_get_a_4xx_and_unknown_updates_are_ignored(
    client: TestClient[Any, Any], stub: BotApiStub, body: bytes, status: int
) -> None:
    assert await post(client, body) == status
    assert await messages_in(client.app) == []
    assert stub.sent() == []


async def test_a_flood_wait_holds_back_only_that_chat(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    stub.flood[KAZAKH] = (1, 1)
    assert await post(client, message(KAZAKH, "/start")) == 200
    await asyncio.sleep(0.05)
    assert await post(client, message(OTHER, "/start", "ru")) == 200
    await stub.wait_for("sendMessage", 2, timeout=5)
    other = stub.sent(OTHER)
    assert other, "the other chat's reply goes out while the first one waits"
    kazakh = stub.sent(KAZAKH)
    assert kazakh and other[0].at < kazakh[0].at
    assert kazakh[0].at - other[0].at > 0.5  # the flooded chat waited its retry_after
    assert buttons(kazakh[-1]) == ["yes", "no"]
    assert [int(c.params["chat_id"]) for c in stub.refused("sendMessage")] == [KAZAKH]


async def test_a_blocked_bot_opts_the_contact_out_for_good(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    stub.blocked.add(KAZAKH)
    assert await post(client, message(KAZAKH, "/start")) == 200
    for _ in range(200):
        async with client.app[RUNNER].sessions() as db:
            contact = await db.scalar(select(Contact).where(Contact.address == str(KAZAKH)))
            failed = list(
                await db.scalars(select(Message).where(Message.status == "undeliverable"))
            )
        if contact is not None and contact.opted_out and failed:
            break
        await asyncio.sleep(0.02)
    assert contact is not None and contact.opted_out and contact.unreachable == "blocked"
    assert {m.error for m in failed} == {"Forbidden"}
    stub.blocked.clear()  # unblocked, and writing again: reachable again
    assert await post(client, message(KAZAKH, "menu")) == 200
    for _ in range(200):
        async with client.app[RUNNER].sessions() as db:
            contact = await db.scalar(select(Contact).where(Contact.address == str(KAZAKH)))
        if contact is not None and contact.unreachable is None:
            break
        await asyncio.sleep(0.02)
    assert contact is not None and not contact.opted_out and contact.unreachable is None


async def test_a_long_text_is_split_at_4096_on_lines(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    line = ("Отбасы табысы " * 20).strip() + "\n"
    text = line * 20
    channel = client.app[TELEGRAM]
    await channel.deliver(OTHER, [Outgoing(999_999, text, (("yes", "Иә"), ("no", "Жоқ")))])
    parts = stub.sent(OTHER)
    assert len(parts) == 2
    assert all(len(p.params["text"]) <= TEXT_LIMIT for p in parts)
    assert "\n".join(p.params["text"] for p in parts) == text.rstrip("\n")  # cut at line ends
    assert buttons(parts[0]) == [] and buttons(parts[1]) == ["yes", "no"]


def test_split_text() -> None:
    assert split_text("short") == ["short"]
    parts = split_text("a" * 5000)
    assert [len(p) for p in parts] == [4096, 904]
    emoji = "😀" * 3000  # two UTF-16 units each
    assert all(len(p.encode("utf-16-le")) // 2 <= TEXT_LIMIT for p in split_text(emoji))
    assert "".join(split_text(emoji)) == emoji


def test_parse_update_reads_messages_and_button_presses() -> None:
    incoming = parse_update(message(5, "/start abc", "kk", update_id=77))
    assert incoming is not None
    assert (incoming.update_id, incoming.chat_id, incoming.text, incoming.language) == (
        77,
        5,
        "/start abc",
        "kk",
    )
    pressed = parse_update(press(5, "yes", "ru"))
    assert pressed is not None and pressed.choice == "yes" and pressed.callback_id
    group = message(5, "hi")
    group["message"]["chat"]["type"] = "group"
    assert parse_update(group) is None


# -- polling -------------------------------------------------------------------------------


async def test_polling_without_a_webhook_secret(
    stub: BotApiStub, aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> None:
    client: TestClient[Any, Any] = await aiohttp_client(_app(tmp_path, stub, translator, None))
    await stub.push(message(KAZAKH, "/start"))
    consent = (await stub.wait_for("sendMessage"))[-1]
    assert buttons(consent) == ["yes", "no"]
    await stub.push(press(KAZAKH, "yes"))
    await stub.wait_for("answerCallbackQuery")
    region = (await stub.wait_for("sendMessage", 2))[-1]
    assert "Қай өңірде тұрасыз?" in region.params["text"]
    assert stub.of("deleteWebhook")
    offsets = [int(c.params.get("offset") or 0) for c in stub.of("getUpdates")]
    assert offsets == sorted(offsets)
    assert await post(client, message(KAZAKH, "/start")) == 401  # no webhook without a secret
    assert len(await messages_in(client.app)) == 2


# -- the transport -------------------------------------------------------------------------


async def test_the_transport_maps_http_and_network_errors(stub: BotApiStub) -> None:
    async with aiohttp.ClientSession() as session:
        bot = make_bot(TOKEN, stub.url, session)
        async with bot:
            stub.flood[7] = (1, 1)
            with pytest.raises(RetryAfter) as flood:
                await bot.send_message(7, "hi")
            assert "1" in str(flood.value)
            stub.blocked.add(8)
            with pytest.raises(Forbidden):
                await bot.send_message(8, "hi")
            stub.hang.add(9)
            with pytest.raises(TimedOut):
                await bot.send_message(9, "hi", read_timeout=0.2, write_timeout=0.2)
            sent = await bot.send_message(10, "Сәлем")
            assert sent.text == "Сәлем" and sent.chat.id == 10

    unused = await _closed_port()
    request = AiohttpRequest(connect_timeout=1.0)
    async with request:
        with pytest.raises(NetworkError) as refused:
            await request.post(f"http://127.0.0.1:{unused}/bot{TOKEN}/getMe")
        assert not isinstance(refused.value, TimedOut)


async def _closed_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


async def test_a_send_whose_connection_is_refused_is_tried_again(
    tmp_path: Path, translator: Translator
) -> None:
    """The Bot API is unreachable for a moment (a restart of a self-hosted one, a network
    blip): the reply waits and goes out once it answers, instead of failing at once."""
    port = await _closed_port()
    late = BotApiStub()
    async with aiohttp.ClientSession() as session:
        bot = make_bot(TOKEN, f"http://127.0.0.1:{port}", session)
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'refused.db'}")
        await upgrade(db.engine)
        runner = Runner(db, default_store(), translator, lambda: datetime.now(UTC))
        channel = TelegramChannel(bot, runner, Metrics(translator))
        replies = await runner.handle(InboundMessage("telegram", str(KAZAKH), "/start"))

        async def start_late() -> None:
            await asyncio.sleep(0.8)  # two refused attempts, then the API is back
            await late.start(port)

        starting = asyncio.create_task(start_late())
        await channel.deliver(KAZAKH, replies)
        await starting
        assert [int(c.params["chat_id"]) for c in late.sent()] == [KAZAKH] * len(replies)
        async with runner.sessions() as session_db:
            statuses = set(
                await session_db.scalars(select(Message.status).where(Message.direction == "out"))
            )
        assert statuses == {"sent"}
        await late.close()
        await db.close()


async def test_a_lone_surrogate_in_an_update_is_answered_not_retried_for_ever(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    body = json.dumps(message(KAZAKH, "x")).replace('"x"', '"\\ud800 \\u0000"').encode()
    assert await post(client, body) == 200
    await stub.wait_for("sendMessage")
    (recorded,) = await messages_in(client.app)
    assert recorded.status == "processed"  # stored (as "\ufffd ") and answered, once


async def test_logs_name_a_telegram_contact_by_its_id_not_its_chat(
    client: TestClient[Any, Any], stub: BotApiStub, caplog: pytest.LogCaptureFixture
) -> None:
    stub.blocked.add(KAZAKH)
    caplog.set_level(logging.INFO)
    assert await post(client, message(KAZAKH, "/start")) == 200
    for _ in range(200):
        if "blocked the bot" in caplog.text:
            break
        await asyncio.sleep(0.02)
    assert "contact 1 blocked the bot" in caplog.text
    assert str(KAZAKH) not in caplog.text


async def test_amounts_go_in_bold_and_plain_text_when_telegram_refuses_the_markup(
    tmp_path: Path, translator: Translator, stub: BotApiStub
) -> None:
    async with aiohttp.ClientSession() as session:
        bot = make_bot(TOKEN, stub.url, session)
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'html.db'}")
        await upgrade(db.engine)
        runner = Runner(db, default_store(), translator, lambda: datetime.now(UTC))
        channel = TelegramChannel(bot, runner, Metrics(translator))
        reply = Outgoing(1, "Сізге 22 384 ₸ & <x>", html="Сізге <b>22 384 ₸</b> &amp; &lt;x&gt;")
        await channel.deliver(KAZAKH, [reply])
        (sent,) = stub.sent()
        assert sent.params["parse_mode"] == "HTML"
        assert sent.params["text"] == "Сізге <b>22 384 ₸</b> &amp; &lt;x&gt;"
        stub.refuse_html = True
        await channel.deliver(KAZAKH, [Outgoing(2, reply.text, html=reply.html)])
        plain = stub.sent()[-1]
        assert "parse_mode" not in plain.params and plain.params["text"] == reply.text
        await db.close()


# -- my application ------------------------------------------------------------------------


async def test_my_application_shows_the_stage_of_the_familys_case(
    client: TestClient[Any, Any], stub: BotApiStub
) -> None:
    runner: Runner = client.app[RUNNER]
    now = datetime.fromisoformat("2026-11-26T10:00:00+05:00")

    def seed(connection: Connection) -> str:
        staff_id = create(
            connection,
            username="bota",
            name="Bota",
            role="worker",
            region="astana",
            password="long enough password",
            now=now,
        )
        return str(staff_id)

    worker = Member(int(await runner.db.run(seed)), "bota", "Bota", "worker", "astana")
    family = CaseRow("Иван Петров", "+77011110002", "astana", "ru", None, None, "Б-7")
    await import_caseload(runner.db, worker, [(2, family)], now)

    def change(connection: Connection) -> str:
        code = connection.execute(select(CASES.c.link_code)).scalar_one()
        stages = default_stages()
        for stage, fields in (
            ("applied", {}),
            ("assigned", {"amount": "81180", "months": "2", "category": "conditional"}),
        ):
            made = read_change(stages, {"stage": stage, "date": "2026-11-20", **fields}, now.date())
            change_stage(connection, worker, 1, made, now, source="page")
        return str(code)

    code = await runner.db.run(change)
    # The family opens its worker's link (its case's notices now reach it here), then asks.
    assert await post(client, message(OTHER, f"/start {code}", "ru")) == 200
    await stub.wait_for("sendMessage")
    assert await post(client, message(OTHER, "Моя заявка", "ru")) == 200
    shown = await _text_with(stub, OTHER, "Ранее:")
    assert shown.startswith("Ваша заявка на АСП: АСП назначена (20 ноября 2026).")
    assert "обусловленная помощь, с социальным контрактом" in shown
    assert "Дальше: Если помощь обусловленная, подпишите социальный контракт" in shown
    assert "Заявление принято" in shown
    # Someone without a case is told how and where to apply.
    assert await post(client, message(KAZAKH, "менің өтінішім")) == 200
    told = await _text_with(stub, KAZAKH, "egov.kz")
    assert "Бізде сіздің АӘК өтінішіңіз тіркелмеген." in told


async def _text_with(stub: BotApiStub, chat: int, words: str) -> str:
    """The first message to `chat` with `words` in it, waited for."""
    async with asyncio.timeout(10):
        while True:
            for call in stub.sent(chat):
                if words in str(call.params["text"]):
                    return str(call.params["text"])
            await asyncio.sleep(0.02)
