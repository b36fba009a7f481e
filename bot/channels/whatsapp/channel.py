"""The WhatsApp channel: the Cloud API webhook in, the Cloud API out.

Inbound (`/whatsapp/webhook`): `GET` is Meta's verification (`hub.mode=subscribe`, the verify
token compared in constant time, `hub.challenge` echoed); `POST` carries notifications, signed
with the app secret (`X-Hub-Signature-256` over the raw body; a bad signature gets 401). Every
message is recorded by the runner, de-duplicated by its WhatsApp id, before the 200; the turn
and the replies run in a background task, in order per person. Status notifications (sent,
delivered, read, failed) are recorded on the message before the 200 too; a failure that is
for good sends an outbox message on to the person's next channel (`bot.delivery.fallback`).

Outbound, per reply: up to three reply buttons when every label fits (20 characters), else a
list (ten rows of 24) under a button, else the numbered menu in the text; texts over 4,096
characters are split on line ends. A message that is not a reply (it carries a notice) goes as
free text inside the 24-hour window and as its approved template outside it (`templates.yaml`),
within the account's daily limit of people; with no approved template, or past the limit, it is
undeliverable here and the outbox tries the person's next channel. Rate limits are backed off
and tried again; a refused connection is tried again; a number not on WhatsApp (or that blocked
the business) is taken off WhatsApp for that person.

Set-up at Meta: the app's webhook URL `https://PUBLIC-HOST/whatsapp/webhook`, the verify token
`KOMEK_WHATSAPP_VERIFY_TOKEN`, the `messages` field subscribed (see the README).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.whatsapp import cloud, templates
from bot.channels.whatsapp.cloud import CloudApi, CloudError
from bot.channels.whatsapp.notifications import (
    SIGNATURE_HEADER,
    BadNotificationError,
    Notification,
    Status,
    parse,
    signed,
)
from bot.channels.whatsapp.templates import LANGUAGE_CODES, Registry
from bot.channels.whatsapp.window import opened_after, tier_since
from bot.contacts.phone import last_digits, normalise
from bot.conversation.locks import Locks
from bot.conversation.runner import InboundMessage, Recorded, Runner
from bot.conversation.turns import BackgroundTurns
from bot.delivery.fallback import undeliverable
from bot.delivery.senders import Outgoing
from bot.i18n.translator import LANGUAGES
from bot.storage import messages, people
from bot.web.keys import CONFIG, METRICS, RUNNER
from bot.web.metrics import Metrics
from bot.web.requests import BodyError, json_error, parse_json, read_body
from dialogs.text import msg

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/whatsapp/webhook"
MAX_NOTIFICATION = 3 * 1024 * 1024  # bytes of one webhook body
MAX_CHALLENGE = 256
RATE_PAUSES = (1.0, 2.0, 4.0)  # after a rate limit, before trying again
RECONNECT_PAUSES = (0.5, 1.0, 2.0, 4.0)  # after a refused connection
# The label of the button that opens a list of choices (at most 20 characters in every language).
LIST_BUTTON = msg("Choose an answer")
STATUSES = {"sent": messages.SENT, "delivered": messages.DELIVERED, "read": messages.READ}


def address_of(wa_id: str) -> str:
    """The contact's address: the number in E.164, as an SMS contact of the same phone has it."""
    return normalise("+" + wa_id) or "+" + wa_id


def wa_id_of(address: str) -> str:
    return address.removeprefix("+")


def split_text(text: str, limit: int = cloud.TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut at line ends (at a space, or anywhere,
    only within a line longer than the limit)."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for whole in text.splitlines(keepends=True):
        line = whole
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            space = line.rfind(" ", 0, limit)
            cut = space + 1 if space > limit // 2 else limit
            parts.append(line[:cut])
            line = line[cut:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current += line
    if current:
        parts.append(current)
    return [stripped for part in parts if (stripped := part.rstrip())]


def shapes(to: str, reply: Outgoing, list_button: str) -> list[dict[str, Any]]:
    """The Cloud API messages for one reply: buttons, a list, or text with a numbered menu."""
    body = reply.text or "…"
    choices = reply.choices
    fits = len(body) <= cloud.BODY_LIMIT and all(
        0 < len(key) <= cloud.ID_LIMIT and label for key, label in choices
    )
    if choices and fits:
        short = all(len(label) <= cloud.BUTTON_TITLE for _, label in choices)
        if len(choices) <= cloud.BUTTONS and short:
            return [cloud.buttons(to, body, choices)]
        if (
            len(choices) <= cloud.ROWS
            and all(len(label) <= cloud.ROW_TITLE for _, label in choices)
            and 0 < len(list_button) <= cloud.LIST_BUTTON
        ):
            return [cloud.choice_list(to, body, list_button, choices)]
    if choices:  # the numbered menu: the person answers with the number (or the words)
        menu = "\n".join(f"{n} {label}" for n, (_, label) in enumerate(choices, 1))
        body = f"{body}\n{menu}"
    return [cloud.text(to, part) for part in split_text(body)]


class WhatsAppChannel:
    def __init__(
        self,
        api: CloudApi,
        runner: Runner,
        metrics: Metrics,
        registry: Registry,
        *,
        daily_recipients: int = 1000,
        shutdown_grace: float = 5.0,
    ) -> None:
        self.api = api
        self.runner = runner
        self.metrics = metrics
        self.registry = registry
        self.daily_recipients = daily_recipients
        self.chats = Locks()
        self.turns = BackgroundTurns(shutdown_grace)
        translator = runner.translator
        self.list_button = {
            language: translator.render(LIST_BUTTON, language) for language in LANGUAGES
        }

    # -- inbound ---------------------------------------------------------------------------

    async def accept(self, notification: Notification) -> int:
        """Record the statuses and the messages (before the webhook's 200), and start a turn for
        each new message; the number of new messages."""
        for status in notification.statuses:
            await self._status(status)
        new = 0
        for incoming in notification.messages:
            address = address_of(incoming.wa_id)
            recorded = await self.runner.record(
                InboundMessage(
                    CHANNEL,
                    address,
                    incoming.text,
                    external_id=incoming.wamid,
                    choice=incoming.choice,
                )
            )
            if recorded is None:
                continue  # delivered again: answered already
            new += 1
            self.metrics.messages_in.labels(CHANNEL).inc()
            self.turns.start(self._turn(recorded, address, time.perf_counter()))
        return new

    async def _turn(self, recorded: Recorded, address: str, started: float) -> None:
        try:
            async with self.chats.hold(recorded.contact_id):
                replies = await self.runner.process(recorded)
                await self.deliver(address, replies)
            self.metrics.latency.labels(CHANNEL).observe(time.perf_counter() - started)
        except Exception:
            log.exception("whatsapp turn for message %s failed", recorded.message_id)

    async def _status(self, status: Status) -> None:
        now = self.runner.clock()
        db = self.runner.db
        mapped = STATUSES.get(status.status)
        if mapped is not None:
            await db.run(messages.progress(CHANNEL, status.wamid, mapped, None, now))
            return
        if status.status != "failed":
            return  # "deleted", "warning": nothing to record
        found = await db.run(messages.outbound(CHANNEL, status.wamid))
        if found is None:
            return
        message_id, contact_id = found
        kind = cloud.classify(status.code)
        reason = f"whatsapp {status.code}: {status.title}"[:200]
        # Known only now, after WhatsApp took it: for good, so the outbox tries the next channel.
        await db.run(undeliverable(message_id, reason, now))
        if kind == cloud.BLOCKED:
            await db.run(people.unreachable(contact_id, "undeliverable"))
            log.info("contact %s is not reachable on WhatsApp: opted out", contact_id)

    # -- outbound --------------------------------------------------------------------------

    async def deliver(self, address: str, replies: list[Outgoing]) -> None:
        """Send the messages in order and record how each went (the sender of the channel: for
        replies, the outbox and replies left by a restart)."""
        sent: list[tuple[int, str | None, str | None]] = []
        try:
            for index, reply in enumerate(replies):
                try:
                    wamid, template = await self._send(address, reply)
                except CloudError as exc:
                    log.warning(
                        "whatsapp message %s to %s not sent: %s",
                        reply.message_id,
                        last_digits(address),
                        exc.kind,
                    )
                    if exc.kind == cloud.BLOCKED:
                        await self.runner.opt_out(CHANNEL, address, "undeliverable")
                        rest = [r.message_id for r in replies[index:]]
                        await self.runner.mark_many(rest, messages.UNDELIVERABLE, exc.reason)
                        return
                    status = (
                        messages.UNDELIVERABLE
                        if exc.kind in (cloud.OUTSIDE_WINDOW, cloud.UNDELIVERABLE)
                        else messages.FAILED
                    )
                    await self.runner.mark(reply.message_id, status, exc.reason)
                else:
                    sent.append((reply.message_id, wamid, template))
                    self.metrics.messages_out.labels(CHANNEL).inc()
        finally:
            if sent:
                await self.runner.db.run(messages.sent_as(sent, self.runner.clock()))

    async def _send(self, address: str, reply: Outgoing) -> tuple[str, str | None]:
        """Send one message; its wamid (the last part's) and the template it went as."""
        to = wa_id_of(address)
        notice = reply.notice
        if notice is not None:  # not a reply: is the person's window open?
            now = self.runner.clock()
            db = self.runner.db
            if not await db.run(messages.wrote_since_address(CHANNEL, address, opened_after(now))):
                template = self.registry.for_notice(notice)
                if template is None:
                    raise CloudError(
                        cloud.UNDELIVERABLE,
                        None,
                        f"outside the 24-hour window; no approved template for {notice.serves}"
                        f" in {notice.language}",
                    )
                limit = self.daily_recipients
                reserve = messages.may_start(
                    CHANNEL,
                    address,
                    reply.message_id,
                    template.name,
                    since=tier_since(now),
                    limit=limit,
                )
                if not await db.run(reserve):
                    raise CloudError(
                        cloud.UNDELIVERABLE, None, f"the daily limit of {limit} people is reached"
                    )
                payload = cloud.template(
                    to,
                    template.name,
                    LANGUAGE_CODES[notice.language],
                    template.body_parameters(notice),
                )
                return await self._post(payload, address), template.name
        language = notice.language if notice is not None else reply.language or "ru"
        wamid = ""
        for payload in shapes(to, reply, self.list_button.get(language, "")):
            wamid = await self._post(payload, address)
        return wamid, None

    async def _post(self, payload: dict[str, Any], address: str) -> str:
        """One Cloud API call, again after a rate limit (with growing pauses, the person's next
        outbox message held as long) and after a connection that could not be made."""
        refused = limited = 0
        while True:
            try:
                return await self.api.send(payload)
            except CloudError as exc:
                if exc.kind == cloud.TRANSIENT and not exc.connected:
                    if refused == len(RECONNECT_PAUSES):
                        raise
                    await asyncio.sleep(RECONNECT_PAUSES[refused])
                    refused += 1
                elif exc.kind == cloud.RATE_LIMITED:
                    if limited == len(RATE_PAUSES):
                        raise
                    pause = RATE_PAUSES[limited]
                    limited += 1
                    log.info("whatsapp rate limit (%s): backing off %.1f s", exc.code, pause)
                    limiter = self.runner.limiter
                    if limiter is not None:
                        await limiter.hold_chat(CHANNEL, address, pause)
                    await asyncio.sleep(pause)
                else:
                    raise

    async def close(self) -> None:
        """Let the turns in flight finish for a moment, then cancel the rest (a cancelled turn
        is still recorded, and is processed by the runner's recovery at the next start)."""
        await self.turns.close()


WHATSAPP = web.AppKey("whatsapp", WhatsAppChannel)


async def verify(request: web.Request) -> web.Response:
    """Meta's check of the webhook URL: echo the challenge when the verify token is ours."""
    query = request.rel_url.query
    expected = request.app[CONFIG].whatsapp_verify_token or ""
    given = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge", "")
    if (
        query.get("hub.mode") == "subscribe"
        and expected
        and hmac.compare_digest(given.encode(), expected.encode())
        and 0 < len(challenge) <= MAX_CHALLENGE
    ):
        return web.Response(text=challenge, content_type="text/plain")
    return web.Response(status=403, text="forbidden")


async def webhook(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    try:
        raw = await read_body(request, MAX_NOTIFICATION)
    except BodyError as error:
        return error.response()
    if not signed(raw, request.headers.get(SIGNATURE_HEADER), config.whatsapp_app_secret or ""):
        return json_error(401, f"wrong or missing {SIGNATURE_HEADER}")
    try:
        notification = parse(parse_json(raw), config.whatsapp_phone_number_id or "")
    except BodyError as error:
        return error.response()
    except BadNotificationError as error:
        return json_error(400, f"not a WhatsApp notification: {error}")
    await request.app[WHATSAPP].accept(notification)
    return web.json_response({"ok": True})


def setup(app: web.Application, *, shutdown_grace: float = 5.0) -> None:
    """Add the webhook routes and the channel's lifetime to `app` (whose config has WhatsApp)."""
    config = app[CONFIG]

    async def whatsapp(app: web.Application) -> AsyncIterator[None]:
        token, number = config.whatsapp_token, config.whatsapp_phone_number_id
        if not (token and number and config.whatsapp_app_secret):
            raise RuntimeError("the WhatsApp channel needs the KOMEK_WHATSAPP_* settings")
        registry = templates.load(config.whatsapp_templates)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
        api = CloudApi(session, config.whatsapp_api_url, number, token)
        channel = WhatsAppChannel(
            api,
            app[RUNNER],
            app[METRICS],
            registry,
            daily_recipients=config.whatsapp_daily_recipients,
            shutdown_grace=shutdown_grace,
        )
        app[WHATSAPP] = channel
        app[RUNNER].senders[CHANNEL] = channel.deliver
        try:
            yield
        finally:
            await channel.close()
            await session.close()

    app.cleanup_ctx.append(whatsapp)
    app.router.add_get(WEBHOOK_PATH, verify, name="whatsapp-verify")
    app.router.add_post(WEBHOOK_PATH, webhook, name="whatsapp-webhook")
