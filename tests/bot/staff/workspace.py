"""The staff pages under test: the app on a fresh SQLite database with the example offices, a
few members of staff and their families, and an `Agent` per person, a browser without
JavaScript: it keeps its cookies, fills each form's CSRF token from the page it came from, and
follows redirects."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
from aiohttp.test_utils import TestServer
from sqlalchemy import Connection, select, update
from yarl import URL

from bot.config import Config
from bot.conversation.runner import Runner
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.staff.accounts import Member, create, find
from bot.staff.caseload import CaseRow, import_caseload
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import AUDIT, CASES, STAFF
from bot.web.keys import RUNNER

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_OFFICES = ROOT / "examples" / "offices.example.yaml"
NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # a Thursday
PASSWORD = "correct horse battery"
ADMIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STAFF_ROWS = (
    ("root", "admin", None),
    ("aigerim", "worker", "astana"),
    ("bota", "worker", "astana"),
    ("dana", "worker", "almaty"),
    ("sara", "supervisor", "astana"),
    ("marat", "supervisor", "almaty"),
)
FAMILIES = {
    "aigerim": [
        CaseRow("Айгерім Сәрсенова", "+77011110001", "astana", "kk", "мүгедектігі бар бала", None),
        CaseRow("Иван Петров", "+77011110002", "astana", "ru", None, None),
        CaseRow('=HYPERLINK("http://x")', "+77011110003", "astana", "en", None, None),
    ],
    "bota": [CaseRow("Бота Серікова", "+77011110009", "astana", "ru", None, None)],
    "dana": [CaseRow("Дана Нұрланқызы", "+77021110001", "almaty", "kk", None, None)],
}
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Page:
    status: int
    url: str
    text: str
    headers: Any

    @property
    def csrf(self) -> str:
        found = CSRF.search(self.text)
        assert found is not None, "the page has no form"
        return found.group(1)

    def has(self, words: str) -> bool:
        return words in unescape(self.text)


@dataclass
class Agent:
    """One person's browser, without JavaScript."""

    session: aiohttp.ClientSession
    base: str
    last: Page | None = None

    async def get(self, path: str) -> Page:
        async with self.session.get(self.base + path) as response:
            body = await response.read()
            text = body.decode("utf-8", "replace")
            page = Page(response.status, str(response.url), text, response.headers)
        if response.content_type == "text/html":
            self.last = page
        return page

    async def raw(self, path: str) -> tuple[int, bytes, Any]:
        async with self.session.get(self.base + path) as response:
            return response.status, await response.read(), response.headers

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        csrf: str | None = None,
        form: str | None = None,
    ) -> Page:
        """POST a form; its token is the one on the page last seen (or on `form`, fetched)."""
        if csrf is None:
            source = await self.get(form) if form is not None else self.last
            assert source is not None
            csrf = source.csrf
        body = {"csrf": csrf, **(data or {})}
        async with self.session.post(self.base + path, data=body) as response:
            self.last = Page(
                response.status, str(response.url), await response.text(), response.headers
            )
        return self.last

    async def upload(self, path: str, filename: str, content: bytes) -> Page:
        source = await self.get(path)
        form = aiohttp.FormData()
        form.add_field("csrf", source.csrf)
        form.add_field("file", content, filename=filename)
        async with self.session.post(self.base + path, data=form) as response:
            self.last = Page(
                response.status, str(response.url), await response.text(), response.headers
            )
        return self.last


@dataclass
class Workspace:
    server: TestServer
    runner: Runner
    clock: Clock
    cases: dict[str, list[int]] = field(default_factory=dict)
    agents: list[Agent] = field(default_factory=list)

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def agent(self, language: str | None = "en") -> Agent:
        """A browser; asking for English pages unless `language` is None (the server's choice)."""
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        if language is not None:
            session.cookie_jar.update_cookies({"komek_lang": language}, URL(self.base + "/staff/"))
        made = Agent(session, self.base)
        self.agents.append(made)
        return made

    async def signed_in(self, username: str, password: str = PASSWORD) -> Agent:
        """An agent of `username`, through the sign-in (and the second step for the admin)."""
        agent = await self.agent()
        page = await agent.post(
            "/staff/login",
            {"username": username, "password": password, "next": "/staff/"},
            form="/staff/login",
        )
        if page.url.endswith("/staff/totp"):
            page = await agent.post("/staff/totp", {"code": self.code()})
        assert page.status == 200 and page.url.endswith("/staff/"), (page.status, page.url)
        return agent

    def code(self, offset: int = 0) -> str:
        return pyotp.TOTP(ADMIN_SECRET).at(self.clock.now.timestamp() + 30 * offset)

    async def run(self, work: Any) -> Any:
        return await self.runner.db.run(work)

    async def audit(self) -> list[tuple[str | None, str, str]]:
        def work(connection: Connection) -> list[tuple[str | None, str, str]]:
            a, s = AUDIT.c, STAFF.c
            rows = connection.execute(
                select(s.username, a.action, a.target)
                .select_from(AUDIT.outerjoin(STAFF, s.id == a.staff_id))
                .order_by(a.id)
            )
            return [(r.username, r.action, r.target) for r in rows]

        result: list[tuple[str | None, str, str]] = await self.run(work)
        return result


def _seed(connection: Connection) -> None:
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())
    import_offices(connection, records, NOW)
    for username, role, region in STAFF_ROWS:
        create(
            connection,
            username=username,
            name=username.title(),
            role=role,
            region=region,
            password=PASSWORD,
            now=NOW,
        )
    connection.execute(
        update(STAFF).where(STAFF.c.username == "root").values(totp_secret=ADMIN_SECRET)
    )


def _member(username: str) -> Callable[[Connection], Member]:
    def work(connection: Connection) -> Member:
        member = find(connection, username)
        assert member is not None
        return member

    return work


def _case_ids(member: Member) -> Callable[[Connection], list[int]]:
    def work(connection: Connection) -> list[int]:
        c = CASES.c
        rows = connection.execute(select(c.id).where(c.staff_id == member.id).order_by(c.id))
        return [int(i) for i in rows.scalars()]

    return work


@asynccontextmanager
async def workspace(
    tmp_path: Path, translator: Translator, **settings: Any
) -> AsyncIterator[Workspace]:
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
        outbox_poll=60,
        secret_key="a-secret-key-for-the-staff-page-tests-0123456789",
        **settings,
    )
    app = create_app(config, translator)
    server = TestServer(app)
    await server.start_server()
    runner: Runner = app[RUNNER]
    clock = Clock(NOW)
    runner.clock = clock
    found = Workspace(server, runner, clock)
    try:
        await runner.db.run(_seed)
        for username, rows in FAMILIES.items():
            member = await runner.db.run(_member(username))
            await import_caseload(runner.db, member, list(enumerate(rows, 2)), NOW)
            found.cases[username] = await runner.db.run(_case_ids(member))
        yield found
    finally:
        for agent in found.agents:
            await agent.session.close()
        await server.close()
