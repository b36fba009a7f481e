"""A person books, moves and cancels a visit on each channel: Telegram (buttons, and the
calendar file with the confirmation), SMS through the gateway webhook (in Kazakh, three slots
at a time), and `komek chat` in a terminal."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select

from bot.cli.main import main
from bot.conversation.runner import Runner
from bot.i18n.translator import Translator
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import APPOINTMENTS
from bot.web.keys import RUNNER
from tests.bot.channels import test_sms as sms_tests
from tests.bot.channels import test_telegram as telegram_tests
from tests.bot.telegram_stub import BotApiStub
from tests.dialogs.memory_appointments import EXAMPLE_OFFICES

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # Thursday


async def _prepare(runner: Runner) -> None:
    runner.clock = lambda: NOW
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())
    await runner.db.run(lambda c: import_offices(c, records, NOW))


async def _visits(runner: Runner) -> list[Any]:
    def work(connection: Connection) -> list[Any]:
        return list(connection.execute(select(APPOINTMENTS).order_by(APPOINTMENTS.c.id)).all())

    return await runner.db.run(work)


# -- Telegram --------------------------------------------------------------------------------


@pytest.fixture
async def telegram(
    stub: BotApiStub, aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    app = telegram_tests._app(tmp_path, stub, translator, telegram_tests.SECRET)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    await _prepare(client.app[RUNNER])
    return client


stub = telegram_tests.stub


async def test_booking_moving_and_cancelling_on_telegram(
    telegram: TestClient[Any, Any], stub: BotApiStub
) -> None:
    chat = 3001
    steps: list[Any] = [
        telegram_tests.message(chat, "Сәлем"),  # Kazakh
        telegram_tests.message(chat, "1"),  # consent
        telegram_tests.message(chat, "жазылу"),  # VISIT
        telegram_tests.press(chat, "astana"),
        telegram_tests.press(chat, "example-astana-1"),
        telegram_tests.press(chat, "2026-11-30"),
        telegram_tests.press(chat, "2026-11-30T09:00:00+05:00"),
        telegram_tests.press(chat, "yes"),
    ]
    sent = 0
    for update in steps:
        assert await telegram_tests.post(telegram, update) == 200
        sent += 1
        await stub.wait_for("sendMessage", sent)
    confirmation = stub.sent(chat)[-1].params["text"]
    assert "30 қараша" in confirmation and "09:00" in confirmation
    assert "Астана" in confirmation and "жеке куәлігіңізді" in confirmation.lower()
    (document,) = await stub.wait_for("sendDocument")
    calendar = document.params["document"]
    assert calendar["filename"].endswith(".ics")
    text = calendar["content"].decode("utf-8")
    assert "BEGIN:VCALENDAR" in text and "DTSTART:20261130T040000Z" in text
    assert "Мансап орталығы" in text  # the summary, in Kazakh

    for update in (
        telegram_tests.message(chat, "жазылу"),
        telegram_tests.press(chat, "move"),
        telegram_tests.press(chat, "2026-12-01"),
        telegram_tests.press(chat, "2026-12-01T10:00:00+05:00"),
        telegram_tests.press(chat, "yes"),
    ):
        assert await telegram_tests.post(telegram, update) == 200
        sent += 1
        await stub.wait_for("sendMessage", sent)
    (visit,) = await _visits(telegram.app[RUNNER])
    assert visit.status == "booked" and visit.starts_at == datetime.fromisoformat(
        "2026-12-01T10:00:00+05:00"
    )
    assert len(await stub.wait_for("sendDocument", 2)) == 2  # the moved visit's file

    for update in (
        telegram_tests.message(chat, "жазылу"),
        telegram_tests.press(chat, "cancel"),
        telegram_tests.press(chat, "yes"),
    ):
        assert await telegram_tests.post(telegram, update) == 200
        sent += 1
        await stub.wait_for("sendMessage", sent)
    (visit,) = await _visits(telegram.app[RUNNER])
    assert visit.status == "cancelled"


# -- SMS ---------------------------------------------------------------------------------------


@pytest.fixture
async def gateway(
    aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(sms_tests.make_app(tmp_path, translator))
    await _prepare(client.app[RUNNER])
    return client


async def test_booking_moving_and_cancelling_by_sms_in_kazakh(
    gateway: TestClient[Any, Any],
) -> None:
    async def say(text: str) -> str:
        response = await sms_tests.sms(gateway, text)
        assert response.status == 200
        body: str = await response.text()
        return body

    for text in ("Сәлем", "1", "жазылу", "2", "1"):  # consent, VISIT, Astana, its office
        reply = await say(text)
    assert "1 бс, 26 қараша 12:00" in reply and "4 Тағы" in reply
    reply = await say("4")  # three more
    assert "1 бс, 26 қараша 14:30" in reply
    reply = await say("1")
    reply = await say("1")  # yes
    assert "26 қараша" in reply and "14:30" in reply
    (visit,) = await _visits(gateway.app[RUNNER])
    assert visit.status == "booked"

    for text in ("жазылу", "1", "2", "1"):  # move to the second slot offered
        reply = await say(text)
    (visit,) = await _visits(gateway.app[RUNNER])
    assert visit.starts_at == datetime.fromisoformat("2026-11-26T12:30:00+05:00")

    for text in ("жазылу", "2", "1"):
        reply = await say(text)
    (visit,) = await _visits(gateway.app[RUNNER])
    assert visit.status == "cancelled"
    assert "ЖАЗЫЛУ" in reply  # how to book again


# -- komek chat --------------------------------------------------------------------------------


def test_booking_in_the_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KOMEK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")
    monkeypatch.setattr("bot.channels.console.now", lambda: NOW)
    assert main(["offices", "import", str(EXAMPLE_OFFICES)], out=io.StringIO()) == 0
    # consent, VISIT, Astana, its office, the first day, the first time, yes; then move it to
    # the second time of that day; then cancel it
    answers = ["1", "visit", "2", "1", "1", "1", "1",
               "visit", "1", "1", "2", "1",
               "visit", "2", "1"]  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    out = io.StringIO()
    assert main(["chat", "--lang", "en"], out=out) == 0
    text = out.getvalue()
    assert "Your visit is booked" in text
    assert "is moved to" in text
    assert "Your visit is cancelled" in text
