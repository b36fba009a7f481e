"""Migrations: upgrade on an empty database, on SQLite and on PostgreSQL, and the models agree
with the migrated schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.storage.db import make_engine, upgrade
from bot.storage.models import Base
from tests.conftest import require_service

PG_ADMIN = os.environ.get("KOMEK_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _postgres_available() -> bool:
    try:
        connection = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    require_service(await _postgres_available(), f"PostgreSQL is not reachable at {PG_ADMIN}")
    name = f"komek_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


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
        assert {"contacts", "conversations", "messages", "assessments"} <= tables
        assert diff == [], diff
    finally:
        await engine.dispose()


async def test_an_empty_sqlite_database_is_migrated_to_the_models(tmp_path: Path) -> None:
    await _check_schema(f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")


async def test_an_empty_postgresql_database_is_migrated_to_the_models(postgres_url: str) -> None:
    await _check_schema(postgres_url)
