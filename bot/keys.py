"""The process's secret keys, derived from one secret: `KOMEK_SECRET_KEY`, or, for the embedded
SQLite database, a random key kept in a file beside it (`komek.key`, readable by its owner only),
made on the first start. With PostgreSQL the variable is required: every worker must derive the
same keys, and a key kept in the database would be lost with it to whoever copies it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.config import Config, ConfigError

KEY_FILE = "komek.key"


def secret(config: Config) -> bytes:
    if config.secret_key:
        return config.secret_key.encode("utf-8")
    if not config.sqlite:
        raise ConfigError(
            "KOMEK_SECRET_KEY is required with PostgreSQL (every worker must share it); make one "
            "with python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    database = config.sqlite_path()
    folder = database.parent if database is not None else Path("var")
    path = folder / KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48).encode("ascii")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process: use that one
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(value + b"\n")
    return value


def derive(root: bytes, purpose: str) -> bytes:
    """A key for one purpose ("address", "session"), so that no two uses share a key."""
    return hmac.new(root, f"komek:{purpose}".encode(), hashlib.sha256).digest()
