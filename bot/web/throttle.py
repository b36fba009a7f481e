"""How fast one address may open new web conversations: each one is a contact and a session in
the database, and nothing else stops a script from making thousands. Counted per client address
and minute, in Redis when the workers share one, in this process otherwise.

The limit is generous on purpose: a mobile operator puts many families behind one address."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis

WINDOW = 60  # seconds


class NewConversations:
    """At most `per_minute` new conversations per address and minute, in this process."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}

    async def allow(self, address: str) -> bool:
        window = int(self.clock() // WINDOW)
        if window != self._window:
            self._window, self._counts = window, {}
        seen = self._counts.get(address, 0)
        if seen >= self.per_minute:
            return False
        self._counts[address] = seen + 1
        return True


class RedisNewConversations(NewConversations):
    """The same limit shared by every worker: one counter per address and minute in Redis."""

    def __init__(
        self, client: Redis, per_minute: int, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(per_minute, clock)
        self.client = client

    async def allow(self, address: str) -> bool:
        window = int(self.clock() // WINDOW)
        key = f"komek:web:new:{address}:{window}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW * 2)
            seen, _ = await pipe.execute()
        return int(seen) <= self.per_minute
