"""End to end through a real Kannel: a phone (the fake SMSC, played by the test) talks to bearerbox,
smsbox calls our webhook on a real port, and the replies come back over the air as UCS-2 with
every Kazakh letter intact. Sendsms and its delivery report go the same way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import Connection, insert, select, update

from bot.channels.sms.kannel import SendSms, setup
from bot.config import Config
from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.campaigns import KIND
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.delivery.stages import notice_text
from bot.i18n.translator import Translator
from bot.parameters import default_stages
from bot.server import create_app
from bot.staff.accounts import Member, create, issue_token
from bot.staff.campaigns import status
from bot.staff.caseload import CaseRow, import_caseload
from bot.storage.models import Contact, Message
from bot.storage.tables import CAMPAIGNS, CONTACTS, OUTBOX
from bot.web.keys import RUNNER
from dialogs.paging import SMS_BUDGET
from dialogs.segments import cost
from tests.bot.kannel_harness import BEARERBOX, SMSBOX, FakeSmsc, KannelSetup, free_ports, kannel
from tests.conftest import require_service

TOKEN = "e2e-token"
PHONE = "87011234567"
SHORT_CODE = "1414"


@dataclass
class Gateway:
    kannel: KannelSetup
    phone: FakeSmsc
    runner: Runner
    app_port: int


@pytest.fixture
async def gateway(tmp_path: Path, translator: Translator) -> AsyncIterator[Gateway]:
    require_service(
        BEARERBOX.exists() and SMSBOX.exists(),
        "Kannel is not installed (apt-get install kannel kannel-extras)",
    )
    app_port, admin, smsbox, smsc, sendsms = free_ports(5)
    settings = KannelSetup(tmp_path, app_port, TOKEN, admin, smsbox, smsc, sendsms)
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}",
        sms_token=TOKEN,
        port=app_port,
        kannel_sendsms_url=settings.sendsms_url,
        kannel_username=settings.username,
        kannel_password=settings.password,
    )
    app = create_app(config, translator)
    if "sms-kannel" not in app.router.named_resources():
        setup(app)
    web_runner = web.AppRunner(app, access_log=None)
    await web_runner.setup()
    try:
        await web.TCPSite(web_runner, "127.0.0.1", app_port).start()
        async with asyncio.timeout(20), kannel(settings):
            phone = await FakeSmsc.connect(smsc)
            try:
                yield Gateway(settings, phone, app[RUNNER], app_port)
            finally:
                await phone.close()
    finally:
        await web_runner.cleanup()


async def expected_reply(runner: Runner, text: str, n: int) -> str:
    """What our engine answers `text` (a second phone, in process), to compare letter by letter
    with what came through Kannel."""
    replies = await runner.handle(InboundMessage("sms", "+77779990000", text, external_id=f"x{n}"))
    return "\n\n".join(r.text for r in replies)


async def sms_contact(runner: Runner) -> Contact:
    async with runner.sessions() as db:
        found = await db.scalar(select(Contact).where(Contact.address == "+77011234567"))
    assert found is not None
    return found


async def test_a_kazakh_conversation_through_kannel(gateway: Gateway) -> None:
    phone, runner = gateway.phone, gateway.runner
    async with asyncio.timeout(30):
        for n, (said, check) in enumerate(
            [("Сәлем", "Келісесіз бе?"), ("1", "Қай өңірде тұрасыз?"), ("СТОП", "БАСТАУ")]
        ):
            await phone.send(PHONE, SHORT_CODE, said)
            received = await phone.receive()
            assert (received.sender, received.receiver) == (SHORT_CODE, PHONE)
            assert received.text == await expected_reply(runner, said, n)
            assert check in received.text
            if n == 0:
                assert set("әғқңөұүі") <= set(received.text.lower())
                assert "?" * 2 not in received.text
        contact = await sms_contact(runner)
        assert contact.opted_out
        async with runner.sessions() as db:
            statuses = list(
                await db.scalars(
                    select(Message.status)
                    .where(Message.contact_id == contact.id)
                    .order_by(Message.id)
                )
            )
        assert statuses == ["processed", "sent"] * 3


async def test_sendsms_arrives_and_its_delivery_report_marks_it_delivered(
    gateway: Gateway,
) -> None:
    runner = gateway.runner
    await runner.record(InboundMessage("sms", "+77011234567", "Сәлем", external_id="r1"))
    contact = await sms_contact(runner)
    text = "Ертең сағат 10:00-де ХҚКО-ға құжаттарыңызбен келіңіз. Komek"
    now = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
    async with runner.sessions() as db, db.begin():
        reminder = Message(
            contact_id=contact.id,
            channel="sms",
            direction="out",
            body=text,
            status="queued",
            created_at=now,
            updated_at=now,
        )
        db.add(reminder)
        await db.flush()
        reminder_id = reminder.id
    dlr_url = f"http://127.0.0.1:{gateway.app_port}/sms/dlr?token={TOKEN}"
    settings = gateway.kannel
    async with (
        asyncio.timeout(30),
        SendSms(settings.sendsms_url, settings.username, settings.password, dlr_url) as client,
    ):
        answer = await client.send(PHONE, text, reminder_id)
        assert answer.startswith("0:")
        received = await gateway.phone.receive()
        assert received.text == text
        assert received.receiver == "+77011234567"
        status = ""
        while status != "delivered":
            async with runner.sessions() as db:
                status = str(
                    await db.scalar(select(Message.status).where(Message.id == reminder_id))
                )
            await asyncio.sleep(0.1)


async def test_a_campaign_goes_out_through_kannel_and_its_delivery_is_counted(
    gateway: Gateway,
) -> None:
    runner = gateway.runner
    await runner.record(InboundMessage("sms", "+77011234567", "Сәлем", external_id="c1"))
    contact = await sms_contact(runner)
    now = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
    runner.clock = lambda: now

    def seed(connection: Connection) -> int:
        connection.execute(update(CONTACTS).values(language="kk"))
        staff = create(
            connection,
            username="aigerim",
            name="Айгерім",
            role="admin",
            region=None,
            password="long enough password",
            now=now,
        )
        campaign = connection.execute(
            insert(CAMPAIGNS)
            .values(
                staff_id=staff,
                name="құжаттар",
                template="custom",
                texts={
                    "kk": "Құжаттарды әкеліңіз. Komek",
                    "ru": "Принесите документы.",
                    "en": "Bring the documents.",
                },
                audience={},
                status="sending",
                created_at=now,
            )
            .returning(CAMPAIGNS.c.id)
        ).scalar_one()
        connection.execute(
            insert(OUTBOX).values(
                key=f"campaign:{campaign}:{contact.id}",
                contact_id=contact.id,
                kind=KIND,
                payload={"campaign": campaign},
                due_at=now,
                status="pending",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )
        return int(campaign)

    campaign_id = await runner.db.run(seed)
    # The server's own sendsms sender (configured above): delivery reports come to /sms/dlr.
    assert "sms" in runner.senders
    async with asyncio.timeout(30):
        dispatcher = Dispatcher(runner, renderers(runner.translator), limiter=runner.limiter)
        assert await dispatcher.dispatch_once() == 1
        received = await gateway.phone.receive()
        assert received.text == "Құжаттарды әкеліңіз. Komek"
        admin = Member(1, "aigerim", "Айгерім", "admin", None)
        delivered = 0
        while delivered != 1:
            shown = await runner.db.run(lambda c: status(c, admin, campaign_id))
            delivered = shown["delivered"]
            await asyncio.sleep(0.1)
    assert shown["outbox"] == {"sent": 1} and shown["status"] == "sent"


# ------------------------------------------------------------------------------------------
# The case, step by step: a change of stage told by SMS in Kazakh, and "my application"


async def test_a_stage_change_arrives_by_sms_in_kazakh_and_my_application_shows_it(
    gateway: Gateway,
) -> None:
    runner, phone = gateway.runner, gateway.phone
    now = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
    runner.clock = lambda: now

    def seed(connection: Connection) -> str:
        staff = create(
            connection,
            username="aigerim",
            name="Айгерім",
            role="worker",
            region="astana",
            password="long enough password",
            now=now,
        )
        return issue_token(
            connection, Member(staff, "aigerim", "Айгерім", "worker", "astana"), "t", now
        )

    token = await runner.db.run(seed)
    worker = Member(1, "aigerim", "Айгерім", "worker", "astana")
    family = CaseRow("Айгерім Сәрсенова", "+77011234567", "astana", "kk", None, None, "А-17")
    await import_caseload(runner.db, worker, [(2, family)], now)
    change = {"stage": "assigned", "date": "2026-11-25", "amount": "81180", "months": "2",
              "category": "unconditional"}  # fmt: skip
    async with asyncio.timeout(30), aiohttp.ClientSession() as session:
        async with session.post(
            f"http://127.0.0.1:{gateway.app_port}/api/staff/caseload/1/stage",
            json=change,
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200, await response.text()
        dispatcher = Dispatcher(runner, renderers(runner.translator), limiter=runner.limiter)
        assert await dispatcher.dispatch_once() == 1
        received = await phone.receive()
        stages = default_stages()
        expected, _ = notice_text(
            runner.translator,
            stages,
            stages["assigned"],
            date(2026, 11, 25),
            {"amount": "81180", "months": 2, "category": "unconditional"},
            language="kk",
            sms=True,
        )
        assert received.text == expected
        assert received.text.startswith("Komek: АӘК өтінішіңіз: АӘК тағайындалды (25 қараша 2026).")
        assert "81\u00a0180\u00a0₸" in received.text and "шартсыз көмек" in received.text
        assert cost(received.text).segments <= SMS_BUDGET
        # The change is told once: the dispatcher finds nothing more to send.
        assert await dispatcher.dispatch_once() == 0
        # The family answers from the same phone, in Kazakh, and reads its application.
        await phone.send(PHONE, SHORT_CODE, "Менің өтінішім")
        answer = await phone.receive()
    assert "АӘК тағайындалды" in answer.text
    assert "Келесі қадам: Шартты көмек болса" in answer.text
