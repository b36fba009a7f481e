"""What the `komek` subcommands share: the configuration, one transaction on the configured
database, the member of staff a command acts for, and a progress bar for long work."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from sqlalchemy import Connection

from bot.config import Config, ConfigError, load
from core.errors import InputError

if TYPE_CHECKING:  # the database modules load only for the commands that use them
    from bot.storage.database import Database

T = TypeVar("T")
EXIT_BAD_INPUT = 2


def config() -> Config:
    try:
        return load()
    except ConfigError as exc:
        raise SystemExit(f"komek: configuration: {exc}") from None


def read_file(name: str) -> tuple[Path, bytes]:
    path = Path(name)
    try:
        return path, path.read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot be read ({exc.strerror})") from None


def with_database(use: Callable[[Database], Awaitable[T]]) -> T:
    """Run `use` on the configured database (the embedded one is migrated first)."""
    from bot.storage.database import Database  # noqa: PLC0415
    from bot.storage.db import upgrade  # noqa: PLC0415

    settings = config()

    async def run() -> T:
        db = Database(settings.database_url)
        try:
            if db.dialect == "sqlite":
                await upgrade(db.engine)
            return await use(db)
        finally:
            await db.close()

    return asyncio.run(run())


def in_database(work: Callable[[Connection], T]) -> T:
    """Run one transaction on the configured database."""
    return with_database(lambda db: db.run(work))


def member(connection: Connection, username: str) -> Any:
    from bot.staff.accounts import find  # noqa: PLC0415 - loads argon2 only when asked

    member = find(connection, username)
    if member is None:
        raise InputError("--as", f"no active staff member {username!r}")
    return member


class Progress:
    """A progress bar on standard error for long work (`[#####.....] 5,000 / 10,000`)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.width = width

    def __call__(self, done: int) -> None:
        filled = min(self.width, self.width * done // self.total)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done:,} / {self.total:,}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
