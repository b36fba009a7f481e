"""The inbox as staff see it: the conversations families passed to a person, who may see and do
what with them, and what is done (take, answer, transfer, mark unread, hand back).

Who sees what (the same rules as the caseload): a social worker the conversations of their own
families and their region's shared queue (not yet taken); a supervisor every conversation of
their region, with how long each has waited; an administrator all. Only the worker who has a
conversation answers it or hands it back; a worker takes one from their region's queue; a
supervisor or an administrator may take any they see, and transfer one to a worker of its
region.

Every query takes the connection of the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, func, literal, select, true, update

from bot.contacts.phone import last_digits
from bot.delivery.inbox import key_prefix, leave_for_page, queue_reply
from bot.staff.accounts import Member
from bot.staff.families import aware
from bot.storage.tables import CANNED_REPLIES, CASES, CONTACTS, INBOX, MESSAGES, OUTBOX, STAFF
from dialogs.segments import SMS_BUDGET, cost

_i, _m, _k = INBOX.c, MESSAGES.c, CONTACTS.c
MAX_REPLY = 1000
THREAD_MESSAGES = 200
# WhatsApp's customer service window (`bot.channels.whatsapp.window`, which staff code may not
# import): past it a worker's text goes inside the approved form of a worker's message.
WHATSAPP_WINDOW = timedelta(hours=24)


def visible(member: Member) -> ColumnElement[bool]:
    """The open conversations `member` may see."""
    if member.role == "worker":
        return (_i.staff_id == member.id) | (
            _i.staff_id.is_(None) & (_i.region == (member.region or ""))
        )
    if member.role == "supervisor":
        return _i.region == (member.region or "")
    return true()


def _unread() -> ColumnElement[int]:
    """What the family wrote since the conversation opened that the worker has not read."""
    return (
        select(func.count())
        .where(
            _m.contact_id == _i.contact_id,
            _m.direction == "in",
            _m.id > _i.read_upto,
        )
        .scalar_subquery()
    )


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    contact_id: int
    channel: str
    language: str | None
    family: str  # the caseload name, else the channel's address cut to its last digits
    case_id: int | None
    first_message_id: int
    region: str | None
    staff_id: int | None
    worker: str | None
    reason: str
    taken: bool
    opened_at: datetime
    last_activity_at: datetime
    first_answer_at: datetime | None
    closed_at: datetime | None
    unread: int

    def waited(self, now: datetime) -> timedelta:
        """How long the family has waited for a first answer (or waited, once answered)."""
        return (self.first_answer_at or now) - self.opened_at


def _query(where: ColumnElement[bool]) -> Any:
    return (
        select(
            _i.id,
            _i.contact_id,
            _k.channel,
            _k.language,
            _k.address,
            CASES.c.name,
            _i.case_id,
            _i.first_message_id,
            _i.region,
            _i.staff_id,
            STAFF.c.name.label("worker"),
            _i.reason,
            _i.taken,
            _i.opened_at,
            _i.last_activity_at,
            _i.first_answer_at,
            _i.closed_at,
            _unread().label("unread"),
        )
        .join(CONTACTS, _k.id == _i.contact_id)
        .outerjoin(CASES, CASES.c.id == _i.case_id)
        .outerjoin(STAFF, STAFF.c.id == _i.staff_id)
        .where(where)
    )


def _conversation(row: Any) -> Conversation:
    family = row.name or f"{row.channel} {last_digits(str(row.address))}"
    return Conversation(
        int(row.id),
        int(row.contact_id),
        str(row.channel),
        row.language,
        str(family),
        row.case_id,
        int(row.first_message_id),
        row.region,
        row.staff_id,
        row.worker,
        str(row.reason),
        bool(row.taken),
        row.opened_at,
        row.last_activity_at,
        row.first_answer_at,
        row.closed_at,
        int(row.unread or 0),
    )


def waiting(
    connection: Connection, member: Member, region: str | None = None
) -> list[Conversation]:
    """The open conversations `member` sees, newest activity first (an administrator or, within
    their region, a supervisor may narrow them to one region)."""
    where = _i.closed_at.is_(None) & visible(member)
    if region:
        where = where & (_i.region == region)
    rows = connection.execute(_query(where).order_by(_i.last_activity_at.desc(), _i.id.desc()))
    return [_conversation(row) for row in rows]


def counts(connection: Connection, member: Member) -> dict[str, int]:
    """What the navigation's badge shows: unread messages in the conversations `member` has
    (or, for a worker, may take), and conversations nobody has taken yet."""
    mine = (_i.staff_id == member.id) | _i.staff_id.is_(None)
    row = connection.execute(
        select(
            func.coalesce(func.sum(_unread()), 0),
            func.count().filter(_i.taken.is_(False)),
        ).where(_i.closed_at.is_(None), visible(member), mine)
    ).one()
    return {"unread": int(row[0]), "waiting": int(row[1])}


def find(connection: Connection, member: Member, conversation_id: int) -> Conversation | None:
    """One conversation, if `member` may see it (an administrator or a supervisor of its
    region sees closed ones too; a worker the ones they had)."""
    seen: ColumnElement[bool]
    if member.role == "worker":
        seen = (_i.staff_id == member.id) | (
            _i.staff_id.is_(None) & (_i.region == (member.region or "")) & _i.closed_at.is_(None)
        )
    else:
        seen = visible(member)
    row = connection.execute(_query((_i.id == conversation_id) & seen)).first()
    return None if row is None else _conversation(row)


def may_answer(member: Member, conversation: Conversation) -> bool:
    """Answer, hand back, mark unread: the member who has it, while it is open."""
    return conversation.closed_at is None and conversation.staff_id == member.id


def may_take(member: Member, conversation: Conversation) -> bool:
    if conversation.closed_at is not None or conversation.staff_id == member.id:
        return False
    if member.role == "worker":
        return conversation.staff_id is None and conversation.region == member.region
    return member.role == "admin" or conversation.region == member.region


def may_transfer(member: Member, conversation: Conversation) -> bool:
    if conversation.closed_at is not None:
        return False
    if member.role == "worker":
        return conversation.staff_id == member.id
    return member.role == "admin" or conversation.region == member.region


@dataclass(frozen=True, slots=True)
class Line:
    """A message of the conversation: the family's, the bot's, or a worker's (with how its
    delivery went)."""

    at: datetime
    direction: str  # in, out
    body: str | None
    status: str
    by_worker: bool = False
    channel: str = ""


@dataclass
class Thread:
    lines: list[Line] = field(default_factory=list)
    last_in: int = 0  # the id of the family's last message
    last_in_at: datetime | None = None


def thread(connection: Connection, conversation: Conversation) -> Thread:
    """The conversation's messages in order: the family's and the bot's since it opened, and
    the worker's (those still waiting in the outbox as well)."""
    o = OUTBOX.c
    workers = connection.execute(
        select(o.message_id, o.status, o.payload, o.created_at, o.error).where(
            o.key.startswith(key_prefix(conversation.id), autoescape=True)
        )
    ).all()
    sent = {int(r.message_id) for r in workers if r.message_id is not None}
    rows: list[Any] = list(
        connection.execute(
            select(_m.id, _m.direction, _m.body, _m.status, _m.created_at, _m.channel)
            .where(
                _m.contact_id == conversation.contact_id,
                _m.id >= conversation.first_message_id,
            )
            .order_by(_m.id)
            .limit(THREAD_MESSAGES)
        )
    )
    if sent:
        rows += connection.execute(
            select(_m.id, _m.direction, _m.body, _m.status, _m.created_at, _m.channel).where(
                _m.id.in_(sent), _m.contact_id != conversation.contact_id
            )
        ).all()
    found = Thread()
    for row in rows:
        at = aware(row.created_at)
        found.lines.append(
            Line(at, row.direction, row.body, row.status, row.id in sent, row.channel)
        )
        if row.direction == "in" and row.id > found.last_in:
            found.last_in, found.last_in_at = int(row.id), at
    for pending in workers:
        if pending.message_id is None:  # not handed to a channel yet (or refused before it)
            body = str((pending.payload or {}).get("text") or "")
            status = f"outbox:{pending.status}"
            found.lines.append(Line(pending.created_at, "out", body, status, True))
    found.lines.sort(key=lambda line: line.at)
    return found


def read(connection: Connection, conversation_id: int, upto: int) -> None:
    connection.execute(
        update(INBOX).where(_i.id == conversation_id, _i.read_upto < upto).values(read_upto=upto)
    )


def mark_unread(connection: Connection, conversation: Conversation, now: datetime) -> None:
    """The family's last message counts as unread again."""
    last = connection.execute(
        select(func.max(_m.id)).where(
            _m.contact_id == conversation.contact_id,
            _m.direction == "in",
            _m.id >= conversation.first_message_id,
        )
    ).scalar()
    if last is not None:
        connection.execute(
            update(INBOX)
            .where(_i.id == conversation.id)
            .values(read_upto=int(last) - 1, last_activity_at=now)
        )


def take(connection: Connection, member: Member, conversation_id: int, now: datetime) -> bool:
    """The member takes the conversation. A worker takes it only from the queue: when two
    take it at once, the first has it and the other is told (False)."""
    where = (_i.id == conversation_id) & _i.closed_at.is_(None)
    if member.role == "worker":
        where = where & _i.staff_id.is_(None)
    taken = connection.execute(
        update(INBOX).where(where).values(staff_id=member.id, taken=True, last_activity_at=now)
    )
    return bool(taken.rowcount)


def colleagues(connection: Connection, region: str | None) -> list[tuple[int, str]]:
    """The active social workers and supervisors of a region, who may get a conversation."""
    s = STAFF.c
    rows = connection.execute(
        select(s.id, s.name)
        .where(
            s.active.is_(True),
            s.role.in_(("worker", "supervisor")),
            s.region == region if region is not None else false(),
        )
        .order_by(s.name)
    )
    return [(int(r.id), str(r.name)) for r in rows]


def transfer(connection: Connection, conversation: Conversation, to: int, now: datetime) -> bool:
    """Give the conversation to another worker of its region; False for anyone else."""
    if to not in {member_id for member_id, _ in colleagues(connection, conversation.region)}:
        return False
    connection.execute(
        update(INBOX)
        .where(_i.id == conversation.id)
        .values(staff_id=to, taken=True, last_activity_at=now)
    )
    return True


class ReplyRefused(ValueError):  # noqa: N818 - a reason shown to the worker, not a bug
    """Why a worker's answer cannot go: its code names the sentence the page shows."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def window_closed(connection: Connection, conversation: Conversation, now: datetime) -> bool:
    """Whether a WhatsApp family last wrote more than a day ago (the text then goes inside the
    approved form of a worker's message)."""
    if conversation.channel != "whatsapp":
        return False
    last = connection.execute(
        select(func.max(_m.created_at)).where(
            _m.contact_id == conversation.contact_id, _m.direction == "in"
        )
    ).scalar()
    return last is None or aware(last) < now - WHATSAPP_WINDOW


def answer(
    connection: Connection, member: Member, conversation: Conversation, text: str, now: datetime
) -> str:
    """Queue the worker's answer on the family's channel; its outbox key. The family's
    messages up to now count as read; the first answer's time is kept (the time to a first
    answer)."""
    text = text.strip()
    if not text:
        raise ReplyRefused("empty")
    if len(text) > MAX_REPLY:
        raise ReplyRefused("long")
    if conversation.channel == "sms" and cost(text).segments > SMS_BUDGET:
        raise ReplyRefused("sms")
    contact = connection.execute(
        select(_k.opted_out).where(_k.id == conversation.contact_id)
    ).scalar()
    if contact:
        raise ReplyRefused("opted-out")
    o = OUTBOX.c
    number = connection.execute(
        select(func.count()).where(o.key.startswith(key_prefix(conversation.id), autoescape=True))
    ).scalar_one()
    deliver = leave_for_page if conversation.channel == "web" else queue_reply
    key = deliver(
        connection,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        text=text,
        number=int(number) + 1,
        now=now,
        staff_id=member.id,
    )
    last_in = connection.execute(
        select(func.max(_m.id)).where(
            _m.contact_id == conversation.contact_id, _m.direction == "in"
        )
    ).scalar()
    values: dict[str, Any] = {"last_activity_at": now, "read_upto": int(last_in or 0)}
    if conversation.first_answer_at is None:
        values["first_answer_at"] = now
    connection.execute(update(INBOX).where(_i.id == conversation.id).values(values))
    return key


# -- canned replies ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Canned:
    id: int
    region: str | None
    language: str
    title: str
    body: str


def canned(
    connection: Connection, member: Member, language: str | None = None, region: str | None = None
) -> list[Canned]:
    """The replies kept ready that `member` may use: their region's and every region's (an
    administrator: all, or one region's); in one language when given."""
    c = CANNED_REPLIES.c
    own = member.region if member.role != "admin" else region
    where: list[ColumnElement[bool]] = []
    if own or member.role != "admin":
        where.append(c.region.is_(None) | (c.region == own))
    if language:
        where.append(c.language == language)
    rows = connection.execute(
        select(c.id, c.region, c.language, c.title, c.body)
        .where(and_(literal(True), *where))
        .order_by(c.language, c.title, c.id)
    )
    return [Canned(int(r.id), r.region, r.language, r.title, r.body) for r in rows]


def add_canned(
    connection: Connection,
    member: Member,
    *,
    region: str | None,
    language: str,
    title: str,
    body: str,
    now: datetime,
) -> int:
    c = CANNED_REPLIES.c
    return int(
        connection.execute(
            CANNED_REPLIES.insert()
            .values(
                region=region,
                language=language,
                title=title,
                body=body,
                staff_id=member.id,
                created_at=now,
            )
            .returning(c.id)
        ).scalar_one()
    )


def delete_canned(connection: Connection, member: Member, canned_id: int) -> bool:
    """A supervisor deletes their region's replies; an administrator any."""
    c = CANNED_REPLIES.c
    where = c.id == canned_id
    if member.role != "admin":
        where = where & (c.region == (member.region or ""))
    return bool(connection.execute(CANNED_REPLIES.delete().where(where)).rowcount)


# -- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """What the charts page and /metrics show: conversations handed over per week, the time to
    a first answer (handed over to the worker's first message), and the top reasons."""

    weeks: list[tuple[datetime, int, float | None]]  # week's Monday, handed over, median minutes
    reasons: list[tuple[str, int]]
    waiting: int
    answered_seconds: list[float]


def figures(connection: Connection, member: Member, now: datetime, weeks: int = 8) -> Figures:
    since = now - timedelta(weeks=weeks)
    where = (_i.opened_at >= since) & _region_of(member)
    rows = connection.execute(
        select(_i.opened_at, _i.first_answer_at, _i.reason).where(where)
    ).all()
    by_week: dict[datetime, list[Any]] = {}
    reasons: Counter[str] = Counter()
    answered: list[float] = []
    for row in rows:
        day = row.opened_at - timedelta(days=row.opened_at.weekday())
        monday = day.replace(hour=0, minute=0, second=0, microsecond=0)
        by_week.setdefault(monday, []).append(row)
        reasons[str(row.reason)] += 1
        if row.first_answer_at is not None:
            answered.append((row.first_answer_at - row.opened_at).total_seconds())
    table = []
    for monday in sorted(by_week):
        times = sorted(
            (r.first_answer_at - r.opened_at).total_seconds() / 60
            for r in by_week[monday]
            if r.first_answer_at is not None
        )
        median = times[len(times) // 2] if times else None
        table.append((monday, len(by_week[monday]), median))
    open_now = connection.execute(
        select(func.count()).where(
            _i.closed_at.is_(None), _i.first_answer_at.is_(None), _region_of(member)
        )
    ).scalar_one()
    return Figures(table, reasons.most_common(5), int(open_now), answered)


def _region_of(member: Member) -> ColumnElement[bool]:
    if member.role == "admin":
        return true()
    return _i.region == (member.region or "")


def segments(text: str) -> dict[str, Any]:
    """The SMS cost of a worker's answer as it is typed (the page asks as the worker types)."""
    counted = cost(text)
    return {
        "segments": counted.segments,
        "encoding": counted.encoding,
        "characters": len(text),
        "budget": SMS_BUDGET,
        "within": counted.segments <= SMS_BUDGET,
    }


@dataclass(frozen=True, slots=True)
class Stats:
    """The inbox's figures for /metrics, over every region."""

    week: int
    waiting: int
    reasons: dict[str, int]


def stats(connection: Connection, now: datetime) -> Stats:
    week = connection.execute(
        select(func.count()).where(_i.opened_at >= now - timedelta(days=7))
    ).scalar_one()
    open_now = connection.execute(
        select(func.count()).where(_i.closed_at.is_(None), _i.first_answer_at.is_(None))
    ).scalar_one()
    reasons = connection.execute(
        select(_i.reason, func.count())
        .where(_i.opened_at >= now - timedelta(days=30))
        .group_by(_i.reason)
    ).all()
    return Stats(int(week), int(open_now), {str(r): int(n) for r, n in reasons})
