"""The inbox's JSON API: a worker lists her conversations, reads one, answers it and hands it
back with her token; a colleague's token is refused (403) for what is not hers, and a bad body
gets a 400 with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Connection, select

from bot.conversation.inbox import open_conversation
from bot.i18n.translator import Translator
from bot.staff.accounts import find, issue_token
from bot.storage.tables import CASES, INBOX, OUTBOX
from tests.bot.staff.workspace import NOW, Workspace, workspace


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator) -> AsyncIterator[Workspace]:
    async with workspace(tmp_path, translator) as found:
        yield found


async def test_a_worker_answers_through_the_api_and_a_colleague_cannot(ws: Workspace) -> None:
    def seed(connection: Connection) -> tuple[int, str, str]:
        contact = connection.execute(
            select(CASES.c.sms_contact_id).where(CASES.c.id == ws.cases["aigerim"][0])
        ).scalar_one()
        conversation = open_conversation(connection, contact, "asked", None, NOW)
        aigerim, bota = find(connection, "aigerim"), find(connection, "bota")
        assert aigerim is not None and bota is not None
        return (
            conversation,
            issue_token(connection, aigerim, "t", NOW),
            issue_token(connection, bota, "t", NOW),
        )

    conversation, hers, colleague = await ws.run(seed)
    base = f"{ws.base}/api/staff/inbox"

    async def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession() as client,
            client.request(method, base + path, json=body, headers=headers) as response,
        ):
            return response.status, await response.json()

    status, listed = await call("GET", "", hers)
    assert status == 200 and [c["id"] for c in listed["conversations"]] == [conversation]
    assert listed["conversations"][0]["family"] == "Айгерім Сәрсенова"
    status, listed = await call("GET", "", colleague)
    assert status == 200 and listed["conversations"] == []
    assert (await call("GET", f"/{conversation}", colleague))[0] == 403
    assert (await call("POST", f"/{conversation}/answer", colleague, {"text": "x"}))[0] == 403
    assert (await call("POST", f"/{conversation}/back", colleague))[0] == 403

    status, refused = await call("POST", f"/{conversation}/answer", hers, {"text": "  "})
    assert status == 400 and refused["error"] == "the answer is empty"
    status, refused = await call("POST", f"/{conversation}/answer", hers, {"text": 5})
    assert status == 400
    status, queued = await call("POST", f"/{conversation}/answer", hers, {"text": "Сәлем!"})
    assert status == 202 and queued["queued"].startswith(f"inbox:{conversation}:")
    status, shown = await call("GET", f"/{conversation}", hers)
    assert status == 200 and shown["messages"][-1]["text"] == "Сәлем!"
    assert shown["messages"][-1]["by_worker"] is True and shown["first_answer_at"]
    assert (await call("POST", f"/{conversation}/back", hers))[0] == 200
    closed = await ws.run(lambda c: c.execute(select(INBOX.c.closed_at)).scalar_one())
    assert closed is not None
    assert (await call("POST", f"/{conversation}/answer", hers, {"text": "x"}))[0] == 403
    kinds = await ws.run(lambda c: c.execute(select(OUTBOX.c.kind)).scalars().all())
    assert kinds == ["inbox_reply"]
