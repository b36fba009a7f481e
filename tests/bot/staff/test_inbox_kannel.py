"""A social worker answers a family that writes by SMS, through a real Kannel: the family asks
for a person from a basic phone, is asked its region and told who answers; what it writes next
goes to the inbox and gets no SMS back; the worker's answer leaves through sendsms, reaches the
phone (UCS-2, every Kazakh letter intact) and its outbox row is marked sent."""

from __future__ import annotations

import asyncio

from sqlalchemy import Connection, select

from bot.clock import now
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.staff import inbox
from bot.staff.accounts import Member, create, find
from bot.storage.tables import INBOX, OUTBOX
from tests.bot.channels import test_kannel_e2e as e2e
from tests.bot.channels.test_kannel_e2e import PHONE, SHORT_CODE, Gateway

gateway = e2e.gateway
ANSWER = "Сәлеметсіз бе! Құжаттарыңызды ертең сағат 10:00-де әкеліңіз."


def _worker(connection: Connection) -> Member:
    """Айгерім, a social worker of Astana, whose region's queue gets the family."""
    create(
        connection,
        username="aigerim",
        name="Айгерім",
        role="worker",
        region="astana",
        password="a long enough password",
        now=now(),
    )
    member = find(connection, "aigerim")
    assert member is not None
    return member


async def test_a_workers_answer_reaches_an_sms_family_through_kannel(gateway: Gateway) -> None:
    phone, runner = gateway.phone, gateway.runner
    async with asyncio.timeout(40):
        for said, expected in (
            ("Сәлем", "Келісесіз бе?"),
            ("1", "Қай өңірде тұрасыз?"),
            ("адам", "өңіріңізді білу керек"),
            ("Астана", "әлеуметтік қызметкерлеріне"),
        ):
            await phone.send(PHONE, SHORT_CODE, said)
            received = await phone.receive()
            assert expected in received.text, received.text
        # Held: this goes to the worker, and no SMS comes back.
        await phone.send(PHONE, SHORT_CODE, "Ақша қашан түседі?")
        try:
            unexpected = await phone.receive(timeout=1.5)
        except TimeoutError:
            unexpected = None
        assert unexpected is None, unexpected.text if unexpected else None

        member = await runner.db.run(_worker)

        def answer(connection: Connection) -> int:
            (found,) = inbox.waiting(connection, member)
            assert found.channel == "sms" and found.unread == 1
            inbox.take(connection, member, found.id, runner.clock())
            taken = inbox.find(connection, member, found.id)
            assert taken is not None
            inbox.answer(connection, member, taken, ANSWER, runner.clock())
            return found.id

        conversation = await runner.db.run(answer)
        await Dispatcher(runner, renderers(runner.translator)).dispatch_once()
        received = await phone.receive()
        assert received.receiver == "+77011234567"  # the number as Komek keeps it (E.164)
        assert received.text == ANSWER
        status = await runner.db.run(
            lambda c: c.execute(
                select(OUTBOX.c.status).where(OUTBOX.c.key.startswith(f"inbox:{conversation}:"))
            ).scalar_one()
        )
        assert status == "sent"
        first = await runner.db.run(
            lambda c: c.execute(
                select(INBOX.c.first_answer_at).where(INBOX.c.id == conversation)
            ).scalar_one()
        )
        assert first is not None


async def test_a_reply_too_long_for_the_sms_budget_is_refused(gateway: Gateway) -> None:
    """Past four SMS parts the answer is refused, with the reason, before anything is queued."""
    phone, runner = gateway.phone, gateway.runner
    async with asyncio.timeout(30):
        for said in ("Hello", "1", "person", "Astana"):
            await phone.send(PHONE, SHORT_CODE, said)
            await phone.receive()
        member = await runner.db.run(_worker)

        def answer(connection: Connection) -> str:
            (found,) = inbox.waiting(connection, member)
            inbox.take(connection, member, found.id, runner.clock())
            taken = inbox.find(connection, member, found.id)
            assert taken is not None
            try:
                inbox.answer(connection, member, taken, "Құжат " * 60, runner.clock())
            except inbox.ReplyRefused as refused:
                return refused.code
            return "queued"

        assert await runner.db.run(answer) == "sms"
        assert inbox.segments("Құжат " * 60)["within"] is False
