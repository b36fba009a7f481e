"""Migrations: upgrade on an empty database and on one left by the previous revision (with its
data kept), on SQLite and on PostgreSQL; the models agree with the migrated schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.staff.search import terms
from bot.storage.db import make_engine, upgrade
from bot.storage.models import Base
from tests.bot.conftest import fresh_postgres

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
TABLES = {
    "contacts",
    "conversations",
    "messages",
    "assessments",
    "offices",
    "appointments",
    "outbox",
    "staff",
    "staff_tokens",
    "audit_log",
    "cases",
    "campaigns",
    "staff_auth_failures",
    "handovers",
    "people",
    "link_codes",
    "staff_sessions",
    "case_notes",
    "case_terms",
    "poverty_lines",
    "feedback",
    "inbox_conversations",
    "canned_replies",
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
        return
    async with fresh_postgres() as value:
        yield value


async def _check_schema(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # a second upgrade on the newest schema changes nothing
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        assert tables >= TABLES
        assert diff == [], diff
    finally:
        await engine.dispose()


async def test_an_empty_database_is_migrated_to_the_models(url: str) -> None:
    await _check_schema(url)


@pytest.mark.parametrize(
    "revision", ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0009"]
)
async def test_a_database_of_an_earlier_revision_is_migrated_with_its_data(
    url: str, revision: str
) -> None:
    """0009 is the revision before the newest; 0007, the last that shipped; 0001, the first."""
    engine = make_engine(url)
    try:
        await upgrade(engine, revision)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO contacts (id, channel, address, language, consent, opted_out,"
                    " created_at) VALUES (1, 'sms', '+77011234567', 'kk', true, false, :now)"
                ),
                {"now": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO messages (contact_id, channel, direction, body, status,"
                    " created_at, updated_at) VALUES (1, 'sms', 'in', 'Сәлем', 'processed',"
                    " :now, :now)"
                ),
                {"now": NOW},
            )
    finally:
        await engine.dispose()
    await _check_schema(url)
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            kept = (
                await connection.execute(
                    text(
                        "SELECT c.address, m.body FROM contacts c"
                        " JOIN messages m ON m.contact_id = c.id"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in kept] == [("+77011234567", "Сәлем")]


async def test_cases_imported_before_0005_can_be_found(tmp_path: Path) -> None:
    """0005 gives the cases already there their search terms, folded as new ones are."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO staff (id, username, name, role, region, password_hash, active,"
                    " created_at) VALUES (1, 'w', 'W', 'worker', 'astana', 'x', true, :now)"
                ),
                {"now": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO cases (id, staff_id, name, phone, region, language, link_code,"
                    " created_at, updated_at) VALUES (1, 1, 'Айгерім Сәрсенова', '+77011234567',"
                    " 'astana', 'kk', 'c1', :now, :now)"
                ),
                {"now": NOW},
            )
        await upgrade(engine)
        async with engine.connect() as connection:
            found = set((await connection.execute(text("SELECT term FROM case_terms"))).scalars())
    finally:
        await engine.dispose()
    assert found == terms("Айгерім Сәрсенова", "+77011234567")
