"""A social worker's whole day in the browser, at phone and desktop sizes, without a terminal:
she signs in, uploads a caseload with bad rows and reads the report, finds a family and reads
its timeline, composes a campaign, previews it, schedules it and then sends it at once, and
watches it deliver through Telegram (a local Bot API stub) and SMS (a real Kannel, the phones
played by its fake SMSC); she marks today's visit attended and signs out."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import Connection, select

from bot.clock import now
from bot.storage.database import Database
from bot.storage.tables import CASES
from tests.bot.kannel_harness import BEARERBOX, SMSBOX, FakeSmsc, KannelSetup, free_ports, kannel
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
from tests.conftest import require_service

TOKEN = "browser-day-token"
SECRET = "browser-day-secret"
UPLOAD = (
    "name;phone;region;language\n"
    "Асель Нұрланова;+7 701 555 11 22;Астана;қазақ\n"
    ";+77015551123;astana;ru\n"
    "Ерлан Б.;12345;astana;ru\n"
    "Гүлнар Қ.;+77015551124;Марс;kk\n"
)


async def _link_telegram(server: Server, url: str) -> None:
    """Марат opens his worker's deep link in Telegram: his chat joins his case."""
    db = Database(url)
    try:

        def code_of(connection: Connection) -> str:
            return str(
                connection.execute(
                    select(CASES.c.link_code).where(CASES.c.phone == "+77011230002")
                ).scalar_one()
            )

        code = await db.run(code_of)
    finally:
        await db.close()
    update: dict[str, Any] = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1790000000,
            "chat": {"id": 777002, "type": "private"},
            "from": {"id": 777002, "is_bot": False, "first_name": "Марат", "language_code": "ru"},
            "text": f"/start {code}",
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


async def test_a_worker_does_her_whole_day_in_the_browser(browser: Any, tmp_path: Path) -> None:
    require_service(
        BEARERBOX.exists() and SMSBOX.exists(),
        "Kannel is not installed (apt-get install kannel kannel-extras)",
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
    ids = await seed(url)
    stub = await BotApiStub().start()
    admin, smsbox, smsc, sendsms = free_ports(4)
    server = Server(
        {
            "KOMEK_DATABASE_URL": url,
            "KOMEK_TELEGRAM_TOKEN": "123456:browser",
            "KOMEK_TELEGRAM_API_URL": stub.url,
            "KOMEK_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "KOMEK_SMS_TOKEN": TOKEN,
            "KOMEK_OUTBOX_POLL": "0.2",
            "KOMEK_SMS_PRICE": "9.50",
        },
        tmp_path / "server.log",
    )
    settings = KannelSetup(tmp_path, server.port, TOKEN, admin, smsbox, smsc, sendsms)
    server.env.update(
        KOMEK_KANNEL_SENDSMS_URL=settings.sendsms_url,
        KOMEK_KANNEL_USERNAME=settings.username,
        KOMEK_KANNEL_PASSWORD=settings.password,
    )
    try:
        async with asyncio.timeout(120), kannel(settings):
            phones = await FakeSmsc.connect(smsc)
            await server.start()
            try:
                await _link_telegram(server, url)
                site = Site(server.url, ids)
                await _the_day(browser, site, stub, phones, tmp_path)
            finally:
                server.stop()
                await phones.close()
    finally:
        await stub.close()


async def _the_day(
    driver: Any, site: Site, stub: BotApiStub, phones: FakeSmsc, tmp_path: Path
) -> None:
    # 1. Sign in, in Kazakh.
    go(driver, site, "/staff/")
    assert "/staff/login" in driver.current_url
    await language(driver, "kk")
    await until(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "kk")
    check(driver, "staff-login")
    await sign_in(driver, site, "aigerim")
    await until(driver, lambda d: d.current_url.endswith("/staff/"))
    check(driver, "staff-home")

    # 2. Import a caseload, bad rows and all.
    go(driver, site, "/staff/caseload/upload")
    upload = tmp_path / "отбасылар.csv"
    upload.write_text(UPLOAD, encoding="utf-8")
    field(driver, "file").send_keys(str(upload))
    await submit(driver, "main form[enctype] button")
    await until(driver, lambda d: d.find_elements(By.ID, "report-title"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#report-title ~ .table-wrap tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows] == ["3", "4", "5"]
    assert "Марс" in text(driver)
    check(driver, "staff-upload-report")

    # 3. Find a family by the last digits of the phone, and read its timeline.
    go(driver, site, "/staff/caseload")
    field(driver, "q").send_keys("0001")
    await submit(driver, "form[role=search] button.primary")
    await until(driver, lambda d: "q=0001" in d.current_url)
    links = driver.find_elements(By.CSS_SELECTOR, "td a[href^='/staff/families/']")
    assert [a.text for a in links] == ["Айгүл Сейітова"]
    check(driver, "staff-caseload")
    driver.find_element(By.CSS_SELECTOR, "td a[href^='/staff/families/']").click()
    await until(driver, lambda d: d.find_elements(By.ID, "timeline"))
    body = text(driver)
    assert "Құжаттар қашан керек?" in body and "+77011230001" in body
    check(driver, "staff-family")

    # 4. A campaign: composed, previewed, scheduled for tomorrow, then sent at once.
    go(driver, site, "/staff/campaigns/new")
    field(driver, "name").send_keys("Жаңа тоқсан")
    driver.find_element(By.CSS_SELECTOR, "input[name=template][value=custom]").click()
    field(driver, "text_kk").send_keys("Komek: ертең мансап орталығы 10:00-де ашылады.")
    field(driver, "text_ru").send_keys("Komek: завтра карьерный центр открывается в 10:00.")
    field(driver, "text_en").send_keys("Komek: the career centre opens at 10:00 tomorrow.")
    check(driver, "staff-campaign-compose")
    await submit(driver, "main form button.primary")
    await until(driver, lambda d: d.find_elements(By.ID, "preview-title"))
    preview = text(driver)
    assert "UCS-2" in preview and "GSM-7" in preview
    check(driver, "staff-campaign-preview")
    tomorrow = (now() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    driver.execute_script("document.getElementById('at').value = arguments[0]", tomorrow)
    await submit(driver, "form[action$='/schedule'] button")
    await until(driver, lambda d: "done=schedule" in d.current_url)
    assert "10:00" in text(driver)
    await submit(driver, "#send-now", confirm=True)
    await until(driver, lambda d: "done=send" in d.current_url)

    # 5. Watch it deliver: Марат on Telegram (Russian), the three others by SMS (Kazakh; Асель
    # came with the upload).
    sent = await stub.wait_for("sendMessage", 2, timeout=30)
    assert any("карьерный центр" in call.params["text"] for call in sent[1:])
    received = [await phones.receive(timeout=30) for _ in range(3)]
    assert {sms.receiver for sms in received} == {"+77011230001", "+77011230003", "+77015551122"}
    assert all("мансап орталығы" in sms.text for sms in received)
    await until(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#progress[data-final]"),
        timeout=40,
    )
    figures = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#progress .figure")]
    assert figures[0] == "0" and figures[3] == "0"  # none queued, none failed
    assert int(figures[1]) + int(figures[2]) == 4  # sent or delivered: the whole caseload
    check(driver, "staff-campaign-progress")

    # 6. Today's visits: the family came.
    go(driver, site, "/staff/visits")
    check(driver, "staff-visits")
    driver.find_element(
        By.CSS_SELECTOR, f"form[action='/staff/visits/{site.ids['visit']}/attended'] button"
    ).click()
    await until(driver, lambda d: "done=attended" in d.current_url)
    badges = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "tbody .badge")]
    assert badges and all(badges), badges
    go(driver, site, "/staff/visits?view=grid")
    check(driver, "staff-visits-grid")
    Select(field(driver, "view")).select_by_value("list")

    # 7. Sign out.
    await sign_out(driver)
    await until(driver, lambda d: "/staff/login" in d.current_url)
    go(driver, site, "/staff/caseload")
    assert "/staff/login" in driver.current_url
