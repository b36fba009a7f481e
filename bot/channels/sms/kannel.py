"""The SMS channel through Kannel (see deploy/kannel.conf and notes/kannel.md).

Inbound: Kannel's sms-service calls `GET /sms/kannel` (its get-url) for every message a family
sends; the replies go back in the response body, which Kannel sends as SMS (UCS-2 when the body
says `X-Kannel-Coding: 2`, split into concatenated parts by Kannel itself). Kannel's message id
de-duplicates a message Kannel delivers twice.

Delivery reports: Kannel calls `GET /sms/dlr?id=<our message id>&status=<%d>` for messages sent
with `SendSms` (messages that are not replies, e.g. reminders). A report of failure makes the
message undeliverable, and an outbox message goes on to the person's next channel.

Nothing logged here holds a message's text or a full phone number.
"""

from __future__ import annotations

import codecs
import hmac
import logging
import time
import unicodedata
from collections.abc import AsyncIterator
from types import TracebackType
from urllib.parse import quote, unquote_to_bytes, urlencode

import aiohttp
from aiohttp import web
from yarl import URL

from bot.config import Config
from bot.contacts.phone import last_digits, normalise
from bot.conversation.runner import InboundMessage
from bot.delivery.fallback import undeliverable
from bot.delivery.senders import Outgoing
from bot.web.keys import CONFIG, METRICS, RUNNER
from bot.web.requests import respond
from dialogs.segments import UCS2, encoding_of

log = logging.getLogger(__name__)

CHANNEL = "sms"
WEBHOOK_PATH = "/sms/kannel"
DLR_PATH = "/sms/dlr"
_ROUTE_NAME = "sms-kannel"
MAX_ID = 128  # the width of messages.external_id
MAX_TEXT_BYTES = 4096

# Sent (without recording anything) when the bytes of a message cannot be read as text.
RESEND = (
    "Хабарламаны оқи алмадық, қайта жазыңызшы. Сообщение не удалось прочитать, напишите ещё раз."
)

# Kannel's delivery report types (dlr-mask bits); only the final ones change a message.
DLR_DELIVERED, DLR_FAILED, DLR_BUFFERED, DLR_SUBMITTED, DLR_REJECTED = 1, 2, 4, 8, 16
DLR_STATUS = {DLR_DELIVERED: "delivered", DLR_FAILED: "failed", DLR_REJECTED: "failed"}

_UTF16 = frozenset({"UTF-16BE", "UTF-16", "UCS-2", "UCS-2BE", "UNICODEBIG"})


class UnreadableError(ValueError):
    """The bytes of an inbound message are not text in the charset Kannel named."""


def _token_ok(config: Config, given: str | None) -> bool:
    expected = config.sms_token
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def raw_query(request: web.Request) -> dict[str, bytes]:
    """The query parameters as bytes, undecoded: Kannel may send URL-encoded UTF-16BE text,
    which no str-based parser keeps intact. The first of a repeated name wins."""
    params: dict[str, bytes] = {}
    for pair in request.rel_url.raw_query_string.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        key = unquote_to_bytes(name.replace("+", " ")).decode("utf-8", "replace")
        params.setdefault(key, unquote_to_bytes(value.replace("+", " ")))
    return params


def decode_text(data: bytes, coding: str, charset: str) -> str:
    """The text of an inbound SMS. With `mo-recode = true` Kannel sends UTF-8 (coding=0);
    without it UCS-2 arrives as UTF-16BE bytes (coding=2)."""
    name = charset.strip().upper()
    if coding == "1" and not name:
        raise UnreadableError("8-bit binary data")
    if coding == "2" or name in _UTF16:
        codec = "utf-16-be"
    else:
        codec = name or "utf-8"
        try:
            # Only text encodings: "base64", "hex", "zlib", "rot13" and the like are codecs too,
            # but they turn bytes into bytes (or str into str), not bytes into text.
            if not getattr(codecs.lookup(codec), "_is_text_encoding", True):
                codec = "utf-8"
        except LookupError:
            codec = "utf-8"
    try:
        text = data.decode(codec)
    except (UnicodeError, ValueError, LookupError) as error:  # punycode raises plain errors
        raise UnreadableError(str(error)) from error
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in "\t\n\r" for c in text):
        raise UnreadableError("control or unassigned characters")
    return text


def _text_param(params: dict[str, bytes], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else value.decode("utf-8", "replace")


def _plain(text: str, status: int = 200) -> web.Response:
    headers = {"X-Kannel-Coding": "2"} if text and encoding_of(text) == UCS2 else {}
    return web.Response(
        status=status, text=text, content_type="text/plain", charset="utf-8", headers=headers
    )


async def kannel_webhook(request: web.Request) -> web.Response:
    """Kannel's get-url: token, from, to, text, id, coding, charset."""
    params = raw_query(request)
    if not _token_ok(request.app[CONFIG], _text_param(params, "token")):
        return web.Response(status=403, text="forbidden")
    sender_raw = _text_param(params, "from")
    text_raw = params.get("text")
    if sender_raw is None or text_raw is None:
        return web.Response(status=400, text="from and text are required")
    number = normalise(sender_raw)
    if number is None:
        return web.Response(status=400, text="from is not a phone number")
    message_id = _text_param(params, "id") or None
    if message_id is not None and len(message_id) > MAX_ID:
        return web.Response(status=400, text=f"id is longer than {MAX_ID} characters")
    if len(text_raw) > MAX_TEXT_BYTES:
        return web.Response(status=400, text="text is too long")
    metrics = request.app[METRICS]
    runner = request.app[RUNNER]
    metrics.messages_in.labels(CHANNEL).inc()
    started = time.perf_counter()
    try:
        text = decode_text(
            text_raw, _text_param(params, "coding") or "", _text_param(params, "charset") or ""
        )
    except UnreadableError as error:
        log.info("sms from %s unreadable: %s", last_digits(number), type(error).__name__)
        if await runner.opted_out(CHANNEL, number):
            return _plain("")
        metrics.messages_out.labels(CHANNEL).inc()
        return _plain(RESEND)
    replies = await runner.handle(InboundMessage(CHANNEL, number, text, external_id=message_id))
    metrics.latency.labels(CHANNEL).observe(time.perf_counter() - started)
    response = _plain("\n\n".join(reply.text for reply in replies))
    if not replies:
        return response
    ids = [reply.message_id for reply in replies]
    if await respond(request, response):
        await runner.mark_many(ids, "sent")
        metrics.messages_out.labels(CHANNEL).inc(len(replies))
        return response
    # Kannel hung up before the replies could ride on its request: they go as SMS of their own.
    sender = runner.senders.get(CHANNEL)
    if sender is not None:
        log.info("sms replies %s not carried by the response: sending them", ids)
        await sender(number, replies)
    return response


async def delivery_report(request: web.Request) -> web.Response:
    """Kannel's dlr-url: id (ours, set by `SendSms`), status (Kannel's %d)."""
    query = request.rel_url.query
    if not _token_ok(request.app[CONFIG], query.get("token")):
        return web.Response(status=403, text="forbidden")
    id_text, status_text = query.get("id", ""), query.get("status", "")
    if not (id_text.isascii() and id_text.isdecimal()) or not 0 < int(id_text) < 2**63:
        return web.Response(status=400, text="id must be a message id")
    if not (status_text.isascii() and status_text.isdecimal()) or len(status_text) > 4:
        return web.Response(status=400, text="status must be Kannel's delivery status number")
    status = DLR_STATUS.get(int(status_text))
    runner = request.app[RUNNER]
    if status == "delivered":
        await runner.mark(int(id_text), status)
    elif status is not None:  # 4 (buffered) and 8 (submitted) are not final: nothing to record
        # Failed for good on SMS: a reminder or notice goes on to the person's next channel.
        error = "rejected by the SMSC" if int(status_text) == DLR_REJECTED else "not delivered"
        await runner.db.run(undeliverable(int(id_text), error, runner.clock()))
    return web.Response(text="ok")


class SendSmsError(RuntimeError):
    """Kannel did not accept a message for delivery."""


class SendSms:
    """Messages that are not replies (reminders), through Kannel's sendsms interface. Each asks
    for a delivery report (dlr-mask 3: delivered or failed) at `dlr_url` with our message id."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        dlr_url: str | None = None,
        *,
        sender: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.dlr_url = dlr_url
        self.sender = sender
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_config(cls, config: Config, dlr_url: str | None = None) -> SendSms:
        """From KOMEK_KANNEL_SENDSMS_URL, _USERNAME, _PASSWORD; delivery reports to `dlr_url`
        (default: this server's /sms/dlr, as Kannel on the same host reaches it)."""
        if not (config.kannel_sendsms_url and config.kannel_username and config.kannel_password):
            raise ValueError(
                "sending SMS needs KOMEK_KANNEL_SENDSMS_URL, KOMEK_KANNEL_USERNAME and "
                "KOMEK_KANNEL_PASSWORD"
            )
        if dlr_url is None and config.sms_token:
            host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
            dlr_url = f"http://{host}:{config.port}{DLR_PATH}?" + urlencode(
                {"token": config.sms_token}
            )
        return cls(
            config.kannel_sendsms_url, config.kannel_username, config.kannel_password, dlr_url
        )

    def request_url(self, number: str, text: str, message_id: int) -> URL:
        """The sendsms URL for one message (UTF-8 text; UCS-2 on air when not GSM-7)."""
        to = normalise(number)
        if to is None:
            raise ValueError("not a phone number")
        params: list[tuple[str, str]] = [
            ("username", self.username),
            ("password", self.password),
            ("to", to),
            ("text", text),
            ("charset", "UTF-8"),
        ]
        if self.sender:
            params.append(("from", self.sender))
        if encoding_of(text) == UCS2:
            params.append(("coding", "2"))
        if self.dlr_url:
            separator = "&" if "?" in self.dlr_url else "?"
            dlr = f"{self.dlr_url}{separator}id={message_id}&status=%d"
            params += [("dlr-mask", "3"), ("dlr-url", dlr)]
        query = urlencode(params, quote_via=quote, safe="")
        return URL(f"{self.url}?{query}", encoded=True)

    async def send(self, number: str, text: str, message_id: int) -> str:
        """Hand one message to Kannel; Kannel's answer ("0: Accepted for delivery")."""
        url = self.request_url(number, text, message_id)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(url) as response:
                body = await response.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendSmsError(f"Kannel unreachable: {type(error).__name__}") from error
        if response.status not in (200, 202):
            raise SendSmsError(f"Kannel refused message {message_id}: {response.status} {body}")
        log.info("sms %s to %s handed to Kannel", message_id, last_digits(number))
        return body.strip()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> SendSms:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()


SENDSMS = web.AppKey("sendsms", SendSms)


def setup(app: web.Application) -> None:
    """Add the SMS routes (once), and a `SendSms` client when Kannel's sendsms is configured."""
    if _ROUTE_NAME in app.router.named_resources():
        return
    app.router.add_get(WEBHOOK_PATH, kannel_webhook, name=_ROUTE_NAME)
    app.router.add_get(DLR_PATH, delivery_report, name="sms-dlr")
    config = app[CONFIG]
    if config.kannel_sendsms_url and config.kannel_username and config.kannel_password:

        async def sendsms(app: web.Application) -> AsyncIterator[None]:
            async with SendSms.from_config(config) as client:
                app[SENDSMS] = client

                async def send(number: str, replies: list[Outgoing]) -> None:
                    """Hand each reply to Kannel and record the outcome; the delivery report
                    comes later."""
                    runner = app[RUNNER]
                    for reply in replies:
                        try:
                            await client.send(number, reply.text, reply.message_id)
                        except SendSmsError as error:
                            log.warning("sms %s not sent: %s", reply.message_id, error)
                            await runner.mark(reply.message_id, "failed", str(error)[:200])
                        else:
                            await runner.mark(reply.message_id, "sent")

                app[RUNNER].senders["sms"] = send
                yield

        app.cleanup_ctx.append(sendsms)
