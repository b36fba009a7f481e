"""What "my application" needs from the world, as a port: the family's case, its stage and what
the stage carries. The runner implements it on the database, inside the turn's transaction
(`bot.conversation.cases`); dialogs stay free of I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from core.stages import Stage, Stages


@dataclass(frozen=True, slots=True)
class MyCase:
    """A family's case as it reads it: the stages of the office's data, the newest stage (None
    while none is recorded), its date and fields, and the stages before it, oldest first."""

    stages: Stages
    stage: Stage | None = None
    on: date | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    earlier: tuple[tuple[Stage, date], ...] = ()


class Cases(Protocol):
    def mine(self) -> MyCase | None:
        """The case of the family writing; None when it has none."""
        ...
