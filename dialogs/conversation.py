"""The conversation as a whole: the engine with every dialog registered. Channels call this."""

from __future__ import annotations

import dialogs.flows  # noqa: F401 - registers the dialogs' steps
from dialogs.engine import (
    Choice,
    Event,
    Inbound,
    LabelOf,
    Reply,
    Session,
    Turn,
    new_session,
    resume,
)

__all__ = [
    "Choice",
    "Event",
    "Inbound",
    "LabelOf",
    "Reply",
    "Session",
    "Turn",
    "new_session",
    "resume",
]
