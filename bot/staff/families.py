"""The families a member of staff may see, as the caseload pages list them: found by name or
phone, filtered, sorted and cut into pages; one family's contacts, timeline and notes; and the
rows of an export.

What a member sees: a social worker their own caseload, a supervisor their region, an
administrator every case. A phone is shown whole only to the worker whose case it is;
everyone else sees its last digits.

Each family is reached through its case's contacts: the SMS contact of its phone, and the
Telegram chat linked through the worker's deep link. Its last contact is the newest message
either way, found through `ix_messages_contact_time` with one seek per contact.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    or_,
    select,
)

from bot.contacts.phone import last_digits
from bot.staff.accounts import Member
from bot.staff.search import matching
from bot.storage.tables import (
    APPOINTMENTS,
    ASSESSMENTS,
    CAMPAIGNS,
    CASE_NOTES,
    CASES,
    CONTACTS,
    MESSAGES,
    OUTBOX,
    STAFF,
)
from core.almaty import zone_on

PAGE_SIZE = 50
MAX_NOTE = 2000
TIMELINE_MESSAGES = 100
LAST_CONTACT = {"7": 7, "30": 30, "90": 90}  # "within N days"; "quiet" and "never" besides
SORTS = ("name", "last", "reassess", "added")
STATUSES = ("eligible", "ineligible", "needs_review", "none")

_c, _k, _m, _a = CASES.c, CONTACTS.c, MESSAGES.c, ASSESSMENTS.c


def visible(member: Member) -> ColumnElement[bool]:
    """The cases `member` may see."""
    if member.role == "worker":
        return _c.staff_id == member.id
    if member.role == "supervisor":
        return _c.region == (member.region or "")
    return literal(True)


@dataclass(frozen=True, slots=True)
class Filters:
    query: str = ""
    channel: str = ""  # "telegram" (linked) | "sms" (SMS only)
    language: str = ""
    consent: str = ""  # "yes" | "no"
    last: str = ""  # "7" | "30" | "90" (within) | "quiet" (not in 90 days) | "never"
    status: str = ""  # the latest assessment: one of STATUSES
    sort: str = "name"
    page: int = 1

    @classmethod
    def from_query(cls, query: Any) -> Filters:
        page_text = str(query.get("page", "1"))
        sort = str(query.get("sort", "name"))
        return cls(
            query=str(query.get("q", "")).strip()[:100],
            channel=_one_of(query.get("channel"), ("telegram", "sms")),
            language=_one_of(query.get("language"), ("kk", "ru", "en")),
            consent=_one_of(query.get("consent"), ("yes", "no")),
            last=_one_of(query.get("last"), (*LAST_CONTACT, "quiet", "never")),
            status=_one_of(query.get("status"), STATUSES),
            sort=sort if sort in SORTS else "name",
            page=int(page_text) if page_text.isdecimal() and 0 < len(page_text) < 7 else 1,
        )

    def query_string(self, **changes: Any) -> str:
        """These filters as a query string, with `changes` (a page, a sort)."""
        values = {
            "q": self.query,
            "channel": self.channel,
            "language": self.language,
            "consent": self.consent,
            "last": self.last,
            "status": self.status,
            "sort": self.sort,
            "page": self.page,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1, "name")})


def _one_of(value: Any, allowed: Sequence[str]) -> str:
    return str(value) if value in allowed else ""


def _last_of(contact: ColumnElement[int]) -> ColumnElement[datetime]:
    return select(func.max(_m.created_at)).where(_m.contact_id == contact).scalar_subquery()


def _spoke_since(contact: ColumnElement[int], since: datetime) -> ColumnElement[bool]:
    return exists().where(_m.contact_id == contact, _m.created_at >= since)


def _last_contact(connection: Connection) -> ColumnElement[datetime]:
    sms, telegram = _last_of(_c.sms_contact_id), _last_of(_c.telegram_contact_id)
    if connection.dialect.name == "postgresql":
        return func.greatest(sms, telegram)
    # SQLite's max() of two values is NULL when either is (GREATEST ignores a NULL). Its
    # times are text, later ones greater, and every one is greater than '': each contact's
    # newest message is looked up once.
    empty: ColumnElement[str] = literal_column("''")
    return func.nullif(
        func.max(func.coalesce(sms, empty), func.coalesce(telegram, empty)),
        empty,
        type_=_m.created_at.type,
    )


def _latest_status(contact: ColumnElement[int]) -> ColumnElement[str]:
    return (
        select(_a.result["status"].as_string())
        .where(_a.contact_id == contact)
        .order_by(_a.created_at.desc(), _a.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _status() -> ColumnElement[str]:
    """The outcome of the family's newest assessment, on either contact ("none": never)."""
    return func.coalesce(
        _latest_status(_c.telegram_contact_id), _latest_status(_c.sms_contact_id), "none"
    )


def _consented() -> ColumnElement[bool]:
    return exists().where(
        _k.id.in_([_c.sms_contact_id, _c.telegram_contact_id]), _k.consent.is_(True)
    )


def _conditions(
    connection: Connection, member: Member, filters: Filters, now: datetime
) -> list[ColumnElement[bool]]:
    where = [visible(member)]
    where.extend(matching(connection, filters.query, _c.id))
    if filters.channel == "telegram":
        where.append(_c.telegram_contact_id.is_not(None))
    elif filters.channel == "sms":
        where.append(_c.telegram_contact_id.is_(None))
    if filters.language:
        where.append(_c.language == filters.language)
    if filters.consent:
        where.append(_consented() if filters.consent == "yes" else not_(_consented()))
    if filters.last:
        days = LAST_CONTACT.get(filters.last, 90)
        since = now - timedelta(days=days)
        spoke = or_(
            _spoke_since(_c.sms_contact_id, since), _spoke_since(_c.telegram_contact_id, since)
        )
        if filters.last == "never":
            never = now - timedelta(days=365 * 100)
            where.append(
                not_(
                    or_(
                        _spoke_since(_c.sms_contact_id, never),
                        _spoke_since(_c.telegram_contact_id, never),
                    )
                )
            )
        else:
            where.append(not_(spoke) if filters.last == "quiet" else spoke)
    if filters.status:
        where.append(_c.id.in_(_with_outcome(connection, filters.status)))
    return where


def _with_outcome(connection: Connection, outcome: str) -> Select[Any]:
    """The cases whose newest assessment (on either contact) has this outcome ("none": never
    assessed), in one pass over the assessments: each contact's newest is the highest id."""
    newest = select(_a.contact_id, func.max(_a.id).label("id")).group_by(_a.contact_id).subquery()
    by_sms, by_telegram = newest.alias("by_sms"), newest.alias("by_telegram")
    zero = literal(0)
    sms_id, telegram_id = func.coalesce(by_sms.c.id, zero), func.coalesce(by_telegram.c.id, zero)
    if connection.dialect.name == "postgresql":
        latest = func.greatest(sms_id, telegram_id)
    else:
        latest = func.max(sms_id, telegram_id)
    query = (
        select(_c.id)
        .outerjoin(by_sms, by_sms.c.contact_id == _c.sms_contact_id)
        .outerjoin(by_telegram, by_telegram.c.contact_id == _c.telegram_contact_id)
    )
    if outcome == "none":
        return query.where(latest == 0)
    return query.join(ASSESSMENTS, _a.id == latest).where(
        _a.result["status"].as_string() == outcome
    )


@dataclass(frozen=True, slots=True)
class FamilyRow:
    id: int
    name: str
    phone: str  # whole for the worker whose case it is, else the last digits
    region: str
    language: str
    next_reassessment: date | None
    telegram: bool
    consent: bool
    opted_out: bool
    last_contact: datetime | None
    status: str
    worker: str


@dataclass
class Listing:
    rows: list[FamilyRow]
    total: int
    page: int
    pages: int


def _ordered(connection: Connection, query: Select[Any], sort: str) -> Select[Any]:
    if sort == "last":
        return query.order_by(_last_contact(connection).desc().nulls_last(), _c.id)
    if sort == "reassess":
        return query.order_by(_c.next_reassessment.is_(None), _c.next_reassessment, _c.name, _c.id)
    if sort == "added":
        return query.order_by(_c.id.desc())
    return query.order_by(_c.name, _c.id)


def listing(connection: Connection, member: Member, filters: Filters, now: datetime) -> Listing:
    """One page of the families `member` may see that match `filters`. The matching ids are
    read whole (ten thousand integers), so the filters are worked out once for the count and
    the page."""
    where = _conditions(connection, member, filters, now)
    ids = [
        int(i)
        for i in connection.execute(
            _ordered(connection, select(_c.id).where(*where), filters.sort)
        ).scalars()
    ]
    total = len(ids)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    shown = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return Listing(family_rows(connection, member, shown), total, page, pages)


def family_rows(connection: Connection, member: Member, ids: Sequence[int]) -> list[FamilyRow]:
    """The rows of these cases, in the order given."""
    if not ids:
        return []
    sms = CONTACTS.alias("sms")
    telegram = CONTACTS.alias("telegram")
    query = (
        select(
            _c.id,
            _c.name,
            _c.phone,
            _c.region,
            _c.language,
            _c.next_reassessment,
            _c.staff_id,
            _c.telegram_contact_id,
            STAFF.c.username,
            func.coalesce(sms.c.consent, False).label("sms_consent"),
            func.coalesce(telegram.c.consent, False).label("telegram_consent"),
            func.coalesce(sms.c.opted_out, False).label("sms_out"),
            func.coalesce(telegram.c.opted_out, False).label("telegram_out"),
            _last_contact(connection).label("last_contact"),
            _status().label("status"),
        )
        .join(STAFF, STAFF.c.id == _c.staff_id)
        .outerjoin(sms, sms.c.id == _c.sms_contact_id)
        .outerjoin(telegram, telegram.c.id == _c.telegram_contact_id)
        .where(_c.id.in_(list(ids)))
    )
    found = {row.id: row for row in connection.execute(query)}
    return [_row(member, found[i]) for i in ids if i in found]


def aware(moment: datetime) -> datetime:
    """A moment as the database gave it back. SQLite keeps no offset for the `DateTime` columns
    of messages, contacts and assessments: they come back naive, as the Kazakhstan time they
    were written in (the process's clock is Kazakhstan's)."""
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone_on(moment.date()))


def _row(member: Member, row: Any) -> FamilyRow:
    return FamilyRow(
        id=row.id,
        name=row.name,
        phone=shown_phone(member, row.staff_id, row.phone),
        region=row.region,
        language=row.language,
        next_reassessment=row.next_reassessment,
        telegram=row.telegram_contact_id is not None,
        consent=bool(row.sms_consent or row.telegram_consent),
        opted_out=bool(row.sms_out or row.telegram_out),
        last_contact=None if row.last_contact is None else aware(row.last_contact),
        status=str(row.status),
        worker=row.username,
    )


def shown_phone(member: Member, owner_id: int, phone: str) -> str:
    """A family's phone as `member` may see it: whole for its own worker only."""
    return phone if member.role == "worker" and member.id == owner_id else last_digits(phone)


def export_rows(
    connection: Connection, member: Member, filters: Filters, now: datetime
) -> Iterator[FamilyRow]:
    """Every family of the filtered list (all pages), in its order, a batch at a time."""
    where = _conditions(connection, member, filters, now)
    ids = [
        int(i)
        for i in connection.execute(
            _ordered(connection, select(_c.id).where(*where), filters.sort)
        ).scalars()
    ]
    for start in range(0, len(ids), 500):
        yield from family_rows(connection, member, ids[start : start + 500])


# ------------------------------------------------------------------------------------------
# One family


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    channel: str
    address: str  # shown as the member may see it
    language: str | None
    consent: bool
    opted_out: bool
    reminders: bool


@dataclass
class Family:
    id: int
    name: str
    phone: str
    region: str
    language: str
    notes: str | None
    next_reassessment: date | None
    worker: str
    worker_name: str
    own: bool  # the member is its social worker
    link_code: str
    link_expires_at: datetime | None
    link_used_at: datetime | None
    contacts: list[Contact] = field(default_factory=list)

    @property
    def contact_ids(self) -> list[int]:
        return [contact.id for contact in self.contacts]

    @property
    def reach(self) -> Contact | None:
        """Where a message to the family goes: its Telegram chat when linked, else SMS."""
        for channel in ("telegram", "sms"):
            for contact in self.contacts:
                if contact.channel == channel:
                    return contact
        return None


def family(connection: Connection, member: Member, case_id: int) -> Family | None:
    """The family of case `case_id` if `member` may see it (None: no such case, or not theirs
    to see; the pages answer both with a refusal)."""
    s = STAFF.c
    row = connection.execute(
        select(
            _c.id,
            _c.name,
            _c.phone,
            _c.region,
            _c.language,
            _c.notes,
            _c.next_reassessment,
            _c.staff_id,
            _c.sms_contact_id,
            _c.telegram_contact_id,
            _c.link_code,
            _c.link_expires_at,
            _c.link_used_at,
            s.username,
            s.name.label("worker_name"),
        )
        .join(STAFF, s.id == _c.staff_id)
        .where(_c.id == case_id, visible(member))
    ).first()
    if row is None:
        return None
    own = member.role == "worker" and member.id == row.staff_id
    found = Family(
        id=row.id,
        name=row.name,
        phone=shown_phone(member, row.staff_id, row.phone),
        region=row.region,
        language=row.language,
        notes=row.notes,
        next_reassessment=row.next_reassessment,
        worker=row.username,
        worker_name=row.worker_name,
        own=own,
        link_code=row.link_code,
        link_expires_at=row.link_expires_at,
        link_used_at=row.link_used_at,
    )
    ids = [i for i in (row.telegram_contact_id, row.sms_contact_id) if i is not None]
    for contact in connection.execute(
        select(
            _k.id, _k.channel, _k.address, _k.language, _k.consent, _k.opted_out, _k.reminders
        ).where(_k.id.in_(ids))
    ):
        address = (
            shown_phone(member, row.staff_id, contact.address)
            if contact.channel == "sms"
            else "Telegram"
        )
        found.contacts.append(
            Contact(
                contact.id,
                contact.channel,
                address,
                contact.language,
                bool(contact.consent),
                bool(contact.opted_out),
                bool(contact.reminders),
            )
        )
    found.contacts.sort(key=lambda c: c.channel != "telegram")
    return found


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a family's timeline."""

    at: datetime
    kind: str  # message, outbox, assessment, visit, note
    data: dict[str, Any]


def timeline(connection: Connection, found: Family) -> tuple[list[Event], bool]:
    """The family's messages in and out (with how their delivery went and what sent them),
    messages queued but not sent, assessments, visits and notes, newest first; and whether
    older messages were left out."""
    ids = found.contact_ids
    events: list[Event] = []
    o = OUTBOX.c
    messages = connection.execute(
        select(
            _m.id,
            _m.contact_id,
            _m.channel,
            _m.direction,
            _m.body,
            _m.status,
            _m.error,
            _m.created_at,
            o.kind,
            o.payload,
        )
        .outerjoin(OUTBOX, o.message_id == _m.id)
        .where(_m.contact_id.in_(ids))
        .order_by(_m.created_at.desc(), _m.id.desc())
        .limit(TIMELINE_MESSAGES + 1)
    ).all()
    more = len(messages) > TIMELINE_MESSAGES
    campaign_names = _campaign_names(connection, [r.payload for r in messages if r.payload])
    for r in messages[:TIMELINE_MESSAGES]:
        events.append(
            Event(
                aware(r.created_at),
                "message",
                {
                    "direction": r.direction,
                    "channel": r.channel,
                    "body": r.body,
                    "status": r.status,
                    "error": r.error,
                    "kind": r.kind,
                    "campaign": campaign_names.get(_campaign_of(r.payload)),
                },
            )
        )
    waiting = connection.execute(
        select(o.kind, o.status, o.due_at, o.error, o.payload, o.created_at)
        .where(o.contact_id.in_(ids), o.message_id.is_(None))
        .order_by(o.due_at.desc())
        .limit(50)
    ).all()
    names = _campaign_names(connection, [w.payload for w in waiting])
    for w in waiting:
        events.append(
            Event(
                w.due_at,
                "outbox",
                {
                    "kind": w.kind,
                    "status": w.status,
                    "error": w.error,
                    "campaign": names.get(_campaign_of(w.payload)),
                },
            )
        )
    for done in connection.execute(
        select(_a.id, _a.household, _a.result, _a.created_at)
        .where(_a.contact_id.in_(ids))
        .order_by(_a.created_at.desc())
        .limit(20)
    ):
        events.append(
            Event(
                aware(done.created_at),
                "assessment",
                {"id": done.id, "household": done.household, "result": done.result},
            )
        )
    p = APPOINTMENTS.c
    for visit in connection.execute(
        select(p.id, p.office_id, p.starts_at, p.status, p.cancelled_by)
        .where(p.contact_id.in_(ids))
        .order_by(p.starts_at.desc())
        .limit(20)
    ):
        events.append(
            Event(
                visit.starts_at,
                "visit",
                {
                    "id": visit.id,
                    "office": visit.office_id,
                    "status": visit.status,
                    "by": visit.cancelled_by,
                },
            )
        )
    n = CASE_NOTES.c
    for note in connection.execute(
        select(n.body, n.created_at, STAFF.c.name)
        .outerjoin(STAFF, STAFF.c.id == n.staff_id)
        .where(n.case_id == found.id)
        .order_by(n.created_at.desc())
        .limit(50)
    ):
        events.append(Event(note.created_at, "note", {"body": note.body, "by": note.name}))
    events.sort(key=lambda e: e.at, reverse=True)
    return events, more


def _campaign_of(payload: Any) -> int | None:
    if isinstance(payload, dict) and isinstance(payload.get("campaign"), int):
        return int(payload["campaign"])
    return None


def _campaign_names(connection: Connection, payloads: list[Any]) -> dict[int | None, str]:
    ids = {i for i in (_campaign_of(p) for p in payloads) if i is not None}
    if not ids:
        return {}
    rows = connection.execute(
        select(CAMPAIGNS.c.id, CAMPAIGNS.c.name).where(CAMPAIGNS.c.id.in_(ids))
    )
    return {int(i): str(name) for i, name in rows}


def add_note(
    connection: Connection, member: Member, case_id: int, body: str, now: datetime
) -> None:
    connection.execute(
        insert(CASE_NOTES).values(
            case_id=case_id, staff_id=member.id, body=body.strip()[:MAX_NOTE], created_at=now
        )
    )
