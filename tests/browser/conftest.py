"""Browser tests: Debian's Chromium driven by Selenium (chromedriver from Debian too), against a
real `komek serve` on a free port. A missing browser skips them, or fails them under
KOMEK_TEST_STRICT=1. Screenshots are kept in `test-artifacts/screenshots/` (not committed), and
`accessibility_problems` runs axe-core (bundled by axe-selenium-python) on the page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.conftest import require_service

CHROMIUM = next(
    (p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), ""
)
CHROMEDRIVER = shutil.which("chromedriver") or ""
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

PHONE = (390, 844)
DESKTOP = (1280, 900)
SIZES = {"phone": PHONE, "desktop": DESKTOP}
SERIOUS = ("serious", "critical")


def _driver(size: tuple[int, int]) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=kk",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(flag)
    if size == PHONE:  # a phone: touch, and the device pixel ratio of a cheap one
        options.add_experimental_option(
            "mobileEmulation",
            {"deviceMetrics": {"width": size[0], "height": size[1], "pixelRatio": 2.0}},
        )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="session")
def browser_available() -> bool:
    return bool(CHROMIUM and CHROMEDRIVER)


@pytest.fixture(params=list(SIZES))
def browser(request: pytest.FixtureRequest, browser_available: bool) -> Iterator[Any]:
    """A headless Chromium at phone size, then at desktop size."""
    require_service(browser_available, "Chromium and chromedriver are not installed")
    driver = _driver(SIZES[request.param])
    driver.size_name = request.param  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, name: str) -> Path:
    """Keep a screenshot of the page (the whole page, not only the window) as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = getattr(driver, "size_name", "window")
    path = ARTIFACTS / f"{name}.{size}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.execute_script("return document.documentElement.clientWidth")
    original = driver.get_window_size()
    if size == "desktop":
        driver.set_window_size(original["width"], max(original["height"], min(height, 4000)))
    driver.save_screenshot(str(path))
    if size == "desktop":
        driver.set_window_size(original["width"], original["height"])
    del width
    return path


def accessibility_problems(driver: Any) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(t) for node in v["nodes"] for t in node["target"])
        for v in results["violations"]
        if v.get("impact") in SERIOUS
    ]
