"""The aiohttp application: the web chat, `/healthz` and `/metrics` (Telegram and SMS webhooks
join it with their channels). An app factory with typed state; the database, the runner and the
catalogs are opened and closed with the app."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    generate_latest,
)
from redis.asyncio import Redis
from sqlalchemy import Connection, text

from bot import staff_api
from bot.appkeys import CONFIG, METRICS, RUNNER
from bot.channels import sms, telegram
from bot.config import Config
from bot.i18n import Translator
from bot.metrics import Metrics
from bot.notices import renderers
from bot.outbox import Dispatcher
from bot.outbox import counts as outbox_counts
from bot.parameters import default_store
from bot.ratelimit import ChannelLimit, LocalLimiter, RedisLimiter
from bot.reminders import schedule as schedule_reminders
from bot.runner import InboundMessage, RedisLocks, Runner
from bot.storage.database import Database
from bot.storage.db import upgrade

log = logging.getLogger(__name__)
ALMATY = timezone(timedelta(hours=5), "Asia/Almaty")  # UTC+5 all year since 2024-03-01
MAX_BODY = 16 * 1024
CONVERSATION_ID = re.compile(r"^[0-9a-f]{16,64}$")


def now() -> datetime:
    return datetime.now(ALMATY)


async def chat_page(request: web.Request) -> web.Response:
    html = resources.files("bot").joinpath("web/chat.html").read_text(encoding="utf-8")
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


async def healthz(request: web.Request) -> web.Response:
    await request.app[RUNNER].db.run(_ping)  # on SQLite this also proves the writer is alive
    return web.json_response({"status": "ok"})


def _ping(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))


async def metrics_view(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    by_status = await request.app[RUNNER].db.run(outbox_counts)
    for status in ("pending", "sending", "sent", "failed", "cancelled", "skipped"):
        metrics.outbox.labels(status).set(by_status.get(status, 0))
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException:
        raise
    except Exception:
        log.exception("request to %s failed", request.path)
        request.app[METRICS].errors.labels(request.path).inc()
        return web.json_response({"error": "something went wrong; please try again"}, status=500)


async def _recover(runner: Runner) -> None:
    recovered = await runner.recover()
    if recovered:
        log.info("processed %d message(s) recorded before a restart", recovered)


def create_app(config: Config, translator: Translator | None = None) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=MAX_BODY)
    app[CONFIG] = config
    translator = translator or Translator()
    app[METRICS] = Metrics(translator)

    async def database(app: web.Application) -> AsyncIterator[None]:
        db = Database(config.database_url)
        if config.sqlite:
            await upgrade(db.engine)  # the embedded database migrates itself
        runner = Runner(db, default_store(), translator, now)
        runner.warm_up()
        # What start-up loaded (modules, catalogs, rules, locale data) lives as long as the
        # process: kept out of the collector's full passes, which otherwise stop every request
        # for about 80 ms now and then.
        gc.freeze()
        redis = Redis.from_url(config.redis_url) if config.redis_url else None
        limits = {
            "telegram": ChannelLimit(config.telegram_rate, per_chat=1.0),
            "sms": ChannelLimit(config.sms_rate),
        }
        runner.limiter = LocalLimiter(limits)
        if redis is not None:
            runner.locks = RedisLocks(redis)  # one lock per person across every worker
            runner.limiter = RedisLimiter(redis, limits)  # one rate for all workers
        app[RUNNER] = runner
        yield
        if redis is not None:
            await redis.aclose()
        await db.close()

    app.cleanup_ctx.append(database)
    app.router.add_get("/", chat_page)
    app.router.add_post("/api/chat", chat_api)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    staff_api.setup(app)
    sms.setup(app)
    if config.telegram_token:
        telegram.setup(app)
    app.cleanup_ctx.append(recovery)  # last: after every channel has registered its sender
    return app


async def recovery(app: web.Application) -> AsyncIterator[None]:
    """What a crash left recorded but unanswered is processed while the server already serves:
    the person's lock keeps it in order with anything new from them. Then the outbox
    dispatcher starts (here, last, when every channel has registered how it sends)."""
    runner = app[RUNNER]
    task = asyncio.create_task(_recover(runner))
    dispatcher = Dispatcher(
        runner,
        renderers(runner.translator),
        poll=app[CONFIG].outbox_poll,
        limiter=runner.limiter,
        schedulers=[schedule_reminders],
        stale=timedelta(seconds=app[CONFIG].outbox_stale),
        sole=app[CONFIG].sqlite,
    )
    sending = asyncio.create_task(dispatcher.run_forever())
    yield
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    await task


class PrivateAccessLogger(AbstractAccessLogger):
    """Access log without query strings: they carry phone numbers, texts and tokens (SMS)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms", request.method, request.path, response.status, time * 1000
        )
