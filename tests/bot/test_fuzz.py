"""No request makes a 500: arbitrary JSON bodies and query strings thrown at every route of the
app (with and without a staff token), by Hypothesis. The server runs in a thread of its own, on
a real port, the way a client meets it."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Config
from bot.server import create_app
from bot.staff.accounts import create, find, issue_token
from bot.web.keys import RUNNER

NOW_TEXT = "2026-11-26T10:00:00+05:00"

# Text as clients can send it in JSON: lone surrogate halves and NUL included.
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Objects shaped like what the routes read, with arbitrary values in their fields.
FIELDS = ("conversation", "text", "choice", "language", "message_id", "name", "template")
shaped = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5)
bodies = (
    st.one_of(json_values, shaped).map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
queries = st.dictionaries(
    st.sampled_from(
        (
            "token",
            "from",
            "text",
            "id",
            "charset",
            "coding",
            "office",
            "date",
            "filename",
            "username",
            "status",
            "recipients",
        )
    ),
    any_text,
    max_size=5,
)
segments = any_text


class Running:
    """The app served on a free port from a thread with its own event loop."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self.token = ""
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._started.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        runner = self.app[RUNNER]

        def seed(connection: Any) -> str:
            from datetime import datetime  # noqa: PLC0415

            now = datetime.fromisoformat(NOW_TEXT)
            create(
                connection,
                username="root",
                name="Root",
                role="admin",
                region=None,
                password="a long enough password",
                now=now,
            )
            member = find(connection, "root")
            assert member is not None
            return issue_token(connection, member, "fuzz", now)

        self.token = await runner.db.run(seed)

    def start(self) -> Running:
        self._thread.start()
        assert self._started.wait(20), "the server did not start"
        return self

    def stop(self) -> None:
        async def stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(20)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    config = Config(
        database_url=f"sqlite+aiosqlite:///{folder / 'komek.db'}",
        sms_token="fuzz-token",
        outbox_poll=60,
        web_new_per_minute=100_000,
    )
    server = Running(create_app(config)).start()
    yield server
    server.stop()


def _routes(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path") or info.get("prefix")
        if path and route.method in ("GET", "POST"):
            found.append((route.method, str(path)))
    return sorted(set(found))


def _request(
    running: Running, method: str, path: str, *, query: dict[str, str], body: bytes, auth: bool
) -> int:
    # A lone surrogate cannot be UTF-8: it goes as the bytes "surrogatepass" gives (not UTF-8),
    # which the server must turn away as it would any other bytes.
    encoded = urllib.parse.urlencode(query, errors="surrogatepass") if query else ""
    url = running.url + path + ("?" + encoded if encoded else "")
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = f"Bearer {running.token}"
    request = urllib.request.Request(
        url, data=body if method == "POST" else None, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_app_has_the_routes_this_test_knows(running: Running) -> None:
    paths = {path for _, path in _routes(running.app)}
    assert {"/api/chat", "/sms/kannel", "/api/staff/campaigns", "/readyz"} <= paths


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    choice=st.integers(min_value=0),
    segment=segments,
    query=queries,
    body=bodies,
    auth=st.booleans(),
)
def test_no_request_makes_a_500(
    running: Running, *, choice: int, segment: str, query: dict[str, str], body: bytes, auth: bool
) -> None:
    routes = _routes(running.app)
    method, template = routes[choice % len(routes)]
    filled = template
    for name in ("{id}", "{conversation}", "{username}", "{filename}"):
        filled = filled.replace(
            name, urllib.parse.quote(segment or "x", safe="", errors="surrogatepass")
        )
    if "token" in query and template == "/sms/kannel" and auth:
        query = {**query, "token": "fuzz-token"}
    status = _request(running, method, filled, query=query, body=body, auth=auth)
    assert status < 500, (method, filled, query, body[:80], status)
