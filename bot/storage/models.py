"""The tables. Answers and message texts are personal data: they are kept only with consent and
deleted with "forget me"; logs never see them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Instant(TypeDecorator[datetime]):
    """A moment in time, stored in UTC and read back aware. SQLite keeps no offset with a
    datetime, so every value is turned to UTC first: equal instants are equal text there too
    (which the seat constraint of appointments relies on)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be stored as an instant")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Person(Base):
    """Contacts that are the same person (a WhatsApp number and the same phone's SMS, a Telegram
    chat opened from a social worker's link): what the outbox may try, in turn."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Contact(Base):
    """A person on one channel: a Telegram chat, a phone number, a web chat id."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_contacts_channel_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(2))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Asked to be reminded to reassess each quarter (off until the person says so).
    reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The person this contact is one channel of (None: not linked to any other contact).
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Why the channel cannot reach this address ("blocked", "undeliverable"): set with
    # `opted_out` by the channel, cleared when the person writes from it again. A STOP leaves it
    # empty: that is the person's own choice.
    unreachable: Mapped[str | None] = mapped_column(String(40))
    # The visit whose "how useful was it?" went to this contact and is not answered yet: the
    # next message from it is read as the answer (`dialogs.flows.feedback.expect_visit`).
    feedback_visit: Mapped[int | None] = mapped_column(Integer)


class Conversation(Base):
    """The engine's session for a contact (JSON with a schema version)."""

    __tablename__ = "conversations"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Message(Base):
    """An inbound or outbound message. Inbound ones are recorded before the channel is answered,
    so that none acknowledged is lost; `external_id` de-duplicates a channel's retries."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "direction", "external_id", name="uq_messages_external"),
        # A contact's messages in order: the family's timeline and its last contact, one seek.
        Index("ix_messages_contact_time", "contact_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    external_id: Mapped[str | None] = mapped_column(String(128))
    body: Mapped[str | None] = mapped_column(Text)  # cleared when the person has not consented
    choice: Mapped[str | None] = mapped_column(String(64))  # a button's key
    language_hint: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(String(200))
    # A reply: the inbound message it answers, and its buttons ([key, label] pairs) until sent.
    reply_to: Mapped[int | None] = mapped_column(Integer, index=True)
    choices: Mapped[list[list[str]] | None] = mapped_column(JSON(none_as_null=True))
    template: Mapped[str | None] = mapped_column(String(64))  # went as this WhatsApp template
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Assessment(Base):
    """A completed self-assessment: the household as answered and the core's result."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    household: Mapped[dict[str, object]] = mapped_column(JSON)
    result: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class OfficeRow(Base):
    """An office where people apply (a career centre or a village akim's office): the record
    `core.offices.parse_office` reads, as staff imported it."""

    __tablename__ = "offices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    region: Mapped[str] = mapped_column(String(40), index=True)
    record: Mapped[dict[str, object]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(Instant())


# A seat is held by every appointment that is not cancelled; two never hold the same one.
SEAT_HELD = text("status <> 'cancelled'")


class Appointment(Base):
    """A visit booked at an office: one seat of one slot."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appointments_seat",
            "office_id",
            "starts_at",
            "seat",
            unique=True,
            sqlite_where=SEAT_HELD,
            postgresql_where=SEAT_HELD,
        ),
        Index("ix_appointments_office_day", "office_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[str] = mapped_column(ForeignKey("offices.id"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(Instant())
    ends_at: Mapped[datetime] = mapped_column(Instant())
    seat: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # booked, cancelled, attended, no_show
    cancelled_by: Mapped[str | None] = mapped_column(String(16))  # person or staff
    created_at: Mapped[datetime] = mapped_column(Instant())
    updated_at: Mapped[datetime] = mapped_column(Instant())


class Outbox(Base):
    """A message that is not a direct reply (a reminder, a staff notice): sent once, when due,
    by the dispatcher. `key` names what it is for, so that it can never be queued twice."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(Instant())
    status: Mapped[str] = mapped_column(String(16))  # pending, sending, sent, failed, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Instant())
    updated_at: Mapped[datetime] = mapped_column(Instant())
    # The contacts to try, in order (the person's preferred channel first), fixed when the row
    # is first sent; `hop` is the one being tried; `tried` lists every attempt and its outcome.
    route: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    hop: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    tried: Mapped[list[dict[str, object]] | None] = mapped_column(JSON(none_as_null=True))


class Staff(Base):
    """A member of staff: a social worker, a supervisor or an administrator."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))  # worker, supervisor, admin
    region: Mapped[str | None] = mapped_column(String(40))  # None: every region (admin)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Instant())
    # The language of their pages (None: their browser's).
    language: Mapped[str | None] = mapped_column(String(2))
    # A password an administrator set: the member chooses their own at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret, and the last time step used, so
    # that a code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)


class StaffToken(Base):
    """An API token of a member of staff; only its SHA-256 is kept."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Instant())
    revoked_at: Mapped[datetime | None] = mapped_column(Instant())
    expires_at: Mapped[datetime | None] = mapped_column(Instant())  # None: issued before expiry


class AuditEntry(Base):
    """What a member of staff did, when, and to what."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # The audit page's filters: by person and by action, newest first.
        Index("ix_audit_log_staff", "staff_id", "at"),
        Index("ix_audit_log_action", "action", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(Instant(), index=True)


class Case(Base):
    """A family in a social worker's caseload. Its phone reaches the family by SMS; a Telegram
    chat is linked when the family opens the worker's deep link (`/start <link_code>`)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_case_number", "case_number", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    region: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    notes: Mapped[str | None] = mapped_column(Text)
    next_reassessment: Mapped[date | None] = mapped_column(Date)
    # Indexed: the family behind a contact (a failed delivery, a visit) is one seek away.
    sms_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    telegram_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    link_code: Mapped[str] = mapped_column(String(24), unique=True)
    # A deep link links one chat, once, before it expires; a new one comes from the worker.
    link_expires_at: Mapped[datetime | None] = mapped_column(Instant())
    link_used_at: Mapped[datetime | None] = mapped_column(Instant())
    # The family asked Komek to forget the chat: the link is gone, the case (the office's) stays.
    chat_forgotten_at: Mapped[datetime | None] = mapped_column(Instant())
    created_at: Mapped[datetime] = mapped_column(Instant())
    updated_at: Mapped[datetime] = mapped_column(Instant())
    # The number of the case in the official system (stage changes exported from it name it);
    # unique where given (`ix_cases_case_number`).
    case_number: Mapped[str | None] = mapped_column(String(40))
    # The newest stage (an id of core/stages.yaml) and its date: what "my application" says.
    stage: Mapped[str | None] = mapped_column(String(40))
    stage_on: Mapped[date | None] = mapped_column(Date)


class CaseStage(Base):
    """One change of a case's stage, as a worker made it (on the family page, through the API
    or in a spreadsheet exported from the official system): the stage, its date, the fields it
    carries (amount, months, category, reason, the documents missing) and a note. Each change
    is told to the family once: its outbox key is `stage:<id>`."""

    __tablename__ = "case_stages"
    __table_args__ = (Index("ix_case_stages_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(40))
    on: Mapped[date] = mapped_column(Date)
    fields: Mapped[dict[str, object]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))  # page, api, import
    created_at: Mapped[datetime] = mapped_column(Instant())


class CaseDocument(Base):
    """A document of the family's list that its worker has ticked off as received."""

    __tablename__ = "case_documents"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(String(40), primary_key=True)  # `Document.key`
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(Instant())


class Campaign(Base):
    """A message from staff to many people: a template (or a text in three languages) and an
    audience; each recipient is an outbox row keyed by campaign and contact."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    template: Mapped[str] = mapped_column(String(40))  # quarterly, documents_due, custom
    texts: Mapped[dict[str, object]] = mapped_column(
        JSON
    )  # custom: {"kk": ..., "ru": ..., "en": ...}
    audience: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # draft, scheduled, sending, sent
    created_at: Mapped[datetime] = mapped_column(Instant())
    sent_at: Mapped[datetime | None] = mapped_column(Instant())
    scheduled_at: Mapped[datetime | None] = mapped_column(Instant())  # when it is to go out


class StaffAuthFailure(Base):
    """A failed staff authentication (a wrong token or password), for lockouts and the
    dashboard's count per account and address."""

    __tablename__ = "staff_auth_failures"
    __table_args__ = (
        Index("ix_staff_auth_failures_username", "username", "at"),
        Index("ix_staff_auth_failures_ip", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Instant(), index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # token, password, totp


class Handover(Base):
    """A web conversation handed over to Telegram (by a link that carries it) or to a phone (by
    a code sent to it by SMS): web pages cannot be written to first, reminders can."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    web_contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # telegram, sms
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE")
    )
    to_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(Instant())
    expires_at: Mapped[datetime] = mapped_column(Instant())
    used_at: Mapped[datetime | None] = mapped_column(Instant())


class LinkCode(Base):
    """A code that links a contact to another of the same person: opened from another channel
    (a deep link: `/start <code>` on Telegram), or, when it names an address, typed back by the
    contact that asked after it reached that address (an SMS code). Only its SHA-256 is kept;
    it links once, before it expires."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(Instant())
    used_at: Mapped[datetime | None] = mapped_column(Instant())
    created_at: Mapped[datetime] = mapped_column(Instant())


class StaffSession(Base):
    """A signed-in browser of a member of staff. The cookie holds a random token; only its
    HMAC is kept. `stage` is how far the sign-in has got: `password` (a new password must be
    chosen), `totp` (the second factor is due), `totp_setup` (an administrator must set it up
    first) or `active`."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Instant())
    seen_at: Mapped[datetime] = mapped_column(Instant())
    totp_pending: Mapped[str | None] = mapped_column(String(64))  # a secret being set up


class CaseNote(Base):
    """A note a member of staff wrote on a case."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Instant())


class CaseTerm(Base):
    """What a case is found by: each word of the family's name, folded, and its phone's digits
    reversed (`#7654...`, so that the last digits are a prefix). Searching is a range scan of
    `ix_case_terms_term`, never a scan of the cases."""

    __tablename__ = "case_terms"
    __table_args__ = (Index("ix_case_terms_term", "term", "case_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)


class PovertyLineRow(Base):
    """A region's poverty line for a quarter, as the akimat published it, added by staff with its
    source; merged into the parameters the core reads (the shipped table wins nothing: a quarter
    is either in the files or here)."""

    __tablename__ = "poverty_lines"
    __table_args__ = (UniqueConstraint("region", "quarter", name="uq_poverty_lines_quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(40))
    quarter: Mapped[date] = mapped_column(Date)  # the quarter's first day
    value: Mapped[int] = mapped_column(Integer)  # whole tenge, as every published line is
    source_title: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str] = mapped_column(String(500))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Instant())


class FeedbackRow(Base):
    """A family's answer to "how useful was this?" after a result or a visit: a rating from 1
    to 5, the region and week it counts in, and an optional comment. The comment is free text,
    personal data: kept only with consent, deleted with "forget me" and by retention, which
    also unlink the rating from the contact (the rating stays, as a figure of its region)."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_region_time", "region", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # result, visit
    region: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(16))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(Instant(), index=True)


class InboxConversation(Base):
    """A conversation a family passed to a person (`dialogs.person`): in the inbox of the
    family's own social worker (`staff_id` set from the caseload) or in its region's queue
    (`staff_id` empty) until a worker takes it. The bot holds while it is open; it is closed
    when a worker hands it back (or the family says STOP or FORGET). Its messages are the
    contact's own from the request on, and the worker's outbox rows (kind `inbox_reply`); the
    worker has read those in up to `read_upto` (a message id)."""

    __tablename__ = "inbox_conversations"
    __table_args__ = (
        Index("ix_inbox_open_region", "closed_at", "region"),
        Index("ix_inbox_open_staff", "closed_at", "staff_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    region: Mapped[str | None] = mapped_column(String(40))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(40))  # the step the bot failed at, or "asked"
    taken: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    read_upto: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The family's request (its message id): the conversation's messages are those from it on.
    first_message_id: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    opened_at: Mapped[datetime] = mapped_column(Instant())
    last_activity_at: Mapped[datetime] = mapped_column(Instant())
    first_answer_at: Mapped[datetime | None] = mapped_column(Instant())
    closed_at: Mapped[datetime | None] = mapped_column(Instant())


class CannedReply(Base):
    """A reply kept ready for the inbox, per region (`region` empty: every region) and language,
    managed by supervisors and administrators."""

    __tablename__ = "canned_replies"
    __table_args__ = (Index("ix_canned_replies_region", "region", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Instant())
