"""A web conversation handed over to SMS (a code sent to the number) or to Telegram (a link):
the taker gets the session, the reminders and the visits; the web page promises nothing that
cannot be sent; codes and links are used once, and a code can be guessed only five times."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.codes import KIND as CODE
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import CONTACTS, CONVERSATIONS, OUTBOX
from core.parameters import ParameterStore

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
PAGE = "ab" * 16


@pytest.fixture
async def runner(
    tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[Runner]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")
    await upgrade(db.engine)
    made = Runner(db, store, translator, lambda: NOW)

    async def sms(address: str, replies: list[Outgoing]) -> None:
        del address, replies

    made.senders["sms"] = sms  # SMS can be sent (the outbox would send the code)
    made.deep_links["telegram"] = lambda code: f"https://t.me/komek_test_bot?start={code}"
    yield made
    await db.close()


async def web(runner: Runner, text: str = "", choice: str | None = None) -> list[Outgoing]:
    return await runner.handle(InboundMessage("web", PAGE, text, choice=choice, language_hint="en"))


async def to_the_offer(runner: Runner) -> list[Outgoing]:
    await web(runner)
    await web(runner, choice="yes")  # consent
    await web(runner, "menu")
    await web(runner, choice="reminders")
    return await web(runner, choice="on")


async def contact(runner: Runner, channel: str, address: str) -> Any:
    c = CONTACTS.c
    return await runner.db.run(
        lambda conn: conn.execute(
            select(CONTACTS).where(c.channel == channel, c.address == address)
        ).first()
    )


async def code_sent(runner: Runner) -> str:
    rows = await runner.db.run(
        lambda conn: conn.execute(select(OUTBOX.c.payload).where(OUTBOX.c.kind == CODE)).all()
    )
    return str(rows[-1].payload["code"])


async def test_reminders_on_the_web_go_by_sms_once_the_number_is_confirmed(
    runner: Runner,
) -> None:
    (offer,) = await to_the_offer(runner)
    assert "cannot send reminders here" in offer.text
    assert [key for key, _ in offer.choices] == ["telegram", "sms", "later"]
    (asked,) = await web(runner, choice="sms")
    assert asked.input_hint == "numeric"
    (bad,) = await web(runner, "12345")
    assert "not a mobile number" in bad.text
    (sent,) = await web(runner, "8 701 555 44 33")
    assert "sent a code by SMS to …4433" in sent.text
    code = await code_sent(runner)
    (wrong,) = await web(runner, "000000" if code != "000000" else "111111")
    assert "not right" in wrong.text
    (done,) = await web(runner, code)
    assert "reminders will come by SMS to …4433" in done.text

    phone = await contact(runner, "sms", "+77015554433")
    page = await contact(runner, "web", PAGE)
    assert phone.reminders and phone.consent and not phone.opted_out
    assert not page.reminders
    (taken,) = await runner.db.run(
        lambda conn: conn.execute(
            select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.contact_id == phone.id)
        ).all()
    )
    assert taken.state["step"] == "menu" and taken.state["lang"] == "en"
    assert "handover" not in taken.state


async def test_a_code_cannot_be_guessed_more_than_five_times(runner: Runner) -> None:
    await to_the_offer(runner)
    await web(runner, choice="sms")
    await web(runner, "8 701 555 44 33")
    code = await code_sent(runner)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        await web(runner, wrong)
    (refused,) = await web(runner, code)
    assert "not right" in refused.text
    assert not (await contact(runner, "sms", "+77015554433")).reminders


async def test_a_code_expires_after_ten_minutes(runner: Runner) -> None:
    await to_the_offer(runner)
    await web(runner, choice="sms")
    await web(runner, "87015554433")
    code = await code_sent(runner)
    runner.clock = lambda: NOW + timedelta(minutes=11)
    (refused,) = await web(runner, code)
    assert "expired" in refused.text


async def test_a_telegram_link_carries_the_conversation_once(runner: Runner) -> None:
    await to_the_offer(runner)
    (link_reply,) = await web(runner, choice="telegram")
    found = re.search(r"https://t\.me/komek_test_bot\?start=(w-[\w-]+)", link_reply.text)
    assert found is not None
    assert link_reply.html is not None and f'href="{found.group(0)}"' in link_reply.html
    start = f"/start {found.group(1)}"
    (first, *_) = await runner.handle(InboundMessage("telegram", "5551", start))
    assert first.text.startswith("Hello again: the conversation from the web page goes on here")
    chat = await contact(runner, "telegram", "5551")
    assert chat.reminders and chat.consent and chat.language == "en"
    assert not (await contact(runner, "web", PAGE)).reminders
    # The link is spent: another chat that opens it starts a conversation of its own.
    (other, *_) = await runner.handle(InboundMessage("telegram", "5552", start))
    assert not other.text.startswith("Hello again")
    assert not (await contact(runner, "telegram", "5552")).reminders


async def test_nothing_is_offered_where_there_is_nowhere_to_hand_over(runner: Runner) -> None:
    runner.senders.clear()
    runner.deep_links.clear()
    (reply,) = await to_the_offer(runner)
    assert "cannot send reminders" in reply.text and "Reminders are on" not in reply.text
    assert not (await contact(runner, "web", PAGE)).reminders


async def test_a_visit_booked_on_the_page_after_the_hand_over_follows_it(
    runner: Runner,
) -> None:
    from bot.conversation.appointments import DbAppointments  # noqa: PLC0415
    from bot.parameters import default_calendar  # noqa: PLC0415
    from bot.storage.offices import import_offices, read_office_records  # noqa: PLC0415
    from bot.storage.tables import APPOINTMENTS  # noqa: PLC0415

    await to_the_offer(runner)
    await web(runner, choice="sms")
    await web(runner, "8 701 555 44 33")
    await web(runner, await code_sent(runner))
    page = await contact(runner, "web", PAGE)
    examples = Path(__file__).resolve().parents[3] / "examples" / "offices.example.yaml"

    def book(connection: Any) -> int:
        import_offices(connection, read_office_records(examples.name, examples.read_bytes()), NOW)
        appointments = DbAppointments(connection, page.id, NOW, default_calendar())
        slot = appointments.slots("example-astana-1", NOW.date() + timedelta(days=4), 1)[0]
        booking = appointments.book("example-astana-1", slot.start)
        assert booking is not None
        return booking.id

    booking_id = await runner.db.run(book)
    await web(runner, "menu")  # the page's next turn: what it asked for goes where it was handed
    phone = await contact(runner, "sms", "+77015554433")
    owner = await runner.db.run(
        lambda conn: conn.execute(
            select(APPOINTMENTS.c.contact_id).where(APPOINTMENTS.c.id == booking_id)
        ).scalar_one()
    )
    assert owner == phone.id
    reminders = await runner.db.run(
        lambda conn: (
            conn.execute(
                select(OUTBOX.c.contact_id).where(OUTBOX.c.key.startswith(f"visit:{booking_id}:"))
            )
            .scalars()
            .all()
        )
    )
    assert reminders == [phone.id]
