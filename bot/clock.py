"""The one clock of the process: now, in Kazakhstan's zone. Everything below takes time as an
argument; the server, the CLI and the console read it here."""

from __future__ import annotations

from datetime import UTC, datetime

from core.almaty import local


def now() -> datetime:
    return local(datetime.now(UTC))
