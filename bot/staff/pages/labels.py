"""The names the pages show for codes kept in the database: roles, channels, languages, the
statuses of a message, a visit, a campaign and an outbox row, templates and kinds of message."""

from __future__ import annotations

from dialogs.flows.assessment import REGION_NAMES
from dialogs.text import Text, msg, pmsg

REGIONS = REGION_NAMES

ROLES: dict[str, Text] = {
    "worker": msg("Social worker"),
    "supervisor": msg("Supervisor"),
    "admin": msg("Administrator"),
}
CHANNELS: dict[str, Text] = {
    "sms": pmsg("channel", "SMS"),
    "telegram": pmsg("channel", "Telegram"),
    "web": pmsg("channel", "Web chat"),
}
LANGUAGES: dict[str, Text] = {
    "kk": pmsg("language", "Kazakh"),
    "ru": pmsg("language", "Russian"),
    "en": pmsg("language", "English"),
}
OUTCOMES: dict[str, Text] = {
    "eligible": pmsg("outcome", "Likely eligible"),
    "ineligible": pmsg("outcome", "Not eligible"),
    "needs_review": pmsg("outcome", "Needs review"),
    "none": pmsg("outcome", "Not assessed"),
}
MESSAGE_STATUSES: dict[str, Text] = {
    "received": pmsg("message", "Received"),
    "processed": pmsg("message", "Answered"),
    "queued": pmsg("message", "Waiting to be sent"),
    "sent": pmsg("message", "Sent"),
    "delivered": pmsg("message", "Delivered"),
    "failed": pmsg("message", "Not delivered"),
    "interrupted": pmsg("message", "Interrupted, sent again"),
}
OUTBOX_STATUSES: dict[str, Text] = {
    "pending": pmsg("outbox", "Queued"),
    "sending": pmsg("outbox", "Sending"),
    "sent": pmsg("outbox", "Sent"),
    "delivered": pmsg("outbox", "Delivered"),
    "failed": pmsg("outbox", "Failed"),
    "cancelled": pmsg("outbox", "Cancelled"),
    "skipped": pmsg("outbox", "Skipped: opted out"),
}
VISIT_STATUSES: dict[str, Text] = {
    "booked": pmsg("visit", "Booked"),
    "cancelled": pmsg("visit", "Cancelled"),
    "attended": pmsg("visit", "Attended"),
    "no_show": pmsg("visit", "Did not come"),
}
CAMPAIGN_STATUSES: dict[str, Text] = {
    "draft": pmsg("campaign", "Draft"),
    "scheduled": pmsg("campaign", "Scheduled"),
    "sending": pmsg("campaign", "Sending"),
    "sent": pmsg("campaign", "Sent"),
}
TEMPLATES: dict[str, Text] = {
    "quarterly": msg("A new quarter: apply again"),
    "documents_due": msg("Documents due by a date"),
    "custom": msg("Own text in three languages"),
}
KINDS: dict[str, Text] = {
    "visit_reminder": msg("Reminder of a visit"),
    "visit_cancelled": msg("The office cancelled a visit"),
    "quarter_reminder": msg("Quarterly reminder"),
    "campaign": pmsg("kind", "Campaign"),
    "staff_message": msg("Message from the social worker"),
    "visit_feedback": msg("Question after a visit"),
    "stage_notice": msg("Notice of the case's stage"),
}

FEEDBACK_KINDS: dict[str, Text] = {
    "result": pmsg("feedback", "After a result"),
    "visit": pmsg("feedback", "After a visit"),
}


STAGE_SOURCES: dict[str, Text] = {
    "page": msg("on the family page"),
    "api": msg("through the API"),
    "import": msg("from a spreadsheet"),
}


def label(table: dict[str, Text], code: str | None) -> Text | str:
    """The name of `code`, or the code itself when it is new to this table."""
    if code is None:
        return "—"
    return table.get(code, code)


ENCODINGS = {"gsm7": "GSM-7", "ucs2": "UCS-2"}  # technical names, the same in every language
