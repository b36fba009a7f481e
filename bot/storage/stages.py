"""What the database holds of a case's stages: its history, and the case a contact's family is
(for "my application"). Read by the staff pages, the notices and the conversation alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from bot.storage.tables import ASSESSMENTS, CASE_DOCUMENTS, CASE_STAGES, CASES, CONTACTS, STAFF

_c, _s = CASES.c, CASE_STAGES.c


@dataclass(frozen=True, slots=True)
class StageChange:
    id: int
    case_id: int
    stage: str
    on: date
    fields: dict[str, Any]
    note: str | None
    by: str | None  # the worker's name
    source: str
    at: datetime


def history(connection: Connection, case_id: int, limit: int = 50) -> list[StageChange]:
    """The case's changes of stage, newest first (by their date, then as recorded: a file from
    the official system may give an older change after a newer one)."""
    rows = connection.execute(
        select(
            _s.id,
            _s.case_id,
            _s.stage,
            _s.on,
            _s.fields,
            _s.note,
            _s.source,
            _s.created_at,
            STAFF.c.name,
        )
        .outerjoin(STAFF, STAFF.c.id == _s.staff_id)
        .where(_s.case_id == case_id)
        .order_by(_s.on.desc(), _s.id.desc())
        .limit(limit)
    )
    return [_change(row) for row in rows]


def change(connection: Connection, change_id: int) -> StageChange | None:
    row = connection.execute(
        select(
            _s.id,
            _s.case_id,
            _s.stage,
            _s.on,
            _s.fields,
            _s.note,
            _s.source,
            _s.created_at,
            STAFF.c.name,
        )
        .outerjoin(STAFF, STAFF.c.id == _s.staff_id)
        .where(_s.id == change_id)
    ).first()
    return None if row is None else _change(row)


def _change(row: Any) -> StageChange:
    return StageChange(
        id=int(row.id),
        case_id=int(row.case_id),
        stage=str(row.stage),
        on=row.on,
        fields=dict(row.fields or {}),
        note=row.note,
        by=row.name,
        source=str(row.source),
        at=row.created_at,
    )


def case_of_contact(connection: Connection, contact_id: int) -> int | None:
    """The case of the family this contact is (its phone, its linked chat, or another contact
    of the same person); the newest case when there are several."""
    k = CONTACTS.c
    person = connection.execute(select(k.person_id).where(k.id == contact_id)).scalar()
    ids = [contact_id]
    if person is not None:
        found_ids = connection.execute(select(k.id).where(k.person_id == person)).scalars()
        ids = [int(i) for i in found_ids]
    found = connection.execute(
        select(_c.id)
        .where(or_(_c.sms_contact_id.in_(ids), _c.telegram_contact_id.in_(ids)))
        .order_by(_c.id.desc())
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def received(connection: Connection, case_id: int) -> set[str]:
    """The keys of the documents the worker has ticked off as received."""
    d = CASE_DOCUMENTS.c
    rows = connection.execute(select(d.document).where(d.case_id == case_id)).scalars()
    return {str(k) for k in rows}


def household_of_case(connection: Connection, case_id: int) -> dict[str, Any] | None:
    """The household of the family's newest assessment, on any contact of its case."""
    a = ASSESSMENTS.c
    row = connection.execute(
        select(_c.sms_contact_id, _c.telegram_contact_id).where(_c.id == case_id)
    ).first()
    if row is None:
        return None
    ids = [i for i in (row.sms_contact_id, row.telegram_contact_id) if i is not None]
    if not ids:
        return None
    found = connection.execute(
        select(a.household).where(a.contact_id.in_(ids)).order_by(a.id.desc()).limit(1)
    ).scalar()
    return dict(found) if isinstance(found, dict) else None
