"""One lock per person, so that a person's messages are answered one at a time and in the order
they were recorded: in this process (`Locks`, enough for one worker), or across every worker
sharing a Redis (`RedisLocks`)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)


class Locks:
    """One lock per contact, in this process: enough for one worker. `RedisLocks` holds the
    same lock across every worker sharing a Redis."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, contact_id: int) -> AsyncIterator[None]:
        lock = self._locks.get(contact_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[contact_id] = lock
        async with lock:
            yield


class RedisLocks(Locks):
    """A per-contact lock in Redis, shared by all workers. It expires after `timeout` seconds
    (a turn takes milliseconds) so that a worker killed while holding it does not block the
    person for ever."""

    def __init__(self, client: Redis, timeout: float = 10.0) -> None:
        super().__init__()
        self.client = client
        self.timeout = timeout

    @asynccontextmanager
    async def hold(self, contact_id: int) -> AsyncIterator[None]:
        async with super().hold(contact_id):  # one waiter per process goes to Redis
            lock = self.client.lock(
                RedisKeys.contact_lock(contact_id),
                timeout=self.timeout,
                blocking_timeout=self.timeout,
            )
            if not await lock.acquire():
                raise TimeoutError(f"contact {contact_id} is locked by another worker")
            try:
                yield
            finally:
                try:
                    await lock.release()
                except LockError:  # it expired meanwhile: the work is committed anyway
                    log.warning("lock of contact %s expired before release", contact_id)


class RedisKeys:
    """Every Redis key Komek uses, built in one place."""

    PREFIX = "komek"

    @classmethod
    def contact_lock(cls, contact_id: int) -> str:
        return f"{cls.PREFIX}:lock:contact:{contact_id}"
