"""The app factory: one aiohttp application with the channels (web chat, SMS, Telegram), the
staff API, `/healthz` and `/metrics`, with typed state. The database, the runner and the catalogs
are opened and closed with the app; each channel registers its sender in the runner's `senders`
when it starts, and the outbox dispatcher, started last, sends through them."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    generate_latest,
)
from redis.asyncio import Redis
from sqlalchemy import Connection, text

from bot.channels.sms import kannel as sms
from bot.channels.telegram import channel as telegram
from bot.channels.webchat import chat as webchat
from bot.clock import now
from bot.config import Config
from bot.conversation.locks import RedisLocks
from bot.conversation.runner import Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.delivery.outbox import counts as outbox_counts
from bot.delivery.quarterly import schedule as schedule_reminders
from bot.delivery.ratelimit import ChannelLimit, LocalLimiter, RedisLimiter
from bot.i18n.translator import Translator
from bot.parameters import default_store
from bot.staff import api as staff_api
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.web.keys import CONFIG, METRICS, RUNNER
from bot.web.metrics import Metrics

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024


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
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    webchat.setup(app)
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
