"""What the home page and the charts count: today's visits per office, campaigns on their way,
deliveries that failed, assessments per week, the path from a first message to a visit, delivery
per campaign, visits per office, and what families said of a result or a visit. Each is a few
grouped queries over indexed columns, never a walk through every message."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, Date, Integer, case, cast, exists, func, select, true

from bot.delivery.outbox import FAILED
from bot.staff.accounts import Member
from bot.staff.campaigns import Listed, campaign_rows, visible_campaigns
from bot.staff.families import visible
from bot.storage.offices import ATTENDED, load_offices
from bot.storage.tables import (
    APPOINTMENTS,
    ASSESSMENTS,
    CAMPAIGNS,
    CASES,
    CONTACTS,
    FEEDBACK,
    MESSAGES,
    OUTBOX,
    STAFF,
)
from core.almaty import local, wall
from core.offices import Office

FAILED_SINCE = timedelta(days=7)
WEEKS = 12
FUNNEL_DAYS = 90
CAMPAIGNS_CHARTED = 6
VISIT_DAYS = 28


def offices_of(connection: Connection, member: Member) -> list[Office]:
    return [o for o in load_offices(connection) if member.may_see(o)]


@dataclass
class OfficeDay:
    office: Office
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(n for s, n in self.counts.items() if s != "cancelled")


def visits_today(connection: Connection, member: Member, today: date) -> list[OfficeDay]:
    offices = {o.id: OfficeDay(o) for o in offices_of(connection, member)}
    if not offices:
        return []
    a = APPOINTMENTS.c
    first = wall(today, time())
    for office_id, state, n in connection.execute(
        select(a.office_id, a.status, func.count())
        .where(
            a.office_id.in_(list(offices)),
            a.starts_at >= first,
            a.starts_at < first + timedelta(days=1),
        )
        .group_by(a.office_id, a.status)
    ):
        offices[office_id].counts[state] = int(n)
    return [day for day in offices.values() if day.total] or []


@dataclass(frozen=True, slots=True)
class Running:
    campaign: Listed
    progress: dict[str, Any]


def running_campaigns(connection: Connection, member: Member) -> list[Running]:
    """Campaigns scheduled, or with messages still to send (how many of them are sent)."""
    found = []
    for listed in visible_campaigns(connection, member, limit=50):
        if listed.status == "scheduled" or (
            listed.status == "sending" and waiting(connection, listed.id)
        ):
            found.append(Running(listed, sent_counts(connection, listed.id)))
    return found[:10]


def waiting(connection: Connection, campaign_id: int) -> bool:
    """Whether messages of the campaign are still queued (a look at the few due rows)."""
    o = OUTBOX.c
    return (
        connection.execute(
            select(o.id)
            .where(o.status.in_(("pending", "sending")), campaign_rows(campaign_id))
            .limit(1)
        ).first()
        is not None
    )


def sent_counts(connection: Connection, campaign_id: int) -> dict[str, Any]:
    """The campaign's messages in all and those sent, without reading their deliveries."""
    o = OUTBOX.c
    by_status = {
        str(state): int(n)
        for state, n in connection.execute(
            select(o.status, func.count()).where(campaign_rows(campaign_id)).group_by(o.status)
        )
    }
    return {"outbox": by_status, "queued": sum(by_status.values())}


@dataclass(frozen=True, slots=True)
class Failure:
    at: datetime
    kind: str
    error: str | None
    case_id: int | None
    name: str | None


def failed_deliveries(
    connection: Connection, member: Member, now: datetime, limit: int = 10
) -> tuple[int, list[Failure]]:
    """Messages of the last week that failed for good, for the families `member` sees (an
    administrator: every one): how many, and the newest."""
    o, c = OUTBOX.c, CASES.c
    where = [o.status == FAILED, o.due_at >= now - FAILED_SINCE]
    if member.role != "admin":
        where.append(
            exists().where(
                visible(member),
                (c.sms_contact_id == o.contact_id) | (c.telegram_contact_id == o.contact_id),
            )
        )
    total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    rows = connection.execute(
        select(o.due_at, o.kind, o.error, o.contact_id)
        .where(*where)
        .order_by(o.due_at.desc())
        .limit(limit)
    ).all()
    contacts = [r.contact_id for r in rows]
    cases: dict[int, tuple[int, str]] = {}
    if contacts:
        for case_id, name, sms, telegram in connection.execute(
            select(c.id, c.name, c.sms_contact_id, c.telegram_contact_id).where(
                visible(member),
                (c.sms_contact_id.in_(contacts)) | (c.telegram_contact_id.in_(contacts)),
            )
        ):
            for contact in (sms, telegram):
                if contact is not None:
                    cases[int(contact)] = (int(case_id), str(name))
    return total, [
        Failure(r.due_at, r.kind, r.error, *cases.get(r.contact_id, (None, None))) for r in rows
    ]


# ------------------------------------------------------------------------------------------
# Charts


def _local_day(connection: Connection, column: Any) -> Any:
    """The day of a moment in Kazakhstan (UTC+5), for grouping."""
    if connection.dialect.name == "postgresql":
        return cast(func.timezone("Asia/Almaty", column), Date)
    return func.date(column, "+5 hours")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Series:
    """Counts per week (Monday first) and category."""

    weeks: list[date]
    counts: dict[str, dict[date, int]]

    def total(self, key: str) -> int:
        return sum(self.counts.get(key, {}).values())


def assessments_per_week(connection: Connection, today: date) -> dict[str, Series]:
    """Assessments of the last `WEEKS` weeks by outcome, by language and by channel."""
    first_week = week_of(today) - timedelta(weeks=WEEKS - 1)
    weeks = [first_week + timedelta(weeks=i) for i in range(WEEKS)]
    a, k = ASSESSMENTS.c, CONTACTS.c
    day = _local_day(connection, a.created_at)
    outcome = a.result["status"].as_string()
    rows = connection.execute(
        select(day, outcome, k.channel, k.language, func.count())
        .join(CONTACTS, k.id == a.contact_id)
        .where(a.created_at >= wall(first_week, time()))
        .group_by(day, outcome, k.channel, k.language)
    )
    by: dict[str, dict[str, dict[date, int]]] = {
        "outcome": defaultdict(Counter),
        "language": defaultdict(Counter),
        "channel": defaultdict(Counter),
    }
    for on, result, channel, language, n in rows:
        week = week_of(_as_date(on))
        by["outcome"][str(result)][week] += int(n)
        by["language"][str(language or "ru")][week] += int(n)
        by["channel"][str(channel)][week] += int(n)
    return {name: Series(weeks, dict(counts)) for name, counts in by.items()}


FUNNEL = ("started", "consented", "result", "booked", "attended")


def funnel(connection: Connection, now: datetime) -> dict[str, int]:
    """People who began a conversation in the last `FUNNEL_DAYS` days, and how many of them
    consented, reached a result, booked a visit and came to it."""
    k, a, p = CONTACTS.c, ASSESSMENTS.c, APPOINTMENTS.c
    assessed = exists().where(a.contact_id == k.id)
    booked = exists().where(p.contact_id == k.id)
    attended = exists().where(p.contact_id == k.id, p.status == ATTENDED)

    def counted(condition: Any) -> Any:
        return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)

    row = connection.execute(
        select(
            func.count(),
            counted(k.consent.is_(True)),
            counted(assessed),
            counted(booked),
            counted(attended),
        ).where(k.created_at >= now - timedelta(days=FUNNEL_DAYS))
    ).one()
    return dict(zip(FUNNEL, (int(v) for v in row), strict=True))


@dataclass(frozen=True, slots=True)
class CampaignDelivery:
    campaign: Listed
    counts: dict[str, int]


def delivery_per_campaign(connection: Connection, member: Member) -> list[CampaignDelivery]:
    """The newest campaigns sent by the member (a supervisor: by anyone of their region; an
    administrator: by anyone), each with how its messages went."""
    c, s = CAMPAIGNS.c, STAFF.c
    query = (
        select(c.id, c.name, c.template, c.status, s.username, c.created_at, c.sent_at)
        .add_columns(c.scheduled_at)
        .join(STAFF, s.id == c.staff_id)
        .where(c.status.in_(("sending", "sent")))
        .order_by(c.id.desc())
        .limit(CAMPAIGNS_CHARTED)
    )
    if member.role == "supervisor":
        query = query.where(s.region == (member.region or ""))
    elif member.role != "admin":
        query = query.where(c.staff_id == member.id)
    found = []
    for row in connection.execute(query).all():
        listed = Listed(*row)
        found.append(CampaignDelivery(listed, delivery_counts(connection, listed.id)))
    return found


def delivery_counts(connection: Connection, campaign_id: int) -> dict[str, int]:
    """A campaign's messages: delivered, sent (not yet known delivered), failed, skipped and
    still queued."""
    o, m = OUTBOX.c, MESSAGES.c
    rows = connection.execute(
        select(o.status, (m.status == "delivered").label("delivered"), func.count())
        .outerjoin(MESSAGES, m.id == o.message_id)
        .where(campaign_rows(campaign_id))
        .group_by(o.status, m.status == "delivered")
    ).all()
    counts = dict.fromkeys(("delivered", "sent", "failed", "skipped", "queued"), 0)
    for state, delivered, n in rows:
        if state == "sent":
            counts["delivered" if delivered else "sent"] += int(n)
        elif state in ("failed", "skipped"):
            counts[state] += int(n)
        elif state in ("pending", "sending"):
            counts["queued"] += int(n)
    return counts


def visits_per_office(
    connection: Connection, member: Member, today: date
) -> list[tuple[Office, dict[str, int]]]:
    """Visits of the last four weeks per office the member sees, by status."""
    offices = {o.id: o for o in offices_of(connection, member)}
    if not offices:
        return []
    a = APPOINTMENTS.c
    first = wall(today - timedelta(days=VISIT_DAYS), time())
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for office_id, state, n in connection.execute(
        select(a.office_id, a.status, func.count())
        .where(
            a.office_id.in_(list(offices)),
            a.starts_at >= first,
            a.starts_at < wall(today, time()) + timedelta(days=1),
        )
        .group_by(a.office_id, a.status)
    ):
        counts[office_id][str(state)] = int(n)
    return [(offices[i], counts[i]) for i in offices if i in counts]


def today_in_almaty(now: datetime) -> date:
    return local(now).date()


# ------------------------------------------------------------------------------------------
# Feedback: what families said of a result or a visit


FEEDBACK_COMMENTS = 10
RATINGS = (1, 2, 3, 4, 5)


@dataclass
class RegionWeek:
    """The ratings of one region in one week (Monday first), by value."""

    week: date
    region: str | None
    counts: Counter[int] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def average(self) -> Decimal:
        total = sum(rating * n for rating, n in self.counts.items())
        return (Decimal(total) / max(1, self.total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Comment:
    at: datetime
    region: str | None
    kind: str
    rating: int
    text: str


@dataclass
class Feedback:
    weeks: list[date]
    by_region: list[RegionWeek]  # newest week first, then by region
    comments: list[Comment]

    def per_week(self) -> list[dict[str, int]]:
        """Ratings per week, by value ("1" to "5"), for a chart."""
        counts: dict[date, Counter[int]] = defaultdict(Counter)
        for row in self.by_region:
            counts[row.week].update(row.counts)
        return [{str(r): counts[w][r] for r in RATINGS} for w in self.weeks]


def _feedback_seen_by(member: Member) -> Any:
    """A supervisor sees the feedback of their region; an administrator, everyone's."""
    f = FEEDBACK.c
    return true() if member.role == "admin" else f.region == (member.region or "")


def feedback(connection: Connection, member: Member, today: date) -> Feedback:
    """Ratings of the last `WEEKS` weeks per region and week, and the newest comments."""
    first_week = week_of(today) - timedelta(weeks=WEEKS - 1)
    weeks = [first_week + timedelta(weeks=i) for i in range(WEEKS)]
    f = FEEDBACK.c
    day = _local_day(connection, f.created_at)
    seen = _feedback_seen_by(member)
    rows: dict[tuple[date, str | None], RegionWeek] = {}
    for on, region, rating, n in connection.execute(
        select(day, f.region, f.rating, func.count())
        .where(seen, f.created_at >= wall(first_week, time()))
        .group_by(day, f.region, f.rating)
    ):
        week = week_of(_as_date(on))
        row = rows.setdefault((week, region), RegionWeek(week, region))
        row.counts[int(rating)] += int(n)
    comments = [
        Comment(r.created_at, r.region, str(r.kind), int(r.rating), str(r.comment))
        for r in connection.execute(
            select(f.created_at, f.region, f.kind, f.rating, f.comment)
            .where(seen, f.comment.is_not(None))
            .order_by(f.created_at.desc(), f.id.desc())
            .limit(FEEDBACK_COMMENTS)
        )
    ]
    ordered = sorted(rows.values(), key=lambda r: (-r.week.toordinal(), r.region or ""))
    return Feedback(weeks, ordered, comments)
