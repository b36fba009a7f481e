"""Feedback as stored: a rating after a result or a visit, with the region and channel it counts
in, and the comment a consenting family added. A comment is personal data: "forget me" and
retention clear it and unlink the rating from its contact; the rating stays as a figure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from bot.storage.tables import APPOINTMENTS, CONTACTS, FEEDBACK, OFFICES

KINDS = ("result", "visit")
RATINGS = range(1, 6)
COMMENT_LIMIT = 500


def visit_region(connection: Connection, appointment_id: int) -> str | None:
    """The region of the office a visit was at."""
    a, o = APPOINTMENTS.c, OFFICES.c
    found = connection.execute(
        select(o.region).join(APPOINTMENTS, a.office_id == o.id).where(a.id == appointment_id)
    ).scalar()
    return None if found is None else str(found)


def store_rating(
    connection: Connection, contact_id: int, channel: str, data: Any, now: datetime
) -> None:
    """A rating the dialog read (`dialogs.flows.feedback`); anything malformed is dropped."""
    kind, rating = data.get("kind"), data.get("rating")
    if kind not in KINDS or not isinstance(rating, int) or rating not in RATINGS:
        return
    visit = data.get("visit")
    appointment = visit if isinstance(visit, int) and kind == "visit" else None
    region = data.get("region") if isinstance(data.get("region"), str) else None
    if appointment is not None:
        exists = connection.execute(
            select(APPOINTMENTS.c.id).where(APPOINTMENTS.c.id == appointment)
        ).scalar()
        if exists is None:
            appointment = None
        else:
            region = visit_region(connection, appointment) or region
    connection.execute(
        FEEDBACK.insert().values(
            contact_id=contact_id,
            kind=kind,
            region=(region or None) and str(region)[:40],
            channel=channel[:16],
            rating=rating,
            appointment_id=appointment,
            created_at=now,
        )
    )


def store_comment(connection: Connection, contact_id: int, data: Any) -> None:
    """The comment, on the contact's newest rating of that kind still without one."""
    comment = data.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        return
    f = FEEDBACK.c
    newest = connection.execute(
        select(f.id)
        .where(f.contact_id == contact_id, f.kind == data.get("kind"), f.comment.is_(None))
        .order_by(f.id.desc())
        .limit(1)
    ).scalar()
    if newest is not None:
        connection.execute(
            update(FEEDBACK).where(f.id == newest).values(comment=comment[:COMMENT_LIMIT])
        )


def forget_feedback(connection: Connection, contact_id: int) -> None:
    """FORGET: the comments go, and the ratings no longer say whose they were."""
    connection.execute(
        update(FEEDBACK)
        .where(FEEDBACK.c.contact_id == contact_id)
        .values(comment=None, contact_id=None)
    )
    connection.execute(
        update(CONTACTS).where(CONTACTS.c.id == contact_id).values(feedback_visit=None)
    )


def expire_feedback(connection: Connection, cutoff: datetime, limit: int) -> int:
    """Retention: ratings older than `cutoff` lose their comment and their contact (a batch of
    at most `limit`); the number changed."""
    f = FEEDBACK.c
    old = (f.created_at < cutoff) & (f.comment.is_not(None) | f.contact_id.is_not(None))
    chosen = select(f.id).where(old).order_by(f.id).limit(limit).scalar_subquery()
    done = connection.execute(
        update(FEEDBACK).where(f.id.in_(chosen)).values(comment=None, contact_id=None)
    )
    return int(done.rowcount or 0)
