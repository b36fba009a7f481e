"""The conversation as a whole: the engine with every dialog registered. Channels call this."""

from __future__ import annotations

import dialogs.flows  # noqa: F401 - registers the dialogs' steps
from dialogs.engine import (
    NUMERIC,
    TEXT,
    Choice,
    Event,
    Inbound,
    LabelOf,
    Reply,
    Session,
    Turn,
    current,
    new_session,
    resume,
)

__all__ = [
    "NUMERIC",
    "TEXT",
    "Choice",
    "Event",
    "Inbound",
    "LabelOf",
    "Reply",
    "Session",
    "Turn",
    "current",
    "new_session",
    "resume",
]
