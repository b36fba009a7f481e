"""Telegram and WhatsApp webhooks under load, run by `make bench`.

N simulated people each go through a whole self-assessment on the channel's webhook (12 messages,
from the first to the result), one message after another (the next only after the reply to the
previous has reached the provider's API), C people at a time. Replies are received by a local Bot
API or Cloud API stub in this process (WhatsApp's notifications are signed with the app secret, as
Meta signs them). Every step is durable: each update is recorded in the database before the
webhook answers 200. Printed per setup: updates/s, p50/p90/p99 end-to-end latency (update posted
-> reply received by the stub), replies vs sent, and the servers' RSS.

Setups: one worker on SQLite; two workers on PostgreSQL + Redis (skipped with a note when they are
not running). Targets on this machine: at least 500 updates/s with p99 under 100 ms on SQLite, and
more with two workers; replies equal sent. Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from bot.storage.db import make_engine, upgrade
from tests.bot.servers import Server

TOKEN = "123456:bench"
SECRET = "bench-secret"
# A whole self-assessment, from the first message to the result. Telegram gives the language
# (language_code), so its person starts at the consent; WhatsApp's first chooses the language.
ANSWERS = ["6", "34 32 7 2", "0", "2", "1", "90000", "1", "1", "1"]  # region ... review: all right
SCRIPTS = {
    "telegram": ["/start", "1", *ANSWERS, "menu"],
    "whatsapp": ["/start", "1", "1", *ANSWERS],
}
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"
WA_TOKEN = "bench-wa-token"
WA_NUMBER = "1000000001"
WA_SECRET = "bench-app-secret"


class Stub:
    """The Bot API as far as the channel uses it; resolves a waiter when a chat gets a reply."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self.replies = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        app.router.add_post("/{number}/messages", self.whatsapp)
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
        params: dict[str, Any] = dict(await request.post()) if request.can_read_body else {}
        if request.content_type == "application/json":
            params = await request.json()
        if method == "getMe":
            result: Any = {"id": 1, "is_bot": True, "first_name": "Komek", "username": "komek_bot"}
        elif method == "sendMessage":
            self.replies += 1
            chat = int(params["chat_id"])
            waiter = self.waiting.pop(chat, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.perf_counter())
            result = {
                "message_id": self.replies,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": "ok",
            }
        elif method == "getUpdates":
            result = []
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    async def whatsapp(self, request: web.Request) -> web.Response:
        """The Cloud API's messages endpoint: a waiter resolves when its number gets a reply."""
        payload = await request.json()
        self.replies += 1
        to = int(payload["to"])
        waiter = self.waiting.pop(to, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(time.perf_counter())
        return web.json_response(
            {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{self.replies}"}]}
        )


def whatsapp_notification(number: int, text: str, message_id: int) -> bytes:
    message = {
        "from": str(number),
        "id": f"wamid.in{message_id}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "start" if text == "/start" else text},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "77010000000", "phone_number_id": WA_NUMBER},
        "contacts": [{"profile": {"name": "A"}, "wa_id": str(number)}],
        "messages": [message],
    }
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
        }
    ).encode()


async def post_update(
    client: aiohttp.ClientSession, url: str, channel: str, *, chat: int, text: str, update_id: int
) -> int:
    """One message to the channel's webhook, as the provider sends it; the HTTP status."""
    if channel == "whatsapp":
        raw = whatsapp_notification(chat, text, update_id)
        signature = "sha256=" + hmac.new(WA_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        async with client.post(f"{url}/whatsapp/webhook", data=raw, headers=headers) as response:
            return response.status
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": "kk"},
            "text": text,
        },
    }
    async with client.post(
        f"{url}/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    ) as response:
        return response.status


async def person(
    client: aiohttp.ClientSession,
    servers: list[Server],
    stub: Stub,
    *,
    chat: int,
    counter: itertools.count[int],
    latencies: list[float],
    channel: str = "telegram",
) -> int:
    sent = 0
    workers = itertools.cycle(servers)
    loop = asyncio.get_running_loop()
    for text in SCRIPTS[channel]:
        update_id = next(counter)
        waiter: asyncio.Future[float] = loop.create_future()
        stub.waiting[chat] = waiter
        started = time.perf_counter()
        server = next(workers)
        status = await post_update(
            client, server.url, channel, chat=chat, text=text, update_id=update_id
        )
        if status != 200:
            raise RuntimeError(f"webhook answered {status}")
        sent += 1
        try:
            arrived = await asyncio.wait_for(waiter, timeout=10)
        except TimeoutError:
            continue
        latencies.append(arrived - started)
    return sent


def rss_mib(server: Server) -> tuple[float, float]:
    """(current, peak) resident set of a server process, MiB."""
    assert server.process is not None
    fields = {}
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return (
        int(fields["VmRSS"].split()[0]) / 1024,
        int(fields["VmHWM"].split()[0]) / 1024,
    )


async def run(  # noqa: PLR0917
    name: str, env: dict[str, str], workers: int, people: int, concurrency: int, channel: str
) -> None:
    stub = Stub()
    await stub.start()
    if channel == "whatsapp":
        env = {
            **env,
            "KOMEK_WHATSAPP_TOKEN": WA_TOKEN,
            "KOMEK_WHATSAPP_PHONE_NUMBER_ID": WA_NUMBER,
            "KOMEK_WHATSAPP_APP_SECRET": WA_SECRET,
            "KOMEK_WHATSAPP_VERIFY_TOKEN": "bench-verify",
            "KOMEK_WHATSAPP_API_URL": stub.url,
        }
    else:
        env = {
            **env,
            "KOMEK_TELEGRAM_TOKEN": TOKEN,
            "KOMEK_TELEGRAM_API_URL": stub.url,
            "KOMEK_TELEGRAM_WEBHOOK_SECRET": SECRET,
        }
    with tempfile.TemporaryDirectory() as tmp:
        servers = [Server(env, Path(tmp) / f"worker{n}.log") for n in range(workers)]
        await asyncio.gather(*(s.start() for s in servers))
        latencies: list[float] = []
        counter = itertools.count(1)
        gate = asyncio.Semaphore(concurrency)
        try:
            connector = aiohttp.TCPConnector(limit=concurrency * 2)
            async with aiohttp.ClientSession(connector=connector) as client:

                async def one(chat: int) -> int:
                    async with gate:
                        return await person(
                            client,
                            servers,
                            stub,
                            chat=chat,
                            counter=counter,
                            latencies=latencies,
                            channel=channel,
                        )

                started = time.perf_counter()
                first = 77011000000 if channel == "whatsapp" else 10_000  # WhatsApp: a phone
                sent = sum(await asyncio.gather(*(one(first + n) for n in range(people))))
                elapsed = time.perf_counter() - started
            memory = [rss_mib(s) for s in servers]
        finally:
            for server in servers:
                server.stop()
            await stub.close()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0

    print(
        f"\n  {channel}, {name}: {people} people × {len(SCRIPTS[channel])} messages,"
        f" {concurrency} at a time"
    )
    print(f"    updates/s          {sent / elapsed:8.0f}")
    print(
        f"    latency ms         p50 {pct(0.5):6.1f}   p90 {pct(0.9):6.1f}   p99 {pct(0.99):6.1f}"
        f"   mean {statistics.fmean(ordered) * 1000 if ordered else 0:6.1f}"
    )
    print(f"    replies / sent     {len(latencies)} / {sent}")
    for n, (now, peak) in enumerate(memory):
        print(f"    worker {n} RSS       {now:6.1f} MiB (peak {peak:.1f} MiB)")


async def postgres_database() -> str | None:
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    name = f"komek_bench_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return name


async def drop(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def main(people: int, concurrency: int, setup: str, channels: list[str]) -> None:
    print("Webhook load (every update recorded before its 200)")
    if setup in ("all", "sqlite"):
        for channel in channels:
            with tempfile.TemporaryDirectory() as tmp:
                await run(
                    "one worker, SQLite",
                    {"KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db"},
                    1,
                    people,
                    concurrency,
                    channel,
                )
    if setup == "sqlite":
        return
    for channel in channels:
        name = await postgres_database()
        if name is None:
            print("\n  two workers, PostgreSQL + Redis: skipped (PostgreSQL not reachable)")
            return
        try:
            await run(
                "two workers, PostgreSQL + Redis",
                {
                    "KOMEK_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
                    "KOMEK_REDIS_URL": REDIS_URL,
                },
                2,
                people,
                concurrency,
                channel,
            )
        finally:
            await drop(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--setup", choices=("all", "sqlite", "postgresql"), default="all")
    parser.add_argument("--channel", choices=("all", "telegram", "whatsapp"), default="all")
    arguments = parser.parse_args()
    chosen = ["telegram", "whatsapp"] if arguments.channel == "all" else [arguments.channel]
    asyncio.run(main(arguments.people, arguments.concurrency, arguments.setup, chosen))
