"""Migrations: upgrade on an empty database, on SQLite and on PostgreSQL, and the models agree
with the migrated schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.storage.db import make_engine, upgrade
from bot.storage.models import Base


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
