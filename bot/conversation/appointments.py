"""Appointments on the database: the dialogs' booking port, the offices staff import, the day
lists staff read, and the texts of the messages about a visit (reminder, cancelled by staff).

Every function here runs inside a transaction the runner (or the CLI) opened: booking, moving
or cancelling a visit commits with the turn that asked for it, or not at all.

Two people never hold the same seat: `uq_appointments_seat` (office, start, seat) is unique over
the appointments that are not cancelled. A booking takes the lowest free seat in a savepoint;
when another transaction took it first (the index says so, on SQLite and on PostgreSQL alike)
the next seat is tried, and with none left the slot is "just taken".
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import yaml
from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.i18n import Translator
from bot.outbox import Claimed, cancel, enqueue
from bot.storage.models import Appointment, Contact, OfficeRow
from core.almaty import local, wall
from core.calendar import Calendar
from core.offices import Office, OfficeError, parse_office
from core.slots import Slot, free_slots, is_bookable, reminder_at
from dialogs.appointments import Booking
from dialogs.text import Clock, Day, Local, msg

log = logging.getLogger(__name__)

APPOINTMENTS = cast(Table, Appointment.__table__)
OFFICES = cast(Table, OfficeRow.__table__)
CONTACTS = cast(Table, Contact.__table__)

BOOKED, CANCELLED, ATTENDED, NO_SHOW = "booked", "cancelled", "attended", "no_show"
REMINDER = "visit_reminder"
STAFF_CANCELLED = "visit_cancelled"


def reminder_key(appointment_id: int, start: datetime) -> str:
    return f"{visit_key(appointment_id)}{start.astimezone(UTC):%Y%m%dT%H%MZ}:reminder"


def visit_key(appointment_id: int) -> str:
    return f"visit:{appointment_id}:"


# ------------------------------------------------------------------------------------------
# Offices


def load_offices(connection: Connection, *, active_only: bool = True) -> list[Office]:
    o = OFFICES.c
    query = select(o.record).order_by(o.region, o.id)
    if active_only:
        query = query.where(o.active.is_(True))
    return [parse_office(row.record) for row in connection.execute(query)]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def read_office_records(name: str, data: bytes) -> list[tuple[str, Mapping[str, Any]]]:
    """The records of an office file (YAML: a list, or `offices:` with one; CSV: a header row
    with name_kk, name_ru, name_en, address_kk, ...), each with where it was in the file.
    CSV may be UTF-8 (with or without BOM) or Windows-1251, as Excel writes it."""
    if name.lower().endswith((".yaml", ".yml")):
        try:
            loaded = yaml.safe_load(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise OfficeError(f"{name}: not readable YAML: {exc}") from None
        if isinstance(loaded, Mapping):
            loaded = loaded.get("offices")
        if not isinstance(loaded, list):
            raise OfficeError(f"{name}: expected a list of offices")
        records: list[tuple[str, Mapping[str, Any]]] = []
        for n, item in enumerate(loaded, 1):
            if not isinstance(item, Mapping):
                raise OfficeError(f"{name}: office {n} is not a mapping of fields")
            records.append((f"{name}: office {n}", item))
        return records
    if name.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1251")
        header = text.split("\n", 1)[0]
        # Excel writes ';' where the decimal comma is the custom (a Russian or Kazakh locale).
        delimiter = max(",;\t", key=header.count)
        rows = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        # line_num is the file line a record ends on (blank lines and quoted line breaks count).
        return [(f"{name}: line {rows.line_num}", _from_csv(row)) for row in rows]
    raise OfficeError(f"{name}: offices come as .yaml or .csv")


def _from_csv(row: Mapping[str, str | None]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for raw, value in row.items():
        if raw is None or value is None or value == "":
            continue
        column = raw.strip()
        base, _, language = column.rpartition("_")
        if base in ("name", "address") and language in ("kk", "ru", "en"):
            record.setdefault(base, {})[language] = value
        elif column == "example":
            record[column] = value.strip().lower() in ("1", "true", "yes")
        else:
            record[column] = value
    return record


def import_offices(
    connection: Connection, records: Iterable[tuple[str, Mapping[str, Any]]], now: datetime
) -> ImportReport:
    """Add or update each valid office; report the others with the reason. Offices not in the
    file are left as they are."""
    report = ImportReport()
    seen: set[str] = set()
    o = OFFICES.c
    for where, record in records:
        try:
            office = parse_office(record)
        except OfficeError as exc:
            report.rejected.append((where, str(exc)))
            continue
        if office.id in seen:
            report.rejected.append((where, f"id {office.id} appears twice in the file"))
            continue
        seen.add(office.id)
        values = {
            "region": office.region,
            "record": office.to_record(),
            "active": True,
            "updated_at": now,
        }
        exists = connection.execute(select(o.id).where(o.id == office.id)).first()
        if exists is None:
            connection.execute(insert(OFFICES).values(id=office.id, **values))
            report.created.append(office.id)
        else:
            connection.execute(update(OFFICES).where(o.id == office.id).values(values))
            report.updated.append(office.id)
    return report


# ------------------------------------------------------------------------------------------
# The dialogs' port


class DbAppointments:
    """`dialogs.appointments.Appointments` for one contact, in one transaction."""

    def __init__(
        self, connection: Connection, contact_id: int, now: datetime, calendar: Calendar
    ) -> None:
        self.connection = connection
        self.contact_id = contact_id
        self.now = now
        self.calendar = calendar
        self._offices: list[Office] | None = None
        self._all: dict[str, Office] | None = None

    def offices(self) -> Sequence[Office]:
        if self._offices is None:
            self._offices = load_offices(self.connection)
        return self._offices

    def _office(self, office_id: str) -> Office | None:
        if self._all is None:  # inactive ones too: a booked visit still shows its office
            self._all = {o.id: o for o in load_offices(self.connection, active_only=False)}
        return self._all.get(office_id)

    def slots(self, office_id: str, first: date | None, limit: int) -> list[Slot]:
        office = next((o for o in self.offices() if o.id == office_id), None)
        if office is None:
            return []
        a = APPOINTMENTS.c
        booked = {
            start: int(n)
            for start, n in self.connection.execute(
                select(a.starts_at, func.count())
                .where(a.office_id == office_id, a.status != CANCELLED, a.starts_at >= self.now)
                .group_by(a.starts_at)
            )
        }
        return free_slots(office, self.calendar, self.now, booked, first=first, limit=limit)

    def upcoming(self) -> list[Booking]:
        a = APPOINTMENTS.c
        rows = self.connection.execute(
            select(a.id, a.office_id, a.starts_at, a.ends_at)
            .where(a.contact_id == self.contact_id, a.status == BOOKED, a.starts_at >= self.now)
            .order_by(a.starts_at)
        )
        found = []
        for row in rows:
            office = self._office(row.office_id)
            if office is not None:
                found.append(Booking(row.id, office, row.starts_at, row.ends_at))
        return found

    def book(self, office_id: str, start: datetime) -> Booking | None:
        office = next((o for o in self.offices() if o.id == office_id), None)
        if office is None or not is_bookable(office, self.calendar, self.now, start):
            return None
        end = start + timedelta(minutes=office.slot_minutes)
        for seat in self._free_seats(office, start):
            try:
                with self.connection.begin_nested():
                    booking_id = self.connection.execute(
                        insert(APPOINTMENTS)
                        .values(
                            office_id=office.id,
                            contact_id=self.contact_id,
                            starts_at=start,
                            ends_at=end,
                            seat=seat,
                            status=BOOKED,
                            created_at=self.now,
                            updated_at=self.now,
                        )
                        .returning(APPOINTMENTS.c.id)
                    ).scalar_one()
            except IntegrityError:  # taken by another transaction meanwhile: the next seat
                continue
            self._remind(booking_id, start)
            return Booking(int(booking_id), office, start, end)
        return None

    def move(self, booking_id: int, start: datetime) -> Booking | None:
        current = next((b for b in self.upcoming() if b.id == booking_id), None)
        if current is None:
            return None
        office = current.office
        if not is_bookable(office, self.calendar, self.now, start):
            return None
        end = start + timedelta(minutes=office.slot_minutes)
        a = APPOINTMENTS.c
        for seat in self._free_seats(office, start):
            try:
                with self.connection.begin_nested():
                    self.connection.execute(
                        update(APPOINTMENTS)
                        .where(a.id == booking_id)
                        .values(starts_at=start, ends_at=end, seat=seat, updated_at=self.now)
                    )
            except IntegrityError:
                continue
            cancel(self.connection, visit_key(booking_id), self.now)  # the old reminder
            self._remind(booking_id, start)
            return Booking(booking_id, office, start, end)
        return None

    def cancel(self, booking_id: int) -> bool:
        return cancel_visit(self.connection, booking_id, self.now, contact_id=self.contact_id)

    def _free_seats(self, office: Office, start: datetime) -> list[int]:
        a = APPOINTMENTS.c
        taken = {
            int(seat)
            for seat in self.connection.execute(
                select(a.seat).where(
                    a.office_id == office.id, a.starts_at == start, a.status != CANCELLED
                )
            ).scalars()
        }
        return [seat for seat in range(1, office.seats + 1) if seat not in taken]

    def _remind(self, booking_id: int, start: datetime) -> None:
        due = reminder_at(start, self.now)
        if due is None:
            return
        enqueue(
            self.connection,
            key=reminder_key(booking_id, start),
            contact_id=self.contact_id,
            kind=REMINDER,
            payload={"appointment": booking_id, "start": start.isoformat()},
            due_at=due,
            now=self.now,
        )


def cancel_visit(
    connection: Connection,
    booking_id: int,
    now: datetime,
    *,
    contact_id: int | None = None,
    by: str = "person",
) -> bool:
    """Cancel a booked visit (of `contact_id` when given) and drop its reminder."""
    a = APPOINTMENTS.c
    where = [a.id == booking_id, a.status == BOOKED]
    if contact_id is not None:
        where.append(a.contact_id == contact_id)
    done = connection.execute(
        update(APPOINTMENTS).where(*where).values(status=CANCELLED, cancelled_by=by, updated_at=now)
    )
    if not done.rowcount:
        return False
    cancel(connection, visit_key(booking_id), now)
    return True


# ------------------------------------------------------------------------------------------
# Staff: a day's list, and marking visits


@dataclass(frozen=True, slots=True)
class Visit:
    id: int
    office_id: str
    start: datetime
    seat: int
    status: str
    channel: str
    contact: str  # the address with all but its last digits hidden


def day_visits(connection: Connection, office_id: str, day: date) -> list[Visit]:
    a, c = APPOINTMENTS.c, CONTACTS.c
    first = wall(day, datetime.min.time())
    rows = connection.execute(
        select(a.id, a.office_id, a.starts_at, a.seat, a.status, c.channel, c.address)
        .join(CONTACTS, c.id == a.contact_id)
        .where(
            a.office_id == office_id,
            a.starts_at >= first,
            a.starts_at < first + timedelta(days=1),
        )
        .order_by(a.starts_at, a.seat)
    )
    return [
        Visit(
            r.id,
            r.office_id,
            local(r.starts_at),
            r.seat,
            r.status,
            r.channel,
            _hidden(r.address),
        )
        for r in rows
    ]


def _hidden(address: str) -> str:
    return "…" + address[-4:] if len(address) > 4 else "…"


def mark_visit(connection: Connection, booking_id: int, status: str, now: datetime) -> bool:
    """Attended or no-show, for a visit that was booked (not cancelled)."""
    if status not in (ATTENDED, NO_SHOW, BOOKED):
        raise ValueError(f"unknown visit status {status}")
    a = APPOINTMENTS.c
    done = connection.execute(
        update(APPOINTMENTS)
        .where(a.id == booking_id, a.status != CANCELLED)
        .values(status=status, updated_at=now)
    )
    return bool(done.rowcount)


def staff_cancel(connection: Connection, booking_id: int, note: str | None, now: datetime) -> bool:
    """Cancel a visit for the office and tell the person, with the staff's note."""
    a = APPOINTMENTS.c
    row = connection.execute(
        select(a.contact_id, a.starts_at).where(a.id == booking_id, a.status == BOOKED)
    ).first()
    if row is None or not cancel_visit(connection, booking_id, now, by="staff"):
        return False
    enqueue(
        connection,
        key=f"{visit_key(booking_id)}cancelled",
        contact_id=row.contact_id,
        kind=STAFF_CANCELLED,
        payload={"appointment": booking_id, "note": (note or "")[:500]},
        due_at=now,
        now=now,
    )
    return True


# ------------------------------------------------------------------------------------------
# The texts, rendered when the message is sent, in the person's language


def _visit_row(connection: Connection, appointment_id: int) -> Any:
    a = APPOINTMENTS.c
    return connection.execute(
        select(a.office_id, a.starts_at, a.status).where(a.id == appointment_id)
    ).first()


def renderers(translator: Translator) -> dict[str, Any]:
    def reminder(connection: Connection, row: Claimed, language: str, now: datetime) -> str | None:
        del now
        visit = _visit_row(connection, int(row.payload["appointment"]))
        if visit is None or visit.status != BOOKED:
            return None  # cancelled meanwhile: nothing to remind of
        start = visit.starts_at
        if start != datetime.fromisoformat(str(row.payload["start"])):
            return None  # moved: the new time has its own reminder
        office = _office_of(connection, visit.office_id)
        wall_start = local(start)
        text = msg(
            "Reminder: tomorrow, {day}, at {time} you have a visit to {office}, {address}. "
            "Bring your identity card. To move or cancel it, write VISIT.",
            day=Day(wall_start.date()),
            time=Clock(wall_start),
            office=Local.of(office.name),
            address=Local.of(office.address),
        )
        return translator.render(text, language)

    def cancelled(connection: Connection, row: Claimed, language: str, now: datetime) -> str | None:
        del now
        visit = _visit_row(connection, int(row.payload["appointment"]))
        if visit is None:
            return None
        office = _office_of(connection, visit.office_id)
        wall_start = local(visit.starts_at)
        text = translator.render(
            msg(
                "{office} has cancelled your visit on {day} at {time}. "
                "To book another time, write VISIT.",
                day=Day(wall_start.date()),
                time=Clock(wall_start),
                office=Local.of(office.name),
            ),
            language,
        )
        note = str(row.payload.get("note") or "").strip()
        return f"{text}\n{note}" if note else text

    return {REMINDER: reminder, STAFF_CANCELLED: cancelled}


def _office_of(connection: Connection, office_id: str) -> Office:
    o = OFFICES.c
    record = connection.execute(select(o.record).where(o.id == office_id)).scalar_one()
    return parse_office(record)
