"""The web chat: the same conversation in a browser page (`GET /`, its script and style under
`/static/webchat/`), which posts each message to `POST /api/chat` and, when it opens, asks
`GET /api/chat/{conversation}` for what the conversation holds: the messages so far that still
have their text, and any reply whose request died before it could carry it.

A conversation is a random id the page keeps; a message id is the page's own, unique within the
conversation (a repeated one gets the stored replies, never a second turn). Replies are marked
sent only once the response carrying them has been written.
"""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.conversation import redelivery
from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.senders import Outgoing
from bot.web.keys import METRICS, RUNNER, THROTTLE
from bot.web.requests import BodyError, json_error, read_json_object, respond
from dialogs.engine import MAX_TEXT
from dialogs.text import Text, msg

CHANNEL = "web"
MAX_BODY = 16 * 1024
CONVERSATION_ID = re.compile(r"^[0-9a-f]{16,64}$")
MAX_MESSAGE_ID = 60  # stored as "<conversation>:<message id>", within the column's 128
HISTORY = 30
STATIC = Path(str(resources.files("bot.channels.webchat").joinpath("static")))


def too_long() -> Text:
    return msg(
        "This message is too long for me to read. Please write it in a few words, "
        "in under {limit} characters.",
        limit=MAX_TEXT,
    )


# Before a conversation exists its language is not known: said in all three.
TOO_MANY = (
    "Көп сұрау келді, бір минуттан соң қайталаңыз. "
    "Слишком много запросов, попробуйте через минуту. "
    "Too many requests; please try again in a minute."
)


async def chat_page(request: web.Request) -> web.Response:
    html = resources.files("bot.channels.webchat").joinpath("chat.html").read_text("utf-8")
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def _reply_json(reply: Outgoing) -> dict[str, Any]:
    return {"text": reply.text, "choices": [{"key": k, "label": lbl} for k, lbl in reply.choices]}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _string(data: dict[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BodyError(400, f"{name} must be a string of at most {limit} characters")
    return value


async def chat_api(request: web.Request) -> web.StreamResponse:
    """{"conversation", "text", "choice", "language", "message_id"} in, the replies out. Bad
    input gets a 4xx with a reason, never a 500; what a person typed too long gets a polite
    sentence in their language."""
    try:
        data = await read_json_object(request, MAX_BODY)
        conversation = data.get("conversation")
        if not isinstance(conversation, str) or not CONVERSATION_ID.match(conversation):
            raise BodyError(400, "conversation must be 16 to 64 hexadecimal characters")
        text_value = data.get("text", "")
        if not isinstance(text_value, str):
            raise BodyError(400, "text must be a string")
        choice = _string(data, "choice", 64)
        language = _string(data, "language", 16)
        message_id = _string(data, "message_id", MAX_MESSAGE_ID)
    except BodyError as error:
        return error.response()
    runner = request.app[RUNNER]
    new = not await runner.known(CHANNEL, conversation)
    if new and not await request.app[THROTTLE].allow(request.remote or "unknown"):
        return json_error(429, TOO_MANY, **{"Retry-After": "60"})
    if len(text_value) > MAX_TEXT:
        spoken = await runner.language_of(CHANNEL, conversation) or language or "ru"
        said = runner.translator.render(too_long(), spoken)
        return web.json_response({"replies": [{"text": said, "choices": []}]}, dumps=_dumps)
    metrics = request.app[METRICS]
    metrics.messages_in.labels(CHANNEL).inc()
    started = time.perf_counter()
    replies = await runner.handle(
        InboundMessage(
            channel=CHANNEL,
            address=conversation,
            text=text_value,
            external_id=None if message_id is None else f"{conversation}:{message_id}",
            choice=choice,
            language_hint=language or None,
        )
    )
    metrics.latency.labels(CHANNEL).observe(time.perf_counter() - started)
    response = web.json_response({"replies": [_reply_json(r) for r in replies]}, dumps=_dumps)
    return await _carry(request, runner, response, replies)


async def _carry(
    request: web.Request, runner: Runner, response: web.Response, replies: list[Outgoing]
) -> web.StreamResponse:
    """Write the response now and mark its replies sent once it has left; a page whose request
    died finds them waiting when it asks again."""
    if replies and await respond(request, response):
        await runner.mark_many([reply.message_id for reply in replies], "sent")
        request.app[METRICS].messages_out.labels(CHANNEL).inc(len(replies))
    return response


async def conversation_view(request: web.Request) -> web.StreamResponse:
    """What the page shows when it opens: the messages so far that still have their text (for
    a person who consented; and replies not yet delivered, which this response delivers)."""
    conversation = request.match_info["conversation"]
    if not CONVERSATION_ID.match(conversation):
        return json_error(400, "conversation must be 16 to 64 hexadecimal characters")
    runner = request.app[RUNNER]
    rows = await runner.db.run(redelivery.conversation_of(CHANNEL, conversation, HISTORY))
    messages = [
        {"from": "me", "text": text}
        if direction == "in"
        else {"from": "bot", "text": text, "choices": [{"key": k, "label": v} for k, v in choices]}
        for _, direction, text, choices, _ in rows
    ]
    waiting = [
        Outgoing(message_id, text, choices)
        for message_id, direction, text, choices, status in rows
        if direction == "out" and status == "queued"
    ]
    response = web.json_response({"messages": messages}, dumps=_dumps)
    return await _carry(request, runner, response, waiting)


def setup(app: web.Application) -> None:
    app.router.add_get("/", chat_page, name="chat-page")
    app.router.add_post("/api/chat", chat_api, name="chat")
    app.router.add_get("/api/chat/{conversation}", conversation_view, name="chat-conversation")
    app.router.add_static("/static/webchat", STATIC, name="chat-static")
