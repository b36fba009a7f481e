"""The outbox: every message that is not a direct reply (a reminder of a visit, a notice from
staff, a campaign) is a row here before it is anything else; `bot.delivery.dispatcher` sends it
when due.

A row's `key` says what it is for (`visit:41:20261130T0430Z:reminder`), and is unique: the same
message cannot be queued twice, whoever queues it. Queueing happens in the caller's transaction,
so a reminder is queued with the booking that asks for it, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite

from bot.delivery.forms import FORMS, parameters
from bot.delivery.senders import Notice
from bot.i18n.translator import Translator
from bot.storage.tables import OUTBOX
from dialogs.text import Param, Text

PENDING, SENDING, SENT, FAILED, CANCELLED, SKIPPED = (
    "pending",
    "sending",
    "sent",
    "failed",
    "cancelled",
    "skipped",
)


def enqueue(
    connection: Connection,
    *,
    key: str,
    contact_id: int,
    kind: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
) -> None:
    """Queue a message (in the caller's transaction). A key already queued is left as it is,
    unless it was cancelled: then it is due again."""
    o = OUTBOX.c
    found = connection.execute(select(o.id, o.status).where(o.key == key)).first()
    if found is None:
        connection.execute(
            insert(OUTBOX).values(
                key=key,
                contact_id=contact_id,
                kind=kind,
                payload=payload,
                due_at=due_at,
                status=PENDING,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )
    elif found.status == CANCELLED:
        connection.execute(
            update(OUTBOX)
            .where(o.id == found.id)
            .values(status=PENDING, due_at=due_at, payload=payload, attempts=0, updated_at=now)
        )


def enqueue_all(
    connection: Connection,
    *,
    contact_id: ColumnElement[int],
    key: tuple[str, str],
    kind: str,
    payload: dict[str, Any],
    due_at: datetime,
    now: datetime,
    where: Sequence[ColumnElement[bool]] = (),
) -> int:
    """Queue one message for every contact `contact_id` yields (a column of a table or subquery,
    filtered by `where`) in one INSERT ... SELECT, keyed `key[0] + contact id + key[1]`; keys
    already queued are left alone. The number of new rows."""
    o = OUTBOX.c
    rows = select(
        literal(key[0]) + sql_cast(contact_id, String) + literal(key[1]),
        contact_id,
        literal(kind),
        literal(payload, o.payload.type),
        literal(due_at, o.due_at.type),
        literal(PENDING),
        literal(0),
        literal(now, o.created_at.type),
        literal(now, o.updated_at.type),
    ).where(*where, true())  # SQLite: INSERT ... SELECT needs a WHERE before ON CONFLICT
    columns = [
        o.key,
        o.contact_id,
        o.kind,
        o.payload,
        o.due_at,
        o.status,
        o.attempts,
        o.created_at,
        o.updated_at,
    ]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(OUTBOX).from_select(columns, rows).on_conflict_do_nothing()
    return int(connection.execute(statement).rowcount or 0)


def cancel(connection: Connection, key_prefix: str, now: datetime) -> int:
    """Drop every message still waiting whose key starts with `key_prefix`."""
    o = OUTBOX.c
    result = connection.execute(
        update(OUTBOX)
        .where(o.key.startswith(key_prefix, autoescape=True), o.status == PENDING)
        .values(status=CANCELLED, updated_at=now)
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row being sent. `contact_id` is whom it is for (its key names them); `to` is the
    contact of the person tried now, on `channel` at `address`: `route[hop]`."""

    id: int
    contact_id: int
    channel: str
    address: str
    language: str
    opted_out: bool
    kind: str
    payload: dict[str, Any]
    attempts: int
    to: int = 0
    route: tuple[int, ...] = ()
    hop: int = 0
    tried: tuple[dict[str, Any], ...] = ()
    skip: tuple[str, str] | None = None  # (status, reason) when nothing is to be tried


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message as it is sent: its text, and what it says as data (for channels that may send
    only approved forms; None where there is no form, as for a text nobody approved)."""

    text: str
    notice: Notice | None = None
    # Buttons for channels that draw them (the answers a question takes); the text alone must
    # say how to answer, for the others.
    choices: tuple[tuple[str, str], ...] = ()


# What a kind of message says, rendered at send time in the contact's language: a function of
# the connection (to read what it is about), the row, the language and the time; None when its
# reason is gone (nothing is sent then).
Render = Callable[[Connection, Claimed, str, datetime], "Rendered | None"]


def rendered(
    translator: Translator, serves: str, params: Mapping[str, Param], language: str
) -> Rendered:
    """The message of form `serves` (`bot.delivery.forms`) with these parameters, as text and
    as a notice."""
    text = translator.render(Text(FORMS[serves], params), language)
    return Rendered(text, notice(translator, serves, params, language))


def notice(
    translator: Translator, serves: str, params: Mapping[str, Param], language: str
) -> Notice:
    """What a message of form `serves` says, as data, its parameters written in `language`."""
    written = tuple(
        (name, translator.format(params[name], language)) for name in parameters(serves)
    )
    return Notice(serves, language, written)


def counts(connection: Connection) -> dict[str, int]:
    """Rows per status (for /metrics and `komek` reports)."""
    o = OUTBOX.c
    rows = connection.execute(select(o.status, func.count()).group_by(o.status))
    return {str(status): int(n) for status, n in rows}
