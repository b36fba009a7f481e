"""The Telegram channel: python-telegram-bot as the transport only, on the server's aiohttp.

Inbound, by webhook (`POST /telegram/webhook`, when a webhook secret is configured) or by polling
`getUpdates` (when it is not). Either way an update is recorded by the runner, de-duplicated by
its `update_id`, before Telegram gets its 200 (or before the polling offset moves past it); the
conversation turn and the replies then run in a background task, so a slow send never holds up
Telegram's webhook delivery.

Outbound: `sendMessage` with an inline keyboard from the reply's choices (the button's
callback_data is the choice key), texts over Telegram's 4096 limit split on line boundaries, each
outgoing message marked sent or failed. One lock per chat orders a chat's turns and replies; a 429
waits its `retry_after` under that chat's lock only, so other chats carry on. A 403 (the person
blocked the bot) opts the contact out and marks the message undeliverable (for good: the outbox
then tries the person's next channel).

The webhook itself is registered by the operator, once, with the public URL and the same secret:

    curl "https://api.telegram.org/bot$TOKEN/setWebhook" \\
        -d url=https://PUBLIC-HOST/telegram/webhook \\
        -d secret_token=$KOMEK_TELEGRAM_WEBHOOK_SECRET \\
        -d 'allowed_updates=["message","callback_query"]'

(the server does not know its public URL; it never calls setWebhook). Without a secret the server
polls, and deletes any webhook first (Telegram refuses getUpdates while one is set).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from telegram import Bot as PTBBot
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.transport import AiohttpRequest, NotConnectedError
from bot.conversation.locks import Locks
from bot.conversation.runner import InboundMessage, Recorded, Runner
from bot.conversation.turns import BackgroundTurns
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.storage.messages import FAILED, SENT, UNDELIVERABLE
from bot.web.keys import CONFIG, METRICS, RUNNER
from bot.web.metrics import Metrics
from dialogs.text import Text, msg

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE = 1024 * 1024  # bytes of one webhook body
TEXT_LIMIT = 4096  # Telegram's limit for one message, in UTF-16 code units
CALLBACK_DATA_LIMIT = 64  # bytes
SHORT_LABEL = 16  # labels this short go two buttons to a row
SEND_ATTEMPTS = 4  # one send and up to three retries after a 429
MAX_RETRY_WAIT = 60.0  # a longer flood wait fails the message instead of holding the chat
RECONNECT_PAUSES = (0.5, 1.0, 2.0, 4.0)  # after a refused connection, before trying again
ALLOWED_UPDATES = ("message", "callback_query")

# The bot's command menu, in the person's Telegram language (kk, ru; English otherwise).
COMMANDS: tuple[tuple[str, Text], ...] = (
    ("start", msg("Begin, or come back after STOP")),
    ("menu", msg("Open the main menu")),
    ("help", msg("How to answer the questions")),
    ("language", msg("Choose another language")),
    ("stop", msg("Stop getting messages")),
)
COMMAND_LANGUAGES: tuple[tuple[str | None, str], ...] = (("kk", "kk"), ("ru", "ru"), (None, "en"))

T = TypeVar("T")


class BadUpdateError(ValueError):
    """A webhook body that is not a Telegram update."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """What the channel needs of one update."""

    update_id: int
    chat_id: int
    text: str
    choice: str | None = None
    language: str | None = None
    callback_id: str | None = None


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadUpdateError(f"{name} must be an object")
    return value


def _integer(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadUpdateError(f"{name} must be an integer")
    return value


def _string(value: Any, name: str, limit: int = 4096) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadUpdateError(f"{name} must be a string of at most {limit} characters")
    return value


def _language(user: Any) -> str | None:
    if not isinstance(user, dict):
        return None
    code = user.get("language_code")
    return code[:16] if isinstance(code, str) and code else None


def parse_update(data: Any) -> Incoming | None:
    """The message or button press in a Bot API update; None for an update of another kind (or
    from a group chat), which is acknowledged and ignored. Raises `BadUpdateError`."""
    update = _object(data, "the update")
    update_id = _integer(update.get("update_id"), "update_id")
    if "message" in update:
        message = _object(update["message"], "message")
        chat = _object(message.get("chat"), "message.chat")
        chat_id = _integer(chat.get("id"), "message.chat.id")
        if chat.get("type", "private") != "private":
            return None
        text = _string(message.get("text"), "message.text")
        if text is None:
            text = _string(message.get("caption"), "message.caption") or ""
        return Incoming(update_id, chat_id, text, language=_language(message.get("from")))
    if "callback_query" in update:
        query = _object(update["callback_query"], "callback_query")
        query_id = _string(query.get("id"), "callback_query.id", 256)
        data_value = _string(query.get("data"), "callback_query.data", 256)
        user = _object(query.get("from"), "callback_query.from")
        if query_id is None or data_value is None:
            return None  # a game's button, or no button at all: nothing to choose
        chat_id = _integer(user.get("id"), "callback_query.from.id")
        where = query.get("message")
        if isinstance(where, dict) and isinstance(where.get("chat"), dict):
            chat = where["chat"]
            if chat.get("type", "private") != "private":
                return None
            chat_id = _integer(chat.get("id"), "callback_query.message.chat.id")
        return Incoming(
            update_id,
            chat_id,
            "",
            choice=data_value,
            language=_language(user),
            callback_id=query_id,
        )
    return None


def _units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` units, cut at line ends (at a space, or anywhere, only
    for a single line longer than the limit)."""
    if _units(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for whole in text.splitlines(keepends=True):
        line = whole
        while _units(line) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = limit
            while _units(line[:cut]) > limit:
                cut -= 1
            space = line.rfind(" ", 0, cut)
            if space > cut // 2:
                cut = space + 1
            parts.append(line[:cut])
            line = line[cut:]
        if current and _units(current) + _units(line) > limit:
            parts.append(current)
            current = line
        else:
            current += line
    if current:
        parts.append(current)
    return [stripped for part in parts if (stripped := part.rstrip())]


def keyboard(
    choices: tuple[tuple[str, str], ...], selected: frozenset[str] = frozenset()
) -> InlineKeyboardMarkup | None:
    """One button a row, or two a row when every label is short; None without choices. In a
    multi-select question the choices toggled on carry a ✓."""
    buttons = []
    for key, shown in choices:
        label = f"✓ {shown}" if key in selected else shown
        if len(key.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            log.warning("choice key %r is too long for a Telegram button; left out", key)
            continue
        buttons.append(InlineKeyboardButton(label, callback_data=key))
    if not buttons:
        return None
    per_row = 2 if all(len(label) <= SHORT_LABEL for _, label in choices) else 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(rows)


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    """Receives updates (from the webhook or the poller), runs the turns, sends the replies."""

    def __init__(
        self,
        bot: PTBBot,
        runner: Runner,
        metrics: Metrics,
        *,
        poll_timeout: int = 25,
        shutdown_grace: float = 5.0,
    ) -> None:
        self.bot = bot
        self.runner = runner
        self.metrics = metrics
        self.poll_timeout = poll_timeout
        self.chats = Locks()
        self.turns = BackgroundTurns(shutdown_grace)

    # -- inbound ---------------------------------------------------------------------------

    async def accept(self, incoming: Incoming) -> bool:
        """Record the update and start its turn in the background; False for a duplicate."""
        recorded = await self.runner.record(
            InboundMessage(
                CHANNEL,
                str(incoming.chat_id),
                incoming.text,
                external_id=str(incoming.update_id),
                choice=incoming.choice,
                language_hint=incoming.language,
            )
        )
        if recorded is None:
            return False
        self.metrics.messages_in.labels(CHANNEL).inc()
        self.turns.start(self._turn(recorded, incoming, time.perf_counter()))
        return True

    async def _turn(self, recorded: Recorded, incoming: Incoming, started: float) -> None:
        try:
            if incoming.callback_id is not None:
                try:
                    await self.bot.answer_callback_query(incoming.callback_id)
                except TelegramError as exc:  # too old, or already answered: the turn goes on
                    log.info("callback query not answered: %s", type(exc).__name__)
            async with self.chats.hold(incoming.chat_id):
                replies = await self.runner.process(recorded)
                await self.deliver(incoming.chat_id, replies)
            self.metrics.latency.labels(CHANNEL).observe(time.perf_counter() - started)
        except Exception:
            log.exception("telegram turn for message %s failed", recorded.message_id)

    # -- outbound --------------------------------------------------------------------------

    async def deliver(self, chat_id: int, replies: list[Outgoing]) -> None:
        """Send the replies in order and record how each went; the caller holds the chat's
        lock. The ones sent are marked together at the end (one transaction)."""
        sent: list[int] = []
        try:
            for index, reply in enumerate(replies):
                try:
                    await self._send(chat_id, reply)
                except Forbidden:
                    # Failed for good on Telegram: the outbox tries the person's next channel.
                    log.info("%s blocked the bot: opted out", self._who(chat_id))
                    await self.runner.opt_out(CHANNEL, str(chat_id), "blocked")
                    rest = [r.message_id for r in replies[index:]]
                    await self.runner.mark_many(rest, UNDELIVERABLE, "Forbidden")
                    return
                except TelegramError as exc:
                    log.warning(
                        "telegram message %s to %s not sent: %s",
                        reply.message_id,
                        self._who(chat_id),
                        type(exc).__name__,
                    )
                    await self.runner.mark(reply.message_id, FAILED, type(exc).__name__)
                else:
                    sent.append(reply.message_id)
                    self.metrics.messages_out.labels(CHANNEL).inc()
        finally:
            await self.runner.mark_many(sent, SENT)

    def _who(self, chat_id: int) -> str:
        """A chat as logs may name it: by its contact id, never the chat id (which identifies
        the person on Telegram)."""
        contact = self.runner.contact_of(CHANNEL, str(chat_id))
        return "a telegram contact" if contact is None else f"contact {contact}"

    async def _send(self, chat_id: int, reply: Outgoing) -> None:
        markup = keyboard(reply.choices, reply.selected)
        html = reply.html
        if html and _units(html) <= TEXT_LIMIT:
            # One message in HTML mode: amounts bold, links live. Telegram refuses markup it
            # cannot parse; the plain text then goes instead.
            try:
                await self._with_retry(
                    lambda: self.bot.send_message(
                        chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup
                    ),
                    chat_id,
                )
            except BadRequest as exc:
                log.warning("HTML of message %s refused: %s", reply.message_id, exc.message)
            else:
                await self._send_document(chat_id, reply)
                return
        parts = split_text(reply.text) or [reply.text or "…"]
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)

            async def send(part: str = part, last: bool = last) -> object:
                return await self.bot.send_message(
                    chat_id, part, reply_markup=markup if last else None
                )

            await self._with_retry(send, chat_id)
        await self._send_document(chat_id, reply)

    async def _send_document(self, chat_id: int, reply: Outgoing) -> None:
        document = reply.document
        if document is not None:  # a visit's calendar file, after its confirmation
            try:
                await self._with_retry(
                    lambda: self.bot.send_document(
                        chat_id, InputFile(document.content, filename=document.filename)
                    )
                )
            except TelegramError as exc:  # the text went out; the file is a convenience
                log.warning(
                    "calendar file to %s not sent: %s", self._who(chat_id), type(exc).__name__
                )

    async def _with_retry(self, call: Callable[[], Awaitable[T]], chat_id: int | None = None) -> T:
        """`call`, again after each 429's retry_after (the caller holds only this chat's lock),
        and after a connection that could not be made, with a growing pause; other errors are
        not retried (a timed-out send may have arrived)."""
        refused = flooded = 0
        while True:
            try:
                return await call()
            except NotConnectedError:
                if refused == len(RECONNECT_PAUSES):
                    raise
                await asyncio.sleep(RECONNECT_PAUSES[refused])
                refused += 1
            except RetryAfter as exc:
                flooded += 1
                wait = _seconds(exc)
                limiter = self.runner.limiter if chat_id is not None else None
                if limiter is not None:
                    # The chat's next message (this retry included) waits; other chats go on.
                    await limiter.hold_chat(CHANNEL, str(chat_id), wait)
                if flooded == SEND_ATTEMPTS or wait > MAX_RETRY_WAIT:
                    raise
                if limiter is not None:  # the retry takes its own slot of the channel's rate
                    await limiter.acquire(CHANNEL, str(chat_id))
                else:
                    await asyncio.sleep(wait)

    # -- polling ---------------------------------------------------------------------------

    async def poll(self) -> None:
        """getUpdates in a loop; each update is recorded before the offset moves past it."""
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                for update in updates:
                    try:
                        incoming = parse_update(update.to_dict())
                    except BadUpdateError as exc:
                        log.warning("update %s ignored: %s", update.update_id, exc)
                        incoming = None
                    if incoming is not None:
                        await self.accept(incoming)
                    offset = update.update_id + 1
                backoff = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(min(_seconds(exc), MAX_RETRY_WAIT))
            except Exception as exc:
                log.warning("telegram polling failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def set_commands(self, translator: Translator) -> None:
        for code, language in COMMAND_LANGUAGES:
            commands = [
                BotCommand(name, translator.render(text, language)) for name, text in COMMANDS
            ]
            await self.bot.set_my_commands(commands, language_code=code)

    async def close(self) -> None:
        """Let the turns in flight finish for a moment, then cancel the rest (a cancelled turn is
        still recorded, and is processed by the runner's recovery at the next start)."""
        await self.turns.close()


TELEGRAM = web.AppKey("telegram", TelegramChannel)


async def webhook(request: web.Request) -> web.Response:
    secret = request.app[CONFIG].telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return web.json_response({"error": "wrong or missing secret token"}, status=401)
    if request.content_length is not None and request.content_length > MAX_UPDATE:
        return web.json_response({"error": "update too large"}, status=413)
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > MAX_UPDATE:
            return web.json_response({"error": "update too large"}, status=413)
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks).decode("utf-8"))
        incoming = parse_update(data)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, BadUpdateError
        return web.json_response({"error": f"not a Telegram update: {exc}"}, status=400)
    if incoming is not None:
        await request.app[TELEGRAM].accept(incoming)
    return web.json_response({"ok": True})


def make_bot(token: str, api_url: str, session: aiohttp.ClientSession) -> PTBBot:
    """A PTB Bot whose requests (getUpdates' and the others') go through `session`."""
    api = api_url.rstrip("/")
    return PTBBot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=AiohttpRequest(session),
        get_updates_request=AiohttpRequest(session),
    )


def setup(app: web.Application, *, poll_timeout: int = 25, shutdown_grace: float = 5.0) -> None:
    """Add the webhook route and the channel's lifetime to `app` (whose config has a token)."""
    config = app[CONFIG]

    async def telegram(app: web.Application) -> AsyncIterator[None]:
        token = config.telegram_token
        if not token:
            raise RuntimeError("the Telegram channel needs KOMEK_TELEGRAM_TOKEN")
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        bot = make_bot(token, config.telegram_api_url, session)
        runner = app[RUNNER]
        try:
            await bot.initialize()
        except InvalidToken:
            await bot.shutdown()
            await session.close()
            raise RuntimeError("KOMEK_TELEGRAM_TOKEN was rejected by the Bot API") from None
        except TelegramError as exc:  # Telegram unreachable: start anyway, the sends will retry
            log.warning("Telegram's getMe failed at startup: %s", exc)
        channel = TelegramChannel(
            bot,
            runner,
            app[METRICS],
            poll_timeout=poll_timeout,
            shutdown_grace=shutdown_grace,
        )
        app[TELEGRAM] = channel
        runner.senders["telegram"] = lambda chat, replies: channel.deliver(int(chat), replies)
        try:
            username: str | None = bot.username
        except RuntimeError:  # getMe did not answer at start: no links until the next start
            username = None
        if username:  # links that open this bot with a code
            runner.deep_links["telegram"] = lambda code: f"https://t.me/{username}?start={code}"

        async def background() -> None:
            try:
                await channel.set_commands(runner.translator)
            except TelegramError as exc:
                log.warning("setMyCommands failed: %s", exc)
            if config.telegram_webhook_secret:
                return
            try:
                await bot.delete_webhook()
            except TelegramError as exc:
                log.warning("deleteWebhook failed: %s", exc)
            log.info("no webhook secret configured: polling Telegram for updates")
            await channel.poll()

        worker = asyncio.create_task(background())
        try:
            yield
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            await channel.close()
            await bot.shutdown()
            await session.close()

    app.cleanup_ctx.append(telegram)
    app.router.add_post(WEBHOOK_PATH, webhook)
