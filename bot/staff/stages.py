"""Changing a case's stage (from the family page, the API, or a spreadsheet exported from the
official system: `bot.staff.stage_import`); the family's list of documents, ticked off by its
worker; the case's number; and a case opened for a family that booked a visit.

Only the family's own social worker changes its case (a supervisor or an administrator reads).
Each change is kept with its date, fields and note, audited, and told to the family once: the
notice is queued with the change, in its transaction, under the key `stage:<change id>`
(`bot.delivery.stages`). A spreadsheet row that repeats a change already recorded (the same case,
stage, date and fields) changes nothing, so a file uploaded again after an interruption tells
nobody twice. Reasons for rejecting a row are codes with English text (for the API and the command
line); the pages translate them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.delivery.stages import tell_stage
from bot.staff.accounts import Member, audit
from bot.staff.caseload import (
    CASE_NUMBER,
    blank_cell,
    cell_date,
    cell_text,
    import_caseload,
    parse_row,
)
from bot.storage import people
from bot.storage import stages as stored
from bot.storage.database import Database
from bot.storage.tables import CASE_DOCUMENTS, CASE_STAGES, CASES, CONTACTS
from core.documents import Document, basic_documents, documents_for
from core.errors import CoreError
from core.stages import MAX_REASON, FieldError, Stage, Stages, check_fields
from dialogs.stages import documents_field
from dialogs.text import N_

MAX_NOTE = 500

# Why a change is refused: code -> English text with named parameters (a msgid: the pages
# translate it; `english` fills it for the API).
REASONS: dict[str, str] = {
    "not_yours": N_("This case is not in your caseload."),
    "stage": N_("{value} is not a stage."),
    "date": N_("The date is not a date (YYYY-MM-DD or DD.MM.YYYY)."),
    "future": N_("The date is in the future."),
    "note_long": N_("The note is longer than {n} characters."),
    "missing": N_("The {field} is required for this stage."),
    "unexpected": N_("This stage does not carry a {field}."),
    "amount": N_("The amount is not a whole number of tenge above zero."),
    "months": N_("The months are not a number from 1 to 12."),
    "category": N_("The category is not unconditional or conditional."),
    "reason_long": N_("The reason is longer than {n} characters."),
    "number_empty": N_("The case number is empty."),
    "number_unknown": N_("No case has the number {value}."),
    "number_bad": N_("The case number may have letters, digits, '-', '/' and '.' (up to 40)."),
    "number_taken": N_("This case number is another family's."),
    "recorded": N_("This change is recorded already."),
    "has_case": N_("This family has a case already."),
    "name_bad": N_("Write the family's name (up to 200 characters)."),
    "phone_bad": N_("Write the family's phone number."),
    "phone_taken": N_("This phone is already in a caseload."),
}


class StageError(ValueError):
    """A change that cannot be made: `code` is a key of REASONS, `params` fill its text."""

    def __init__(self, code: str, **params: str | int) -> None:
        self.code = code
        self.params = params
        super().__init__(english(code, params))


def english(code: str, params: Mapping[str, str | int]) -> str:
    return REASONS[code].format(**params)


@dataclass(frozen=True, slots=True)
class Change:
    """A change of stage as given: the stage, its date, its typed fields and a note."""

    stage: Stage
    on: date
    fields: dict[str, Any]
    note: str | None


def read_change(
    stages: Stages, given: Mapping[str, Any], today: date, *, stage_key: str = "stage"
) -> Change:
    """The change a form, a JSON body or a spreadsheet row gives (text values by field name);
    StageError for the first thing wrong with it."""
    raw_stage = cell_text(given.get(stage_key))
    stage = stages.find(raw_stage)
    if stage is None:
        raise StageError("stage", value=quoted(raw_stage))
    cell = given.get("date")
    on = today if blank_cell(cell) else cell_date(cell)
    if on is None:
        raise StageError("date")
    if on > today:
        raise StageError("future")
    note = cell_text(given.get("note")) or None
    if note is not None and len(note) > MAX_NOTE:
        raise StageError("note_long", n=MAX_NOTE)
    try:
        fields = check_fields(stage, {k: cell_text(given.get(k)) for k in FIELD_NAMES})
    except FieldError as problem:
        params: dict[str, str | int] = {"field": problem.field}
        if problem.problem == "reason_long":
            params = {"n": MAX_REASON}
        raise StageError(problem.problem, **params) from None
    return Change(stage, on, fields, note)


FIELD_NAMES = ("amount", "months", "category", "reason")


def quoted(value: str) -> str:
    value = value or "—"
    return f'"{value[:40]}…"' if len(value) > 40 else f'"{value}"'


# ------------------------------------------------------------------------------------------
# One change


def own_case(connection: Connection, member: Member, case_id: int) -> Any:
    """The case's row when `member` is its social worker; StageError("not_yours") otherwise."""
    c = CASES.c
    row = connection.execute(
        select(c.id, c.staff_id, c.sms_contact_id, c.telegram_contact_id).where(c.id == case_id)
    ).first()
    if row is None or member.role != "worker" or row.staff_id != member.id:
        raise StageError("not_yours")
    return row


def record_change(
    connection: Connection,
    member: Member,
    case: Any,
    change: Change,
    now: datetime,
    *,
    source: str,
) -> int | None:
    """Record the change of `case` (a row of `own_case`), queue its notice (unless it is older
    than the case's stage) and audit it; the change's id, or None when the very same change is
    recorded already."""
    s = CASE_STAGES.c
    fields = dict(change.fields)
    if "documents" in change.stage.fields:
        fields["documents"] = documents_field(missing_documents(connection, int(case.id)))
    before = connection.execute(
        select(s.fields).where(s.case_id == case.id, s.stage == change.stage.id, s.on == change.on)
    ).scalars()
    if any(dict(f or {}) == fields for f in before):
        return None
    change_id = connection.execute(
        insert(CASE_STAGES)
        .values(
            case_id=case.id,
            stage=change.stage.id,
            on=change.on,
            fields=fields,
            note=change.note,
            staff_id=member.id,
            source=source,
            created_at=now,
        )
        .returning(s.id)
    ).scalar_one()
    # The case is at its newest stage by date: an older change recorded later is history, and
    # is not told (the family would read its case going back).
    c = CASES.c
    current = connection.execute(
        update(CASES)
        .where(c.id == case.id, or_(c.stage_on.is_(None), c.stage_on <= change.on))
        .values(stage=change.stage.id, stage_on=change.on, updated_at=now)
    ).rowcount
    reach = case.telegram_contact_id or case.sms_contact_id
    if current and reach is not None:
        tell_stage(connection, int(change_id), int(reach), now)
    audit(
        connection,
        member,
        "case.stage",
        f"case {case.id}",
        now,
        stage=change.stage.id,
        on=change.on.isoformat(),
        source=source,
        change=int(change_id),
    )
    return int(change_id)


def change_stage(
    connection: Connection,
    member: Member,
    case_id: int,
    change: Change,
    now: datetime,
    *,
    source: str,
) -> int | None:
    """Change the stage of one of `member`'s cases (StageError("not_yours") for any other)."""
    return record_change(
        connection, member, own_case(connection, member, case_id), change, now, source=source
    )


# ------------------------------------------------------------------------------------------
# The documents


def family_documents(connection: Connection, case_id: int) -> list[Document]:
    """The family's list, from the household of its newest assessment (the basic list when it
    has none)."""
    household = stored.household_of_case(connection, case_id)
    if household is None:
        return basic_documents()
    try:
        return documents_for(household)
    except (CoreError, ValueError, TypeError, KeyError):
        return basic_documents()


def checklist(connection: Connection, case_id: int) -> list[tuple[Document, bool]]:
    """The family's documents, each with whether its worker has ticked it off."""
    have = stored.received(connection, case_id)
    return [(d, d.key in have) for d in family_documents(connection, case_id)]


def missing_documents(connection: Connection, case_id: int) -> list[Document]:
    return [d for d, have in checklist(connection, case_id) if not have]


def tick_documents(
    connection: Connection, member: Member, case_id: int, keys: Iterable[str], now: datetime
) -> None:
    """Keep exactly `keys` (of the family's list) as received."""
    own_case(connection, member, case_id)
    known = {d.key for d in family_documents(connection, case_id)}
    wanted = set(keys) & known
    d = CASE_DOCUMENTS.c
    have = stored.received(connection, case_id)
    gone = have - wanted
    if gone:
        connection.execute(
            delete(CASE_DOCUMENTS).where(d.case_id == case_id, d.document.in_(sorted(gone)))
        )
    new = wanted - have
    if new:
        connection.execute(
            insert(CASE_DOCUMENTS),
            [
                {"case_id": case_id, "document": k, "staff_id": member.id, "received_at": now}
                for k in sorted(new)
            ],
        )
    audit(
        connection,
        member,
        "case.documents",
        f"case {case_id}",
        now,
        received=len(wanted),
        of=len(known),
    )


def set_case_number(
    connection: Connection, member: Member, case_id: int, number: str, now: datetime
) -> None:
    """Give one of `member`'s cases its number in the official system."""
    own_case(connection, member, case_id)
    number = number.strip()
    if not number:
        raise StageError("number_empty")
    if not CASE_NUMBER.match(number):
        raise StageError("number_bad")
    c = CASES.c
    holder = connection.execute(select(c.id).where(c.case_number == number)).scalar()
    if holder is not None and holder != case_id:
        raise StageError("number_taken")
    try:
        with connection.begin_nested():
            connection.execute(
                update(CASES).where(c.id == case_id).values(case_number=number, updated_at=now)
            )
    except IntegrityError:  # given to another case meanwhile
        raise StageError("number_taken") from None
    audit(connection, member, "case.number", f"case {case_id}", now)


# ------------------------------------------------------------------------------------------
# A family that booked a visit, taken into a worker's caseload


async def open_case_from_visit(
    db: Database,
    worker: Member,
    contact_id: int,
    *,
    region: str,
    name: str,
    phone: str,
    now: datetime,
    link_valid: timedelta,
) -> int:
    """Open a case in `worker`'s caseload for the family behind a visit's contact (the office's
    region; the name the family gives at the visit; its phone, or the SMS number it booked
    from): the case joins that contact, so the family reads its stages on the channel it booked
    on. StageError when the family has a case already, or the name or phone will not do."""

    def known(connection: Connection) -> tuple[Any, int | None]:
        k = CONTACTS.c
        contact = connection.execute(
            select(k.channel, k.address, k.language).where(k.id == contact_id)
        ).first()
        return contact, stored.case_of_contact(connection, contact_id)

    contact, case_id = await db.run(known)
    if contact is None or case_id is not None:
        raise StageError("has_case")
    typed = phone.strip() or (contact.address if contact.channel == "sms" else "")
    row = parse_row(
        {"name": name, "phone": typed, "region": region, "language": contact.language or "ru"}
    )
    if isinstance(row, str):
        raise StageError("phone_bad" if "phone" in row else "name_bad")
    report = await import_caseload(db, worker, [(1, row)], now, link_valid=link_valid, pause=0)
    if report.rejected:
        raise StageError("phone_taken")

    def join(connection: Connection) -> int:
        c = CASES.c
        found = connection.execute(select(c.id, c.sms_contact_id).where(c.phone == row.phone)).one()
        if contact.channel == "telegram":
            connection.execute(
                update(CASES).where(c.id == found.id).values(telegram_contact_id=contact_id)
            )
        if found.sms_contact_id is not None and found.sms_contact_id != contact_id:
            people.link(connection, [contact_id, int(found.sms_contact_id)], now)
        audit(connection, worker, "case.open", f"case {found.id}", now, visit_contact=contact_id)
        return int(found.id)

    opened: int = await db.run(join)
    return opened
