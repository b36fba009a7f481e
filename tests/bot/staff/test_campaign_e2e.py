"""A social worker's day, end to end: a server process with Telegram (a local Bot API stub) and
SMS (a real Kannel, the phones played by its fake SMSC); the worker imports a caseload from the
command line, one family opens the worker's deep link on Telegram, and the worker previews and
sends a campaign and watches it deliver: the Telegram family gets it in its chat, the other on
its phone in Kazakh, and the delivery report comes back."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Connection, select

from bot.cli.main import main
from bot.storage.database import Database
from bot.storage.tables import CASES
from tests.bot.kannel_harness import BEARERBOX, SMSBOX, FakeSmsc, KannelSetup, free_ports, kannel
from tests.bot.servers import Server
from tests.bot.telegram_stub import BotApiStub
from tests.conftest import require_service

TOKEN = "e2e-campaign-token"
SECRET = "campaign-secret"
CASELOAD = (
    "name,phone,region,language,case_notes,next_reassessment\n"
    "Айгүл Сейітова,87011230001,astana,kk,,2027-01-10\n"
    "Марат Ахметов,87011230002,astana,ru,,2027-01-10\n"
)


def _run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


async def run(*args: str) -> tuple[int, str]:
    """The komek command, as the worker types it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(_run, *args)


async def test_a_worker_imports_previews_sends_and_watches_a_campaign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_service(
        BEARERBOX.exists() and SMSBOX.exists(),
        "Kannel is not installed (apt-get install kannel kannel-extras)",
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
    monkeypatch.setenv("KOMEK_DATABASE_URL", url)
    monkeypatch.setenv("KOMEK_STAFF_PASSWORD", "a long enough password")
    assert (await run("staff", "add", "aigerim", "--name", "Айгерім", "--role", "worker",
               "--region", "astana"))[0] == 0  # fmt: skip
    caseload = tmp_path / "caseload.csv"
    caseload.write_text(CASELOAD, encoding="utf-8")
    code, out = await run("caseload", "import", str(caseload), "--as", "aigerim")
    assert (code, out) == (0, "2 case(s) added, 0 updated\n")

    stub = await BotApiStub().start()
    admin, smsbox, smsc, sendsms = free_ports(4)
    server = Server(
        {
            "KOMEK_DATABASE_URL": url,
            "KOMEK_TELEGRAM_TOKEN": "123456:campaign",
            "KOMEK_TELEGRAM_API_URL": stub.url,
            "KOMEK_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "KOMEK_SMS_TOKEN": TOKEN,
            "KOMEK_OUTBOX_POLL": "0.1",
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
        async with asyncio.timeout(60), kannel(settings):
            phone = await FakeSmsc.connect(smsc)
            await server.start()
            try:
                await _family_opens_the_deep_link(server, url)
                code, out = await run("campaign", "create", "--as", "aigerim", "--name", "құжаттар",
                                "--template", "documents_due", "--due", "2027-01-05")  # fmt: skip
                assert code == 0, out
                campaign = out.split()[1]
                code, out = await run("campaign", "preview", campaign, "--as", "aigerim")
                assert "recipients: 1 by sms, 1 by telegram" in out, out
                assert "[kk] SMS:" in out and "ucs2" in out
                code, out = await run("campaign", "send", campaign, "--as", "aigerim")
                assert "2 message(s) queued" in out
                received = await phone.receive(timeout=20)
                assert received.receiver == "+77011230002"
                assert "документы" in received.text  # Марат reads Russian
                (sent,) = (await stub.wait_for("sendMessage", 2, timeout=20))[1:]
                assert int(sent.params["chat_id"]) == 777001
                assert "құжаттар" in sent.params["text"].lower()  # Айгүл reads Kazakh
                status = ""
                for _ in range(100):  # the delivery report comes back through Kannel
                    code, status = await run("campaign", "status", campaign, "--as", "aigerim",
                                       "--recipients")  # fmt: skip
                    if "1 delivered" in status:
                        break
                    await asyncio.sleep(0.2)
                assert "(sent): 2 sent; 1 delivered" in status, status
                code, out = await run("campaign", "status", campaign, "--as", "aigerim", "--watch")
                assert code == 0 and "sent" in out
            finally:
                server.stop()
                await phone.close()
    finally:
        await stub.close()


async def _family_opens_the_deep_link(server: Server, url: str) -> None:
    db = Database(url)
    try:

        def code_of(connection: Connection) -> str:
            return str(
                connection.execute(
                    select(CASES.c.link_code).where(CASES.c.phone == "+77011230001")
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
            "chat": {"id": 777001, "type": "private"},
            "from": {"id": 777001, "is_bot": False, "first_name": "Айгүл", "language_code": "kk"},
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
    # The update is acknowledged once recorded; the turn that links the chat runs just after.
    db = Database(url)
    try:
        linked = select(CASES.c.telegram_contact_id).where(CASES.c.phone == "+77011230001")
        for _ in range(200):
            if await db.run(lambda c: c.execute(linked).scalar()) is not None:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the deep link did not link the chat")
    finally:
        await db.close()
