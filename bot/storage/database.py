"""Where transactions run.

Every write of the conversation path is a plain function of a synchronous SQLAlchemy
`Connection`, run whole by `Database.run`: one hop out of the event loop per transaction instead
of one per statement.

Functions are committed in groups: those queued while the previous group was being written are
run one after another in one transaction and committed together, with one flush to disk. Every
caller still learns the outcome of its own function only after the commit that made it durable.
A group that fails is rolled back and its functions are run again one by one, so one bad
function fails alone. The functions must therefore only touch the database (anything else they
change must be safe to do twice).

- On SQLite one writer thread owns the only writing connection.
- On PostgreSQL (asyncpg, via `run_sync`) a few groups are in flight at once per worker; several
  workers share the database and take row locks.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.db import make_engine, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[Connection], Any]

# How many queued transactions one SQLite commit may carry: enough to soak up a burst, few enough
# that the first caller of a group is not kept waiting long by the others.
GROUP_LIMIT = 64


class Database:
    """Runs transactions (`run`) and offers async sessions for the rest (`sessions`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = make_engine(url)
        self.sessions: async_sessionmaker[AsyncSession] = sessionmaker(self.engine)
        self.dialect = self.engine.dialect.name
        self._writer = _SQLiteWriter(url) if self.dialect == "sqlite" else None
        self._groups: _AsyncGroups | None = None

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one transaction and return its result once it is committed."""
        if self._writer is not None:
            result: T = await self._writer.submit(work)
            return result
        if self._groups is None:
            self._groups = _AsyncGroups(self.engine)
        result = await self._groups.submit(work)
        return result

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.to_thread(self._writer.close)
        if self._groups is not None:
            await self._groups.close()
        await self.engine.dispose()


# Transactions committed at once on PostgreSQL, per worker: each group holds one pooled
# connection, so a few groups keep the database busy while one of them waits for its commit.
ASYNC_GROUPS = 2


class _AsyncGroups:
    """Group commit on an async engine (PostgreSQL): the same contract as `_SQLiteWriter`, with
    a few groups in flight at once. Row locks taken by one function are held until its group
    commits; a group that fails (a deadlock with another worker, a constraint) is rolled back
    and its functions are run again one by one."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._queue: asyncio.Queue[tuple[Work, asyncio.Future[Any]]] = asyncio.Queue()
        self._tasks = [asyncio.create_task(self._main()) for _ in range(ASYNC_GROUPS)]

    def submit(self, work: Work) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((work, future))
        return future

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            future.cancel()

    async def _main(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < GROUP_LIMIT and not self._queue.empty():
                group.append(self._queue.get_nowait())
            await self._run_group(group)

    async def _run_group(self, group: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        works = [work for work, _ in group]
        try:
            async with self.engine.begin() as connection:
                results = await connection.run_sync(_run_all, works)
        except asyncio.CancelledError:
            for _, future in group:
                future.cancel()
            raise
        except Exception as exc:
            if len(group) == 1:
                _fail(group[0][1], exc)
                return
            for job in group:
                await self._run_group([job])
            return
        for (_, future), result in zip(group, results, strict=True):
            _succeed(future, result)


def _run_all(connection: Connection, works: list[Work]) -> list[Any]:
    return [work(connection) for work in works]


class _SQLiteWriter:
    """The one thread that writes to a SQLite file, committing queued transactions in groups."""

    def __init__(self, url: str) -> None:
        sync_url = url.replace("sqlite+aiosqlite:", "sqlite:", 1)
        self.engine = create_engine(sync_url, pool_size=1, max_overflow=0, hide_parameters=True)
        database = self.engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(self.engine, "connect")
        def _connect(connection: Any, _record: Any) -> None:
            # SQLAlchemy's recipe for real transactions with pysqlite: the driver's own
            # transaction handling is switched off and BEGIN is issued below.
            connection.isolation_level = None
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _begin(connection: Connection) -> None:
            # Take the write lock at the start: no deadlock with another connection that reads.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        self._queue: queue.SimpleQueue[
            tuple[Work, asyncio.Future[Any], asyncio.AbstractEventLoop] | None
        ] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name="komek-sqlite-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Work) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put((work, future, loop))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self.engine.dispose()

    def _main(self) -> None:
        with self.engine.connect() as connection:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                group = [job]
                stop = False
                while len(group) < GROUP_LIMIT:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    group.append(more)
                self._run_group(connection, group)
                if stop:
                    return

    def _run_group(
        self,
        connection: Connection,
        group: list[tuple[Work, asyncio.Future[Any], asyncio.AbstractEventLoop]],
    ) -> None:
        try:
            with connection.begin():
                results = [work(connection) for work, _, _ in group]
        except Exception as exc:
            if len(group) == 1:
                _, future, loop = group[0]
                _resolve(loop, _fail, future, exc)
                return
            for job in group:  # rolled back: each again on its own, so that one bad one fails alone
                self._run_group(connection, [job])
            return
        # One wake-up per event loop for the whole group, not one per caller.
        outcomes: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
        for (_, future, loop), result in zip(group, results, strict=True):
            outcomes.setdefault(loop, []).append((future, result))
        for loop, done in outcomes.items():
            _resolve(loop, _succeed_all, done)


def _resolve(loop: asyncio.AbstractEventLoop, how: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(how, *args)
    except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
        log.debug("a transaction finished after its event loop closed")


def _succeed_all(done: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, result in done:
        _succeed(future, result)


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():  # a caller that gave up still had its work committed
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
