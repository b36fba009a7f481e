"""A spreadsheet of 1,000 stage changes through the API of a real server process, killed (-9) in
the middle of recording and telling them, then restarted and given the same file again: every
family is told of its change (none lost), each change is recorded once, and a family hears it
twice only where the outbox records a resend in doubt (the kill fell between the Bot API's answer
and our record of it), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Connection, func, insert, select

from bot.delivery.dispatcher import INTERRUPTED
from bot.staff.accounts import Member, create, issue_token
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import CASE_STAGES, CASES, CONTACTS, OUTBOX
from tests.bot.conftest import fresh_postgres
from tests.bot.servers import Server
from tests.bot.telegram_stub import BotApiStub

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
FAMILIES = 1000
CHAT = 50_000
SECRET = "stages-kill-secret"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            yield f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"
        else:
            yield await stack.enter_async_context(fresh_postgres())


def _seed(connection: Connection) -> str:
    """A worker with 1,000 families, each on Telegram, with a case number; the worker's token."""
    staff_id = create(
        connection,
        username="aigerim",
        name="Aigerim",
        role="worker",
        region="astana",
        password="long enough password",
        now=NOW,
    )
    contacts = [
        {
            "channel": "telegram",
            "address": str(CHAT + n),
            "language": ("kk", "ru", "en")[n % 3],
            "consent": True,
            "opted_out": False,
            "created_at": NOW,
        }
        for n in range(FAMILIES)
    ]
    connection.execute(insert(CONTACTS), contacts)
    ids = dict(
        connection.execute(
            select(CONTACTS.c.address, CONTACTS.c.id).where(CONTACTS.c.channel == "telegram")
        ).all()
    )
    connection.execute(
        insert(CASES),
        [
            {
                "staff_id": staff_id,
                "name": f"Family {n}",
                "phone": f"+7701{n:07d}",
                "region": "astana",
                "language": ("kk", "ru", "en")[n % 3],
                "telegram_contact_id": ids[str(CHAT + n)],
                "link_code": f"code{n}",
                "case_number": f"N-{n:04d}",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(FAMILIES)
        ],
    )
    worker = Member(staff_id, "aigerim", "Aigerim", "worker", "astana")
    return issue_token(connection, worker, "kill test", NOW)


def _csv() -> bytes:
    rows = ["case_number,stage,date,amount,months,category"]
    rows.extend(f"N-{n:04d},assigned,2026-11-25,{37060 + n},3,conditional" for n in range(FAMILIES))
    return ("\n".join(rows) + "\n").encode()


def _counts(connection: Connection) -> dict[str, int]:
    o = OUTBOX.c
    return {
        "changes": int(
            connection.execute(select(func.count()).select_from(CASE_STAGES)).scalar_one()
        ),
        "notices": int(
            connection.execute(select(func.count()).where(o.kind == "stage_notice")).scalar_one()
        ),
        "left": int(
            connection.execute(
                select(func.count()).where(o.status.in_(("pending", "sending")))
            ).scalar_one()
        ),
        "resent": int(
            connection.execute(select(func.count()).where(o.error == INTERRUPTED)).scalar_one()
        ),
    }


async def _upload(url: str, token: str) -> dict[str, Any] | None:
    """The file through the API; None when the server died meanwhile."""
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                f"{url}/api/staff/stages?filename=asp.csv",
                data=_csv(),
                headers={"Authorization": f"Bearer {token}"},
            ) as response,
        ):
            assert response.status == 200, await response.text()
            found: dict[str, Any] = await response.json()
            return found
    except (TimeoutError, aiohttp.ClientError):
        return None


async def test_stage_changes_survive_a_kill_and_each_family_is_told(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    await upgrade(db.engine)
    token = await db.run(_seed)
    stub = await BotApiStub().start()
    env = {
        "KOMEK_DATABASE_URL": database_url,
        "KOMEK_TELEGRAM_TOKEN": "123456:stages",
        "KOMEK_TELEGRAM_API_URL": stub.url,
        "KOMEK_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "KOMEK_TELEGRAM_RATE": "300",
        "KOMEK_OUTBOX_POLL": "0.05",
        "KOMEK_OUTBOX_STALE": "1",
    }
    try:
        first = Server(env, tmp_path / "first.log")
        await first.start()
        upload = asyncio.create_task(_upload(first.url, token))
        for _ in range(600):  # kill once some families have been told, before all are
            if len(stub.of("sendMessage")) >= 150 or upload.done():
                break
            await asyncio.sleep(0.02)
        first.kill()
        killed_after = len(stub.of("sendMessage"))
        await upload
        before = await db.run(_counts)
        assert 0 < killed_after < FAMILIES, "the kill did not fall in the middle"
        final = Server(env, tmp_path / "final.log")
        await final.start()
        try:
            report = await _upload(final.url, token)
            assert report is not None and not report["rejected"]
            # The rows recorded before the kill are recognised; the rest are recorded now.
            assert report["recorded_before"] == before["changes"]
            assert report["changed"] == FAMILIES - before["changes"]
            for _ in range(600):
                if (await db.run(_counts))["left"] == 0:
                    break
                await asyncio.sleep(0.1)
        finally:
            final.stop()
        after = await db.run(_counts)
        got: Counter[int] = Counter(int(c.params["chat_id"]) for c in stub.of("sendMessage"))
        texts = {int(c.params["chat_id"]): str(c.params["text"]) for c in stub.of("sendMessage")}
    finally:
        await stub.close()
        await db.close()
    assert after["left"] == 0, "the outbox did not drain after the restart"
    assert after["changes"] == FAMILIES and after["notices"] == FAMILIES
    assert set(got) == {CHAT + n for n in range(FAMILIES)}, "a family was not told"
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= after["resent"], f"{duplicates} duplicate(s), {after['resent']} resent"
    # Each in its family's language.
    assert texts[CHAT].startswith("Komek: АӘК өтінішіңіз: АӘК тағайындалды")
    assert texts[CHAT + 1].startswith("Komek: Ваша заявка на АСП: АСП назначена")
    assert texts[CHAT + 2].startswith("Komek: Your TSA application: TSA assigned")
