"""The web chat: the same conversation in a browser page (`GET /`), which posts each message to
`POST /api/chat` and shows the replies with their buttons."""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from typing import Any

from aiohttp import web

from bot.conversation.runner import InboundMessage
from bot.web.keys import METRICS, RUNNER

MAX_BODY = 16 * 1024
CONVERSATION_ID = re.compile(r"^[0-9a-f]{16,64}$")


async def chat_page(request: web.Request) -> web.Response:
    html = resources.files("bot.channels.webchat").joinpath("chat.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def chat_api(request: web.Request) -> web.Response:
    """The web chat: {"conversation", "text", "choice", "language", "message_id"} in, the
    replies out. Bad input gets a 4xx with a reason, never a 500."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.json_response({"error": "request too large"}, status=413)
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return web.json_response({"error": "request too large"}, status=413)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _bad("the body must be JSON in UTF-8")
    if not isinstance(data, dict):
        return _bad("the body must be a JSON object")
    conversation = data.get("conversation")
    if not isinstance(conversation, str) or not CONVERSATION_ID.match(conversation):
        return _bad("conversation must be 16 to 64 hexadecimal characters")
    text_value = data.get("text", "")
    choice = data.get("choice")
    language = data.get("language")
    message_id = data.get("message_id")
    if not isinstance(text_value, str) or len(text_value) > 2000:
        return _bad("text must be a string of at most 2000 characters")
    if choice is not None and (not isinstance(choice, str) or len(choice) > 64):
        return _bad("choice must be a short string")
    if language is not None and not isinstance(language, str):
        return _bad("language must be a string")
    if message_id is not None and (not isinstance(message_id, str) or len(message_id) > 128):
        return _bad("message_id must be a string of at most 128 characters")
    metrics = request.app[METRICS]
    metrics.messages_in.labels("web").inc()
    started = time.perf_counter()
    replies = await request.app[RUNNER].handle(
        InboundMessage(
            channel="web",
            address=conversation,
            text=text_value,
            external_id=message_id,
            choice=choice,
            language_hint=(language or None),
        )
    )
    await request.app[RUNNER].mark_many([reply.message_id for reply in replies], "sent")
    metrics.messages_out.labels("web").inc(len(replies))
    metrics.latency.labels("web").observe(time.perf_counter() - started)
    return web.json_response(
        dumps=_json_text,
        data={
            "replies": [
                {"text": r.text, "choices": [{"key": k, "label": lbl} for k, lbl in r.choices]}
                for r in replies
            ]
        },
    )


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def setup(app: web.Application) -> None:
    app.router.add_get("/", chat_page)
    app.router.add_post("/api/chat", chat_api)
