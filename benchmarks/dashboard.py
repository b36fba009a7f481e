"""The staff pages under a full office's data, run by `make bench`.

Seeds a SQLite database with 10,000 families in one social worker's caseload (a fifth of them
linked on Telegram), 1,000,000 messages over four months, 30,000 assessments, visits, five sent
campaigns of 10,000 recipients and 50,000 audit entries; starts the app in this process; signs
in a worker, a supervisor and an administrator; and times each page (the whole HTTP request,
as the browser waits for it) over repeated requests. Target: every page's p95 under 150 ms.
SQLite, loopback only, bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
from aiohttp.test_utils import TestServer
from sqlalchemy import Connection, select, update

from bot.clock import now
from bot.config import Config
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.staff.accounts import create as create_staff
from bot.staff.search import reindex
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import CASES, STAFF

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TARGET_MS = 150.0
OUTCOMES = ("eligible", "ineligible", "needs_review")
ACTIONS = ("family.view", "login", "campaign.send", "caseload.export")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def _stamp(moment: datetime) -> str:
    """A moment as SQLAlchemy keeps a `DateTime` on SQLite (the wall clock, no offset)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _instant(moment: datetime) -> str:
    """A moment as the `Instant` columns keep it on SQLite (UTC, no offset)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def seed(path: Path, families: int, messages: int, today: datetime) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    try:
        await upgrade(db.engine)

        def people(connection: Connection) -> None:
            offices = ROOT / "examples" / "offices.example.yaml"
            import_offices(
                connection, read_office_records(offices.name, offices.read_bytes()), today
            )
            for username, role, region in (
                ("worker", "worker", "astana"),
                ("super", "supervisor", "astana"),
                ("admin", "admin", None),
            ):
                create_staff(
                    connection,
                    username=username,
                    name=username.title(),
                    role=role,
                    region=region,
                    password=PASSWORD,
                    now=today,
                )
            connection.execute(
                update(STAFF).where(STAFF.c.username == "admin").values(totp_secret=SECRET)
            )

        await db.run(people)
    finally:
        await db.close()
    _bulk(path, families, messages, today)
    db = Database(url)
    try:

        def terms(connection: Connection) -> None:
            c = CASES.c
            reindex(connection, connection.execute(select(c.id, c.name, c.phone)))

        await db.run(terms)
    finally:
        await db.close()


def _bulk(path: Path, families: int, messages: int, today: datetime) -> None:
    """The rows, written straight through sqlite3 (the app's statements would take minutes)."""
    rng = random.Random(14)
    names = ("Айгүл", "Марат", "Асель", "Ерлан", "Дана", "Нұрлан", "Гүлнар", "Бота", "Иван")
    surnames = ("Сейітова", "Ахметов", "Нұрланова", "Жұмабаев", "Серікова", "Петров", "Омарова")
    languages = ("kk", "ru", "en")
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    made = _stamp(today)
    contacts: list[tuple[Any, ...]] = []
    cases: list[tuple[Any, ...]] = []
    for n in range(families):
        phone = f"+7701{n:07d}"
        language = languages[n % 3]
        contacts.append((n + 1, "sms", phone, language, n % 4 != 0, False, made, False))
        telegram = None
        if n % 5 == 0:
            telegram = families + n + 1
            contacts.append(
                (telegram, "telegram", str(900000 + n), language, True, False, made, False)
            )
        name = f"{rng.choice(names)} {rng.choice(surnames)} {n}"
        stamp = _instant(today)
        code = f"code{n:08d}"
        where = (phone, "astana", language, None, "2027-01-10", n + 1, telegram)
        cases.append((n + 1, 1, name, *where, code, stamp, stamp))
    db.executemany(
        "INSERT INTO contacts (id, channel, address, language, consent, opted_out, created_at,"
        " reminders) VALUES (?,?,?,?,?,?,?,?)",
        contacts,
    )
    db.executemany(
        "INSERT INTO cases (id, staff_id, name, phone, region, language, notes, next_reassessment,"
        " sms_contact_id, telegram_contact_id, link_code, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        cases,
    )
    contact_ids = [row[0] for row in contacts]
    channel_of = {row[0]: row[1] for row in contacts}
    batch: list[tuple[Any, ...]] = []
    span = 120 * 86400
    for i in range(messages):  # oldest first, as they arrive
        contact = contact_ids[rng.randrange(len(contact_ids))]
        at = _stamp(today - timedelta(seconds=span - i * span // messages))
        inbound = i % 2 == 0
        body, status = ("Сәлем", "processed") if inbound else ("Komek: жауап", "delivered")
        direction = "in" if inbound else "out"
        batch.append((contact, channel_of[contact], direction, body, status, at, at))
        if len(batch) == 100_000:
            _messages(db, batch)
            batch = []
    _messages(db, batch)
    # Written in time order, as the conversations write them.
    assessments = [
        (
            contact_ids[rng.randrange(len(contact_ids))],
            '{"date": "2026-11-20", "region": "astana", "members": [{"age": 30, "income": 10000}]}',
            json.dumps(
                {"status": rng.choice(OUTCOMES), "monthly_amount": 25000, "poverty_line": 35596}
            ),
            _stamp(today - timedelta(seconds=rng.randrange(84 * 86400))),
        )
        for _ in range(30_000)
    ]
    assessments.sort(key=lambda row: row[3])
    db.executemany(
        "INSERT INTO assessments (contact_id, household, result, created_at) VALUES (?,?,?,?)",
        assessments,
    )
    day = today.replace(hour=9, minute=0, second=0, microsecond=0)
    visits = []
    for d in range(-28, 7):
        for slot in range(16):
            start = day + timedelta(days=d, minutes=30 * slot)
            status = "booked" if d >= 0 else rng.choice(("attended", "no_show", "cancelled"))
            contact = contact_ids[rng.randrange(families)]
            end = start + timedelta(minutes=20)
            stamps = (_instant(start), _instant(end), 1, status, _instant(today), _instant(today))
            visits.append(("example-astana-1", contact, *stamps))
    db.executemany(
        "INSERT INTO appointments (office_id, contact_id, starts_at, ends_at, seat, status,"
        " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
        visits,
    )
    for campaign in range(1, 6):
        db.execute(
            "INSERT INTO campaigns (id, staff_id, name, template, texts, audience, status,"
            " created_at, sent_at) VALUES (?, 1, ?, 'quarterly', '{}', '{\"caseload\": true}',"
            " 'sending', ?, ?)",
            (campaign, f"Campaign {campaign}", _instant(today), _instant(today)),
        )
        stamp = _instant(today)
        payload = f'{{"campaign": {campaign}}}'
        db.executemany(
            "INSERT INTO outbox (key, contact_id, kind, payload, due_at, status, attempts,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (f"campaign:{campaign}:{c}", c, "campaign", payload, stamp, *_sent(c, stamp))
                for c in range(1, families + 1)
            ],
        )
    db.executemany(
        "INSERT INTO audit_log (staff_id, action, target, detail, at) VALUES (?,?,?,?,?)",
        [
            (1 + i % 3, rng.choice(ACTIONS), f"case {i}", "{}", _ago(today, i * 30))
            for i in range(50_000)
        ],
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _sent(contact: int, stamp: str) -> tuple[str, int, str, str]:
    """How a campaign's message went: one in fifty failed for good."""
    return ("failed" if contact % 50 == 0 else "sent", 1, stamp, stamp)


def _ago(today: datetime, seconds: int) -> str:
    return _instant(today - timedelta(seconds=seconds))


def _messages(db: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
    db.executemany(
        "INSERT INTO messages (contact_id, channel, direction, body, status, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?)",
        batch,
    )


async def sign_in(session: aiohttp.ClientSession, base: str, username: str) -> None:
    async with session.get(base + "/staff/login") as response:
        token = CSRF.search(await response.text())
    assert token is not None
    data = {"csrf": token.group(1), "username": username, "password": PASSWORD}
    async with session.post(base + "/staff/login", data=data) as response:
        page = await response.text()
        if str(response.url).endswith("/staff/totp"):
            token = CSRF.search(page)
            assert token is not None
            code = {"csrf": token.group(1), "code": pyotp.TOTP(SECRET).now()}
            async with session.post(base + "/staff/totp", data=code) as second:
                assert str(second.url).endswith("/staff/"), second.url
        else:
            assert str(response.url).endswith("/staff/"), response.url


async def time_pages(
    base: str, username: str, pages: list[tuple[str, str]], rounds: int
) -> list[tuple[str, str, list[float]]]:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await sign_in(session, base, username)
        found = []
        for name, path in pages:
            times = []
            for i in range(rounds + 2):
                started = time.perf_counter()
                async with session.get(base + path) as response:
                    await response.read()
                    assert response.status == 200, (path, response.status)
                if i >= 2:  # the first two warm the caches up
                    times.append((time.perf_counter() - started) * 1000)
            found.append((username, name, times))
        return found


WORKER_PAGES = [
    ("home", "/staff/"),
    ("caseload", "/staff/caseload"),
    ("caseload: name search", "/staff/caseload?q=сейіт"),
    ("caseload: phone digits", "/staff/caseload?q=0004567"),
    ("caseload: last 7 days, by last contact", "/staff/caseload?last=7&sort=last"),
    ("caseload: consent, eligible", "/staff/caseload?consent=yes&status=eligible"),
    ("caseload: never in touch", "/staff/caseload?last=never"),
    ("caseload: page 150", "/staff/caseload?page=150"),
    ("family", "/staff/families/1000"),
    ("campaigns", "/staff/campaigns"),
    ("campaign", "/staff/campaigns/5"),
    ("visits", "/staff/visits"),
    ("visits: hours", "/staff/visits?view=grid"),
]
SUPERVISOR_PAGES = [
    ("caseload (region)", "/staff/caseload"),
    ("poverty lines", "/staff/poverty-lines"),
    ("charts", "/staff/charts"),
    ("audit", "/staff/audit"),
    ("audit: one action", "/staff/audit?action=campaign.send"),
]
ADMIN_PAGES = [("home", "/staff/"), ("staff", "/staff/members"), ("charts", "/staff/charts")]


async def main(families: int, messages: int, rounds: int) -> int:
    today = now()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dashboard.db"
        started = time.perf_counter()
        await seed(path, families, messages, today)
        took = time.perf_counter() - started
        print(
            f"seeded {families:,} families, {messages:,} messages, 30,000 assessments,"
            f" 50,000 campaign messages, 50,000 audit entries in {took:.0f} s"
        )
        config = Config(
            database_url=f"sqlite+aiosqlite:///{path}",
            secret_key="benchmark-secret-key-0123456789-0123456789",
            outbox_poll=60,
        )
        server = TestServer(create_app(config, Translator()))
        await server.start_server()
        try:
            base = str(server.make_url("")).rstrip("/")
            results = await time_pages(base, "worker", WORKER_PAGES, rounds)
            results += await time_pages(base, "super", SUPERVISOR_PAGES, rounds)
            results += await time_pages(base, "admin", ADMIN_PAGES, rounds)
        finally:
            await server.close()
    print(f"\n{'who':<8} {'page':<42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    slow = 0
    for who, name, times in results:
        ordered = sorted(times)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        flag = "" if p95 < TARGET_MS else "  over the target"
        slow += p95 >= TARGET_MS
        print(
            f"{who:<8} {name:<42} {statistics.median(times):8.1f} {p95:8.1f}"
            f" {max(times):8.1f}{flag}"
        )
    print(
        f"\n{len(results) - slow} of {len(results)} pages under {TARGET_MS:.0f} ms at p95"
        f" ({rounds} requests each)"
    )
    return 1 if slow else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.families, args.messages, args.rounds)))
