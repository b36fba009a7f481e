"""A visit as an iCalendar file (RFC 5545, written by `icalendar`), for the person's phone
calendar: sent on Telegram with the confirmation. One event, in UTC, with the office's name and
address in the person's language and an alarm the evening before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.i18n.translator import Translator
from dialogs.appointments import Booking
from dialogs.text import Local, msg

ALARM_BEFORE = timedelta(hours=15)  # 19:00 the evening before a visit at 10:00


def visit_calendar(booking: Booking, language: str, translator: Translator, now: datetime) -> bytes:
    office = booking.office
    summary = translator.render(msg("Visit to {office}", office=Local.of(office.name)), language)
    description = translator.render(
        msg("Bring your identity card. To move or cancel the visit, write VISIT to Komek."),
        language,
    )
    start = booking.start.astimezone(UTC)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    alarm.add("description", summary)
    event = Event()
    event.add("uid", f"visit-{booking.id}-{start:%Y%m%dT%H%M%SZ}@komek")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", summary)
    event.add("location", office.address[language])
    event.add("description", description)
    event.add_component(alarm)
    calendar = Calendar()
    calendar.add("prodid", "-//Komek//Visits//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    content: bytes = calendar.to_ical()
    return content
