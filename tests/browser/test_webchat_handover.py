"""Reminders asked for on the web chat go by SMS: the person types their number in the browser,
a code arrives on the phone through real Kannel, they type it, and that number takes the
conversation and its reminders over. Nothing is promised before it is confirmed."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

from tests.bot.kannel_harness import BEARERBOX, SMSBOX, FakeSmsc, KannelSetup, free_ports, kannel
from tests.bot.servers import Server
from tests.browser.conftest import accessibility_problems, screenshot
from tests.browser.test_webchat import bots, opened, tap, write
from tests.conftest import require_service

TOKEN = "handover-token"


async def test_reminders_move_to_sms_with_a_code_sent_through_kannel(
    tmp_path: Path, browser: Any
) -> None:
    require_service(
        BEARERBOX.exists() and SMSBOX.exists(),
        "Kannel is not installed (apt-get install kannel kannel-extras)",
    )
    database = tmp_path / "komek.db"
    server = Server(
        {
            "KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "KOMEK_SMS_TOKEN": TOKEN,
            "KOMEK_OUTBOX_POLL": "0.1",
        },
        tmp_path / "server.log",
    )
    admin, smsbox, smsc, sendsms = free_ports(4)
    settings = KannelSetup(tmp_path, server.port, TOKEN, admin, smsbox, smsc, sendsms)
    server.env.update(
        KOMEK_KANNEL_SENDSMS_URL=settings.sendsms_url,
        KOMEK_KANNEL_USERNAME=settings.username,
        KOMEK_KANNEL_PASSWORD=settings.password,
    )
    async with asyncio.timeout(90), kannel(settings):
        phone = await FakeSmsc.connect(smsc)
        await server.start()
        try:

            def ask_for_reminders() -> str:
                opened(browser, f"{server.url}/?lang=kk")
                tap(browser, "yes")
                write(browser, "мәзір")
                tap(browser, "reminders")
                tap(browser, "on")
                offer = str(bots(browser)[-1].text)
                tap(browser, "sms")
                write(browser, "8 701 234 56 78")
                return offer

            offer = await asyncio.to_thread(ask_for_reminders)
            assert "еске сала алмайды" in offer  # reminders are not promised on the page
            received = await phone.receive(timeout=30)
            assert received.receiver == "+77012345678"
            found = re.search(r"\b(\d{6})\b", received.text)
            assert found is not None and "Көмек коды" in received.text, received.text

            def type_the_code() -> str:
                write(browser, found.group(1))
                screenshot(browser, "webchat-reminders-by-sms")
                assert accessibility_problems(browser) == []
                return str(bots(browser)[-1].text)

            done = await asyncio.to_thread(type_the_code)
            assert "…5678" in done and "SMS" in done
        finally:
            server.stop()
            await phone.close()
    with sqlite3.connect(database) as db:
        reminders = db.execute(
            "SELECT channel, address, reminders, consent FROM contacts ORDER BY id"
        ).fetchall()
    assert ("sms", "+77012345678", 1, 1) in reminders
    assert all(not r[2] for r in reminders if r[0] == "web")
