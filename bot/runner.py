"""The runner: the one place where a conversation turn meets the world.

Per inbound message: record it (de-duplicated by the channel's own id) before the channel is
answered, then take the contact's lock, load the session, run the engine, and commit in one
transaction the new session, the effects of its events (consent, forget me, opt-out, an
assessment) and the outbound messages. Only then does the channel send them. A message recorded
but not processed (a crash between the two) is processed by `recover` when the server starts.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Translator
from bot.render import LabelOfTranslator, render_menu, render_text
from bot.storage.models import Assessment, Contact, Conversation, Message
from core.parameters import ParameterStore
from dialogs.conversation import Inbound, Reply, new_session, resume

log = logging.getLogger(__name__)

Sender = Callable[[str, list["Outgoing"]], Awaitable[None]]

RECEIVED, PROCESSED, QUEUED, SENT, FAILED = "received", "processed", "queued", "sent", "failed"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: str
    address: str
    text: str
    external_id: str | None = None
    choice: str | None = None
    language_hint: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply ready for its channel: the text (with a numbered menu where the channel has no
    buttons) and the choices for channels that draw buttons."""

    message_id: int
    text: str
    choices: tuple[tuple[str, str], ...] = ()


class Locks:
    """One lock per contact, in this process: enough for one worker. `RedisLocks` holds the
    same lock across every worker sharing a Redis."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, contact_id: int) -> AsyncIterator[None]:
        lock = self._locks.get(contact_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[contact_id] = lock
        async with lock:
            yield


class RedisLocks(Locks):
    """A per-contact lock in Redis, shared by all workers. It expires after `timeout` seconds
    (a turn takes milliseconds) so that a worker killed while holding it does not block the
    person for ever."""

    def __init__(self, client: Redis, timeout: float = 10.0) -> None:
        super().__init__()
        self.client = client
        self.timeout = timeout

    @asynccontextmanager
    async def hold(self, contact_id: int) -> AsyncIterator[None]:
        async with super().hold(contact_id):  # one waiter per process goes to Redis
            lock = self.client.lock(
                RedisKeys.contact_lock(contact_id),
                timeout=self.timeout,
                blocking_timeout=self.timeout,
            )
            if not await lock.acquire():
                raise TimeoutError(f"contact {contact_id} is locked by another worker")
            try:
                yield
            finally:
                try:
                    await lock.release()
                except LockError:  # it expired meanwhile: the work is committed anyway
                    log.warning("lock of contact %s expired before release", contact_id)


class RedisKeys:
    """Every Redis key Komek uses, built in one place."""

    PREFIX = "komek"

    @classmethod
    def contact_lock(cls, contact_id: int) -> str:
        return f"{cls.PREFIX}:lock:contact:{contact_id}"


BUTTON_CHANNELS = frozenset({"telegram", "web"})


@dataclass
class Runner:
    sessions: async_sessionmaker[AsyncSession]
    store: ParameterStore
    translator: Translator
    clock: Callable[[], datetime]
    locks: Locks = field(default_factory=Locks)
    # How each channel delivers replies that no request is waiting for (after a restart).
    senders: dict[str, Sender] = field(default_factory=dict)

    async def record(self, inbound: InboundMessage) -> int | None:
        """Store the inbound message; None when the channel already delivered this one."""
        now = self.clock()
        async with self.sessions() as db, db.begin():
            contact = await self._contact(db, inbound.channel, inbound.address, now)
            message = Message(
                contact_id=contact.id,
                channel=inbound.channel,
                direction="in",
                external_id=inbound.external_id,
                body=inbound.text,
                choice=inbound.choice,
                language_hint=inbound.language_hint,
                status=RECEIVED,
                created_at=now,
                updated_at=now,
            )
            db.add(message)
            try:
                await db.flush()
            except IntegrityError:
                return None
            return message.id

    async def _contact(
        self, db: AsyncSession, channel: str, address: str, now: datetime
    ) -> Contact:
        found = await db.scalar(
            select(Contact).where(Contact.channel == channel, Contact.address == address)
        )
        if found is not None:
            return found
        contact = Contact(
            channel=channel, address=address, consent=False, opted_out=False, created_at=now
        )
        try:
            async with db.begin_nested():
                db.add(contact)
        except IntegrityError:  # created meanwhile by a concurrent first message
            found = await db.scalar(
                select(Contact).where(Contact.channel == channel, Contact.address == address)
            )
            assert found is not None
            return found
        return contact

    async def process(self, message_id: int) -> list[Outgoing]:
        """Run the conversation for a recorded message, and first for every earlier one of the
        same person still waiting (so that a person's messages are answered in the order they
        were recorded, whichever worker got them). Returns the replies to send, already stored."""
        async with self.sessions() as db:
            contact_id = await db.scalar(select(Message.contact_id).where(Message.id == message_id))
        if contact_id is None:
            return []
        async with self.locks.hold(contact_id), self.sessions() as db, db.begin():
            waiting = list(
                await db.scalars(
                    select(Message)
                    .where(
                        Message.contact_id == contact_id,
                        Message.direction == "in",
                        Message.status == RECEIVED,
                        Message.id <= message_id,
                    )
                    .order_by(Message.id)
                    .with_for_update()
                )
            )
            if not waiting:
                return []
            contact = await db.get(Contact, contact_id)
            assert contact is not None
            conversation = await db.get(Conversation, contact_id)
            if conversation is None:
                conversation = Conversation(
                    contact_id=contact_id, state=new_session(), updated_at=self.clock()
                )
                db.add(conversation)
            outgoing: list[Outgoing] = []
            for message in waiting:
                outgoing.extend(await self._turn(db, contact, conversation, message))
            return outgoing

    async def _turn(
        self, db: AsyncSession, contact: Contact, conversation: Conversation, message: Message
    ) -> list[Outgoing]:
        now = self.clock()
        turn = resume(
            conversation.state,
            Inbound(
                message.body or "",
                now,
                message.channel,
                choice=message.choice,
                language_hint=message.language_hint,
            ),
            self.store,
            LabelOfTranslator(self.translator),
        )
        for event in turn.events:
            await self._apply(db, contact, event.kind, event.data, now)
        language = str(turn.session.get("lang") or "ru")
        contact.language = language
        conversation.state = turn.session
        conversation.updated_at = now
        message.status = PROCESSED
        message.updated_at = now
        if not contact.consent:
            message.body = None  # no consent, nothing of what was typed is kept
        outgoing = []
        for reply in turn.replies:
            text, choices = self._render(reply, message.channel, language)
            out = Message(
                contact_id=contact.id,
                channel=message.channel,
                direction="out",
                body=text if contact.consent else None,
                status=QUEUED,
                created_at=now,
                updated_at=now,
            )
            db.add(out)
            await db.flush()
            outgoing.append(Outgoing(out.id, text, choices))
        return outgoing

    def _render(
        self, reply: Reply, channel: str, language: str
    ) -> tuple[str, tuple[tuple[str, str], ...]]:
        if channel in BUTTON_CHANNELS:
            choices = tuple(
                (c.key, self.translator.render(c.label, language)) for c in reply.choices
            )
            return render_text(reply, language, self.translator), choices
        return render_menu(reply, language, self.translator, one_line=channel == "sms"), ()

    async def _apply(
        self, db: AsyncSession, contact: Contact, kind: str, data: Any, now: datetime
    ) -> None:
        if kind == "consent_given":
            contact.consent, contact.consent_at = True, now
        elif kind in ("consent_declined", "forget_me"):
            contact.consent, contact.consent_at = False, None
            if kind == "forget_me":
                await db.execute(delete(Assessment).where(Assessment.contact_id == contact.id))
                await db.execute(
                    update(Message).where(Message.contact_id == contact.id).values(body=None)
                )
                log.info("contact %s: answers forgotten", contact.id)
        elif kind == "opt_out":
            contact.opted_out = True
        elif kind == "opt_in":
            contact.opted_out = False
        elif kind == "assessment_done" and contact.consent:
            db.add(
                Assessment(
                    contact_id=contact.id,
                    household=data["household"],
                    result=data["result"],
                    created_at=now,
                )
            )

    async def mark(self, message_id: int, status: str, error: str | None = None) -> None:
        async with self.sessions() as db, db.begin():
            await db.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(status=status, error=error, updated_at=self.clock())
            )

    async def opt_out(self, channel: str, address: str) -> None:
        """The channel says this person cannot be reached (a Telegram user blocked the bot)."""
        async with self.sessions() as db, db.begin():
            await db.execute(
                update(Contact)
                .where(Contact.channel == channel, Contact.address == address)
                .values(opted_out=True)
            )

    async def handle(self, inbound: InboundMessage) -> list[Outgoing]:
        """Record and process at once (channels whose request waits for the answer)."""
        message_id = await self.record(inbound)
        if message_id is None:
            return []
        return await self.process(message_id)

    async def recover(self) -> int:
        """Process every message recorded but not processed (after a crash or restart), and
        deliver the replies through the channel's sender, where it has one (a web chat's
        request is gone: its replies wait, queued, and the page asks again)."""
        async with self.sessions() as db:
            rows = list(
                await db.execute(
                    select(Message.id, Message.channel, Contact.address)
                    .join(Contact, Contact.id == Message.contact_id)
                    .where(Message.direction == "in", Message.status == RECEIVED)
                    .order_by(Message.id)
                )
            )
        for message_id, channel, address in rows:
            replies = await self.process(message_id)
            sender = self.senders.get(channel)
            if replies and sender is not None:
                await sender(address, replies)
        return len(rows)
