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
from html import escape
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from aiohttp import web

from bot.conversation import inbox, redelivery
from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.senders import Outgoing
from bot.i18n.translator import LANGUAGES
from bot.web.keys import CONFIG, METRICS, RUNNER, THROTTLE
from bot.web.requests import BodyError, json_error, read_json_object, respond
from dialogs.engine import MAX_TEXT
from dialogs.text import Text, msg, nmsg

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


LANGUAGE_NAMES = (("kk", "Қазақша"), ("ru", "Русский"), ("en", "English"))
PAGES = resources.files("bot.channels.webchat")
CHAT_PAGE = Template(PAGES.joinpath("chat.html").read_text("utf-8"))
PRIVACY_PAGE = Template(PAGES.joinpath("privacy.html").read_text("utf-8"))

# The page's own words; the conversation's come from the dialogs.
PAGE_TEXT: dict[str, Text] = {
    "title": msg("Komek: can your family get targeted social assistance?"),
    "brand": msg("Komek"),
    "headline": msg("Find out whether your family can get TSA, and how much"),
    "what_komek": msg(
        "Komek is a free assistant: answer a few questions and it tells you whether your family "
        "is likely to get targeted social assistance and how much, and helps you book a visit "
        "to the career centre."
    ),
    "what_tsa": msg(
        "Targeted social assistance (TSA) is a monthly payment from the state to families whose "
        "income per person is below the poverty line; the career centre of your district "
        "assigns it."
    ),
    "privacy": msg("How Komek keeps your answers"),
    "language_label": msg("Language"),
    "conversation_label": msg("Conversation with Komek"),
    "message_label": msg("Your message"),
    "placeholder": msg("Write here"),
    "send": msg("Send"),
    "skip": msg("Skip to the message box"),
    "progress": msg("Question {n} of {total}", n="{n}", total="{total}"),
    "offline": msg("No connection. Check the internet, then tap ↻ to send again."),
}


def agency_line() -> Text:
    return msg(
        "TSA is assigned by the state through the Ministry of Labour and Social Protection of "
        "the Population. Questions: call {phone}, free of charge.",
        phone="1414",
    )


def page_language(request: web.Request) -> str:
    """The page's language: asked for (?lang=), or the browser's first of kk, ru, en."""
    asked = request.query.get("lang", "")
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "kk"


def _languages(current: str, path: str) -> str:
    links = []
    for code, name in LANGUAGE_NAMES:
        here = ' aria-current="true"' if code == current else ""
        links.append(
            f'<a href="{path}?lang={code}" hreflang="{code}" lang="{code}"{here}>{name}</a>'
        )
    return "\n    ".join(links)


def _page(request: web.Request, template: Template, path: str, **extra: str) -> web.Response:
    """A page in the asked language: its own words, the language switch and the agency line."""
    language = page_language(request)
    translator = request.app[RUNNER].translator
    words = {name: escape(translator.render(text, language)) for name, text in PAGE_TEXT.items()}
    agency = translator.render_html(agency_line(), language)
    html = template.substitute(
        lang=language,
        languages=_languages(language, path),
        agency=agency.replace("1414", '<a href="tel:1414">1414</a>', 1),
        **words,
        **extra,
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def chat_page(request: web.Request) -> web.Response:
    return _page(request, CHAT_PAGE, "/")


async def favicon(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/static/webchat/favicon.svg")


def privacy_text(days: int) -> tuple[tuple[Text, Text], ...]:
    """What the privacy page says: (heading, paragraph) pairs."""
    return (
        (
            msg("What is kept"),
            msg(
                "Only with your consent: your answers (ages, income, region and the like), your "
                "result and the messages of the conversation, so that Komek can answer you and "
                "remind you if you ask. Without your consent nothing you write is kept."
            ),
        ),
        (
            msg("For how long"),
            nmsg(
                "For {n} day after your last message; then it is deleted by itself.",
                "For {n} days after your last message; then it is deleted by itself.",
                days,
            ),
        ),
        (
            msg("Who sees it"),
            msg(
                "Komek itself. A social worker sees your conversation only if your family is in "
                "their caseload or you ask for a person. Nobody else."
            ),
        ),
        (
            msg("How to delete it"),
            msg(
                "Write FORGET at any time: your answers, results and reminders are deleted at "
                "once, and a booked visit is cancelled. Write STOP to get no more messages."
            ),
        ),
        (
            msg("What Komek's answer means"),
            msg(
                "Komek gives an estimate, not a decision: TSA is assigned by the district "
                "commission after your application."
            ),
        ),
    )


async def privacy_page(request: web.Request) -> web.Response:
    language = page_language(request)
    translator = request.app[RUNNER].translator
    days = request.app[CONFIG].retention_days
    sections = "\n  ".join(
        f"<h2>{escape(translator.render(heading, language))}</h2>\n"
        f"  <p>{translator.render_html(paragraph, language)}</p>"
        for heading, paragraph in privacy_text(days)
    )
    back = escape(translator.render(msg("Back to the conversation"), language))
    response = _page(request, PRIVACY_PAGE, "/privacy", body=sections, back=back)
    return response


def _reply_json(reply: Outgoing) -> dict[str, Any]:
    return {
        "text": reply.text,
        "html": reply.html,
        "choices": [
            {"key": k, "label": lbl, "selected": k in reply.selected} for k, lbl in reply.choices
        ],
        "multi": reply.multi,
        "input_hint": reply.input_hint,
        "progress": list(reply.progress) if reply.progress else None,
    }


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
        switch = _string(data, "set_language", 2)
        if switch is not None and switch not in LANGUAGES:
            raise BodyError(400, "set_language must be kk, ru or en")
    except BodyError as error:
        return error.response()
    runner = request.app[RUNNER]
    if switch is not None:  # the page's language switch: the same question, in that language
        _, asked = await runner.current(CHANNEL, conversation, switch)
        return web.json_response({"replies": [_reply_json(r) for r in asked]}, dumps=_dumps)
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
    language, asked = await runner.current(CHANNEL, conversation)
    with_a_person = await runner.db.run(inbox.with_a_person(CHANNEL, conversation))
    if with_a_person:
        asked = []  # the bot asks nothing while a person has it; its notice is in the messages
    if (
        asked
        and messages
        and messages[-1]["from"] == "bot"
        and messages[-1]["text"] == asked[-1].text
    ):
        messages.pop()  # the question it is at is shown once, with buttons that work
    response = web.json_response(
        {
            "messages": messages,
            "current": [_reply_json(r) for r in asked],
            "language": language,
            "with_a_person": with_a_person,
        },
        dumps=_dumps,
    )
    return await _carry(request, runner, response, waiting)


def setup(app: web.Application) -> None:
    app.router.add_get("/", chat_page, name="chat-page")
    app.router.add_get("/privacy", privacy_page, name="privacy")
    app.router.add_get("/favicon.ico", favicon, name="favicon")
    app.router.add_post("/api/chat", chat_api, name="chat")
    app.router.add_get("/api/chat/{conversation}", conversation_view, name="chat-conversation")
    app.router.add_static("/static/webchat", STATIC, name="chat-static")
