"""A small local WhatsApp Cloud API: enough of it for the channel's tests and the benchmark.

It listens on 127.0.0.1 (a free port) and answers `POST /{phone-number-id}/messages` as the Cloud
API does (`{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}`),
after checking every request's shape: the bearer token, the number id, `messaging_product`,
`to` as digits, and per type the Cloud API's limits (a text of at most 4,096 characters; at most
three reply buttons with titles of at most 20; a list of at most ten rows with titles of at most
24 and a button label of at most 20; an interactive body of at most 1,024; a template with a
name, a language code and text parameters). A request of the wrong shape is answered with the
API's error 100 and kept in `violations`, which the tests expect to stay empty.

It can be told to answer a number with an error code (131026 not on WhatsApp, 131047 outside
the window, ...) or to rate-limit the next sends (130429)."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "wa-test-token"
NUMBER_ID = "1234567890"


@dataclass
class Call:
    to: str
    payload: dict[str, Any]
    status: int = 200
    wamid: str = ""
    at: float = field(default_factory=time.monotonic)

    @property
    def kind(self) -> str:
        if self.payload.get("type") == "interactive":
            return str(self.payload["interactive"]["type"])  # button | list
        return str(self.payload.get("type"))

    @property
    def body(self) -> str:
        if self.kind == "text":
            return str(self.payload["text"]["body"])
        if self.kind in ("button", "list"):
            return str(self.payload["interactive"]["body"]["text"])
        return ""

    @property
    def choices(self) -> list[str]:
        """The ids of a reply's buttons or rows."""
        action = self.payload.get("interactive", {}).get("action", {})
        if self.kind == "button":
            return [b["reply"]["id"] for b in action["buttons"]]
        if self.kind == "list":
            return [r["id"] for s in action["sections"] for r in s["rows"]]
        return []


def _shape_errors(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["the body is not a JSON object"]
    if payload.get("messaging_product") != "whatsapp":
        return ["messaging_product must be whatsapp"]
    to = payload.get("to")
    if not isinstance(to, str) or not to.isdecimal():
        return ["to must be the number's digits"]
    kind = payload.get("type")
    if kind == "text":
        body = payload.get("text", {}).get("body")
        if not isinstance(body, str) or not 0 < len(body) <= 4096:
            return ["text.body: 1 to 4096 characters"]
        return []
    if kind == "interactive":
        interactive = payload.get("interactive", {})
        body = interactive.get("body", {}).get("text")
        if not isinstance(body, str) or not 0 < len(body) <= 1024:
            return ["interactive.body.text: 1 to 1024 characters"]
        action = interactive.get("action", {})
        if interactive.get("type") == "button":
            buttons = action.get("buttons")
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                return ["buttons: 1 to 3"]
            for button in buttons:
                reply = button.get("reply", {})
                if button.get("type") != "reply" or not 0 < len(reply.get("title", "")) <= 20:
                    return ["a reply button's title: 1 to 20 characters"]
                if not 0 < len(reply.get("id", "")) <= 256:
                    return ["a reply button's id: 1 to 256 characters"]
            return []
        if interactive.get("type") == "list":
            if not 0 < len(action.get("button", "")) <= 20:
                return ["list button: 1 to 20 characters"]
            rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
            if not 1 <= len(rows) <= 10:
                return ["list rows: 1 to 10"]
            for row in rows:
                if not 0 < len(row.get("title", "")) <= 24 or not 0 < len(row.get("id", "")) <= 200:
                    return ["a row: title 1 to 24, id 1 to 200 characters"]
            return []
        return ["interactive.type: button or list"]
    if kind == "template":
        template = payload.get("template", {})
        if not isinstance(template.get("name"), str) or not template["name"]:
            return ["template.name required"]
        if template.get("language", {}).get("code") not in ("kk", "ru", "en"):
            return ["template.language.code: kk, ru or en"]
        for component in template.get("components", []):
            for parameter in component.get("parameters", []):
                value = parameter.get("text")
                if parameter.get("type") != "text" or not isinstance(value, str) or not value:
                    return ["template parameters: non-empty text"]
                if "\n" in value or len(value) > 1024:
                    return ["a template parameter: one line of at most 1024 characters"]
        return []
    return [f"type {kind!r} is not sent by Komek"]


class CloudApiStub:
    def __init__(self, token: str = TOKEN, number_id: str = NUMBER_ID) -> None:
        self.token = token
        self.number_id = number_id
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.errors: dict[str, list[int]] = {}  # number -> error codes for its next sends
        self.rate_limited = 0  # the next sends (to anyone) answered with 130429
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> CloudApiStub:
        app = web.Application()
        app.router.add_post("/{number}/messages", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def sent(self, to: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.status == 200 and (to is None or c.to == to)]

    def refused(self) -> list[Call]:
        return [c for c in self.calls if c.status != 200]

    async def wait_for(self, count: int, to: str | None = None, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(self.sent(to)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} message(s) expected, got {self.sent(to)}")
            await asyncio.sleep(0.01)
        return self.sent(to)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Invalid OAuth access token")
        if request.match_info["number"] != self.number_id:
            return self._error(400, 100, "Unknown phone number id")
        try:
            payload = await request.json()
        except ValueError:
            self.violations.append("not JSON")
            return self._error(400, 100, "Invalid parameter")
        problems = _shape_errors(payload)
        to = str(payload.get("to", "")) if isinstance(payload, dict) else ""
        call = Call(to, payload if isinstance(payload, dict) else {})
        self.calls.append(call)
        if problems:
            self.violations.extend(problems)
            call.status = 400
            return self._error(400, 100, "Invalid parameter")
        if self.rate_limited > 0:
            self.rate_limited -= 1
            call.status = 400
            return self._error(400, 130429, "Rate limit hit")
        queued = self.errors.get(to)
        if queued:
            code = queued.pop(0)
            call.status = 400
            return self._error(400, code, "Refused")
        call.wamid = f"wamid.{next(self._ids)}"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": call.wamid}],
            }
        )

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {"error": {"message": message, "type": "OAuthException", "code": code}},
            status=status,
        )
