"""A family's timeline for its social worker: every message in and out on each of the family's
linked channels (when, which channel, how it went; never what was written), and every message
that was not a reply with each attempt on each channel, the fallbacks included."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from bot.staff.accounts import Member
from bot.storage import people
from bot.storage.tables import CASES, MESSAGES, OUTBOX

LIMIT = 200


class TimelineError(LookupError):
    """No such case in the member's caseload."""


def timeline(connection: Connection, member: Member, case_id: int) -> dict[str, Any]:
    k, m, o = CASES.c, MESSAGES.c, OUTBOX.c
    where = [k.id == case_id]
    if member.role != "admin":
        where.append(k.staff_id == member.id)
    case = connection.execute(select(k.sms_contact_id, k.telegram_contact_id).where(*where)).first()
    if case is None:
        raise TimelineError(f"no case {case_id} in your caseload")
    own = [int(i) for i in (case.sms_contact_id, case.telegram_contact_id) if i is not None]
    contacts = {c.id: c for found in people.linked(connection, own).values() for c in found}
    ids = sorted(contacts)
    events: list[dict[str, Any]] = [
        {
            "at": row.created_at.isoformat(),
            "kind": "message",
            "direction": row.direction,
            "channel": row.channel,
            "status": row.status,
            "template": row.template,
        }
        for row in connection.execute(
            select(m.created_at, m.direction, m.channel, m.status, m.template)
            .where(m.contact_id.in_(ids))
            .order_by(m.id.desc())
            .limit(LIMIT)
        )
    ]
    events += [
        {
            "at": row.created_at.isoformat(),
            "kind": row.kind,
            "status": row.status,
            "error": row.error,
            "attempts": list(row.tried or ()),
        }
        for row in connection.execute(
            select(o.created_at, o.kind, o.status, o.error, o.tried)
            .where(o.contact_id.in_(ids))
            .order_by(o.id.desc())
            .limit(LIMIT)
        )
    ]
    events.sort(key=lambda event: str(event["at"]))
    return {
        "case": case_id,
        "channels": sorted({c.channel for c in contacts.values()}),
        "events": events,
    }
