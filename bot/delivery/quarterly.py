"""Quarterly reassessment reminders on the outbox: `schedule` queues the next reminders
(`core.reminders.upcoming`) for every contact who asked for them, idempotently (the key is
contact + quarter + kind); the text is rendered when it is sent, in the person's language, and
says nothing about booking to a person who has a visit booked already."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from bot.delivery.outbox import Claimed, Rendered, enqueue_all, rendered
from bot.i18n.translator import Translator
from bot.storage.offices import BOOKED
from bot.storage.tables import APPOINTMENTS, CONTACTS, OFFICES
from core.almaty import local
from core.offices import parse_office
from core.reminders import upcoming
from dialogs.text import Clock, Day, Local, Text, msg

KIND = "quarter_reminder"


def quarter_key(contact_id: int) -> str:
    """The prefix of every quarterly reminder of a contact (to cancel them all)."""
    return f"quarter:{contact_id}:"


def schedule(connection: Connection, now: datetime) -> int:
    """Queue the coming reminders for everyone who wants them; the number of new rows."""
    c = CONTACTS.c
    added = 0
    for reminder in upcoming(now):
        added += enqueue_all(
            connection,
            contact_id=c.id,
            key=("quarter:", f":{reminder.quarter}:{reminder.kind}"),
            kind=KIND,
            payload={
                "kind": reminder.kind,
                "quarter": reminder.quarter,
                "apply_from": reminder.next_quarter_start.isoformat(),
            },
            due_at=reminder.due,
            now=now,
            where=[c.reminders.is_(True), c.opted_out.is_(False)],
        )
    return added


def _visit(connection: Connection, contact_id: int, now: datetime) -> Any:
    a = APPOINTMENTS.c
    return connection.execute(
        select(a.office_id, a.starts_at)
        .where(a.contact_id == contact_id, a.status == BOOKED, a.starts_at >= now)
        .order_by(a.starts_at)
        .limit(1)
    ).first()


def renderer(translator: Translator) -> Any:
    def render(
        connection: Connection, row: Claimed, language: str, now: datetime
    ) -> Rendered | None:
        wants = connection.execute(
            select(CONTACTS.c.reminders).where(CONTACTS.c.id == row.contact_id)
        ).scalar()
        if not wants:
            return None  # turned off meanwhile
        apply_from = date.fromisoformat(str(row.payload["apply_from"]))
        if row.payload["kind"] == "ending":
            first = rendered(translator, "quarter_ending", {"start": apply_from}, language)
        else:
            first = rendered(translator, "quarter_new", {}, language)
        lines: list[Text] = []
        visit = _visit(connection, row.contact_id, now)
        if visit is not None:
            record = connection.execute(
                select(OFFICES.c.record).where(OFFICES.c.id == visit.office_id)
            ).scalar_one()
            start = local(visit.starts_at)
            lines.append(
                msg(
                    "Your visit: {day} at {time}, {office}.",
                    day=Day(start.date()),
                    time=Clock(start),
                    office=Local.of(parse_office(record).name),
                )
            )
        else:
            lines.append(msg("To book a visit, write VISIT. To stop these reminders: MENU."))
        text = "\n".join([first.text, *(translator.render(line, language) for line in lines)])
        return Rendered(text, first.notice)

    return render
