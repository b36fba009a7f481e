"""The web chat in a real browser, at phone and desktop sizes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.bot.servers import Server
from tests.browser.conftest import accessibility_problems, screenshot


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    running = Server(
        {"KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"},
        tmp_path / "server.log",
    )
    await running.start()
    try:
        yield running
    finally:
        running.stop()


def bot_messages(driver: Any) -> list[Any]:
    return list(driver.find_elements(By.CSS_SELECTOR, ".msg.bot"))


async def test_the_chat_opens_with_a_question_and_is_accessible(
    server: Server, browser: Any
) -> None:
    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 10)
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".msg.bot .choices button")))
    buttons = browser.find_elements(By.CSS_SELECTOR, ".msg.bot .choices button")
    assert buttons and all(b.text for b in buttons)
    buttons[0].click()
    wait.until(lambda d: len(bot_messages(d)) >= 2)
    screenshot(browser, "webchat-start")
    assert accessibility_problems(browser) == []
