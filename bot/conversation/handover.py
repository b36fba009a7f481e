"""The web chat's hand-over on the database: `DbHandover` implements `dialogs.handover.Handover`
inside the turn's transaction, `claim_telegram` takes a conversation over from its Telegram link,
and `forward` keeps sending what the web page cannot receive to where it was handed over.

A web page cannot be written to first. When its person wants reminders, the conversation is
handed over: to Telegram, by a link that carries it (single use, valid a day), or to a phone, by
a six-digit code sent to it (valid ten minutes, five tries, three codes an hour). The contact
that takes over gets the session (so that it goes on where it was), the reminders, the visits
booked and their reminders; the web page can go on, and what it asks for later follows."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from bot.contacts import linking
from bot.contacts.phone import last_digits, normalise
from bot.delivery.codes import queue_code
from bot.delivery.outbox import PENDING, cancel
from bot.delivery.quarterly import quarter_key
from bot.storage.offices import BOOKED
from bot.storage.tables import (
    APPOINTMENTS,
    ASSESSMENTS,
    CONTACTS,
    CONVERSATIONS,
    HANDOVERS,
    OUTBOX,
)

LINK_VALID = timedelta(days=1)
CODE_VALID = timedelta(minutes=10)
CODE_TRIES = 5
CODES_PER_HOUR = 3
LINK_PREFIX = "w-"

_h, _c = HANDOVERS.c, CONTACTS.c


def _digest(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class DbHandover:
    """`dialogs.handover.Handover` for one web contact, in one transaction."""

    def __init__(
        self,
        connection: Connection,
        contact_id: int,
        now: datetime,
        *,
        key: bytes,
        links: Mapping[str, Callable[[str], str]],
        can_text: bool,
        state: dict[str, Any],
    ) -> None:
        self.connection = connection
        self.contact_id = contact_id
        self.now = now
        self.key = key
        self.links = links
        self._can_text = can_text
        self.state = state  # the session being changed: what the taker gets
        self._link: str | None = None

    def target(self) -> str | None:
        taker = current_target(self.connection, self.contact_id)
        if taker is None:
            return None
        channel, address = taker[1], taker[2]
        return "telegram" if channel == "telegram" else last_digits(address)

    def telegram_link(self) -> str | None:
        make = self.links.get("telegram")
        if make is None:
            return None
        if self._link is None:  # one link per turn, however often the dialog asks
            code = LINK_PREFIX + secrets.token_urlsafe(12)
            self.connection.execute(
                insert(HANDOVERS).values(
                    web_contact_id=self.contact_id,
                    kind="telegram",
                    code_hash=_digest(self.key, code),
                    attempts=0,
                    created_at=self.now,
                    expires_at=self.now + LINK_VALID,
                )
            )
            self._link = make(code)
        return self._link

    def can_text(self) -> bool:
        return self._can_text

    def send_code(self, typed: str) -> str | None:
        phone = normalise(typed)
        if phone is None or not self._can_text or not phone.startswith("+7"):
            return None
        sent_lately = self.connection.execute(
            select(func.count()).where(
                _h.web_contact_id == self.contact_id,
                _h.kind == "sms",
                _h.created_at > self.now - timedelta(hours=1),
            )
        ).scalar_one()
        if sent_lately >= CODES_PER_HOUR:
            return None
        contact = _contact(self.connection, "sms", phone, self.now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        handover_id = self.connection.execute(
            insert(HANDOVERS)
            .values(
                web_contact_id=self.contact_id,
                kind="sms",
                code_hash="",
                phone_contact_id=contact,
                attempts=0,
                created_at=self.now,
                expires_at=self.now + CODE_VALID,
            )
            .returning(_h.id)
        ).scalar_one()
        self.connection.execute(
            update(HANDOVERS)
            .where(_h.id == handover_id)
            .values(code_hash=_digest(self.key, f"{handover_id}:{code}"))
        )
        language = self.state.get("lang")
        queue_code(
            self.connection,
            int(handover_id),
            contact,
            code,
            self.now,
            language=language if isinstance(language, str) else None,
        )
        return last_digits(phone)

    def confirm(self, typed: str) -> str | None:
        code = "".join(ch for ch in typed if ch.isdigit())
        pending = self.connection.execute(
            select(_h.id, _h.code_hash, _h.attempts, _h.phone_contact_id)
            .where(
                _h.web_contact_id == self.contact_id,
                _h.kind == "sms",
                _h.used_at.is_(None),
                _h.expires_at > self.now,
            )
            .order_by(_h.id.desc())
            .limit(1)
        ).first()
        if pending is None or pending.attempts >= CODE_TRIES or pending.phone_contact_id is None:
            return None
        self.connection.execute(
            update(HANDOVERS).where(_h.id == pending.id).values(attempts=_h.attempts + 1)
        )
        expected = _digest(self.key, f"{pending.id}:{code}")
        if len(code) != 6 or not hmac.compare_digest(expected, pending.code_hash):
            return None
        taker = int(pending.phone_contact_id)
        self.connection.execute(
            update(HANDOVERS)
            .where(_h.id == pending.id)
            .values(used_at=self.now, to_contact_id=taker)
        )
        # The number is confirmed by its owner, who asks to be written to there.
        self.connection.execute(update(CONTACTS).where(_c.id == taker).values(opted_out=False))
        transfer(self.connection, self.contact_id, taker, self.state, self.now)
        address = self.connection.execute(select(_c.address).where(_c.id == taker)).scalar_one()
        return last_digits(str(address))


def _contact(connection: Connection, channel: str, address: str, now: datetime) -> int:
    found = connection.execute(
        select(_c.id).where(_c.channel == channel, _c.address == address)
    ).scalar()
    if found is not None:
        return int(found)
    return int(
        connection.execute(
            insert(CONTACTS)
            .values(
                channel=channel, address=address, consent=False, opted_out=False, created_at=now
            )
            .returning(_c.id)
        ).scalar_one()
    )


def current_target(connection: Connection, web_contact_id: int) -> tuple[int, str, str] | None:
    """The contact a web conversation was last handed over to: (id, channel, address)."""
    row = connection.execute(
        select(_c.id, _c.channel, _c.address)
        .join(HANDOVERS, _h.to_contact_id == _c.id)
        .where(_h.web_contact_id == web_contact_id, _h.used_at.is_not(None))
        .order_by(_h.used_at.desc(), _h.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row.id), str(row.channel), str(row.address))


def transfer(
    connection: Connection, source: int, taker: int, state: dict[str, Any], now: datetime
) -> None:
    """`taker` takes the conversation over from `source`: the session (a copy, so that it goes
    on where it was), consent, language and reminders, the assessments, the visits booked and
    their reminders."""
    person = connection.execute(
        select(_c.consent, _c.consent_at, _c.language, _c.reminders).where(_c.id == source)
    ).one()
    wants = bool(state.get("reminders")) or bool(person.reminders)
    connection.execute(
        update(CONTACTS)
        .where(_c.id == taker)
        .values(
            consent=person.consent,
            consent_at=person.consent_at,
            language=person.language or state.get("lang"),
            reminders=wants and bool(person.consent),
        )
    )
    connection.execute(update(CONTACTS).where(_c.id == source).values(reminders=False))
    cancel(connection, quarter_key(source), now)
    linking.link(connection, source, taker, now)  # one person: the outbox may try either
    copy = taken_over(state)
    v = CONVERSATIONS.c
    if connection.execute(select(v.contact_id).where(v.contact_id == taker)).first() is None:
        connection.execute(
            insert(CONVERSATIONS).values(contact_id=taker, state=copy, updated_at=now)
        )
    else:
        connection.execute(
            update(CONVERSATIONS).where(v.contact_id == taker).values(state=copy, updated_at=now)
        )
    _move(connection, source, taker, now)
    connection.execute(
        update(ASSESSMENTS).where(ASSESSMENTS.c.contact_id == source).values(contact_id=taker)
    )


def _move(connection: Connection, source: int, taker: int, now: datetime) -> None:
    """Visits still booked, and their reminders, go with the conversation."""
    a, o = APPOINTMENTS.c, OUTBOX.c
    connection.execute(
        update(APPOINTMENTS)
        .where(a.contact_id == source, a.status == BOOKED, a.starts_at >= now)
        .values(contact_id=taker, updated_at=now)
    )
    connection.execute(
        update(OUTBOX)
        .where(o.contact_id == source, o.status == PENDING, o.key.startswith("visit:"))
        .values(contact_id=taker, updated_at=now)
    )


def forward(connection: Connection, web_contact_id: int, now: datetime) -> None:
    """After a web turn: what the page asked for since its hand-over (another visit, reminders
    turned on) goes to the contact that took it over."""
    taker = current_target(connection, web_contact_id)
    if taker is None:
        return
    _move(connection, web_contact_id, taker[0], now)
    wants = connection.execute(select(_c.reminders).where(_c.id == web_contact_id)).scalar()
    if wants:
        connection.execute(update(CONTACTS).where(_c.id == taker[0]).values(reminders=True))
        connection.execute(update(CONTACTS).where(_c.id == web_contact_id).values(reminders=False))


def claim_telegram(
    connection: Connection, code: str, telegram_contact_id: int, key: bytes, now: datetime
) -> dict[str, Any] | None:
    """A Telegram chat opened a web conversation's link: it takes the conversation over (once,
    within the day); the session it goes on with, or None for an unknown or used link."""
    row = connection.execute(
        select(_h.id, _h.web_contact_id)
        .where(
            _h.code_hash == _digest(key, code),
            _h.kind == "telegram",
            _h.used_at.is_(None),
            _h.expires_at > now,
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    connection.execute(
        update(HANDOVERS)
        .where(_h.id == row.id)
        .values(used_at=now, to_contact_id=telegram_contact_id)
    )
    stored = connection.execute(
        select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.contact_id == row.web_contact_id)
    ).scalar()
    state = dict(stored) if stored is not None else {}
    transfer(connection, int(row.web_contact_id), telegram_contact_id, state, now)
    return taken_over(state)


def taken_over(state: dict[str, Any]) -> dict[str, Any]:
    """The session the taker goes on with: the answers and results, at the menu."""
    kept = {k: v for k, v in state.items() if k not in ("handover", "page", "visit")}
    return {**kept, "step": "menu"}
