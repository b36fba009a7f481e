"""Feedback end to end: on Telegram (through the Bot API stub) a family rates its result with a
button and adds a few words; by SMS (through a real Kannel) a family whose visit the office
marked attended gets the question in Russian, answers with a digit, and the rating is kept as
that visit's."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select

from bot.conversation.runner import Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.i18n.translator import Translator
from bot.staff.visits import mark_visit
from bot.storage.offices import ATTENDED, import_offices, read_office_records
from bot.storage.tables import FEEDBACK
from bot.web.keys import RUNNER
from dialogs.segments import cost
from tests.bot.channels import test_kannel_e2e as kannel_tests
from tests.bot.channels import test_telegram as telegram_tests
from tests.bot.conftest import book_a_visit
from tests.bot.telegram_stub import BotApiStub
from tests.dialogs.memory_appointments import EXAMPLE_OFFICES

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
stub = telegram_tests.stub
gateway = kannel_tests.gateway


async def _feedback(runner: Runner) -> list[Any]:
    f = FEEDBACK.c
    query = select(f.kind, f.region, f.channel, f.rating, f.comment, f.appointment_id)
    return await runner.db.run(lambda c: [tuple(r) for r in c.execute(query.order_by(f.id))])


@pytest.fixture
async def telegram(
    stub: BotApiStub, aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    app = telegram_tests._app(tmp_path, stub, translator, telegram_tests.SECRET)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    client.app[RUNNER].clock = lambda: NOW
    return client


async def test_a_result_is_rated_with_a_button_on_telegram(
    telegram: TestClient[Any, Any], stub: BotApiStub
) -> None:
    chat = 4001
    m, press = telegram_tests.message, telegram_tests.press
    # Kazakh; consent; Aktobe; a pensioner alone; no illness; income; no property; no loan;
    # "Right, show the result".
    to_result = ["Сәлем", "1", "3", "66", "0", "32360", "1", "1", "1"]
    sent = 0
    for update in [*(m(chat, text) for text in to_result), press(chat, "menu")]:
        assert await telegram_tests.post(telegram, update) == 200
        sent += 1
        await stub.wait_for("sendMessage", sent)
    question = stub.sent(chat)[-1]
    assert "Бұл қаншалықты пайдалы болды?" in question.params["text"]
    assert telegram_tests.buttons(question) == ["1", "2", "3", "4", "5", "skip"]

    for update in (press(chat, "4"), m(chat, "Бәрі түсінікті, рақмет")):
        assert await telegram_tests.post(telegram, update) == 200
        sent += 1
        await stub.wait_for("sendMessage", sent)
    assert "Қосарыңыз бар ма?" in stub.sent(chat)[-2].params["text"]
    thanks = stub.sent(chat)[-1].params["text"]
    assert "мамандарға жеткіземіз" in thanks and "мәзірі" in thanks  # then the menu
    assert await _feedback(telegram.app[RUNNER]) == [
        ("result", "aktobe", "telegram", 4, "Бәрі түсінікті, рақмет", None)
    ]


async def test_the_question_after_a_visit_comes_with_buttons_on_telegram(
    telegram: TestClient[Any, Any], stub: BotApiStub
) -> None:
    runner: Runner = telegram.app[RUNNER]
    chat = 4002
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())

    def seed(connection: Connection) -> int:
        import_offices(connection, records, NOW)
        visit, _ = book_a_visit(
            connection,
            channel="telegram",
            address=str(chat),
            language="en",
            now=NOW,
            day=date(2026, 11, 26),
        )
        assert mark_visit(connection, visit, ATTENDED, NOW)
        return visit

    visit = await runner.db.run(seed)
    # Sent by this dispatcher, or by the server's own if it claims the row first.
    await Dispatcher(runner, renderers(runner.translator)).dispatch_once()
    (question,) = await stub.wait_for("sendMessage")
    assert question.params["text"].startswith("Komek: how useful was your visit")
    assert telegram_tests.buttons(question) == ["1", "2", "3", "4", "5", "skip"]
    assert await telegram_tests.post(telegram, telegram_tests.press(chat, "3", "en")) == 200
    await stub.wait_for("sendMessage", 2)
    assert "Anything to add?" in stub.sent(chat)[-1].params["text"]
    assert await _feedback(runner) == [("visit", "astana", "telegram", 3, None, visit)]


async def test_the_question_after_a_visit_is_answered_by_sms_through_kannel(
    gateway: kannel_tests.Gateway,
) -> None:
    runner, phone = gateway.runner, gateway.phone
    runner.clock = lambda: NOW
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())

    def seed(connection: Connection) -> int:
        import_offices(connection, records, NOW)
        visit, _ = book_a_visit(
            connection,
            channel="sms",
            address="+77011234567",
            language="ru",
            now=NOW,
            day=date(2026, 11, 26),
        )
        assert mark_visit(connection, visit, ATTENDED, NOW)
        return visit

    visit = await runner.db.run(seed)
    async with asyncio.timeout(30):
        # Sent by this dispatcher, or by the server's own if it claims the row first.
        dispatcher = Dispatcher(runner, renderers(runner.translator), limiter=runner.limiter)
        await dispatcher.dispatch_once()
        received = await phone.receive()
        assert received.receiver == "+77011234567"
        assert received.text.startswith("Комек: насколько полезным был визит в карьерный центр?")
        assert "0 — пропустить" in received.text
        assert cost(received.text).segments <= 2

        await phone.send(kannel_tests.PHONE, kannel_tests.SHORT_CODE, "5")
        reply = await phone.receive()
        assert "Хотите что-то добавить?" in reply.text
        await phone.send(kannel_tests.PHONE, kannel_tests.SHORT_CODE, "Приняли без очереди")
        reply = await phone.receive()
        assert "передадим ваши слова" in reply.text
    assert await _feedback(runner) == [("visit", "astana", "sms", 5, "Приняли без очереди", visit)]
