"""Contacts that are the same person: the statements that link them and read them back.

A person is only a number that its contacts share (`contacts.person_id`). Linking two contacts
puts both, and every contact already linked to either, under one person. A contact linked to
nobody has no person; it is then the whole of the person as Komek knows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Row, insert, or_, select, update

from bot.storage.tables import CONTACTS, PEOPLE

_c = CONTACTS.c


class Linked(NamedTuple):
    """One contact of a person, as the outbox chooses among them."""

    id: int
    channel: str
    address: str
    language: str | None
    opted_out: bool
    unreachable: str | None
    person_id: int | None


def link(connection: Connection, contact_ids: Iterable[int], now: datetime) -> int | None:
    """Make these contacts (and everyone already linked to any of them) one person; the
    person's id (None for fewer than two contacts)."""
    ids = sorted(set(contact_ids))
    if len(ids) < 2:
        return None
    people = sorted(
        {
            int(p)
            for p in connection.execute(
                select(_c.person_id).where(_c.id.in_(ids), _c.person_id.is_not(None))
            ).scalars()
        }
    )
    if people:
        person = people[0]
    else:
        person = int(
            connection.execute(
                insert(PEOPLE).values(created_at=now).returning(PEOPLE.c.id)
            ).scalar_one()
        )
    where: ColumnElement[bool] = _c.id.in_(ids)
    if len(people) > 1:
        where = or_(where, _c.person_id.in_(people[1:]))
    connection.execute(update(CONTACTS).where(where).values(person_id=person))
    return person


def linked(connection: Connection, contact_ids: Iterable[int]) -> dict[int, list[Linked]]:
    """Each contact's person: every contact linked to it, itself included (itself alone when it
    is linked to nobody)."""
    ids = sorted(set(contact_ids))
    if not ids:
        return {}
    columns = (
        _c.id,
        _c.channel,
        _c.address,
        _c.language,
        _c.opted_out,
        _c.unreachable,
        _c.person_id,
    )
    own = {
        int(row.id): _linked(row)
        for row in connection.execute(select(*columns).where(_c.id.in_(ids)))
    }
    people = {row.person_id for row in own.values() if row.person_id is not None}
    by_person: dict[int, list[Linked]] = {}
    if people:
        for row in connection.execute(
            select(*columns).where(_c.person_id.in_(sorted(people))).order_by(_c.id)
        ):
            by_person.setdefault(int(row.person_id), []).append(_linked(row))
    return {
        contact_id: by_person.get(row.person_id, [row]) if row.person_id is not None else [row]
        for contact_id, row in own.items()
    }


def _linked(row: Row[Any, *tuple[Any, ...]]) -> Linked:
    return Linked(
        int(row.id),
        str(row.channel),
        str(row.address),
        row.language,
        bool(row.opted_out),
        row.unreachable,
        row.person_id,
    )


def same_address(connection: Connection, channels: Iterable[str], address: str) -> list[int]:
    """Contacts on these channels with this address (a phone number on SMS and WhatsApp)."""
    return [
        int(i)
        for i in connection.execute(
            select(_c.id).where(_c.channel.in_(list(channels)), _c.address == address)
        ).scalars()
    ]


def unreachable(contact_id: int, reason: str) -> Callable[[Connection], None]:
    """The contact's channel cannot reach it: off every route (opted out, with the reason),
    until the person writes from it again."""

    def work(connection: Connection) -> None:
        connection.execute(
            update(CONTACTS)
            .where(_c.id == contact_id)
            .values(opted_out=True, unreachable=reason[:40])
        )

    return work
