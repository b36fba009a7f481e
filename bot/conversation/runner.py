"""The runner: the one place where a conversation turn meets the world.

Per inbound message: record it (de-duplicated by the channel's own id) before the channel is
answered, then take the contact's lock, load the session, run the engine, and commit in one
transaction the new session, the effects of its events (consent, forget me, opt-out, an
assessment, a rating) and the outbound messages. Only then does the channel send them. A message
recorded but not processed (a crash between the two) is processed by `recover` when the server
starts. A contact the outbox has just asked how useful a visit was has its next message read as
the answer (`dialogs.flows.feedback.expect_visit`).

Each transaction is one function of a connection, run whole by `Database.run` (see there why).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Insert, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.contacts import linking
from bot.conversation import redelivery
from bot.conversation.appointments import DbAppointments
from bot.conversation.cases import DbCases
from bot.conversation.forget import forget, forgotten_session, is_forgotten, returned
from bot.conversation.handover import LINK_PREFIX, DbHandover, claim_telegram, forward
from bot.conversation.ics import visit_calendar
from bot.conversation.inbox import DbDesk, close_for, family_wrote, open_conversation
from bot.conversation.locks import Locks
from bot.conversation.render import LabelOfTranslator, render_html, render_menu, render_text
from bot.delivery.outbox import cancel
from bot.delivery.quarterly import quarter_key
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.senders import Document, Outgoing, Senders
from bot.i18n.translator import Translator
from bot.parameters import default_calendar
from bot.storage import messages
from bot.storage.cases import case_language, link_telegram
from bot.storage.database import Database
from bot.storage.feedback import store_comment, store_rating
from bot.storage.messages import PROCESSED, QUEUED, RECEIVED
from bot.storage.tables import ASSESSMENTS, CONTACTS, CONVERSATIONS, MESSAGES
from bot.storage.text import clean, fit
from core.calendar import Calendar
from core.parameters import ParameterStore
from dialogs.conversation import Inbound, Reply, current, new_session, resume
from dialogs.engine import MAX_TEXT
from dialogs.flows.feedback import expect_visit
from dialogs.flows.handover import WENT_ON

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: str
    address: str
    text: str
    external_id: str | None = None
    choice: str | None = None
    language_hint: str | None = None


class Recorded(NamedTuple):
    message_id: int
    contact_id: int
    address: str = ""  # as the channel gave it (a forgotten contact that writes again gets it)


BUTTON_CHANNELS = frozenset({"telegram", "web", "whatsapp"})

# A whole self-assessment, for `Runner.warm_up`: greeting, [language], consent, region, ages,
# the rest of the questions, the result and its explanation.
WARM_UP = ("/start", "1", "6", "34 32 7 2", "0", "2", "1", "90000", "1", "1", "1", "menu")

# Contact ids by (channel, address), so that recording a message is one statement. Ids never
# change; a contact deleted meanwhile makes the insert fail and the id is looked up again.
CONTACT_CACHE_LIMIT = 100_000


def _storable(inbound: InboundMessage) -> InboundMessage:
    return replace(
        inbound,
        text=clean(inbound.text)[:MAX_TEXT],
        choice=None if inbound.choice is None else fit(inbound.choice, 64),
        language_hint=None if inbound.language_hint is None else fit(inbound.language_hint, 16),
        external_id=None if inbound.external_id is None else fit(inbound.external_id, 128),
    )


@dataclass
class _Person:
    """The contact's row as a turn reads and changes it."""

    consent: bool
    consent_at: datetime | None
    opted_out: bool
    language: str | None
    reminders: bool

    def values(self) -> dict[str, Any]:
        return {
            "consent": self.consent,
            "consent_at": self.consent_at,
            "opted_out": self.opted_out,
            "language": self.language,
            "reminders": self.reminders,
        }


def _reload(connection: Connection, contact_id: int, person: _Person) -> None:
    """The person as the database has them now (after a hand-over changed their row)."""
    row = connection.execute(
        select(_c.consent, _c.consent_at, _c.opted_out, _c.language, _c.reminders).where(
            _c.id == contact_id
        )
    ).one()
    person.consent, person.consent_at = bool(row.consent), row.consent_at
    person.opted_out, person.language = bool(row.opted_out), row.language
    person.reminders = bool(row.reminders)


@dataclass(frozen=True, slots=True)
class _Writing:
    """Whose turn is being written, and when (and on which channel the message came)."""

    contact_id: int
    person: _Person
    now: datetime
    channel: str = ""


def _insert_new(table: Table) -> dict[str, Insert]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, per dialect."""
    return {
        "postgresql": postgresql.insert(table).on_conflict_do_nothing().returning(table.c.id),
        "sqlite": sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id),
    }


# The statements of a turn, built once: building and keying a statement costs more than SQLite
# takes to run it.
_m, _c, _v = MESSAGES.c, CONTACTS.c, CONVERSATIONS.c
NEW_MESSAGE = _insert_new(MESSAGES)  # a repeated delivery (same channel id) returns no row
NEW_CONTACT = _insert_new(CONTACTS)
CONTACT_ID = select(_c.id).where(
    _c.channel == bindparam("contact_channel"), _c.address == bindparam("contact_address")
)
# A turn reads its messages, the person and the session in one statement (one round trip on
# PostgreSQL); only the messages are locked.
WAITING = (
    select(
        _m.id,
        _m.channel,
        _m.body,
        _m.choice,
        _m.language_hint,
        _c.consent,
        _c.consent_at,
        _c.opted_out,
        _c.language,
        _c.reminders,
        _c.address,
        _c.unreachable,
        _c.feedback_visit,
        _v.state,
    )
    .select_from(
        MESSAGES.join(CONTACTS, _c.id == _m.contact_id).outerjoin(
            CONVERSATIONS, _v.contact_id == _m.contact_id
        )
    )
    .where(
        _m.contact_id == bindparam("contact"),
        _m.direction == "in",
        _m.status == RECEIVED,
        _m.id <= bindparam("last"),
    )
    .order_by(_m.id)
    .with_for_update(of=MESSAGES)
)
PROCESSED_KEPT = (
    update(MESSAGES)
    .where(_m.id.in_(bindparam("ids", expanding=True)))
    .values(status=PROCESSED, updated_at=bindparam("now"))
)
PROCESSED_CLEARED = (
    update(MESSAGES)
    .where(_m.id.in_(bindparam("ids", expanding=True)))
    .values(status=PROCESSED, body=None, updated_at=bindparam("now"))
)
UPDATE_PERSON = update(CONTACTS).where(_c.id == bindparam("contact"))
NEW_STATE = insert(CONVERSATIONS)
UPDATE_STATE = (
    update(CONVERSATIONS)
    .where(_v.contact_id == bindparam("contact"))
    .values(state=bindparam("new_state"), updated_at=bindparam("now"))
)
NEW_REPLIES = insert(MESSAGES).returning(_m.id, sort_by_parameter_order=True)


@dataclass
class Runner:
    db: Database
    store: ParameterStore
    translator: Translator
    clock: Callable[[], datetime]
    locks: Locks = field(default_factory=Locks)
    # How each channel delivers replies that no request is waiting for (after a restart), and
    # what the outbox sends; the app factory registers each configured channel's sender.
    senders: Senders = field(default_factory=dict)
    calendar: Calendar = field(default_factory=default_calendar)
    limiter: RateLimiter | None = None  # for messages that are not replies
    # Keys the hash that replaces a forgotten person's address (`bot.keys`); the server gives
    # the process's own, so that a person who returns after a restart is recognised.
    address_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # Links into a channel that carry a code (Telegram's t.me/<bot>?start=<code>), registered
    # by the channel when it knows its own address.
    deep_links: dict[str, Callable[[str], str]] = field(default_factory=dict)
    _contacts: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.db.sessions

    # -- recording -------------------------------------------------------------------------

    async def record(self, inbound: InboundMessage) -> Recorded | None:
        """Store the inbound message; None when the channel already delivered this one.

        What a person typed is kept as far as a database can keep it (a NUL or a lone surrogate
        half would make the write fail, and the channel retry it for ever)."""
        inbound = _storable(inbound)
        key = (inbound.channel, inbound.address)
        known = self._contacts.get(key)
        try:
            recorded = await self.db.run(self._record_work(inbound, self.clock(), known))
        except IntegrityError:
            if known is None:
                raise
            self._contacts.pop(key, None)  # the contact was deleted: look it up again
            recorded = await self.db.run(self._record_work(inbound, self.clock(), None))
        if recorded is not None and known is None:
            if len(self._contacts) >= CONTACT_CACHE_LIMIT:
                self._contacts.clear()
            self._contacts[key] = recorded.contact_id
        return recorded

    def _record_work(
        self, inbound: InboundMessage, now: datetime, contact_id: int | None
    ) -> Callable[[Connection], Recorded | None]:
        def work(connection: Connection) -> Recorded | None:
            contact = contact_id
            if contact is None:
                contact = self._contact_id(connection, inbound.channel, inbound.address, now)
            values = {
                "contact_id": contact,
                "channel": inbound.channel,
                "direction": "in",
                "external_id": inbound.external_id,
                "body": inbound.text,
                "choice": inbound.choice,
                "language_hint": inbound.language_hint,
                "status": RECEIVED,
                "created_at": now,
                "updated_at": now,
            }
            statement = NEW_MESSAGE[connection.dialect.name]
            message_id = connection.execute(statement, values).scalar()
            return None if message_id is None else Recorded(message_id, contact, inbound.address)

        return work

    def _contact_id(self, connection: Connection, channel: str, address: str, now: datetime) -> int:
        key = {"contact_channel": channel, "contact_address": address}
        found = connection.execute(CONTACT_ID, key).scalar()
        if found is not None:
            return int(found)
        back = returned(connection, channel, address, self.address_key)
        if back is not None:
            return back
        created = connection.execute(
            NEW_CONTACT[connection.dialect.name],
            {
                "channel": channel,
                "address": address,
                "consent": False,
                "opted_out": False,
                "created_at": now,
            },
        ).scalar()
        if created is None:  # created meanwhile by a concurrent first message (another worker)
            return int(connection.execute(CONTACT_ID, key).scalar_one())
        # A phone number's contact (WhatsApp, SMS) is the same person as the number's others.
        linking.link_by_phone(connection, int(created), channel, address, now)
        return int(created)

    # -- processing ------------------------------------------------------------------------

    async def process(self, recorded: Recorded) -> list[Outgoing]:
        """Run the conversation for a recorded message, and first for every earlier one of the
        same person still waiting (so that a person's messages are answered in the order they
        were recorded, whichever worker got them). Returns the replies to send, already stored."""
        async with self.locks.hold(recorded.contact_id):
            work = self._process_work(recorded, LabelOfTranslator(self.translator))
            return await self.db.run(work)

    def _process_work(
        self, recorded: Recorded, label_of: LabelOfTranslator
    ) -> Callable[[Connection], list[Outgoing]]:
        def work(connection: Connection) -> list[Outgoing]:
            contact_id = recorded.contact_id
            waiting = connection.execute(
                WAITING, {"contact": contact_id, "last": recorded.message_id}
            ).all()
            if not waiting:
                return []
            row = waiting[0]
            person = _Person(
                bool(row.consent),
                row.consent_at,
                bool(row.opted_out),
                row.language,
                bool(row.reminders),
            )
            before = person.values()
            if row.unreachable is not None:
                # The channel could not reach this address (a blocked bot); the person writes
                # from it again, so it reaches them again.
                person.opted_out = False
                connection.execute(
                    update(CONTACTS).where(_c.id == contact_id).values(unreachable=None)
                )
            if is_forgotten(row.address) and recorded.address:
                # Forgotten, and writing again: the person is back, and is answered (and, once
                # they consent again, reminded) at their address.
                connection.execute(
                    update(CONTACTS).where(_c.id == contact_id).values(address=recorded.address)
                )
            stored = row.state
            state: dict[str, Any] = stored if stored is not None else new_session()
            now = self.clock()
            if row.feedback_visit is not None:
                # The outbox asked how useful a visit was: this message is read as the answer.
                state = expect_visit(
                    state,
                    int(row.feedback_visit),
                    person.language or "ru",
                    consent=person.consent,
                )
                connection.execute(
                    update(CONTACTS)
                    .where(_c.id == contact_id, _c.feedback_visit == row.feedback_visit)
                    .values(feedback_visit=None)
                )
            writing = _Writing(contact_id, person, now)
            appointments = DbAppointments(connection, contact_id, now, self.calendar)
            desk = DbDesk(connection, contact_id, now, self.calendar)
            outgoing: list[Outgoing] = []
            kept: list[int] = []
            cleared: list[int] = []
            for message in waiting:
                text = message.body or ""
                if message.channel == "telegram" and text.startswith("/start " + LINK_PREFIX):
                    # A web conversation's link: this chat takes it over and goes on from there.
                    code = text.removeprefix("/start ").strip()
                    taken = claim_telegram(connection, code, contact_id, self.address_key, now)
                    if taken is not None:
                        log.info("contact %s took a web conversation over", contact_id)
                        state = stored = taken  # the hand-over wrote the chat's session
                        _reload(connection, contact_id, person)
                        (kept if person.consent else cleared).append(message.id)
                        went_on = self._went_on(state, message.channel, now, appointments)
                        outgoing.extend(
                            self._store_replies(
                                connection, writing, message.channel, message.id, went_on
                            )
                        )
                        continue
                    text = "/start"
                elif message.channel == "telegram" and text.startswith("/start "):
                    # A deep link from a social worker: the chat joins that family's case.
                    code = text.removeprefix("/start ").strip()
                    if link_telegram(connection, code, contact_id, now):
                        log.info("contact %s linked to a case by its deep link", contact_id)
                        if not state.get("lang"):  # the worker knows the family's language
                            state["lang"] = case_language(connection, code)
                    elif code and linking.redeem(connection, code, contact_id, now) is not None:
                        # A link given on another channel (the web chat's "go on in Telegram").
                        log.info("contact %s linked to another channel by a code", contact_id)
                    text = "/start"
                handover = (
                    DbHandover(
                        connection,
                        contact_id,
                        now,
                        key=self.address_key,
                        links=self.deep_links,
                        can_text="sms" in self.senders,
                        state=state,
                    )
                    if message.channel == "web"
                    else None
                )
                turn = resume(
                    state,
                    Inbound(
                        text,
                        now,
                        message.channel,
                        choice=message.choice,
                        language_hint=message.language_hint,
                    ),
                    self.store,
                    label_of,
                    appointments,
                    handover,
                    desk,
                    DbCases(connection, contact_id),
                )
                on = replace(writing, channel=message.channel)
                for event in turn.events:
                    self._apply(connection, on, event.kind, event.data)
                state = turn.session
                if any(event.kind == "forget_me" for event in turn.events):
                    state = forgotten_session(state)
                person.language = str(state.get("lang") or "ru")
                # Without consent nothing of what was typed is kept, but for what the family
                # writes to a social worker (while the bot holds): that is for the worker to read.
                to_worker = any(event.kind == "person_message" for event in turn.events)
                (kept if person.consent or to_worker else cleared).append(message.id)
                outgoing.extend(
                    self._store_replies(
                        connection, writing, message.channel, message.id, turn.replies
                    )
                )
            if waiting[-1].channel == "web":  # what the page asked for goes where it was handed
                forward(connection, contact_id, now)
            if kept:
                connection.execute(PROCESSED_KEPT, {"ids": kept, "now": now})
            if cleared:
                connection.execute(PROCESSED_CLEARED, {"ids": cleared, "now": now})
            if person.values() != before:
                connection.execute(UPDATE_PERSON, {"contact": contact_id, **person.values()})
            if stored is None:
                connection.execute(
                    NEW_STATE, {"contact_id": contact_id, "state": state, "updated_at": now}
                )
            else:
                connection.execute(
                    UPDATE_STATE, {"contact": contact_id, "new_state": state, "now": now}
                )
            return outgoing

        return work

    def _went_on(
        self, state: dict[str, Any], channel: str, now: datetime, appointments: Any
    ) -> list[Reply]:
        """What a chat that took a web conversation over says first: that it goes on here, and
        the question it is at."""
        label_of = LabelOfTranslator(self.translator)
        asked = current(state, now, channel, self.store, label_of, appointments)
        if not asked:
            return [Reply((WENT_ON,))]
        first = asked[0]
        return [replace(first, lines=(WENT_ON, *first.lines)), *asked[1:]]

    def _store_replies(
        self,
        connection: Connection,
        writing: _Writing,
        channel: str,
        reply_to: int,
        replies: Sequence[Reply],
    ) -> list[Outgoing]:
        """Store the replies to one inbound message, queued. Their texts and buttons are kept
        until they are sent, so that a channel's retry or a restart can still deliver them;
        once sent, they are cleared unless the person consented to keeping their answers
        (`bot.storage.messages.mark`)."""
        if not replies:
            return []
        contact_id, person, now = writing.contact_id, writing.person, writing.now
        language = person.language or "ru"
        rendered = [
            replace(
                self.render(reply, channel, language),
                document=self._document(reply, channel, language, now),
            )
            for reply in replies
        ]
        rows = [
            {
                "contact_id": contact_id,
                "channel": channel,
                "direction": "out",
                "body": out.text,
                "choices": [list(choice) for choice in out.choices] or None,
                "reply_to": reply_to,
                "status": QUEUED,
                "created_at": now,
                "updated_at": now,
            }
            for out in rendered
        ]
        ids = connection.execute(NEW_REPLIES, rows).scalars()
        return [
            replace(out, message_id=int(message_id))
            for message_id, out in zip(ids, rendered, strict=True)
        ]

    def _document(
        self, reply: Reply, channel: str, language: str, now: datetime
    ) -> Document | None:
        if channel != "telegram" or reply.booking is None:
            return None
        content = visit_calendar(reply.booking, language, self.translator, now)
        return Document(f"komek-visit-{reply.booking.id}.ics", content)

    def render(self, reply: Reply, channel: str, language: str) -> Outgoing:
        """A reply as `channel` shows it (not yet stored: its message id is 0): the text with a
        numbered menu, or, on channels that draw buttons, the text, its HTML, the buttons (those
        toggled on in a multi-select question marked), the keyboard it wants and the progress."""
        if channel not in BUTTON_CHANNELS:
            menu = render_menu(reply, language, self.translator, one_line=channel == "sms")
            return Outgoing(0, menu, language=language)
        return Outgoing(
            0,
            render_text(reply, language, self.translator),
            tuple((c.key, self.translator.render(c.label, language)) for c in reply.choices),
            html=render_html(reply, language, self.translator),
            input_hint=reply.input_hint,
            progress=reply.progress,
            multi=reply.multi,
            selected=frozenset(c.key for c in reply.choices if c.selected),
            language=language,
        )

    def _apply(self, connection: Connection, writing: _Writing, kind: str, data: Any) -> None:
        contact_id, person, now = writing.contact_id, writing.person, writing.now
        if kind == "consent_given":
            person.consent, person.consent_at = True, now
        elif kind in ("consent_declined", "forget_me"):
            person.consent, person.consent_at = False, None
            if person.reminders:
                person.reminders = False
                cancel(connection, quarter_key(contact_id), now)
            if kind == "forget_me":
                close_for(connection, contact_id, now)
                forget(connection, contact_id, self.address_key, now)
        elif kind == "reminders_on" and person.consent:
            person.reminders = True
        elif kind == "reminders_off":
            person.reminders = False
            cancel(connection, quarter_key(contact_id), now)
        elif kind == "opt_out":
            person.opted_out = True
            close_for(connection, contact_id, now)
        elif kind == "opt_in":
            person.opted_out = False
        elif kind == "feedback":
            store_rating(connection, contact_id, writing.channel, data, now)
        elif kind == "feedback_comment" and person.consent:
            store_comment(connection, contact_id, data)
        elif kind == "person_asked":
            open_conversation(connection, contact_id, data["reason"], data.get("region"), now)
        elif kind == "person_message":
            family_wrote(connection, contact_id, now)
        elif kind == "assessment_done" and person.consent:
            connection.execute(
                insert(ASSESSMENTS).values(
                    contact_id=contact_id,
                    household=data["household"],
                    result=data["result"],
                    created_at=now,
                )
            )

    def warm_up(self) -> None:
        """Walk a conversation to its result in each language and rendering, in memory only,
        so that the first people after a start do not wait for catalogs, locale data and rules
        to load (without it their replies take a tenth of a second longer)."""
        label_of = LabelOfTranslator(self.translator)
        now = self.clock()
        for choice in ("1", "2", "3"):  # kk, ru, en
            for channel in ("telegram", "sms"):
                state: dict[str, Any] = new_session()
                for text in (*WARM_UP[:1], choice, *WARM_UP[1:]):
                    turn = resume(state, Inbound(text, now, channel), self.store, label_of)
                    state = turn.session
                    language = str(state.get("lang") or "ru")
                    for reply in turn.replies:
                        self.render(reply, channel, language)

    # -- outcomes --------------------------------------------------------------------------

    async def mark(self, message_id: int, status: str, error: str | None = None) -> None:
        await self.mark_many([message_id], status, error)

    async def mark_many(
        self, message_ids: list[int], status: str, error: str | None = None
    ) -> None:
        if message_ids:
            await self.db.run(messages.mark(message_ids, status, error, self.clock()))

    async def opt_out(self, channel: str, address: str, reason: str = "blocked") -> None:
        """The channel says it cannot reach this address (a Telegram user blocked the bot, a
        number is not on WhatsApp): nothing more goes to it, and the outbox tries the person's
        other channels. Writing from it again undoes this."""

        def work(connection: Connection) -> None:
            c = CONTACTS.c
            connection.execute(
                update(CONTACTS)
                .where(c.channel == channel, c.address == address)
                .values(opted_out=True, unreachable=reason[:40])
            )

        await self.db.run(work)

    async def current(
        self, channel: str, address: str, language: str | None = None
    ) -> tuple[str | None, list[Outgoing]]:
        """The conversation's language and the question it is at, asked again (for a page that
        opens again), rendered for `channel`; nothing is recorded. With `language`, the
        conversation goes on in that language from now on (the web page's language switch)."""
        contact_id = self._contacts.get((channel, address))
        if contact_id is None:

            def find(connection: Connection) -> int | None:
                key = {"contact_channel": channel, "contact_address": address}
                found = connection.execute(CONTACT_ID, key).scalar()
                return None if found is None else int(found)

            contact_id = await self.db.run(find)
            if contact_id is None:
                return None, []
        label_of = LabelOfTranslator(self.translator)
        now = self.clock()
        known = contact_id

        def work(connection: Connection) -> tuple[str | None, list[Outgoing]]:
            stored = connection.execute(select(_v.state).where(_v.contact_id == known)).scalar()
            if stored is None:
                return None, []
            state = dict(stored)
            if language is not None and language != state.get("lang"):
                state["lang"] = language
                connection.execute(UPDATE_STATE, {"contact": known, "new_state": state, "now": now})
                connection.execute(UPDATE_PERSON, {"contact": known, "language": language})
            spoken = str(state.get("lang") or "ru")
            appointments = DbAppointments(connection, known, now, self.calendar)
            desk = DbDesk(connection, known, now, self.calendar)
            cases = DbCases(connection, known)
            replies = current(
                state, now, channel, self.store, label_of, appointments, None, desk, cases
            )
            return spoken, [self.render(reply, channel, spoken) for reply in replies]

        if language is None:
            return await self.db.run(work)
        async with self.locks.hold(contact_id):
            return await self.db.run(work)

    def contact_of(self, channel: str, address: str) -> int | None:
        """The contact id of an address seen by this process (for logs, which never name an
        address)."""
        return self._contacts.get((channel, address))

    async def known(self, channel: str, address: str) -> bool:
        """Whether this address has written before (a contact exists)."""
        if (channel, address) in self._contacts:
            return True

        def work(connection: Connection) -> bool:
            key = {"contact_channel": channel, "contact_address": address}
            return connection.execute(CONTACT_ID, key).scalar() is not None

        return await self.db.run(work)

    async def language_of(self, channel: str, address: str) -> str | None:
        def work(connection: Connection) -> str | None:
            c = CONTACTS.c
            found = connection.execute(
                select(c.language).where(c.channel == channel, c.address == address)
            ).scalar()
            return None if found is None else str(found)

        return await self.db.run(work)

    async def opted_out(self, channel: str, address: str) -> bool:
        def work(connection: Connection) -> bool:
            c = CONTACTS.c
            flag = connection.execute(
                select(c.opted_out).where(c.channel == channel, c.address == address)
            ).scalar()
            return bool(flag)

        return await self.db.run(work)

    async def handle(self, inbound: InboundMessage) -> list[Outgoing]:
        """Record and process at once (channels whose request waits for the answer). A message
        the channel delivers again (its own retry, after our answer was lost) is answered with
        the replies stored for it that have not gone out yet: never a second turn."""
        recorded = await self.record(inbound)
        if recorded is None:
            return await self.replay(inbound)
        return await self.process(recorded)

    async def replay(self, inbound: InboundMessage) -> list[Outgoing]:
        """The replies to a message recorded before (by its channel id) that are still waiting
        to go out; the message is processed first if a crash left it unprocessed."""
        inbound = _storable(inbound)
        if inbound.external_id is None:
            return []
        found = await self.db.run(
            redelivery.inbound_of(inbound.channel, inbound.address, inbound.external_id)
        )
        if found is None:
            return []
        message_id, contact_id, status = found
        if status == RECEIVED:
            replies = await self.process(Recorded(message_id, contact_id))
            if replies:
                return replies
        return await self.db.run(redelivery.waiting_replies(message_id))

    async def deliver_stranded(self, before: datetime) -> int:
        """Send the replies stored before `before` that never went out (their worker died
        between the commit and the send, or the channel's response could not carry them),
        through each channel's sender, in order per person. Returns how many were sent."""
        channels = sorted(self.senders)
        if not channels:
            return 0
        total = 0
        while True:
            batch = await self.db.run(
                redelivery.claim_stranded(channels, before, self.clock(), redelivery.BATCH)
            )
            for (channel, address), replies in batch.items():
                try:
                    await self.senders[channel](address, replies)
                except Exception:  # the sender records its own failures; go on with others
                    log.exception("stranded replies on %s not delivered", channel)
                total += len(replies)
            if sum(len(r) for r in batch.values()) < redelivery.BATCH:
                return total

    async def recover(self) -> int:
        """Process every message recorded but not processed (after a crash or restart), and
        deliver the replies through the channel's sender, where it has one (a web chat's
        request is gone: its replies wait, queued, and the page asks again)."""

        def work(connection: Connection) -> list[tuple[int, int, str, str]]:
            m, c = MESSAGES.c, CONTACTS.c
            rows = connection.execute(
                select(m.id, m.contact_id, m.channel, c.address)
                .join(CONTACTS, c.id == m.contact_id)
                .where(m.direction == "in", m.status == RECEIVED)
                .order_by(m.id)
            )
            return [(r.id, r.contact_id, r.channel, r.address) for r in rows]

        rows = await self.db.run(work)
        for message_id, contact_id, channel, address in rows:
            replies = await self.process(Recorded(message_id, contact_id))
            sender = self.senders.get(channel)
            if replies and sender is not None:
                await sender(address, replies)
        return len(rows)
