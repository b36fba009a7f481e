"""A small local Bot API: enough of Telegram for the channel's tests.

It listens on 127.0.0.1 (a free port), answers `POST /bot<token>/<method>` the way Telegram does
(`{"ok": true, "result": ...}`), records every call, serves `getUpdates` from a queue (long
polling up to the given timeout), and can be told to answer a chat's sendMessage with a 429 and a
retry_after, a 403 (the person blocked the bot), to hang (for timeouts), or to answer every
sendMessage slowly (`delay`)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class BotApiStub:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.flood: dict[int, tuple[int, int]] = {}  # chat -> (times left, retry_after)
        self.blocked: set[int] = set()
        self.hang: set[int] = set()
        self.delay = 0.0  # seconds every sendMessage takes (a slow Bot API)
        self.refuse_html = False  # answer parse_mode=HTML with "can't parse entities"
        self._changed = asyncio.Condition()
        self._closing = False
        self._message_id = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- what the tests ask of it ------------------------------------------------------------

    async def start(self, port: int = 0) -> BotApiStub:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        address = self._runner.addresses[0]
        self.url = f"http://127.0.0.1:{address[1]}"
        return self

    async def close(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def push(self, *updates: dict[str, Any]) -> None:
        async with self._changed:
            self.updates.extend(updates)
            self._changed.notify_all()

    def of(self, method: str) -> list[Call]:
        """The calls of `method` that succeeded."""
        return [c for c in self.calls if c.method == method and c.status == 200]

    def refused(self, method: str) -> list[Call]:
        """The calls of `method` answered with an error (429, 403)."""
        return [c for c in self.calls if c.method == method and c.status != 200]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.of("sendMessage")
            if chat_id is None or int(c.params["chat_id"]) == chat_id
        ]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The calls of `method` once there are `count` of them (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.of(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} {method} call(s) expected, got {self.of(method)}")
            await asyncio.sleep(0.01)
        return self.of(method)

    # -- the Bot API -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            raw = await request.json()
            params = dict(raw) if isinstance(raw, dict) else {}
        else:
            form = await request.post()
            params = {k: _decode(v) for k, v in form.items() if isinstance(v, str)}
            for name, value in form.items():  # uploaded files (sendDocument): name and bytes
                if isinstance(value, web.FileField):
                    params[name] = {"filename": value.filename, "content": value.file.read()}
        if method == "getUpdates":
            return await self._get_updates(params)
        call = Call(method, params)
        self.calls.append(call)
        if method == "getMe":
            return self._ok(
                {"id": 1, "is_bot": True, "first_name": "Komek", "username": "komek_test_bot"}
            )
        if method == "sendMessage":
            response = await self._send_message(params)
            call.status = response.status
            return response
        return self._ok(True)

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if self.delay:
            await asyncio.sleep(self.delay)
        if chat_id in self.hang:
            await asyncio.sleep(5)
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        if self.refuse_html and params.get("parse_mode") == "HTML":
            return self._error(400, "Bad Request: can't parse entities: unexpected end tag")
        left, retry_after = self.flood.get(chat_id, (0, 0))
        if left > 0:
            self.flood[chat_id] = (left - 1, retry_after)
            return self._error(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        self._message_id += 1
        return self._ok(
            {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": params.get("text", ""),
            }
        )

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if self.updates or left <= 0 or self._closing:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    break
        self.calls.append(Call("getUpdates", params))
        return self._ok(list(self.updates))

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, parameters: Any = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters is not None:
            body["parameters"] = parameters
        return web.json_response(body, status=status)
