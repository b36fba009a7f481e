"""The staff workspace for the browser tests: a real `komek serve` on a database seeded as an
office would have it (the example offices, a worker, her colleague, a supervisor and an
administrator with two-step sign-in, families with messages, an assessment and a visit today),
and what the tests do in the browser: sign in, go to a page, wait without holding up the
event loop (the Telegram stub and the fake SMSC answer on it), and check a page (a screenshot
kept at the browser's size and axe-core's serious and critical findings)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyotp
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from sqlalchemy import Connection, insert, select, update

from bot.cli.jsonout import dumps
from bot.clock import now
from bot.parameters import default_store
from bot.staff.accounts import Member, create, find
from bot.staff.caseload import import_caseload, read_caseload
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import (
    APPOINTMENTS,
    ASSESSMENTS,
    CASES,
    CONTACTS,
    FEEDBACK,
    MESSAGES,
    STAFF,
)
from core.almaty import wall
from core.assess import assess_data
from tests.browser.conftest import accessibility_problems, screenshot

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
ADMIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CASELOAD = (
    "ФИО,телефон,регион,язык,примечания,дата переоценки\n"
    "Айгүл Сейітова,87011230001,Астана,kk,Екі бала,2027-01-10\n"
    "Марат Ахметов,87011230002,astana,ru,,2027-01-10\n"
    "Ерлан Жұмабаев,87011230003,astana,kk,,\n"
)
STAFF_ROWS = (
    ("aigerim", "Айгерім Бекова", "worker", "astana"),
    ("bota", "Бота Серікова", "worker", "astana"),
    ("sara", "Сара Омарова", "supervisor", "astana"),
    ("root", "Әкімші", "admin", None),
)
HOUSEHOLD = {
    "date": None,  # today: filled in when seeded
    "region": "astana",
    "members": [
        {"age": 31, "sex": "female", "cares_for": [1], "income": 20000},
        {"age": 2},
        {"age": 6},
    ],
}

# Ratings from families of Astana (days ago, after what, rating, comment), for the charts.
FEEDBACK_ROWS = (
    (0, "result", 5, "Бәрі түсінікті болды, рақмет! Енді қандай құжаттар керегін білемін."),
    (0, "visit", 4, "Приняли вовремя, но пришлось вернуться за справкой о доходах."),
    (0, "result", 3, None),
    (7, "visit", 2, "Кезек ұзақ болды."),
    (7, "result", 5, None),
)


def _member(connection: Connection, username: str) -> Member:
    found = find(connection, username)
    assert found is not None
    return found


async def seed(url: str) -> dict[str, int]:
    """The office's data before the server starts: the case ids of aigerim's and bota's first
    families, and the id of today's visit."""
    db = Database(url)
    try:
        await upgrade(db.engine)
        today = now()

        def people(connection: Connection) -> None:
            path = ROOT / "examples" / "offices.example.yaml"
            import_offices(connection, read_office_records(path.name, path.read_bytes()), today)
            for username, name, role, region in STAFF_ROWS:
                create(
                    connection,
                    username=username,
                    name=name,
                    role=role,
                    region=region,
                    password=PASSWORD,
                    now=today,
                )
            connection.execute(
                update(STAFF).where(STAFF.c.username == "root").values(totp_secret=ADMIN_SECRET)
            )

        await db.run(people)
        aigerim = await db.run(lambda c: _member(c, "aigerim"))
        await import_caseload(db, aigerim, read_caseload("c.csv", CASELOAD.encode()), today)
        bota = await db.run(lambda c: _member(c, "bota"))
        await import_caseload(
            db,
            bota,
            read_caseload(
                "b.csv", b"name,phone,region,language\nBota's family,87011239999,astana,ru\n"
            ),
            today,
        )
        return await db.run(lambda c: _history(c, today))
    finally:
        await db.close()


def _history(connection: Connection, today: datetime) -> dict[str, int]:
    c = CASES.c
    first, contact = connection.execute(
        select(c.id, c.sms_contact_id).where(c.phone == "+77011230001")
    ).one()
    other = connection.execute(select(c.id).where(c.phone == "+77011239999")).scalar_one()
    connection.execute(update(CONTACTS).where(CONTACTS.c.id == contact).values(consent=True))
    for minutes, direction, body, status in (
        (50, "in", "Сәлеметсіз бе", "processed"),
        (49, "out", "Сәлеметсіз бе! Мен Көмекпін. Сізге қалай көмектесейін?", "delivered"),
        (20, "in", "Құжаттар қашан керек?", "processed"),
    ):
        connection.execute(
            insert(MESSAGES).values(
                contact_id=contact,
                channel="sms",
                direction=direction,
                body=body,
                status=status,
                created_at=today - timedelta(minutes=minutes),
                updated_at=today,
            )
        )
    household = {**HOUSEHOLD, "date": today.date().isoformat()}
    result = json.loads(dumps(assess_data(household, default_store()).to_dict()))
    connection.execute(
        insert(ASSESSMENTS).values(
            contact_id=contact,
            household=household,
            result=result,
            created_at=today - timedelta(minutes=15),
        )
    )
    start = wall(today.date(), time(15, 0))
    visit = connection.execute(
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
    for days, kind, rating, comment in FEEDBACK_ROWS:
        connection.execute(
            insert(FEEDBACK).values(
                kind=kind,
                region="astana",
                channel="telegram",
                rating=rating,
                comment=comment,
                created_at=today - timedelta(days=days, minutes=5),
            )
        )
    return {"family": int(first), "other": int(other), "visit": int(visit)}


@dataclass
class Site:
    url: str
    ids: dict[str, int]


def go(driver: Any, site: Site, path: str) -> None:
    driver.get(site.url + path)


async def until(driver: Any, condition: Callable[[Any], Any], timeout: float = 20) -> Any:
    """Wait for `condition(driver)` to be truthy, letting the event loop run meanwhile."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            found = condition(driver)
        except (StaleElementReferenceException, NoSuchElementException):
            found = None  # the page is changing under us: look again
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"waited {timeout} s on {driver.current_url}")
        await asyncio.sleep(0.2)


def field(driver: Any, name: str) -> Any:
    return driver.find_element(By.NAME, name)


def _gone(element: Any) -> bool:
    try:
        element.tag_name  # noqa: B018 - asks the browser whether it is still there
    except WebDriverException:  # stale, or "does not belong to the document"
        return True
    return False


async def submit(driver: Any, selector: str, *, confirm: bool = False) -> None:
    """Press a form's button (accepting its question when it asks one) and wait for the next
    page."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    if confirm:
        driver.switch_to.alert.accept()
    await until(driver, lambda d: _gone(old))


async def sign_in(driver: Any, site: Site, username: str, password: str = PASSWORD) -> None:
    go(driver, site, "/staff/login")
    field(driver, "username").send_keys(username)
    field(driver, "password").send_keys(password)
    await submit(driver, "main form button")
    if driver.current_url.endswith("/staff/totp"):
        field(driver, "code").send_keys(pyotp.TOTP(ADMIN_SECRET).now())
        await submit(driver, "main form button")


async def sign_out(driver: Any) -> None:
    await submit(driver, ".who form button")


def text(driver: Any) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def check(driver: Any, name: str) -> None:
    """A screenshot of the page, and no serious or critical accessibility problem on it."""
    screenshot(driver, name)
    problems = accessibility_problems(driver)
    assert problems == [], f"{name}: {problems}"


async def language(driver: Any, code: str) -> None:
    await submit(driver, f".languages button[value='{code}']")


def cookie_header(driver: Any) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())


NUMBER = re.compile(r"\d+")
