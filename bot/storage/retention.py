"""Retention: consent promises that a conversation is kept for `KOMEK_RETENTION_DAYS` (90 by
default), and no longer. Older messages, assessments, sessions, finished outbox rows and records
of failed staff sign-ins are deleted, a bounded batch per transaction so that the writer is
never held long (the server runs this hourly; `komek db purge` runs it at once). Older feedback
loses its comment and its contact: the rating stays, a figure of its region and week.

Kept whatever their age: a message still waiting to be processed, contacts (a person's STOP
must outlive their conversation), the office's records (cases, visits) and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Table, delete, select

from bot.storage.database import Database
from bot.storage.feedback import expire_feedback
from bot.storage.messages import RECEIVED
from bot.storage.tables import ASSESSMENTS, AUTH_FAILURES, CONVERSATIONS, MESSAGES, OUTBOX

BATCH = 5000
FINISHED = ("sent", "failed", "cancelled", "skipped")


def _older(cutoff: datetime) -> list[tuple[str, Table, ColumnElement[bool]]]:
    return [
        ("messages", MESSAGES, (MESSAGES.c.created_at < cutoff) & (MESSAGES.c.status != RECEIVED)),
        ("assessments", ASSESSMENTS, ASSESSMENTS.c.created_at < cutoff),
        ("conversations", CONVERSATIONS, CONVERSATIONS.c.updated_at < cutoff),
        ("outbox", OUTBOX, (OUTBOX.c.updated_at < cutoff) & OUTBOX.c.status.in_(FINISHED)),
        ("staff_auth_failures", AUTH_FAILURES, AUTH_FAILURES.c.at < cutoff),
    ]


def _delete_batch(
    table: Table, where: ColumnElement[bool], limit: int
) -> Callable[[Connection], int]:
    key = next(iter(table.primary_key.columns))

    def work(connection: Connection) -> int:
        chosen = select(key).where(where).order_by(key).limit(limit).scalar_subquery()
        return int(connection.execute(delete(table).where(key.in_(chosen))).rowcount or 0)

    return work


async def purge(db: Database, cutoff: datetime, batch: int = BATCH) -> dict[str, int]:
    """Delete what is older than `cutoff`; the number of rows per table."""
    deleted: dict[str, int] = {}
    for name, table, where in _older(cutoff):
        total = 0
        while True:
            done = await db.run(_delete_batch(table, where, batch))
            total += done
            if done < batch:
                break
        deleted[name] = total
    total = 0
    while True:
        done = await db.run(lambda connection: expire_feedback(connection, cutoff, batch))
        total += done
        if done < batch:
            break
    deleted["feedback_comments"] = total
    return deleted
