"""Forget me: what Komek keeps of a person after FORGET, and nothing more.

After FORGET no answer, choice, text, result or household of the person is stored: the texts of
their messages in and out, the buttons they pressed, the assessments and the comments they left
as feedback are deleted (their ratings stay as figures of a region, with no one named); reminders
that had not gone out are deleted; visits still booked are cancelled (the office sees them as
cancelled, with no one named); a social worker's case loses its link to the chat and says that
the family asked Komek to forget it (the case itself is the office's record, and stays).

The contact row stays, with its address replaced by a keyed hash: the person's choice not to be
written to (STOP), the de-duplication of a gateway's retries and a later return all still work,
and nobody holding the database can read the number back (phone numbers are few enough to
guess by brute force, hence a key rather than a plain hash).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from bot.delivery.outbox import CANCELLED, PENDING
from bot.delivery.visits import cancel_visit
from bot.storage.feedback import forget_feedback
from bot.storage.offices import BOOKED
from bot.storage.tables import (
    APPOINTMENTS,
    ASSESSMENTS,
    CASES,
    CONTACTS,
    LINK_CODES,
    MESSAGES,
    OUTBOX,
)

log = logging.getLogger(__name__)

FORGOTTEN = "forgotten:"


def hashed_address(key: bytes, channel: str, address: str) -> str:
    """What replaces an address after FORGET (74 characters: the column holds 128)."""
    digest = hmac.new(key, f"{channel}:{address}".encode(), hashlib.sha256).hexdigest()
    return FORGOTTEN + digest


def is_forgotten(address: str) -> bool:
    return address.startswith(FORGOTTEN)


def forget(connection: Connection, contact_id: int, key: bytes, now: datetime) -> None:
    """Delete what is kept of the contact, in the caller's transaction (the turn's)."""
    c, m, a, o, k = CONTACTS.c, MESSAGES.c, APPOINTMENTS.c, OUTBOX.c, CASES.c
    found = connection.execute(select(c.channel, c.address).where(c.id == contact_id)).first()
    if found is None:
        return
    connection.execute(
        update(MESSAGES)
        .where(m.contact_id == contact_id)
        .values(body=None, choice=None, choices=None, language_hint=None)
    )
    connection.execute(delete(ASSESSMENTS).where(ASSESSMENTS.c.contact_id == contact_id))
    forget_feedback(connection, contact_id)
    booked = connection.execute(
        select(a.id).where(a.contact_id == contact_id, a.status == BOOKED, a.starts_at >= now)
    ).scalars()
    for booking_id in list(booked):
        cancel_visit(connection, booking_id, now, contact_id=contact_id, by="forget")
    connection.execute(
        delete(OUTBOX).where(o.contact_id == contact_id, o.status.in_((PENDING, CANCELLED)))
    )
    connection.execute(
        update(CASES)
        .where(k.telegram_contact_id == contact_id)
        .values(telegram_contact_id=None, chat_forgotten_at=now, updated_at=now)
    )
    connection.execute(
        update(CASES)
        .where(k.sms_contact_id == contact_id)
        .values(sms_contact_id=None, chat_forgotten_at=now, updated_at=now)
    )
    # Which other channels were the same person is not kept either.
    connection.execute(update(CONTACTS).where(c.id == contact_id).values(person_id=None))
    connection.execute(delete(LINK_CODES).where(LINK_CODES.c.contact_id == contact_id))
    if not is_forgotten(found.address):
        connection.execute(
            update(CONTACTS)
            .where(c.id == contact_id)
            .values(address=hashed_address(key, found.channel, found.address))
        )
    log.info("contact %s: forgotten", contact_id)


# What a session keeps after FORGET: where the conversation stands and in which language, the
# person's STOP (on the web chat, which goes on answering, `opted_out`: START ends it), and
# nothing the person answered (the engine's keys for answers come and go; this list does not).
KEPT_IN_SESSION = ("v", "lang", "step", "stopped", "opted_out", "consent", "reminders")


def forgotten_session(state: dict[str, object]) -> dict[str, object]:
    kept = {name: state[name] for name in KEPT_IN_SESSION if name in state}
    return {**kept, "answers": {}, "history": []}


def returned(connection: Connection, channel: str, address: str, key: bytes) -> int | None:
    """A forgotten contact writing again: its row gets its address back (to be answered and
    reminded again once it consents again); None when this address was never forgotten."""
    c = CONTACTS.c
    hashed = hashed_address(key, channel, address)
    found = connection.execute(
        select(c.id).where(c.channel == channel, c.address == hashed)
    ).scalar()
    if found is None:
        return None
    connection.execute(update(CONTACTS).where(c.id == found).values(address=address))
    return int(found)
