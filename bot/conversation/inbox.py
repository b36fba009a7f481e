"""The inbox, as the conversation sees it: where a family's request for a person goes, who will
answer it and when, what the family writes while the bot holds, and the bot taking the
conversation back from the worker.

Every function takes the connection of the caller's transaction: the turn's (under the
contact's lock) or a staff page's (which takes the same lock before it hands back).

A family in a caseload goes to its own social worker; any other family to its region's queue,
where a worker of the region takes it. A family whose own worker's account is gone goes to the
region's queue too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from bot.conversation.appointments import DbAppointments
from bot.conversation.render import LabelOfTranslator, render_menu
from bot.delivery.inbox import key_prefix, leave_for_page, queue_reply
from bot.i18n.translator import Translator
from bot.storage.offices import load_offices
from bot.storage.tables import CASES, CONTACTS, CONVERSATIONS, INBOX, MESSAGES, OUTBOX, STAFF
from core.calendar import Calendar
from core.hours import soonest
from core.parameters import ParameterStore
from dialogs.conversation import current
from dialogs.person import BACK, Waiting, handed_back, held

_i, _c = INBOX.c, CASES.c


@dataclass(frozen=True, slots=True)
class Caseload:
    case_id: int
    region: str
    staff_id: int | None  # None when the worker's account is gone or switched off


def caseload_of(connection: Connection, contact_id: int) -> Caseload | None:
    """The caseload row the contact belongs to (its SMS number or its linked Telegram chat)."""
    row = connection.execute(
        select(_c.id, _c.region, _c.staff_id, STAFF.c.active)
        .join(STAFF, STAFF.c.id == _c.staff_id)
        .where(or_(_c.sms_contact_id == contact_id, _c.telegram_contact_id == contact_id))
        .order_by(_c.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return Caseload(int(row.id), str(row.region), int(row.staff_id) if row.active else None)


@dataclass
class DbDesk:
    """`dialogs.person.Desk` on the database, for one contact's turn."""

    connection: Connection
    contact_id: int
    now: datetime
    calendar: Calendar

    def region(self) -> str | None:
        found = caseload_of(self.connection, self.contact_id)
        return None if found is None else found.region

    def waiting(self, region: str | None) -> Waiting:
        found = caseload_of(self.connection, self.contact_id)
        region = region or (None if found is None else found.region)
        offices = [o for o in load_offices(self.connection) if o.region == region]
        hours = soonest(offices, self.now, self.calendar)
        return Waiting(
            own_worker=found is not None and found.staff_id is not None,
            region=region,
            open_now=hours is not None and hours.open_now,
            closes=None if hours is None else hours.closes,
            opens=None if hours is None else hours.opens,
        )


def open_of(connection: Connection, contact_id: int) -> int | None:
    """The contact's open inbox conversation, if any."""
    found = connection.execute(
        select(_i.id).where(_i.contact_id == contact_id, _i.closed_at.is_(None)).limit(1)
    ).scalar()
    return None if found is None else int(found)


def with_a_person(channel: str, address: str) -> Callable[[Connection], bool]:
    """Whether a person has (or is about to take) the conversation of this address: its page
    then looks again now and then for the worker's answer."""

    def work(connection: Connection) -> bool:
        found = connection.execute(
            select(_i.id)
            .join(CONTACTS, CONTACTS.c.id == _i.contact_id)
            .where(
                CONTACTS.c.channel == channel,
                CONTACTS.c.address == address,
                _i.closed_at.is_(None),
            )
            .limit(1)
        ).scalar()
        return found is not None

    return work


def open_conversation(
    connection: Connection, contact_id: int, reason: str, region: str | None, now: datetime
) -> int:
    """Put the contact's conversation in the inbox (once: asking again while it is there only
    makes it newer); its id."""
    found = open_of(connection, contact_id)
    if found is not None:
        connection.execute(update(INBOX).where(_i.id == found).values(last_activity_at=now))
        return found
    caseload = caseload_of(connection, contact_id)
    # What the family wrote until now (the request itself too) is the conversation's past, not
    # news for the worker: unread starts after it.
    seen = connection.execute(
        select(func.max(MESSAGES.c.id)).where(
            MESSAGES.c.contact_id == contact_id, MESSAGES.c.direction == "in"
        )
    ).scalar()
    values: dict[str, Any] = {
        "contact_id": contact_id,
        "case_id": None if caseload is None else caseload.case_id,
        "region": region if caseload is None else caseload.region,
        "staff_id": None if caseload is None else caseload.staff_id,
        "reason": reason[:40],
        "taken": caseload is not None and caseload.staff_id is not None,
        "read_upto": int(seen or 0),
        "first_message_id": int(seen or 0),
        "opened_at": now,
        "last_activity_at": now,
    }
    return int(connection.execute(insert(INBOX).values(values).returning(_i.id)).scalar_one())


def family_wrote(connection: Connection, contact_id: int, now: datetime) -> None:
    """A message of the family while the bot holds: the conversation is newer (the message
    itself is the contact's, unread by the worker until read)."""
    connection.execute(
        update(INBOX)
        .where(_i.contact_id == contact_id, _i.closed_at.is_(None))
        .values(last_activity_at=now)
    )


def close_for(connection: Connection, contact_id: int, now: datetime) -> None:
    """The family said STOP or FORGET: its conversation leaves the inbox."""
    connection.execute(
        update(INBOX)
        .where(_i.contact_id == contact_id, _i.closed_at.is_(None))
        .values(closed_at=now, last_activity_at=now)
    )


def next_number(connection: Connection, conversation_id: int) -> int:
    """The number of the conversation's next outbox message."""
    o = OUTBOX.c
    sent = connection.execute(
        select(func.count()).where(o.key.startswith(key_prefix(conversation_id), autoescape=True))
    ).scalar_one()
    return int(sent) + 1


@dataclass(frozen=True, slots=True)
class BackTo:
    """What the bot needs to take a conversation back."""

    store: ParameterStore
    translator: Translator
    calendar: Calendar  # the question may be a visit's: its free times skip holidays


def hand_back(
    connection: Connection, conversation_id: int, staff_id: int, now: datetime, back: BackTo
) -> bool:
    """The worker hands the conversation back: the bot answers again at the step it was at, and
    tells the family so, with that question asked again (queued on the family's channel, its
    choices as a numbered menu, which every channel reads). False when it is closed already."""
    row = connection.execute(
        select(_i.contact_id, CONTACTS.c.channel, CONTACTS.c.language, CONVERSATIONS.c.state)
        .join(CONTACTS, CONTACTS.c.id == _i.contact_id)
        .outerjoin(CONVERSATIONS, CONVERSATIONS.c.contact_id == _i.contact_id)
        .where(_i.id == conversation_id, _i.closed_at.is_(None))
    ).first()
    if row is None:
        return False
    state = dict(row.state or {})
    if held(state):
        state = handed_back(state)
        connection.execute(
            update(CONVERSATIONS)
            .where(CONVERSATIONS.c.contact_id == row.contact_id)
            .values(state=state, updated_at=now)
        )
        language = str(state.get("lang") or row.language or "ru")
        label_of = LabelOfTranslator(back.translator)
        appointments = DbAppointments(connection, int(row.contact_id), now, back.calendar)
        asked = current(state, now, row.channel, back.store, label_of, appointments)
        # A web page asks the question itself when it next opens: it gets the word alone.
        replies = [replace(asked[0], lines=(BACK, *asked[0].lines))] if asked else []
        text = "\n".join(
            render_menu(reply, language, back.translator, one_line=row.channel == "sms")
            for reply in replies
        )
        if row.channel == "web" or not text:
            text = back.translator.render(BACK, language)
        deliver = leave_for_page if row.channel == "web" else queue_reply
        deliver(
            connection,
            conversation_id=conversation_id,
            contact_id=int(row.contact_id),
            text=text,
            number=next_number(connection, conversation_id),
            now=now,
            staff_id=None,
        )
    connection.execute(
        update(INBOX)
        .where(_i.id == conversation_id)
        .values(closed_at=now, last_activity_at=now, staff_id=staff_id, taken=True)
    )
    return True
