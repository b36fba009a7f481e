"""The web chat in a real browser, at phone and desktop sizes, as a family uses it: a whole
assessment in each language, a reload mid-conversation, two tabs, a double tap, a message too
long, STOP, the privacy page, and axe-core on every page. Screenshots are kept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import create_engine, select

from bot.staff import accounts, inbox
from bot.storage.tables import INBOX
from tests.bot.servers import Server
from tests.browser.conftest import accessibility_problems, screenshot

ACTIVE = ".choices:not(.used) button"
# A family of four (34, 32, 7, 2) in Astana, one wage of 120,000 ₸ typed with a comma.
ASSESSMENT = [
    ("key", "yes"),
    ("key", "astana"),
    ("text", "34 32 7 2"),
    ("key", "none"),
    ("key", "p2"),
    ("key", "p1"),
    ("key", "done"),
    ("text", "120,000"),
    ("key", "no"),
    ("key", "none"),
    ("key", "ok"),
]
RESULT = {  # the TSA amount, the child payment and the total, each labelled
    "kk": ("АӘК: айына", "балаға қосымша төлем", "Барлығы: айына"),
    "ru": ("АСП:", "Дополнительная выплата", "Всего:"),
    "en": ("TSA:", "Child payment", "Together:"),
}


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


def bots(driver: Any) -> list[Any]:
    return list(driver.find_elements(By.CSS_SELECTOR, ".msg.bot"))


def mine(driver: Any) -> list[str]:
    """What the person wrote, read in one go (the page may be redrawing its conversation)."""
    found: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll('.msg.me')).map(e => e.textContent)"
    )
    return found


def said(driver: Any) -> str:
    """What Komek (or a person) said, read in one go (the page may be redrawing)."""
    found: str = driver.execute_script(
        "return Array.from(document.querySelectorAll('.msg.bot'), e => e.textContent).join()"
    )
    return found


def last_bot(driver: Any) -> Any:
    found = bots(driver)
    return found[-1] if found else None


def settle(driver: Any, before: Any) -> None:
    """Wait for the answer: a new last message from Komek (a new one, or the multi-select
    question put in the place of the one tapped)."""
    WebDriverWait(driver, 10).until(
        lambda d: last_bot(d) != before or d.find_elements(By.CSS_SELECTOR, ".notice")
    )


def tap(driver: Any, key: str) -> None:
    before = last_bot(driver)
    button = driver.find_element(By.CSS_SELECTOR, f'{ACTIVE}[data-key="{key}"]')
    button.click()
    settle(driver, before)


def write(driver: Any, text: str) -> None:
    before = last_bot(driver)
    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#form button").click()
    settle(driver, before)


def opened(driver: Any, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ACTIVE))


def walk(driver: Any, steps: list[tuple[str, str]]) -> None:
    for kind, value in steps:
        if kind == "key":
            tap(driver, value)
        else:
            write(driver, value)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_a_whole_assessment_in_each_language(
    server: Server, browser: Any, language: str
) -> None:
    opened(browser, f"{server.url}/?lang={language}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    screenshot(browser, f"webchat-first-screen-{language}")
    assert accessibility_problems(browser) == []
    walk(browser, ASSESSMENT[:3])
    progress = browser.find_element(By.ID, "progress-text").text
    assert re.search(r"\d", progress), progress
    assert browser.find_element(By.ID, "text").get_attribute("inputmode") in ("text", "numeric")
    walk(browser, ASSESSMENT[3:])
    result = bots(browser)[-1]
    for label in RESULT[language]:
        assert label in result.text, result.text
    assert result.find_elements(By.TAG_NAME, "b"), "the amounts are not in bold"
    # The result is read from its first line: its top is on the screen.
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", result)
    assert 0 <= top < browser.execute_script("return window.innerHeight")
    # Every button of the result can be seen above the composer, after scrolling to it.
    last_button = result.find_elements(By.CSS_SELECTOR, "button")[-1]
    browser.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    bar = browser.find_element(By.ID, "form").rect["y"]
    assert last_button.rect["y"] + last_button.rect["height"] <= bar + 1
    assert min(b.rect["height"] for b in result.find_elements(By.CSS_SELECTOR, "button")) >= 44
    screenshot(browser, f"webchat-result-{language}")
    assert accessibility_problems(browser) == []


async def test_a_reload_shows_the_conversation_and_its_question(
    server: Server, browser: Any
) -> None:
    opened(browser, f"{server.url}/?lang=ru")
    walk(browser, ASSESSMENT[:3])
    asked = bots(browser)[-1].text
    browser.refresh()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ACTIVE))
    assert not browser.find_elements(By.CSS_SELECTOR, ".notice")  # no error on reload
    assert "34 32 7 2" in mine(browser)
    assert bots(browser)[-1].text == asked
    assert len(browser.find_elements(By.CSS_SELECTOR, ".choices:not(.used)")) == 1
    walk(browser, ASSESSMENT[3:5])  # and it goes on from there
    screenshot(browser, "webchat-after-reload")


async def test_two_tabs_show_the_same_conversation(server: Server, browser: Any) -> None:
    opened(browser, f"{server.url}/?lang=en")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    opened(browser, f"{server.url}/?lang=en")
    second = browser.current_window_handle
    browser.switch_to.window(first)
    walk(browser, ASSESSMENT[:2])
    browser.switch_to.window(second)
    WebDriverWait(browser, 10).until(
        lambda d: "Yes, I agree" in mine(d) or "Astana" in " ".join(mine(d))
    )
    asked = browser.execute_script(
        "const b = document.querySelectorAll('.msg.bot'); return b[b.length - 1].textContent"
    )
    assert asked  # the question the first tab is at


async def test_a_double_tap_sends_once(server: Server, browser: Any) -> None:
    opened(browser, f"{server.url}/?lang=en")
    count, before = len(bots(browser)), last_bot(browser)
    button = browser.find_element(By.CSS_SELECTOR, f'{ACTIVE}[data-key="yes"]')
    browser.execute_script("arguments[0].click(); arguments[0].click();", button)
    settle(browser, before)
    assert mine(browser) == ["Yes, I agree"]
    assert len(bots(browser)) == count + 1
    assert not browser.find_elements(By.CSS_SELECTOR, ".notice")


async def test_a_long_message_gets_a_polite_sentence(server: Server, browser: Any) -> None:
    opened(browser, f"{server.url}/?lang=ru")
    box = browser.find_element(By.ID, "text")
    assert box.get_attribute("maxlength") == "2000"
    before = len(bots(browser))
    browser.execute_script("arguments[0].value = 'а'.repeat(2500);", box)
    browser.find_element(By.CSS_SELECTOR, "#form button").click()
    WebDriverWait(browser, 10).until(lambda d: len(bots(d)) > before)
    assert bots(browser)[-1].text.startswith("Это сообщение слишком длинное")
    # A long unbroken string wraps inside its bubble instead of widening the page.
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= browser.execute_script("return window.innerWidth")


async def test_stop_on_the_web_says_how_to_come_back_and_the_page_goes_on(
    server: Server, browser: Any
) -> None:
    opened(browser, f"{server.url}/?lang=en")
    write(browser, "STOP")
    assert "START" in bots(browser)[-1].text
    write(browser, "menu")
    assert bots(browser)[-1].find_elements(By.CSS_SELECTOR, "button")


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_privacy_page(server: Server, browser: Any, language: str) -> None:
    browser.get(f"{server.url}/privacy?lang={language}")
    headings = browser.find_elements(By.TAG_NAME, "h2")
    assert len(headings) == 5
    assert "90" in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, f"privacy-{language}")
    assert accessibility_problems(browser) == []


def _answer_from_the_inbox(database: Path, text: str) -> None:
    """A social worker of Astana takes the waiting conversation and answers it, as the inbox
    page does (`bot.staff.inbox`), on the server's own database."""
    engine = create_engine(f"sqlite:///{database}")
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            accounts.create(
                connection,
                username="bota",
                name="Бота Серікова",
                role="worker",
                region="astana",
                password="a long enough password",
                now=now,
            )
            member = accounts.find(connection, "bota")
            assert member is not None
            (waiting,) = connection.execute(select(INBOX.c.id)).scalars().all()
            assert inbox.take(connection, member, waiting, now)
            conversation = inbox.find(connection, member, waiting)
            assert conversation is not None
            inbox.answer(connection, member, conversation, text, now)
    finally:
        engine.dispose()


async def test_a_social_workers_answer_appears_on_the_open_page(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    """A family that asked for a person waits on the page; the worker's answer appears there
    without a reload (the page looks again every few seconds while nothing is asked)."""
    opened(browser, f"{server.url}/?lang=en")
    tap(browser, "yes")
    write(browser, "person")
    tap(browser, "astana")
    assert "social workers of Astana" in bots(browser)[-1].text
    box = browser.find_element(By.ID, "text")
    box.send_keys("Is anyone there?")
    browser.find_element(By.CSS_SELECTOR, "#form button").click()
    WebDriverWait(browser, 10).until(lambda d: "Is anyone there?" in mine(d))
    _answer_from_the_inbox(tmp_path / "komek.db", "Hello, Bota here. I am looking at your case.")
    WebDriverWait(browser, 20).until(lambda d: "Bota here" in said(d))
    assert not browser.find_elements(By.CSS_SELECTOR, ".notice")
    screenshot(browser, "webchat-answer-from-a-person")
