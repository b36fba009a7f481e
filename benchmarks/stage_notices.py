"""A spreadsheet of 5,000 stage changes, run by `make bench`.

Printed: the time to import the file (each row recorded with its notice queued and audited, in
transactions of 100 rows); the rate at which the dispatcher writes and hands over the notices
(each read back from its change and rendered in the family's language) to an in-process sink
with the limits lifted; and the rate through a local Telegram Bot API stub that answers 429 past
30 messages a second, for a sample, with the server's default limits (target: within 5% of 30/s,
no 429). SQLite, loopback only, bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime

import aiohttp
from sqlalchemy import Connection, insert, select

from benchmarks.campaign import StrictBotApi
from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.config import Config
from bot.conversation.runner import Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.delivery.ratelimit import ChannelLimit, LocalLimiter
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.parameters import default_store
from bot.staff.accounts import Member, create
from bot.staff.stage_import import import_stage_changes, read_stage_changes
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import CASES, CONTACTS, OUTBOX
from bot.web.metrics import Metrics

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
TODAY = date(2026, 11, 26)
LANGUAGES = ("kk", "ru", "en")


def seed(families: int) -> Callable[[Connection], Member]:
    """A worker and `families` cases on Telegram with case numbers; the worker."""

    def work(connection: Connection) -> Member:
        staff_id = create(
            connection,
            username="worker",
            name="Worker",
            role="worker",
            region="astana",
            password="a long password",
            now=NOW,
        )
        connection.execute(
            insert(CONTACTS),
            [
                {
                    "channel": "telegram",
                    "address": str(100_000 + n),
                    "language": LANGUAGES[n % 3],
                    "consent": True,
                    "opted_out": False,
                    "created_at": NOW,
                }
                for n in range(families)
            ],
        )
        ids = dict(connection.execute(select(CONTACTS.c.address, CONTACTS.c.id)).all())
        connection.execute(
            insert(CASES),
            [
                {
                    "staff_id": staff_id,
                    "name": f"Family {n}",
                    "phone": f"+7701{n:07d}",
                    "region": "astana",
                    "language": LANGUAGES[n % 3],
                    "telegram_contact_id": ids[str(100_000 + n)],
                    "link_code": f"code{n}",
                    "case_number": f"N-{n:05d}",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(families)
            ],
        )
        return Member(staff_id, "worker", "Worker", "worker", "astana")

    return work


def changes_csv(families: int) -> bytes:
    """A change a family, of each kind that carries fields (assigned, refused) and the rest."""
    rows = ["номер дела;этап;дата;сумма;месяцев;вид помощи;причина"]
    for n in range(families):
        if n % 3 == 0:
            rows.append(f"N-{n:05d};assigned;25.11.2026;{37060 + n};2;conditional;")
        elif n % 3 == 1:
            rows.append(f"N-{n:05d};refused;25.11.2026;;;;доход выше черты бедности")
        else:
            rows.append(f"N-{n:05d};commission_review;25.11.2026;;;;")
    return ("\n".join(rows) + "\n").encode("cp1251")


async def prepared(path: str, families: int) -> tuple[Database, int, float]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db.engine)
    worker = await db.run(seed(families))
    data = changes_csv(families)
    started = time.perf_counter()
    report = await import_stage_changes(
        db, worker, read_stage_changes("asp.csv", data), NOW, TODAY, pause=0
    )
    elapsed = time.perf_counter() - started
    assert report.changed == families and not report.rejected, report.rejected[:3]
    return db, report.changed, elapsed


async def through_sink(families: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db, changed, imported = await prepared(f"{tmp}/stages.db", families)
        print(
            f"  {changed:,} stage changes imported in {imported:.1f} s = "
            f"{changed / imported:,.0f} rows/s (each recorded, audited and its notice queued)"
        )
        runner = Runner(db, default_store(), Translator(), lambda: NOW)
        received = 0

        async def sink(address: str, replies: list[Outgoing]) -> None:
            nonlocal received
            received += len(replies)
            await runner.mark_many([r.message_id for r in replies], "sent")

        runner.senders["telegram"] = sink
        dispatcher = Dispatcher(runner, renderers(runner.translator), batch=500, parallel=64)
        started = time.perf_counter()
        while await dispatcher.dispatch_once():
            pass
        elapsed = time.perf_counter() - started
        assert received == changed, (received, changed)
        await db.close()
    print(
        f"  dispatcher, limits lifted: {received:,} notices rendered and handed over in "
        f"{elapsed:.1f} s = {received / elapsed:,.0f} notices/s"
    )


async def through_telegram(sample: int) -> None:
    api = StrictBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        db, changed, _ = await prepared(f"{tmp}/telegram.db", sample)
        runner = Runner(db, default_store(), Translator(), lambda: NOW)
        runner.limiter = LocalLimiter(
            {"telegram": ChannelLimit(Config().telegram_rate, per_chat=1.0)}
        )
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

        def left(connection: Connection) -> int:
            o = OUTBOX.c
            return len(connection.execute(select(o.id).where(o.status != "sent")).all())

        assert await db.run(left) == 0
        await db.close()
    await api.close()
    span = api.sent[-1] - api.sent[0]
    rate = (len(api.sent) - 1) / span if span else 0.0
    print(
        f"  to the Telegram stub at the 30/s limit: {len(api.sent):,} of {changed:,} notices in "
        f"{span:.1f} s = {rate:.2f} notices/s ({(rate / 30 - 1) * 100:+.1f}%), "
        f"{api.refused} answered 429 (target: within 5% of 30/s, no 429)"
    )


async def main(families: int, telegram: int) -> None:
    print("Stage notices: a spreadsheet of stage changes, recorded and told")
    await through_sink(families)
    await through_telegram(telegram)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=5000)
    parser.add_argument("--telegram", type=int, default=300, help="notices for the 30/s run")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.families, arguments.telegram))
