"""Contacts that are the same person: linked by phone (WhatsApp and SMS), by a deep link's
code, by an SMS code typed back; the order in which the outbox tries them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, insert, select

from bot.contacts.linking import issue, link_by_phone, redeem, route, stopped
from bot.conversation.forget import forget, hashed_address
from bot.storage import people
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.people import Linked
from bot.storage.tables import CONTACTS

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")


def contact(connection: Connection, channel: str, address: str) -> int:
    return int(
        connection.execute(
            insert(CONTACTS)
            .values(
                channel=channel, address=address, consent=False, opted_out=False, created_at=NOW
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
    )


def person(connection: Connection, contact_id: int) -> set[tuple[str, str]]:
    return {(c.channel, c.address) for c in people.linked(connection, [contact_id])[contact_id]}


async def test_contacts_are_linked_by_phone_and_by_codes(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")
    await upgrade(db.engine)

    def work(connection: Connection) -> None:
        phone = "+77011234567"
        sms = contact(connection, "sms", phone)
        assert person(connection, sms) == {("sms", phone)}  # linked to nobody yet
        wa = contact(connection, "whatsapp", phone)
        link_by_phone(connection, wa, "whatsapp", phone, NOW)
        assert person(connection, sms) == {("sms", phone), ("whatsapp", phone)}
        # A deep link given to the WhatsApp contact, opened on Telegram.
        chat = contact(connection, "telegram", "900")
        code = issue(connection, wa, NOW)
        assert redeem(connection, code, chat, NOW) == wa
        assert redeem(connection, code, chat, NOW) is None  # once
        assert len(person(connection, sms)) == 3
        # A web chat asks to go on by SMS: a code to another phone, typed back in the web chat.
        web = contact(connection, "web", "w-1")
        code = issue(connection, web, NOW, channel="sms", address="+77017654321")
        assert len(code) == 6 and code.isdecimal()
        assert redeem(connection, code, chat, NOW) is None  # only the one who asked
        assert redeem(connection, code, web, NOW + timedelta(hours=1)) is None  # expired
        code = issue(connection, web, NOW, channel="sms", address="+77017654321")
        other = redeem(connection, code, web, NOW)
        assert other is not None
        assert person(connection, web) == {("web", "w-1"), ("sms", "+77017654321")}
        # Two people linked to each other become one.
        code = issue(connection, chat, NOW)
        assert redeem(connection, code, web, NOW) == chat
        assert len(person(connection, web)) == 5
        found = connection.execute(select(CONTACTS.c.person_id).distinct()).scalars().all()
        assert len(found) == 1
        # FORGET on WhatsApp: that contact is no longer known to be the same person.
        forget(connection, wa, b"k" * 32, NOW)
        assert person(connection, wa) == {
            ("whatsapp", hashed_address(b"k" * 32, "whatsapp", phone))
        }
        assert ("whatsapp", phone) not in person(connection, sms) and len(
            person(connection, sms)
        ) == 4

    try:
        await db.run(work)
    finally:
        await db.close()


def linked(id: int, channel: str, *, out: bool = False, why: str | None = None) -> Linked:
    return Linked(id, channel, f"a{id}", None, out, why, 1)


def test_the_route_starts_where_the_person_last_wrote() -> None:
    contacts = [linked(1, "sms"), linked(2, "telegram"), linked(3, "whatsapp"), linked(4, "web")]
    t = NOW
    channels = {"sms", "telegram", "whatsapp"}
    order = route(contacts, {2: t, 3: t + timedelta(hours=1)}, channels)
    assert [c.id for c in order] == [3, 2, 1]  # WhatsApp most recent; SMS never written from
    assert [c.id for c in route(contacts, {}, channels)] == [3, 2, 1]  # messengers before SMS
    blocked = [linked(1, "sms"), linked(2, "telegram", out=True, why="blocked")]
    assert [c.id for c in route(blocked, {2: t}, channels)] == [1]
    assert not stopped(blocked)
    assert stopped([linked(1, "sms", out=True), linked(2, "telegram")])  # STOP by SMS
