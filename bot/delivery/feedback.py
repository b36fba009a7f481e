"""The question after a visit: when the office marks a visit attended, the family is asked once,
through the outbox, how useful it was (1 to 5, or 0 to skip), in its language at send time.

Sending it puts a mark on the contact it went to (`contacts.feedback_visit`): the family's next
message there is read by the dialog as the answer (`dialogs.flows.feedback.expect_visit`). It is
not sent when the visit is no longer marked attended, or when the family said "no thanks" to
feedback this quarter (it is never nagged)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.delivery.outbox import Claimed, Render, Rendered, cancel, enqueue, rendered
from bot.delivery.visits import visit_key
from bot.i18n.translator import Translator
from bot.storage.offices import ATTENDED
from bot.storage.tables import APPOINTMENTS, CONTACTS, CONVERSATIONS
from dialogs.flows.feedback import RATING_CHOICES, declined_this_quarter

KIND = "visit_feedback"
FORM = "visit_feedback"


def feedback_key(appointment_id: int) -> str:
    return f"{visit_key(appointment_id)}feedback"


def ask_after_visit(
    connection: Connection, appointment_id: int, contact_id: int, now: datetime
) -> None:
    """Queue the question about an attended visit (once per visit, whoever marks it again)."""
    enqueue(
        connection,
        key=feedback_key(appointment_id),
        contact_id=contact_id,
        kind=KIND,
        payload={"appointment": appointment_id},
        due_at=now,
        now=now,
    )


def drop_question(connection: Connection, appointment_id: int, now: datetime) -> None:
    """The visit was marked attended by mistake: the question, if still waiting, is not sent."""
    cancel(connection, feedback_key(appointment_id), now)


def renderers(translator: Translator) -> dict[str, Render]:
    def render(
        connection: Connection, row: Claimed, language: str, now: datetime
    ) -> Rendered | None:
        appointment = int(row.payload["appointment"])
        a = APPOINTMENTS.c
        status = connection.execute(select(a.status).where(a.id == appointment)).scalar()
        if status != ATTENDED:
            return None
        state = connection.execute(
            select(CONVERSATIONS.c.state).where(CONVERSATIONS.c.contact_id == row.contact_id)
        ).scalar()
        if declined_this_quarter(state, now):
            return None
        connection.execute(
            update(CONTACTS).where(CONTACTS.c.id == row.to).values(feedback_visit=appointment)
        )
        message = rendered(translator, FORM, {}, language)
        choices = tuple(
            (choice.key, translator.render(choice.label, language)) for choice in RATING_CHOICES
        )
        return Rendered(message.text, message.notice, choices)

    return {KIND: render}
