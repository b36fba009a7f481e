"""Group commit: every caller gets its own result once committed, a function that fails fails
alone, and the others in its group are committed all the same (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select, text

from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import CONTACTS, MESSAGES
from tests.bot.conftest import fresh_postgres

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        db = Database(url)
        await upgrade(db.engine)
        yield db
        await db.close()


def add(address: str) -> Callable[[Connection], int]:
    def work(connection: Connection) -> int:
        return int(
            connection.execute(
                insert(CONTACTS)
                .values(channel="sms", address=address, consent=False, created_at=NOW)
                .returning(CONTACTS.c.id)
            ).scalar_one()
        )

    return work


def fails(connection: Connection) -> int:
    connection.execute(
        insert(CONTACTS).values(channel="sms", address="+7700", consent=False, created_at=NOW)
    )
    raise ValueError("this one is wrong")


async def count(db: Database) -> int:
    return await db.run(
        lambda c: int(c.execute(select(func.count()).select_from(CONTACTS)).scalar_one())
    )


async def test_many_callers_each_get_their_own_result(database: Database) -> None:
    ids = await asyncio.gather(*(database.run(add(f"+7701{n:07}")) for n in range(200)))
    assert len(set(ids)) == 200
    assert await count(database) == 200


async def test_a_failing_function_fails_alone(database: Database) -> None:
    jobs = [database.run(add(f"+7702{n:07}")) for n in range(30)]
    jobs.insert(15, database.run(fails))
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], ValueError)
    assert await count(database) == 30  # nothing of the failed one, all of the others


async def test_a_constraint_violation_fails_alone(database: Database) -> None:
    first = await database.run(add("+77030000000"))
    outcomes = await asyncio.gather(
        database.run(add("+77030000001")),
        database.run(add("+77030000000")),  # the same person again
        database.run(add("+77030000002")),
        return_exceptions=True,
    )
    assert isinstance(first, int)
    assert [isinstance(o, BaseException) for o in outcomes] == [False, True, False]
    assert await count(database) == 3


async def test_a_caller_that_gives_up_does_not_stop_the_others(database: Database) -> None:
    job = asyncio.ensure_future(database.run(add("+77040000000")))
    await asyncio.sleep(0)
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)
    await database.run(lambda c: c.execute(text("SELECT 1")))
    assert await count(database) in (0, 1)  # cancelled before or after it was taken: no error


async def test_an_import_mixed_with_failing_writes_writes_every_row(database: Database) -> None:
    """When a group fails, its functions run again one by one: the import's batches must not
    depend on anything they used up the first time (a generator of rows)."""
    from bot.staff.accounts import create, find  # noqa: PLC0415
    from bot.staff.caseload import CaseRow, import_caseload  # noqa: PLC0415
    from bot.storage.tables import CASES  # noqa: PLC0415

    def staff(connection: Connection) -> None:
        create(
            connection,
            username="alice",
            name="Alice",
            role="worker",
            region="astana",
            password="a long enough password",
            now=NOW,
        )

    await database.run(staff)
    alice = await database.run(lambda c: find(c, "alice"))
    assert alice is not None
    rows = (
        (n + 2, CaseRow(f"Family {n}", f"+7701{n:07d}", "astana", "kk", None, None))
        for n in range(3000)
    )
    importing = asyncio.create_task(import_caseload(database, alice, rows, NOW))
    failing = [asyncio.ensure_future(database.run(fails)) for _ in range(200)]
    report = await importing
    assert all(
        isinstance(e, Exception) for e in await asyncio.gather(*failing, return_exceptions=True)
    )
    assert report.added == 3000 and not report.rejected
    written = await database.run(
        lambda c: c.execute(select(func.count()).select_from(CASES)).scalar_one()
    )
    assert written == 3000


async def test_a_database_error_never_shows_the_values_in_its_message(
    database: Database,
) -> None:
    """Errors are logged; their messages must not carry phone numbers or what people wrote."""
    phone, words = "+77019998877", "менің балам ауырады"

    def twice(connection: Connection) -> None:
        contact = add(phone)(connection)
        for _ in range(2):  # the second repeats the channel's message id: a unique violation
            connection.execute(
                insert(MESSAGES).values(
                    contact_id=contact,
                    channel="sms",
                    direction="in",
                    external_id="kannel-1",
                    body=words,
                    status="received",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )

    with pytest.raises(Exception) as failed:
        await database.run(twice)
    message = str(failed.value)
    assert phone not in message and words not in message
    assert "hidden" in message
