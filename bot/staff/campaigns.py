"""Campaigns: a message from staff to many families at once, through the outbox.

A campaign has a template (the quarterly reassessment, documents due by a date, or a text the
worker writes in kk, ru and en) and an audience (the worker's caseload, or a filter by region,
language or reassessment date, within what the member of staff may see). Preview renders it in
each language with its SMS encoding and segments, counts the recipients by channel and the
opted-out ones, and estimates how long sending takes under the rate limits. Sending queues one
outbox row per recipient (key campaign + contact: never twice); status counts them by outcome
and lists each recipient's delivery. Each family is reached on Telegram when its chat is linked,
otherwise by SMS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    case,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy import cast as sql_cast

from bot.contacts.phone import last_digits
from bot.delivery.campaigns import KIND, TEMPLATES, render
from bot.delivery.outbox import FAILED, PENDING, SENT, enqueue_all
from bot.i18n.translator import LANGUAGES, Translator
from bot.staff.accounts import Member, audit
from bot.storage.tables import CAMPAIGNS, CASES, CONTACTS, MESSAGES, OUTBOX, STAFF
from core.regions import REGIONS
from dialogs.segments import cost

MAX_TEXT = 600
PHONES = ("sms", "whatsapp")


class CampaignError(ValueError):
    """A campaign that cannot be made or sent as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Audience:
    caseload: bool = True  # only the member's own cases (a worker always)
    region: str | None = None
    language: str | None = None
    reassess_before: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "caseload": self.caseload,
            "region": self.region,
            "language": self.language,
            "reassess_before": None if self.reassess_before is None else str(self.reassess_before),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Audience:
        before = data.get("reassess_before")
        return cls(
            bool(data.get("caseload", True)),
            data.get("region"),
            data.get("language"),
            None if before is None else date.fromisoformat(str(before)),
        )


def create(
    connection: Connection,
    member: Member,
    *,
    name: str,
    template: str,
    texts: Mapping[str, Any],
    audience: Audience,
    now: datetime,
) -> int:
    if template not in TEMPLATES:
        raise CampaignError(f"template: one of {', '.join(TEMPLATES)}")
    if not name.strip() or len(name) > 120:
        raise CampaignError("name: required, at most 120 characters")
    stored: dict[str, Any] = {}
    if template == "custom":
        for language in LANGUAGES:
            value = texts.get(language)
            if not isinstance(value, str) or not value.strip():
                raise CampaignError(f"text in {language}: required for a custom message")
            if len(value) > MAX_TEXT:
                raise CampaignError(f"text in {language}: at most {MAX_TEXT} characters")
            stored[language] = value.strip()
    elif template == "documents_due":
        try:
            stored["due"] = date.fromisoformat(str(texts.get("due"))).isoformat()
        except ValueError:
            raise CampaignError("due: the date documents are due, YYYY-MM-DD") from None
    _check_audience(member, audience)
    campaign_id = connection.execute(
        insert(CAMPAIGNS)
        .values(
            staff_id=member.id,
            name=name.strip(),
            template=template,
            texts=stored,
            audience=audience.to_json(),
            status="draft",
            created_at=now,
        )
        .returning(CAMPAIGNS.c.id)
    ).scalar_one()
    audit(connection, member, "campaign.create", f"campaign {campaign_id}", now, name=name)
    return int(campaign_id)


def _check_audience(member: Member, audience: Audience) -> None:
    if audience.region is not None and audience.region not in REGIONS:
        raise CampaignError(f"region: one of {', '.join(REGIONS)}")
    if audience.language is not None and audience.language not in LANGUAGES:
        raise CampaignError("language: kk, ru or en")
    if member.role == "worker" and not audience.caseload:
        raise CampaignError("a social worker writes to their own caseload only")
    if member.role == "supervisor" and audience.region not in (None, member.region):
        raise CampaignError("a supervisor writes within their own region only")


def _load(connection: Connection, member: Member, campaign_id: int) -> Any:
    row = connection.execute(select(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id)).first()
    if row is None:
        raise CampaignError(f"no campaign {campaign_id}")
    if member.role != "admin" and row.staff_id != member.id:
        raise CampaignError(f"campaign {campaign_id} belongs to another member of staff")
    return row


def _owner(connection: Connection, row: Any) -> Member:
    """Whose campaign it is: the audience is read with the rights of the one who made it."""
    s = STAFF.c
    owner = connection.execute(
        select(s.id, s.username, s.name, s.role, s.region).where(s.id == row.staff_id)
    ).one()
    return Member(owner.id, owner.username, owner.name, owner.role, owner.region)


def _recipients(member: Member, audience: Audience) -> Any:
    """contact id and channel per case of the audience: the linked Telegram chat, else SMS."""
    k = CASES.c
    conditions = []
    if audience.caseload or member.role == "worker":
        conditions.append(k.staff_id == member.id)
    region = audience.region or (member.region if member.role == "supervisor" else None)
    if region is not None:
        conditions.append(k.region == region)
    if audience.language is not None:
        conditions.append(k.language == audience.language)
    if audience.reassess_before is not None:
        conditions.append(k.next_reassessment < audience.reassess_before)
    contact = func.coalesce(k.telegram_contact_id, k.sms_contact_id)
    return (
        select(contact.label("contact_id"), k.phone, k.language)
        .where(and_(*conditions) if conditions else literal(True), contact.is_not(None))
        .subquery()
    )


def preview(
    connection: Connection,
    member: Member,
    campaign_id: int,
    translator: Translator,
    rates: Mapping[str, float],
) -> dict[str, Any]:
    row = _load(connection, member, campaign_id)
    audience = Audience.from_json(row.audience)
    chosen = _recipients(_owner(connection, row), audience)
    c = CONTACTS.c
    counts = connection.execute(
        select(c.channel, c.opted_out, chosen.c.language, func.count())
        .join(chosen, chosen.c.contact_id == c.id)
        .group_by(c.channel, c.opted_out, chosen.c.language)
    ).all()
    texts: dict[str, dict[str, Any]] = {}
    segments: dict[str, int] = {}
    for language in LANGUAGES:
        text = render(translator, row.template, row.texts, language)
        sms = cost(text)
        segments[language] = sms.segments
        texts[language] = {
            "text": text,
            "sms_encoding": sms.encoding,
            "sms_segments": sms.segments,
        }
    by_channel: Counter[str] = Counter()
    sms_by_language: Counter[str] = Counter()
    opted_out = 0
    seconds = 0.0
    per_channel_units: Counter[str] = Counter()
    for channel, out, language, n in counts:
        if out:
            opted_out += int(n)
            continue
        by_channel[channel] += int(n)
        units = segments.get(language, 1) if channel == "sms" else 1
        per_channel_units[channel] += int(n) * units
        if channel == "sms":
            sms_by_language[language] += int(n)
    for channel, units in per_channel_units.items():
        rate = rates.get(channel)
        if rate:
            seconds = max(seconds, units / rate)  # channels go side by side
    return {
        "campaign": campaign_id,
        "name": row.name,
        "status": row.status,
        "texts": texts,
        "recipients": dict(by_channel),
        "sms_by_language": dict(sms_by_language),
        "sms_segments": per_channel_units.get("sms", 0),
        "opted_out": opted_out,
        "eta_seconds": round(seconds, 1),
    }


def send(connection: Connection, member: Member, campaign_id: int, now: datetime) -> int:
    """Queue every recipient (opted-out ones are skipped by the dispatcher, and counted)."""
    row = _load(connection, member, campaign_id)
    if row.status not in ("draft", "scheduled"):
        raise CampaignError(f"campaign {campaign_id} is {row.status} already")
    return _queue(connection, member, row, now)


def _queue(connection: Connection, member: Member, row: Any, now: datetime) -> int:
    campaign_id = int(row.id)
    chosen = _recipients(_owner(connection, row), Audience.from_json(row.audience))
    queued = enqueue_all(
        connection,
        contact_id=chosen.c.contact_id,
        key=(f"campaign:{campaign_id}:", ""),
        kind=KIND,
        payload={"campaign": campaign_id},
        due_at=now,
        now=now,
    )
    connection.execute(
        CAMPAIGNS.update()
        .where(CAMPAIGNS.c.id == campaign_id)
        .values(status="sending", sent_at=now)
    )
    audit(connection, member, "campaign.send", f"campaign {campaign_id}", now, queued=queued)
    return queued


def status(
    connection: Connection, member: Member, campaign_id: int, *, recipients: bool = False
) -> dict[str, Any]:
    row = _load(connection, member, campaign_id)
    o, m, c = OUTBOX.c, MESSAGES.c, CONTACTS.c
    delivered = case((m.status.in_(("delivered", "read")), 1), else_=0)
    # Sent by fallback: the first channel of the person failed for good, a later one took it.
    fallback = case(((o.status == SENT) & (o.hop > 0), 1), else_=0)
    totals = connection.execute(
        select(
            o.status,
            func.count(),
            func.sum(sql_cast(delivered, Integer)),
            func.sum(sql_cast(fallback, Integer)),
        )
        .outerjoin(MESSAGES, m.id == o.message_id)
        .where(campaign_rows(campaign_id))
        .group_by(o.status)
    ).all()
    by_status = {str(s): int(n) for s, n, _, _ in totals}
    result: dict[str, Any] = {
        "campaign": campaign_id,
        "name": row.name,
        "status": row.status,
        "outbox": by_status,
        "delivered": sum(int(d or 0) for _, _, d, _ in totals),
        "by_fallback": sum(int(f or 0) for _, _, _, f in totals),
        "queued": sum(by_status.values()),
    }
    if (
        row.status == "sending"
        and by_status
        and not by_status.get(PENDING)
        and not by_status.get("sending")
    ):
        result["status"] = "sent"
    if recipients:
        rows = connection.execute(
            select(
                c.channel,
                c.address,
                o.status,
                o.error,
                o.tried,
                m.channel.label("went_on"),
                m.status.label("delivery"),
            )
            .join(CONTACTS, c.id == o.contact_id)
            .outerjoin(MESSAGES, m.id == o.message_id)
            .where(campaign_rows(campaign_id))
            .order_by(o.id)
        )
        result["recipients"] = [
            {
                "channel": r.went_on or r.channel,
                "contact": last_digits(r.address) if r.channel in PHONES else r.channel,
                "status": r.status,
                "delivery": r.delivery,
                "error": r.error,
                "attempts": [
                    {k: t.get(k) for k in ("at", "channel", "outcome", "error")}
                    for t in r.tried or ()
                ],
            }
            for r in rows
        ]
    return result


def schedule(
    connection: Connection, member: Member, campaign_id: int, at: datetime, now: datetime
) -> None:
    """Send a draft at `at` (sent by `send_due` within a minute of it), or move its time."""
    row = _load(connection, member, campaign_id)
    if row.status not in ("draft", "scheduled"):
        raise CampaignError(f"campaign {campaign_id} is {row.status} already")
    if at <= now:
        raise CampaignError("the time to send is past: send it now instead")
    connection.execute(
        CAMPAIGNS.update()
        .where(CAMPAIGNS.c.id == campaign_id)
        .values(status="scheduled", scheduled_at=at)
    )
    audit(
        connection, member, "campaign.schedule", f"campaign {campaign_id}", now, at=at.isoformat()
    )


def unschedule(connection: Connection, member: Member, campaign_id: int, now: datetime) -> None:
    row = _load(connection, member, campaign_id)
    if row.status != "scheduled":
        raise CampaignError(f"campaign {campaign_id} is not scheduled")
    connection.execute(
        CAMPAIGNS.update()
        .where(CAMPAIGNS.c.id == campaign_id)
        .values(status="draft", scheduled_at=None)
    )
    audit(connection, member, "campaign.unschedule", f"campaign {campaign_id}", now)


def send_due(connection: Connection, now: datetime) -> int:
    """The dispatcher's scheduler: send every scheduled campaign whose time has come, with its
    owner's rights; the number of messages queued."""
    c = CAMPAIGNS.c
    queued = 0
    for row in connection.execute(
        select(CAMPAIGNS).where(c.status == "scheduled", c.scheduled_at <= now).order_by(c.id)
    ).all():
        queued += _queue(connection, _owner(connection, row), row, now)
    return queued


def retry_failed(connection: Connection, member: Member, campaign_id: int, now: datetime) -> int:
    """Send the campaign's failed messages again, from the first channel of each person (its
    route is chosen anew: the person may have written from another channel since); what was
    tried before stays on each row. The number of messages queued again."""
    row = _load(connection, member, campaign_id)
    if row.status in ("draft", "scheduled"):
        raise CampaignError(f"campaign {campaign_id} has not been sent")
    o = OUTBOX.c
    done = connection.execute(
        OUTBOX.update()
        .where(campaign_rows(campaign_id), o.status == FAILED)
        .values(
            status=PENDING,
            attempts=0,
            hop=0,
            route=None,
            error=None,
            message_id=None,
            due_at=now,
            updated_at=now,
        )
    )
    queued = int(done.rowcount or 0)
    if queued:
        connection.execute(
            CAMPAIGNS.update().where(CAMPAIGNS.c.id == campaign_id).values(status="sending")
        )
    audit(connection, member, "campaign.retry", f"campaign {campaign_id}", now, queued=queued)
    return queued


def campaign_rows(campaign_id: int) -> Any:
    """The campaign's outbox rows (keyed `campaign:ID:contact`), as a range of the key's unique
    index rather than a LIKE that SQLite would answer with a scan."""
    o = OUTBOX.c
    return (o.key >= f"campaign:{campaign_id}:") & (o.key < f"campaign:{campaign_id};")


@dataclass(frozen=True, slots=True)
class Listed:
    id: int
    name: str
    template: str
    status: str
    owner: str
    created_at: datetime
    sent_at: datetime | None
    scheduled_at: datetime | None


def visible_campaigns(connection: Connection, member: Member, limit: int = 100) -> list[Listed]:
    """The campaigns `member` may open, newest first: their own; an administrator's, all."""
    c, s = CAMPAIGNS.c, STAFF.c
    query = (
        select(
            c.id, c.name, c.template, c.status, s.username, c.created_at, c.sent_at, c.scheduled_at
        )
        .join(STAFF, s.id == c.staff_id)
        .order_by(c.id.desc())
        .limit(limit)
    )
    if member.role != "admin":
        query = query.where(c.staff_id == member.id)
    return [Listed(*row) for row in connection.execute(query)]
