"""Turns that run after the channel has answered its webhook: a channel records the message
(so that the provider's 200 never loses it), then lets the turn and the sending of its replies
run here in the background. At shutdown they get a moment to finish; the rest are cancelled
(a cancelled turn is still recorded, and the runner's recovery processes it at the next
start)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class BackgroundTurns:
    def __init__(self, shutdown_grace: float = 5.0) -> None:
        self.shutdown_grace = shutdown_grace
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, turn: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(turn)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=self.shutdown_grace)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
