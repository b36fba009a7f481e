"""One person, several channels: contacts that are the same person are linked, and the outbox
tries them in turn (`route`).

Contacts are linked
- by phone number: a WhatsApp number is a phone number (stored, like an SMS contact's, in
  E.164), so a WhatsApp contact and an SMS contact with the same number are one person, and so
  is a social worker's case whose phone it is;
- by a code: a deep link opened on another channel (`/start <code>` on Telegram: a social
  worker's case link, or a code any contact was given), or a code sent by SMS to a number and
  typed back by the contact that asked for it (`issue` with the number, then `redeem`).

The person's preferred channel is the one they last wrote from.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from bot.storage import people
from bot.storage.people import Linked
from bot.storage.tables import CONTACTS, LINK_CODES

PHONE_CHANNELS = ("sms", "whatsapp")
# Contacts that never wrote (an SMS contact from a caseload) come after those that did, a
# messenger before SMS.
CHANNEL_ORDER = ("whatsapp", "telegram", "sms")
CODE_VALID = timedelta(minutes=30)
SMS_CODE_DIGITS = 6


def link_by_phone(
    connection: Connection, contact_id: int, channel: str, address: str, now: datetime
) -> None:
    """Link a contact whose address is a phone number with every other contact of that number."""
    if channel not in PHONE_CHANNELS or not address.startswith("+"):
        return
    twins = people.same_address(connection, PHONE_CHANNELS, address)
    people.link(connection, [contact_id, *twins], now)


def link(connection: Connection, first: int, second: int, now: datetime) -> None:
    people.link(connection, [first, second], now)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def issue(
    connection: Connection,
    contact_id: int,
    now: datetime,
    *,
    channel: str | None = None,
    address: str | None = None,
    valid: timedelta = CODE_VALID,
) -> str:
    """A code that links `contact_id` to another contact, once, within `valid`. Without an
    address it is a deep link's code, opened from the other channel (12 URL-safe characters);
    with one (an SMS number) it is sent there and typed back by `contact_id` (6 digits)."""
    if (channel is None) != (address is None):
        raise ValueError("a code names both a channel and an address, or neither")
    if address is None:
        code = secrets.token_urlsafe(9)
    else:
        code = "".join(secrets.choice("0123456789") for _ in range(SMS_CODE_DIGITS))
    connection.execute(
        insert(LINK_CODES).values(
            code_hash=_hash(code),
            contact_id=contact_id,
            channel=channel,
            address=address,
            expires_at=now + valid,
            created_at=now,
        )
    )
    return code


def redeem(connection: Connection, code: str, contact_id: int, now: datetime) -> int | None:
    """Link by a code: a deep link's code links the contact that opened it to the one it was
    issued for; an SMS code, typed back by the contact it was issued for, links it to the
    number's contact (made if there is none). The other contact's id, or None for a code that
    is unknown, used, expired or typed by someone else."""
    k = LINK_CODES.c
    row = connection.execute(
        select(k.id, k.contact_id, k.channel, k.address).where(
            k.code_hash == _hash(code),
            k.used_at.is_(None),
            k.expires_at > now,
        )
    ).first()
    if row is None:
        return None
    if row.address is None:
        other = int(row.contact_id)
        if other == contact_id:
            return None
    else:
        if int(row.contact_id) != contact_id:
            return None
        other = _contact(connection, str(row.channel), str(row.address), now)
    done = connection.execute(
        update(LINK_CODES).where(k.id == row.id, k.used_at.is_(None)).values(used_at=now)
    )
    if done.rowcount != 1:
        return None
    people.link(connection, [contact_id, other], now)
    if row.address is not None:
        link_by_phone(connection, other, str(row.channel), str(row.address), now)
    return other


def _contact(connection: Connection, channel: str, address: str, now: datetime) -> int:
    c = CONTACTS.c
    found = connection.execute(
        select(c.id).where(c.channel == channel, c.address == address)
    ).scalar()
    if found is not None:
        return int(found)
    return int(
        connection.execute(
            insert(CONTACTS)
            .values(
                channel=channel, address=address, consent=False, opted_out=False, created_at=now
            )
            .returning(c.id)
        ).scalar_one()
    )


def route(
    contacts: list[Linked], last_in: dict[int, datetime], channels: Collection[str]
) -> list[Linked]:
    """The contacts to try for a message, in order: the one the person last wrote from first
    (their preferred channel), then the others by how recently they wrote, then those that
    never did. Only channels that can send now (`channels`), and no contact its channel has
    found unreachable."""
    usable = [c for c in contacts if c.channel in channels and c.unreachable is None]
    wrote = sorted(
        (c for c in usable if c.id in last_in), key=lambda c: (last_in[c.id], c.id), reverse=True
    )
    silent = sorted(
        (c for c in usable if c.id not in last_in),
        key=lambda c: (CHANNEL_ORDER.index(c.channel) if c.channel in CHANNEL_ORDER else 99, c.id),
    )
    return wrote + silent


def stopped(contacts: list[Linked]) -> bool:
    """Whether the person said STOP on one of their channels (a contact opted out with no
    reason of its channel's): nothing that is not a reply goes to them on any channel."""
    return any(c.opted_out and c.unreachable is None for c in contacts)
