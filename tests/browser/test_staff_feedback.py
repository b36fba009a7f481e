"""The families' feedback on the charts page, in the browser at phone and desktop sizes: a
supervisor reads the ratings of her region by week and the newest comments, in Russian and in
Kazakh, on a page that does not overflow and passes axe-core; a social worker is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.bot.servers import Server
from tests.browser.staff_site import (
    Site,
    check,
    go,
    language,
    seed,
    sign_in,
    sign_out,
    text,
    until,
)


@pytest.fixture
async def site(tmp_path: Path, browser_available: bool) -> AsyncIterator[Site]:
    if not browser_available:
        pytest.skip("the browser fixture says why")
    url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
    ids = await seed(url)
    server = Server({"KOMEK_DATABASE_URL": url}, tmp_path / "server.log")
    await server.start()
    try:
        yield Site(server.url, ids)
    finally:
        server.stop()


def in_language(code: str) -> Callable[[Any], bool]:
    return lambda d: bool(d.find_element(By.TAG_NAME, "html").get_attribute("lang") == code)


def overflows(driver: Any) -> bool:
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
    )


async def test_a_supervisor_reads_her_region_s_feedback(browser: Any, site: Site) -> None:
    driver = browser
    await sign_in(driver, site, "sara")
    await until(driver, lambda d: d.current_url.endswith("/staff/"))
    for code, title, comment, rated in (
        ("ru", "Отзывы семей", "Приняли вовремя", "оценка 4 из 5"),
        ("kk", "Отбасылардың пікірі", "Кезек ұзақ болды.", "баға: 5-тен 2"),
    ):
        await language(driver, code)
        await until(driver, in_language(code))
        go(driver, site, "/staff/charts")
        heading = driver.find_element(By.ID, "feedback-title")
        assert heading.text == title
        driver.execute_script("arguments[0].scrollIntoView()", heading)
        body = text(driver)
        assert comment in body and rated in body
        rows = driver.find_elements(
            By.CSS_SELECTOR, "[aria-labelledby='feedback-regions-title'] tbody tr"
        )
        assert len(rows) == 2  # this week and last week, Astana
        assert not overflows(driver)
        check(driver, f"staff-charts-feedback-{code}")
    await sign_out(driver)
    await until(driver, lambda d: "/staff/login" in d.current_url)
    await sign_in(driver, site, "aigerim")
    await until(driver, lambda d: d.current_url.endswith("/staff/"))
    go(driver, site, "/staff/charts")
    assert "Кезек ұзақ болды." not in text(driver)
    assert driver.find_elements(By.ID, "feedback-title") == []
