"""A person when the bot is not enough, in a real browser: Марат (a family of Айгерім's caseload,
linked on Telegram through the local Bot API stub) asks for a person. Айгерім has the inbox open:
without a reload, the conversation appears and the navigation's badge counts his unread message.
She reads it, answers in the form (the answer reaches his chat), and hands the conversation back
(the bot asks him the question it was at). At phone and desktop sizes, axe-core clean."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import aiohttp
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import Connection, select

from bot.storage.database import Database
from bot.storage.tables import CASES
from tests.bot.servers import Server
from tests.bot.telegram_stub import BotApiStub
from tests.browser.staff_site import (
    Site,
    check,
    field,
    go,
    language,
    seed,
    sign_in,
    sign_out,
    submit,
    text,
    until,
)

SECRET = "browser-inbox-secret"
CHAT = 777002
_updates = itertools.count(1)


async def _code(url: str) -> str:
    db = Database(url)
    try:

        def work(connection: Connection) -> str:
            return str(
                connection.execute(
                    select(CASES.c.link_code).where(CASES.c.phone == "+77011230002")
                ).scalar_one()
            )

        return await db.run(work)
    finally:
        await db.close()


async def _say(server: Server, stub: BotApiStub, said: str, answers: int = 1) -> list[str]:
    """Марат writes in Telegram; the texts of the `answers` messages he gets back."""
    before = len(stub.sent(CHAT))
    number = next(_updates)
    update: dict[str, Any] = {
        "update_id": number,
        "message": {
            "message_id": number,
            "date": 1790000000,
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Марат", "language_code": "ru"},
            "text": said,
        },
    }
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{server.url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response,
    ):
        assert response.status == 200
    await _sent(stub, before + answers)
    return [str(c.params["text"]) for c in stub.sent(CHAT)[before:]]


async def _sent(stub: BotApiStub, count: int, timeout: float = 20) -> None:
    """Wait until Марат's chat has been sent `count` messages in all."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(stub.sent(CHAT)) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{len(stub.sent(CHAT))} of {count} messages")
        await asyncio.sleep(0.1)


async def test_a_worker_answers_a_family_from_the_inbox_in_the_browser(
    browser: Any, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
    ids = await seed(url)
    stub = await BotApiStub().start()
    server = Server(
        {
            "KOMEK_DATABASE_URL": url,
            "KOMEK_TELEGRAM_TOKEN": "123456:inbox",
            "KOMEK_TELEGRAM_API_URL": stub.url,
            "KOMEK_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "KOMEK_OUTBOX_POLL": "0.2",
        },
        tmp_path / "server.log",
    )
    try:
        async with asyncio.timeout(120):
            await server.start()
            try:
                await _the_inbox(browser, Site(server.url, ids), server, stub, url)
            finally:
                server.stop()
    finally:
        await stub.close()


async def _the_inbox(driver: Any, site: Site, server: Server, stub: BotApiStub, url: str) -> None:
    # Марат opens his worker's link, consents, and is at the region question.
    await _say(server, stub, f"/start {await _code(url)}")
    await _say(server, stub, "1")

    # Айгерім has her inbox open: nobody is waiting yet.
    await sign_in(driver, site, "aigerim")
    go(driver, site, "/staff/inbox")
    await language(driver, "ru")  # her pages in Russian
    await until(driver, lambda d: "Входящие" in text(d))
    assert driver.find_elements(By.CSS_SELECTOR, "#inbox-list") and not driver.find_elements(
        By.CSS_SELECTOR, "#inbox-list tbody tr"
    )

    # He asks for a person, then writes: it appears in her open page, unread, without a reload.
    (waiting,) = await _say(server, stub, "Человек")
    assert "вашему социальному работнику" in waiting
    await _say(server, stub, "Когда придут деньги?", answers=0)
    await asyncio.sleep(0.5)
    assert [c.params["text"] for c in stub.sent(CHAT)][-1] == waiting  # the bot holds
    row = await until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#inbox-list tr.unread"))
    assert "Марат Ахметов" in row[0].text
    badge = await until(
        driver,
        lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "nav .badge.count") if b.text],
    )
    assert badge[0].text == "1"
    check(driver, "staff-inbox")

    # She reads and answers it; the answer reaches his chat.
    driver.find_element(By.CSS_SELECTOR, "#inbox-list a[href^='/staff/inbox/']").click()
    await until(driver, lambda d: d.find_elements(By.ID, "answer-form"))
    assert "Когда придут деньги?" in text(driver)
    field(driver, "text").send_keys("Здравствуйте, Марат! Выплата придёт до 25 числа.")
    check(driver, "staff-inbox-conversation")
    before = len(stub.sent(CHAT))
    await submit(driver, "#send")
    await until(driver, lambda d: "done=sent" in d.current_url)
    await _sent(stub, before + 1)
    assert stub.sent(CHAT)[-1].params["text"] == "Здравствуйте, Марат! Выплата придёт до 25 числа."

    # She hands it back: he is told, and asked the question he was at.
    before = len(stub.sent(CHAT))
    await submit(driver, "#hand-back", confirm=True)
    await until(driver, lambda d: "done=back" in d.current_url)
    await _sent(stub, before + 1)
    resumed = str(stub.sent(CHAT)[-1].params["text"])
    assert resumed.startswith("Социальный работник вернул разговор Komek")
    assert "регион" in resumed  # the region question, where he was
    (answered,) = await _say(server, stub, "Астана")
    assert "Астана" in answered  # the bot answers again

    # Her supervisor keeps a reply ready for the region, in Kazakh.
    await sign_out(driver)
    await sign_in(driver, site, "sara")
    go(driver, site, "/staff/inbox/replies")
    Select(driver.find_element(By.ID, "language")).select_by_value("kk")
    field(driver, "title").send_keys("Құжаттар")
    field(driver, "body").send_keys("Жеке куәлік пен табыс туралы анықтама әкеліңіз.")
    await submit(driver, "main form.stack button.primary")
    await until(driver, lambda d: "done=added" in d.current_url)
    assert "Жеке куәлік пен табыс туралы анықтама әкеліңіз." in text(driver)
    check(driver, "staff-inbox-replies")
