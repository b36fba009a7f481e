"""Reading the audit log: what staff did, filtered by person, action and dates, a page at a time
or whole for an export. An administrator reads every entry; a supervisor the entries of the
staff of their region."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal, select

from bot.staff.accounts import Member
from bot.storage.tables import AUDIT, STAFF
from core.almaty import wall

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class AuditFilters:
    username: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_query(cls, query: Any) -> AuditFilters:
        page = str(query.get("page", "1"))
        return cls(
            username=str(query.get("who", "")).strip()[:64],
            action=str(query.get("action", "")).strip()[:40],
            since=_day(query.get("since")),
            until=_day(query.get("until")),
            page=int(page) if page.isdecimal() and len(page) < 7 and int(page) > 0 else 1,
        )


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    username: str | None
    action: str
    target: str
    detail: dict[str, Any]


def _scope(member: Member) -> ColumnElement[bool]:
    if member.role == "admin":
        return literal(True)
    return STAFF.c.region == (member.region or "")


def _conditions(member: Member, filters: AuditFilters) -> list[ColumnElement[bool]]:
    a, s = AUDIT.c, STAFF.c
    where = [_scope(member)]
    if filters.username:
        where.append(s.username == filters.username)
    if filters.action:
        where.append(a.action == filters.action)
    if filters.since is not None:
        where.append(a.at >= wall(filters.since, time()))
    if filters.until is not None:
        where.append(a.at < wall(filters.until, time()) + timedelta(days=1))
    return where


def _base() -> Any:
    a, s = AUDIT.c, STAFF.c
    return select(a.at, s.username, a.action, a.target, a.detail).select_from(
        AUDIT.outerjoin(STAFF, s.id == a.staff_id)
    )


def entries(
    connection: Connection, member: Member, filters: AuditFilters
) -> tuple[list[Entry], int]:
    """One page of entries, newest first, and how many match in all."""
    where = _conditions(member, filters)
    total = int(
        connection.execute(
            select(func.count())
            .select_from(AUDIT.outerjoin(STAFF, STAFF.c.id == AUDIT.c.staff_id))
            .where(*where)
        ).scalar_one()
    )
    rows = connection.execute(
        _base()
        .where(*where)
        .order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc())
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
    )
    return [Entry(r.at, r.username, r.action, r.target, dict(r.detail or {})) for r in rows], total


def export(connection: Connection, member: Member, filters: AuditFilters) -> Iterator[Entry]:
    where = _conditions(member, filters)
    for r in connection.execute(
        _base().where(*where).order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc()).limit(EXPORT_LIMIT)
    ):
        yield Entry(r.at, r.username, r.action, r.target, dict(r.detail or {}))


def choices(connection: Connection, member: Member) -> tuple[list[str], list[str]]:
    """The people and the actions the filters offer."""
    s, a = STAFF.c, AUDIT.c
    people_query = select(s.username).order_by(s.username)
    if member.role != "admin":
        people_query = people_query.where(s.region == (member.region or ""))
    people = [str(u) for u in connection.execute(people_query).scalars()]
    actions = [
        str(x) for x in connection.execute(select(a.action).distinct().order_by(a.action)).scalars()
    ]
    return people, actions
