"""Fixtures for the server tests: fresh PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime

import asyncpg
import pytest
from sqlalchemy import Connection, insert

from bot.conversation.appointments import DbAppointments
from bot.parameters import default_calendar
from bot.storage.tables import CONTACTS
from tests.conftest import require_service

PG_ADMIN = os.environ.get("KOMEK_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _postgres_available() -> bool:
    try:
        connection = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (its URL), dropped afterwards; skips when PostgreSQL is not
    running (a failure under KOMEK_TEST_STRICT=1)."""
    require_service(await _postgres_available(), f"PostgreSQL is not reachable at {PG_ADMIN}")
    name = f"komek_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres() as url:
        yield url


def book_a_visit(
    connection: Connection, *, channel: str, address: str, language: str, now: datetime, day: date
) -> tuple[int, int]:
    """A new contact with a visit booked at the first free slot of example-astana-1 on `day`
    (the example offices imported): (booking id, contact id)."""
    contact_id = int(
        connection.execute(
            insert(CONTACTS)
            .values(
                channel=channel,
                address=address,
                language=language,
                consent=True,
                opted_out=False,
                created_at=now,
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
    )
    appointments = DbAppointments(connection, contact_id, now, default_calendar())
    (slot,) = appointments.slots("example-astana-1", day, 1)
    booking = appointments.book("example-astana-1", slot.start)
    assert booking is not None
    return booking.id, contact_id
