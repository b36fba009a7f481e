"""The fixed form of every message the outbox sends, with named parameters, for channels that
may send only texts approved in advance (WhatsApp outside its 24-hour window sends approved
templates: `bot/channels/whatsapp/templates.yaml` names the form each template is made of).

A renderer (`bot.delivery.notices`) says which form its message is (`Notice.serves`) and fills
the parameters in the person's language. Where the free text is the same as the form, the form
is the very same msgid, so the person reads the same words either way.
"""

from __future__ import annotations

import string

from dialogs.text import N_

FORMS: dict[str, str] = {
    "visit_reminder": N_(
        "Reminder: tomorrow, {day}, at {time} you have a visit to {office}, {address}. "
        "Bring your identity card. To move or cancel it, write VISIT."
    ),
    "visit_cancelled": N_(
        "Komek: {office} has cancelled your visit on {day} at {time}. "
        "To book another time, write VISIT."
    ),
    "visit_cancelled_note": N_(
        "Komek: {office} has cancelled your visit on {day} at {time}. The office adds: {note}. "
        "To book another time, write VISIT."
    ),
    "quarter_ending": N_(
        "Komek: TSA is paid until the end of the quarter. To keep receiving it, "
        "apply again from {start} on egov.kz or at the career centre."
    ),
    "quarter_new": N_(
        "Komek: a new quarter has begun. Apply for TSA again this month (the whole "
        "month is paid, whatever the day): egov.kz or the career centre."
    ),
    "documents_due": N_(
        "Komek: please bring the documents for your TSA case to the career centre by {date}."
    ),
    "visit_feedback": N_(
        "Komek: how useful was your visit to the career centre? Reply 1 (not useful) to "
        "5 (very useful), or 0 to skip."
    ),
    # A change of a case's stage: its name, what it carries and the next step (`dialogs.stages`).
    "stage_changed": N_("Komek: {details}. To read it again, write MY APPLICATION."),
    "worker_message": N_(
        "Komek, a message from your social worker: {text}. To answer, write in this chat."
    ),
}


def parameters(serves: str) -> tuple[str, ...]:
    """The names of a form's parameters, in the order they appear."""
    names: list[str] = []
    for _, name, _, _ in string.Formatter().parse(FORMS[serves]):
        if name and name not in names:
            names.append(name)
    return tuple(names)
