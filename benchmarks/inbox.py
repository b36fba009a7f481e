"""A person when the bot is not enough, under load; run by `make bench`.

N families write to the Telegram webhook (a local Bot API stub receives the replies): each
consents, asks for a person ("человек") and names its region, so that N conversations wait in
Astana's shared queue. W social workers, signed in to the staff pages, work the queue side by
side as people would: open the inbox list, open a conversation, take it, answer it. Printed:

- the time to a first answer as the product measures it (a conversation handed over -> the
  worker's first answer, from the database: what /metrics and the charts page show), p50/p99/max;
- the latency of a worker's answer -> delivered to the family's chat (the form's POST -> the
  stub receiving that text through the outbox, the dispatcher and Telegram's rate limit),
  p50/p99/max;
- the staff pages' own times (list, conversation, take, answer), p50/p99.

SQLite, loopback only; it stops by itself (bounded in count and time).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import Connection, select

from bot.config import Config
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.staff.accounts import create
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import INBOX
from bot.web.keys import RUNNER
from tests.bot.telegram_stub import BotApiStub

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-inbox-secret"
PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
LINK = re.compile(r'href="/staff/inbox/(\d+)"')
FIRST_CHAT = 900_000
_updates = itertools.count(1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def line(name: str, values: list[float], unit: str = "ms", scale: float = 1000.0) -> str:
    return (
        f"  {name:<44} p50 {percentile(values, 0.5) * scale:8.1f} {unit}"
        f"  p99 {percentile(values, 0.99) * scale:8.1f} {unit}"
        f"  max {max(values, default=float('nan')) * scale:8.1f} {unit}  (n={len(values)})"
    )


async def family(client: aiohttp.ClientSession, base: str, chat: int) -> None:
    """One family: greeting, consent, a person, the region. Each message waits for the last."""
    for text in ("/start", "1", "человек", "Астана"):
        number = next(_updates)
        update = {
            "update_id": number,
            "message": {
                "message_id": number,
                "date": 1_790_000_000,
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": "ru"},
                "text": text,
            },
        }
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with client.post(base + "/telegram/webhook", json=update, headers=headers) as r:
            assert r.status == 200, r.status


async def sign_in(session: aiohttp.ClientSession, base: str, username: str) -> str:
    async with session.get(base + "/staff/login") as response:
        token = CSRF.search(await response.text())
    assert token is not None
    data = {"csrf": token.group(1), "username": username, "password": PASSWORD}
    async with session.post(base + "/staff/login", data=data) as response:
        page = await response.text()
        assert str(response.url).endswith("/staff/"), response.url
    token = CSRF.search(page)
    assert token is not None
    return token.group(1)


class Timer:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}

    async def fetch(
        self, session: aiohttp.ClientSession, name: str, method: str, url: str, **kwargs: Any
    ) -> str:
        started = time.perf_counter()
        async with session.request(method, url, **kwargs) as response:
            body = await response.text()
            assert response.status < 400, (name, response.status)
        self.times.setdefault(name, []).append(time.perf_counter() - started)
        return body


async def worker(
    base: str, username: str, claimed: set[int], sent: dict[str, float], timer: Timer
) -> None:
    """Work the queue until it is empty: the list, a conversation nobody took, take, answer."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        csrf = await sign_in(session, base, username)
        while True:
            listing = await timer.fetch(session, "inbox list", "GET", base + "/staff/inbox/list")
            free = [int(i) for i in LINK.findall(listing) if int(i) not in claimed]
            if not free:
                return
            conversation = free[-1]  # the oldest first: the list is newest activity first
            claimed.add(conversation)
            url = f"{base}/staff/inbox/{conversation}"
            await timer.fetch(session, "conversation page", "GET", url)
            await timer.fetch(session, "take", "POST", url + "/take", data={"csrf": csrf})
            text = f"Здравствуйте! Ответ №{conversation} от социального работника."
            sent[text] = time.monotonic()
            await timer.fetch(
                session, "answer", "POST", url + "/answer", data={"csrf": csrf, "text": text}
            )


def _first_answers(connection: Connection) -> list[float]:
    rows = connection.execute(select(INBOX.c.opened_at, INBOX.c.first_answer_at)).all()
    return [(b - a).total_seconds() for a, b in rows if b is not None]


async def main(families: int, workers: int, concurrency: int) -> int:
    translator = Translator()
    stub = await BotApiStub().start()
    with tempfile.TemporaryDirectory() as folder:
        config = Config(
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'inbox.db'}",
            telegram_token="123456:bench",
            telegram_api_url=stub.url,
            telegram_webhook_secret=SECRET,
            outbox_poll=0.05,
            secret_key="a-secret-key-for-the-inbox-benchmark-0123456789",
        )
        server = TestServer(create_app(config, translator))
        await server.start_server()
        runner = server.app[RUNNER]
        base = str(server.make_url("")).rstrip("/")
        try:
            async with asyncio.timeout(600):

                def seed(connection: Connection) -> None:
                    path = ROOT / "examples" / "offices.example.yaml"
                    records = read_office_records(path.name, path.read_bytes())
                    import_offices(connection, records, runner.clock())
                    for n in range(workers):
                        create(
                            connection,
                            username=f"worker{n}",
                            name=f"Worker {n}",
                            role="worker",
                            region="astana",
                            password=PASSWORD,
                            now=runner.clock(),
                        )

                await runner.db.run(seed)
                started = time.perf_counter()
                gate = asyncio.Semaphore(concurrency)
                async with aiohttp.ClientSession() as client:

                    async def one(chat: int) -> None:
                        async with gate:
                            await family(client, base, chat)

                    await asyncio.gather(*(one(FIRST_CHAT + n) for n in range(families)))
                # Each family got its three answers and the waiting notice.
                await stub.wait_for("sendMessage", 4 * families, timeout=120)
                asked = time.perf_counter() - started
                print(f"inbox: {families} families asked for a person in {asked:.1f} s")

                claimed: set[int] = set()
                sent: dict[str, float] = {}
                timer = Timer()
                before = len(stub.sent())
                started = time.perf_counter()
                await asyncio.gather(
                    *(worker(base, f"worker{n}", claimed, sent, timer) for n in range(workers))
                )
                await stub.wait_for("sendMessage", before + len(sent), timeout=120)
                worked = time.perf_counter() - started
                arrived = {str(c.params["text"]): c.at for c in stub.sent()[before:]}
                latency = [arrived[text] - at for text, at in sent.items() if text in arrived]
                first = await runner.db.run(_first_answers)
                print(
                    f"inbox: {workers} workers answered {len(sent)} conversations in "
                    f"{worked:.1f} s; {len(arrived)} answers reached Telegram"
                )
                print(line("time to first answer (handed over -> answer)", first, "s", 1.0))
                print(line("worker's answer -> delivered to the stub", latency))
                for name, values in timer.times.items():
                    print(line(f"page: {name}", values))
                return 0 if len(latency) == families == len(first) else 1
        finally:
            await server.close()
            await stub.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.families, args.workers, args.concurrency)))
