"""A visit as an iCalendar file (RFC 5545), for the person's phone calendar: sent on Telegram
with the confirmation. One event, in UTC, with the office's name and address in the person's
language and an alarm the evening before."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n import Translator
from dialogs.appointments import Booking
from dialogs.text import Local, msg


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continued with a space (RFC 5545 §3.1), never splitting a
    UTF-8 character."""
    parts: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not parts else 74
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
        else:
            current += char
    parts.append(current)
    return [parts[0], *(" " + part for part in parts[1:])]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def visit_calendar(booking: Booking, language: str, translator: Translator, now: datetime) -> bytes:
    office = booking.office
    summary = translator.render(msg("Visit to {office}", office=Local.of(office.name)), language)
    description = translator.render(
        msg("Bring your identity card. To move or cancel the visit, write VISIT to Komek."),
        language,
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Komek//Visits//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:visit-{booking.id}-{_stamp(booking.start)}@komek",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(booking.start)}",
        f"DTEND:{_stamp(booking.end)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(office.address[language])}",
        f"DESCRIPTION:{_escape(description)}",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-PT15H",
        f"DESCRIPTION:{_escape(summary)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    folded = [part for line in lines for part in _fold(line)]
    return ("\r\n".join(folded) + "\r\n").encode("utf-8")
