"""The case, step by step, in the browser at phone and desktop sizes: a worker numbers the case,
ticks off the documents received, asks for the rest and moves the case on to an assignment; the
family page's stage timeline shows each step in her language, and the page and the spreadsheet
upload pass axe-core (screenshots kept)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from sqlalchemy import Connection, insert

from bot.clock import now
from bot.storage.database import Database
from bot.storage.tables import APPOINTMENTS, CONTACTS
from core.almaty import wall
from tests.bot.servers import Server
from tests.browser.conftest import ARTIFACTS
from tests.browser.staff_site import (
    Site,
    _gone,
    check,
    field,
    go,
    language,
    seed,
    sign_in,
    submit,
    until,
)


@pytest.fixture
async def site(tmp_path: Path, browser_available: bool) -> AsyncIterator[Site]:
    if not browser_available:
        pytest.skip("the browser fixture says why")
    url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
    ids = await seed(url)
    ids["stranger"] = await _stranger(url)
    server = Server({"KOMEK_DATABASE_URL": url}, tmp_path / "server.log")
    await server.start()
    try:
        yield Site(server.url, ids)
    finally:
        server.stop()


async def _stranger(url: str) -> int:
    """Today's second visit at the office, booked by SMS by someone in no caseload."""
    db = Database(url)
    today = now()

    def work(connection: Connection) -> int:
        contact = connection.execute(
            insert(CONTACTS)
            .values(
                channel="sms",
                address="+77015551234",
                language="ru",
                consent=True,
                opted_out=False,
                created_at=today,
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        start = wall(today.date(), time(16, 0))
        return int(
            connection.execute(
                insert(APPOINTMENTS)
                .values(
                    office_id="example-astana-1",
                    contact_id=contact,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=20),
                    seat=1,
                    status="booked",
                    created_at=today,
                    updated_at=today,
                )
                .returning(APPOINTMENTS.c.id)
            ).scalar_one()
        )

    try:
        return int(await db.run(work))
    finally:
        await db.close()


def _timeline(driver: Any) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, "ol.stages").text)


async def _change(driver: Any, stage: str, **fields: str) -> None:
    Select(field(driver, "stage")).select_by_value(stage)
    for name, value in fields.items():
        if name == "category":
            Select(field(driver, name)).select_by_value(value)
        else:
            field(driver, name).send_keys(value)
    # Pressed as a keyboard does: on a phone a tap right after a picker closes may land on the
    # layout before it settles.
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/stage'] button").send_keys(Keys.ENTER)
    await until(driver, lambda d: _gone(old))
    problems = driver.find_elements(By.CSS_SELECTOR, "#stages ~ .problem")
    assert not problems, problems[0].text
    await until(driver, lambda d: "done=stage" in d.current_url)


@pytest.mark.parametrize("code", ["ru", "kk"])
async def test_a_worker_moves_a_case_on_step_by_step(browser: Any, site: Site, code: str) -> None:
    driver = browser
    await sign_in(driver, site, "aigerim")
    await until(driver, lambda d: d.current_url.endswith("/staff/"))
    await language(driver, code)
    await until(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == code)
    family = f"/staff/families/{site.ids['family']}"
    go(driver, site, family)
    field(driver, "case_number").clear()
    field(driver, "case_number").send_keys("АСП-2026/0117")
    await submit(driver, "form[action$='/number'] button")
    await until(driver, lambda d: "done=number" in d.current_url)
    boxes = driver.find_elements(By.CSS_SELECTOR, "input[name='received']")
    assert len(boxes) >= 3  # the family's own list: application, IDs, income...
    boxes[0].click()
    boxes[1].click()
    await submit(driver, "form[action$='/documents'] button")
    await until(driver, lambda d: "done=documents" in d.current_url)
    await _change(driver, "documents_requested")
    await _change(driver, "commission_review")
    await _change(driver, "assigned", amount="81180", months="2", category="conditional")
    shown = _timeline(driver)
    names = {
        "ru": ("4. АСП назначена", "3. На рассмотрении участковой комиссии", "Запрошено:"),
        "kk": ("4. АӘК тағайындалды", "3. Учаскелік комиссияның қарауында", "Сұралғаны:"),
    }[code]
    for words in names:
        assert words in shown, (words, shown)
    assert "АСП-2026/0117" in driver.find_element(By.ID, "stages").find_element(By.XPATH, "..").text
    check(driver, f"staff-family-stages-{code}")
    if driver.size_name == "desktop":  # the section alone (the README shows it)
        size = driver.get_window_size()
        driver.set_window_size(size["width"], 1400)
        section = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby='stages']")
        driver.execute_script("arguments[0].scrollIntoView()", section)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        section.screenshot(str(ARTIFACTS / f"stages-section-{code}.png"))
        driver.set_window_size(size["width"], size["height"])
    go(driver, site, "/staff/stages/upload")
    check(driver, f"staff-stages-upload-{code}")


async def test_a_worker_opens_a_case_for_a_family_at_its_visit(browser: Any, site: Site) -> None:
    driver = browser
    await sign_in(driver, site, "aigerim")
    await until(driver, lambda d: d.current_url.endswith("/staff/"))
    await language(driver, "ru")
    go(driver, site, "/staff/visits?office=example-astana-1")
    stranger = site.ids["stranger"]
    form = f"form[action='/staff/visits/{stranger}/case']"
    driver.find_element(By.CSS_SELECTOR, f"{form}").find_element(By.XPATH, "..").find_element(
        By.TAG_NAME, "summary"
    ).click()
    field(driver, "name").send_keys("Сәуле Ахметова")
    check(driver, "staff-visits-open-case-ru")
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, f"{form} button").send_keys(Keys.ENTER)
    await until(driver, lambda d: _gone(old))
    await until(driver, lambda d: "done=opened" in d.current_url)
    assert "Сәуле Ахметова" in driver.find_element(By.TAG_NAME, "h1").text
    assert "Дело открыто среди ваших семей." in driver.find_element(By.TAG_NAME, "body").text
