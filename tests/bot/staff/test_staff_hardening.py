"""The staff API under load and bad input: uploads read whole however slowly they arrive, a
limit on their size, JSON that cannot be stored refused, tokens that expire and can be revoked,
accounts that can be ended, deep links that link one chat once, and failed tokens counted."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, func, select

from bot.config import Config
from bot.conversation.runner import InboundMessage, Runner
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.staff.accounts import create, failures, find, issue_token
from bot.storage.tables import AUTH_FAILURES, CASES
from bot.web.keys import RUNNER

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
PASSWORD = "correct horse battery"


class Staff:
    def __init__(self, client: TestClient[Any, Any], runner: Runner, tokens: dict[str, str]):
        self.client, self.runner, self.tokens = client, runner, tokens

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
async def staff(aiohttp_client: Any, tmp_path: Path, translator: Translator) -> Staff:
    config = Config(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", outbox_poll=60)
    client: TestClient[Any, Any] = await aiohttp_client(create_app(config, translator))
    runner: Runner = client.app[RUNNER]
    runner.clock = lambda: NOW

    def seed(connection: Connection) -> dict[str, str]:
        tokens = {}
        for username, role, region in (
            ("root", "admin", None),
            ("aigul", "worker", "astana"),
            ("dana", "worker", "almaty"),
        ):
            create(
                connection,
                username=username,
                name=username.title(),
                role=role,
                region=region,
                password=PASSWORD,
                now=NOW,
            )
            member = find(connection, username)
            assert member is not None
            tokens[username] = issue_token(connection, member, "tests", NOW)
        return tokens

    return Staff(client, runner, await runner.db.run(seed))


def caseload_csv(rows: int) -> bytes:
    lines = ["name,phone,region,language,case_notes,next_reassessment"]
    lines += [
        f"Отбасы {n} Сәрсенбаева-Құдайбергенова,+7701{n:07d},astana,kk,көп балалы отбасы,2027-03-01"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


async def slowly(data: bytes, size: int = 32 * 1024) -> AsyncIterator[bytes]:
    """The body as a chunked upload over a slow line: a chunk, a pause, the next."""
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0.001)


async def case_count(staff: Staff) -> int:
    return int(
        await staff.runner.db.run(
            lambda c: c.execute(select(func.count()).select_from(CASES)).scalar_one()
        )
    )


async def test_a_large_csv_sent_slowly_is_imported_whole(staff: Staff) -> None:
    data = caseload_csv(30_000)
    assert len(data) > 1_300_000
    response = await staff.client.post(
        "/api/staff/caseload?filename=big.csv", data=slowly(data), headers=staff.auth("aigul")
    )
    assert response.status == 200, await response.text()
    assert (await response.json()) == {"added": 30_000, "updated": 0, "rejected": []}
    assert await case_count(staff) == 30_000


async def test_a_large_xlsx_is_imported_whole(staff: Staff) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "phone", "region", "language", "case_notes"])
    for n in range(20_000):
        noise = hashlib.sha256(str(n).encode()).hexdigest()  # what does not compress
        sheet.append([f"Family {n} {noise[:12]}", f"+7701{n:07d}", "astana", "ru", noise])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    assert len(data) > 1_000_000
    response = await staff.client.post(
        "/api/staff/caseload?filename=big.xlsx", data=slowly(data), headers=staff.auth("aigul")
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["added"] == 20_000


async def test_an_upload_past_twenty_megabytes_is_refused(staff: Staff) -> None:
    async def endless() -> AsyncIterator[bytes]:
        for _ in range(25 * 16):
            yield b"x" * 65_536

    response = await staff.client.post(
        "/api/staff/caseload?filename=huge.csv", data=endless(), headers=staff.auth("aigul")
    )
    assert response.status == 413
    assert "20 MB" in (await response.json())["error"]
    assert await case_count(staff) == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/staff/campaigns", b"[" * 16_000),
        ("/api/staff/appointments/1/cancel", b"[" * 16_000),
        ("/api/staff/campaigns", b'{"name": "\\ud800", "template": "quarterly"}'),
        ("/api/staff/campaigns", b'{"name": "a\\u0000b", "template": "quarterly"}'),
        ("/api/staff/appointments/1/cancel", b'{"message": "\\udc00"}'),
    ],
)
async def test_json_that_cannot_be_stored_is_a_400(staff: Staff, path: str, body: bytes) -> None:
    response = await staff.client.post(path, data=body, headers=staff.auth("root"))
    assert response.status == 400
    assert (await response.json())["error"]


async def test_a_token_expires(staff: Staff) -> None:
    assert (await staff.client.get("/api/staff/caseload", headers=staff.auth("aigul"))).ok
    staff.runner.clock = lambda: NOW + timedelta(days=91)  # issued for 90 days
    response = await staff.client.get("/api/staff/caseload", headers=staff.auth("aigul"))
    assert response.status == 401
    assert "expired" in (await response.json())["error"]


async def test_an_admin_revokes_a_token_and_ends_an_account(staff: Staff) -> None:
    client = staff.client
    listed = await client.get("/api/staff/tokens?username=aigul", headers=staff.auth("root"))
    (token,) = (await listed.json())["tokens"]
    assert token["username"] == "aigul" and token["revoked_at"] is None
    assert token["expires_at"].startswith("2027-02-24")
    # A worker sees only their own tokens and cannot revoke another's.
    mine = await client.get("/api/staff/tokens", headers=staff.auth("dana"))
    assert [t["username"] for t in (await mine.json())["tokens"]] == ["dana"]
    other = await client.get("/api/staff/tokens?username=aigul", headers=staff.auth("dana"))
    assert other.status == 403
    refused = await client.post(
        f"/api/staff/tokens/{token['id']}/revoke", headers=staff.auth("dana")
    )
    assert refused.status == 403
    revoked = await client.post(
        f"/api/staff/tokens/{token['id']}/revoke", headers=staff.auth("root")
    )
    assert revoked.status == 200
    assert (await client.get("/api/staff/caseload", headers=staff.auth("aigul"))).status == 401

    not_admin = await client.post("/api/staff/members/dana/deactivate", headers=staff.auth("dana"))
    assert not_admin.status == 403
    ended = await client.post("/api/staff/members/dana/deactivate", headers=staff.auth("root"))
    assert ended.status == 200
    assert (await client.get("/api/staff/caseload", headers=staff.auth("dana"))).status == 401
    assert await staff.runner.db.run(lambda c: find(c, "dana")) is None
    unknown = await client.post("/api/staff/members/nobody/deactivate", headers=staff.auth("root"))
    assert unknown.status == 404


async def test_wrong_tokens_are_counted_per_address(staff: Staff) -> None:
    for _ in range(3):
        response = await staff.client.get(
            "/api/staff/caseload", headers={"Authorization": "Bearer kmk_wrong"}
        )
        assert response.status == 401
    counted = await staff.runner.db.run(
        lambda c: failures(c, NOW - timedelta(minutes=1), ip="127.0.0.1")
    )
    assert counted == 3
    kinds = await staff.runner.db.run(
        lambda c: c.execute(select(AUTH_FAILURES.c.kind)).scalars().all()
    )
    assert kinds == ["token"] * 3


async def test_a_deep_link_links_one_chat_once_and_expires(staff: Staff) -> None:
    client, runner = staff.client, staff.runner
    upload = await client.post(
        "/api/staff/caseload?filename=a.csv", data=caseload_csv(1), headers=staff.auth("aigul")
    )
    assert (await upload.json())["added"] == 1
    (case_id, code) = await runner.db.run(
        lambda c: c.execute(select(CASES.c.id, CASES.c.link_code)).one()
    )

    async def linked_chat() -> int | None:
        found = await runner.db.run(
            lambda c: c.execute(select(CASES.c.telegram_contact_id)).scalar()
        )
        return None if found is None else int(found)

    await runner.handle(InboundMessage("telegram", "111", f"/start {code}"))
    first = await linked_chat()
    assert first is not None
    # The link forwarded to someone else links nothing: the case stays with the first chat.
    await runner.handle(InboundMessage("telegram", "222", f"/start {code}"))
    assert await linked_chat() == first
    # The worker makes a new one (the old code is dead); after its 30 days it links nothing.
    other = await client.post(f"/api/staff/caseload/{case_id}/link", headers=staff.auth("dana"))
    assert other.status == 404  # not Dana's family
    fresh = await client.post(f"/api/staff/caseload/{case_id}/link", headers=staff.auth("aigul"))
    new_code = (await fresh.json())["code"]
    assert new_code != code
    runner.clock = lambda: NOW + timedelta(days=31)
    await runner.handle(InboundMessage("telegram", "333", f"/start {new_code}"))
    assert await linked_chat() == first
    runner.clock = lambda: NOW + timedelta(days=29)
    await runner.handle(InboundMessage("telegram", "444", f"/start {new_code}"))
    assert await linked_chat() not in (None, first)
