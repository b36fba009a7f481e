"""A 100,000-recipient campaign, run by `make bench`.

Printed: the time to import the caseload and to create and queue the campaign; the dispatcher's
overhead per message against an in-process sink with the limits lifted (target: at least 2,000
messages/s); the rate it achieves against a 30/s Telegram limit through a local Bot API stub that
answers 429 to anything faster (target: within 5% of 30/s, no 429); and the process's memory
while it drains the 100,000 (target: flat, under 200 MB). SQLite, loopback only, bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Connection, func, select

from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.config import Config
from bot.conversation.runner import Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.delivery.ratelimit import ChannelLimit, LocalLimiter
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.parameters import default_store
from bot.staff.accounts import create as create_staff
from bot.staff.accounts import find
from bot.staff.campaigns import Audience, create, send
from bot.staff.caseload import import_caseload, read_caseload
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import CASES, CONTACTS, OUTBOX
from bot.web.metrics import Metrics

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def caseload_csv(people: int) -> bytes:
    lines = ["name,phone,region,language,case_notes,next_reassessment"]
    languages = ("kk", "ru", "en")
    lines += [
        f"Family {n},+7701{n:07d},astana,{languages[n % 3]},,2026-04-01" for n in range(people)
    ]
    return ("\n".join(lines) + "\n").encode()


async def prepare(db: Database, people: int) -> tuple[int, float, float]:
    await upgrade(db.engine)

    def staff(connection: Connection) -> None:
        create_staff(
            connection,
            username="worker",
            name="Worker",
            role="worker",
            region="astana",
            password="a long password",
            now=NOW,
        )

    await db.run(staff)
    data = caseload_csv(people)
    started = time.perf_counter()

    member = await db.run(lambda connection: find(connection, "worker"))
    assert member is not None
    # Nothing else runs here: the import need not step aside for conversations.
    report = await import_caseload(db, member, read_caseload("cases.csv", data), NOW, pause=0)
    imported = time.perf_counter() - started
    assert report.added == people, report.rejected[:3]
    started = time.perf_counter()
    queued = await db.run(queue_campaign)
    return queued, imported, time.perf_counter() - started


def queue_campaign(connection: Connection) -> int:
    member = find(connection, "worker")
    assert member is not None
    campaign_id = create(
        connection,
        member,
        name="new quarter",
        template="quarterly",
        texts={},
        audience=Audience(),
        now=NOW,
    )
    return send(connection, member, campaign_id, NOW)


def left(connection: Connection) -> int:
    o = OUTBOX.c
    return int(
        connection.execute(
            select(func.count()).where(o.status.in_(("pending", "sending")))
        ).scalar_one()
    )


async def overhead(people: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/campaign.db")
        queued, imported, created = await prepare(db, people)
        print(f"  caseload of {people:,} imported in {imported:.1f} s")
        print(f"  campaign created and {queued:,} messages queued in {created:.2f} s")
        runner = Runner(db, default_store(), Translator(), lambda: NOW)
        received = 0

        async def sink(address: str, replies: list[Outgoing]) -> None:
            nonlocal received
            received += len(replies)
            await runner.mark_many([r.message_id for r in replies], "sent")

        runner.senders["sms"] = sink
        dispatcher = Dispatcher(runner, renderers(runner.translator), batch=500, parallel=64)
        memory: list[float] = [rss_mib()]
        started = time.perf_counter()
        while await dispatcher.dispatch_once():
            memory.append(rss_mib())
        elapsed = time.perf_counter() - started
        assert await db.run(left) == 0 and received == queued
        await db.close()
    print(
        f"  dispatcher, limits lifted: {queued:,} messages in {elapsed:.1f} s = "
        f"{queued / elapsed:,.0f} messages/s (target ≥ 2,000)"
    )
    tenth = memory[len(memory) // 10]
    print(
        f"  memory while draining: {memory[0]:.0f} MiB at start, {tenth:.0f} MiB at 10%, "
        f"{memory[-1]:.0f} MiB at the end, peak {max(memory):.0f} MiB (target: flat, < 200 MB)"
    )


class StrictBotApi:
    """The Bot API, answering 429 to a 31st message within any second."""

    def __init__(self, limit: int = 30) -> None:
        self.limit = limit
        self.window: deque[float] = deque()
        self.sent: list[float] = []
        self.refused = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: Any = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            params = dict(await request.post())
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "Komek", "username": "komek_bot"}
            return web.json_response({"ok": True, "result": me})
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            self.refused += 1
            return web.json_response(
                {"ok": False, "error_code": 429, "description": "Too Many Requests",
                 "parameters": {"retry_after": 1}},
                status=429,
            )  # fmt: skip
        self.window.append(now)
        self.sent.append(now)
        chat = {"id": int(params["chat_id"]), "type": "private"}
        result = {"message_id": len(self.sent), "date": int(time.time()), "chat": chat}
        return web.json_response({"ok": True, "result": result})


async def telegram_rate(messages: int) -> None:
    api = StrictBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/rate.db")
        await prepare(db, messages)
        # Every case linked to a Telegram chat, as the families' deep links would; then the
        # campaign again, now to Telegram.
        await db.run(_link_all_to_telegram)
        await db.run(queue_campaign)
        runner = Runner(db, default_store(), Translator(), lambda: NOW)
        rate = Config().telegram_rate  # the default the server uses
        runner.limiter = LocalLimiter({"telegram": ChannelLimit(rate, per_chat=1.0)})
        async with aiohttp.ClientSession() as session:
            bot = make_bot("123456:bench", api.url, session)
            await bot.initialize()
            channel = TelegramChannel(bot, runner, Metrics(runner.translator))
            runner.senders["telegram"] = lambda chat, replies: channel.deliver(int(chat), replies)
            dispatcher = Dispatcher(
                runner, renderers(runner.translator), limiter=runner.limiter, batch=60
            )
            while await dispatcher.dispatch_once():
                pass
            await bot.shutdown()
        await db.close()
    await api.close()
    span = api.sent[-1] - api.sent[0]
    rate = (len(api.sent) - 1) / span if span else 0.0
    print(
        f"  against a 30/s Telegram limit: {len(api.sent):,} sent in {span:.1f} s = "
        f"{rate:.2f} messages/s ({(rate / 30 - 1) * 100:+.1f}%), {api.refused} answered 429"
        " (target: within 5% of 30/s, no 429)"
    )


def _link_all_to_telegram(connection: Connection) -> None:
    from sqlalchemy import insert, update  # noqa: PLC0415

    for (case_id,) in connection.execute(select(CASES.c.id)).all():
        contact = connection.execute(
            insert(CONTACTS)
            .values(
                channel="telegram",
                address=str(100_000 + case_id),
                language="kk",
                consent=True,
                opted_out=False,
                created_at=NOW,
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        connection.execute(
            update(CASES).where(CASES.c.id == case_id).values(telegram_contact_id=contact)
        )
    connection.execute(OUTBOX.delete())


async def main(people: int, telegram: int) -> None:
    print("Campaigns: caseload, queue, dispatcher")
    await overhead(people)
    await telegram_rate(telegram)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  process peak RSS over the whole run: {peak:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--telegram", type=int, default=300, help="messages for the 30/s run")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.people, arguments.telegram))
