"""Opening the database: the async engine (SQLite in WAL mode with foreign keys on), sessions,
and migrations to the newest schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> AsyncEngine:
    # An error's message never carries the statement's parameters: they hold phone numbers and
    # what people wrote, and errors are logged.
    if not url.startswith("sqlite"):
        # No ping before each use (a round trip per transaction); connections are renewed
        # hourly instead, and one found broken is discarded with the whole pool.
        return create_async_engine(
            url, pool_recycle=3600, pool_size=10, max_overflow=10, hide_parameters=True
        )
    # SQLite has one writer at a time, and a second connection that wants to write waits in
    # SQLite's busy handler (sleeps of up to 100 ms). One connection instead: transactions queue
    # in asyncio, with no sleeping, which is what one worker on SQLite needs.
    engine = create_async_engine(
        url, pool_size=1, max_overflow=0, pool_timeout=60, hide_parameters=True
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return engine


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database to `revision` (the newest by default)."""
    if engine.url.drivername.startswith("sqlite") and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    async with engine.begin() as connection:
        await connection.run_sync(_run_upgrade, str(engine.url), revision)


def _run_upgrade(connection: Any, url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
