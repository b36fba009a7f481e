"""The app factory: one aiohttp application with the channels (web chat, SMS, Telegram,
WhatsApp), the staff API, `/healthz`, `/readyz` and `/metrics`, with typed state. The database,
the runner and the catalogs are opened and closed with the app; each channel registers its
sender in the runner's `senders` when it starts, and the outbox dispatcher, started last, sends
through them."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    generate_latest,
)
from redis.asyncio import Redis
from sqlalchemy import Connection, insert
from sqlalchemy.exc import DBAPIError, InternalError, OperationalError, SQLAlchemyError

from bot.channels.sms import kannel as sms
from bot.channels.telegram import channel as telegram
from bot.channels.webchat import chat as webchat
from bot.channels.whatsapp import channel as whatsapp
from bot.clock import now
from bot.config import Config
from bot.conversation.locks import RedisLocks
from bot.conversation.redelivery import STRANDED_AFTER
from bot.conversation.runner import Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.delivery.outbox import counts as outbox_counts
from bot.delivery.quarterly import schedule as schedule_reminders
from bot.delivery.ratelimit import ChannelLimit, LocalLimiter, RedisLimiter
from bot.i18n.translator import Translator
from bot.keys import derive, secret
from bot.parameters import use_stages
from bot.staff import api as staff_api
from bot.staff import pages as staff_pages
from bot.staff.campaigns import send_due
from bot.staff.inbox import stats as inbox_stats
from bot.staff.poverty_lines import added_lines, is_current, store_with_added
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.retention import purge
from bot.storage.tables import AUTH_FAILURES
from bot.web import headers
from bot.web.keys import CONFIG, METRICS, RUNNER, THROTTLE
from bot.web.metrics import Metrics
from bot.web.throttle import NewConversations, RedisNewConversations

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024
SWEEP_EVERY = 60.0  # seconds between looks for stranded replies and the hourly purge
PURGE_EVERY = 3600.0
# A database that refuses a write (read-only, locked, unreachable): the request can be repeated
# later, and the gateways do repeat it on a 503.
RETRY_AFTER = "5"


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the database takes a write (made and rolled back); 503 with the reason if not."""
    try:
        await request.app[RUNNER].db.run(_write_and_roll_back)
    except SQLAlchemyError as error:
        reason = type(getattr(error, "orig", None) or error).__name__
        return web.json_response(
            {"status": "unavailable", "reason": f"the database refuses writes ({reason})"},
            status=503,
            headers={"Retry-After": RETRY_AFTER},
        )
    return web.json_response({"status": "ready"})


def _write_and_roll_back(connection: Connection) -> None:
    savepoint = connection.begin_nested()
    connection.execute(
        insert(AUTH_FAILURES).values(at=now(), username=None, ip="readiness", kind="probe")
    )
    savepoint.rollback()


async def metrics_view(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    by_status = await request.app[RUNNER].db.run(outbox_counts)
    for status in ("pending", "sending", "sent", "failed", "cancelled", "skipped"):
        metrics.outbox.labels(status).set(by_status.get(status, 0))
    handed = await request.app[RUNNER].db.run(lambda c: inbox_stats(c, now()))
    metrics.inbox_handed_over.set(handed.week)
    metrics.inbox_waiting.set(handed.waiting)
    for reason, count in handed.reasons.items():
        metrics.inbox_reasons.labels(reason).set(count)
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


# SQLSTATE classes of a database that cannot take the work now, whatever the request: connection
# (08), transaction state (25: a read-only transaction), resources such as a full disk (53),
# operator intervention (57: shutting down), system (58).
REFUSED_STATES = ("08", "25", "53", "57", "58")


def database_refused(error: DBAPIError) -> bool:
    """Whether the database refused or could not be reached (503: try again), rather than the
    request being wrong for it (a bug: 500)."""
    if isinstance(error, OperationalError | InternalError) or error.connection_invalidated:
        return True
    state = getattr(error.orig, "sqlstate", None)
    return isinstance(state, str) and state[:2] in REFUSED_STATES


def _route(request: web.Request) -> str:
    """The route's template (`/api/staff/appointments/{id}/cancel`), never the path itself: one
    metric series per route, however many ids are asked for."""
    resource = request.match_info.route.resource
    return "unmatched" if resource is None else resource.canonical


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException:
        raise
    except DBAPIError as error:
        if not database_refused(error):
            log.exception("request to %s failed", _route(request))
            request.app[METRICS].errors.labels(_route(request)).inc()
            return web.json_response(
                {"error": "something went wrong; please try again"}, status=500
            )
        reason = getattr(error.orig, "sqlstate", None) or type(error.orig).__name__
        log.warning("%s: the database refused (%s)", _route(request), reason)
        request.app[METRICS].errors.labels(_route(request)).inc()
        return web.json_response(
            {"error": "the service cannot store this now; please try again shortly"},
            status=503,
            headers={"Retry-After": RETRY_AFTER},
        )
    except Exception:
        log.exception("request to %s failed", _route(request))
        request.app[METRICS].errors.labels(_route(request)).inc()
        return web.json_response({"error": "something went wrong; please try again"}, status=500)


async def _recover(runner: Runner, started: datetime, sole: bool) -> None:
    recovered = await runner.recover()
    if recovered:
        log.info("processed %d message(s) recorded before a restart", recovered)
    # The only worker (SQLite): every reply queued before it started was left by its
    # predecessor. With several workers, only those that have waited longer than any send takes.
    before = started if sole else started - STRANDED_AFTER
    stranded = await runner.deliver_stranded(before)
    if stranded:
        log.info("sent %d reply(ies) stored but not sent before a restart", stranded)


async def refresh_parameters(runner: Runner) -> None:
    """Take in the poverty lines staff added through another worker."""
    lines = await runner.db.run(added_lines)
    if not is_current(runner.store, lines):
        runner.store = await runner.db.run(store_with_added)


async def _sweep(runner: Runner, retention: timedelta) -> None:
    """Every minute: replies stranded by a worker that died, and poverty lines other workers
    added; every hour: the retention purge."""
    loop = asyncio.get_running_loop()
    purged_at = -PURGE_EVERY
    while True:
        await asyncio.sleep(SWEEP_EVERY)
        try:
            await runner.deliver_stranded(runner.clock() - STRANDED_AFTER)
            await refresh_parameters(runner)
            if loop.time() - purged_at >= PURGE_EVERY:
                purged_at = loop.time()
                deleted = await purge(runner.db, runner.clock() - retention)
                if any(deleted.values()):
                    log.info("retention: deleted %s", deleted)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the sweep failed; trying again in a minute")


def redis_client(url: str) -> Redis:
    """A Redis client that gives up on a stuck connection instead of holding a request."""
    return Redis.from_url(
        url, socket_timeout=5.0, socket_connect_timeout=5.0, health_check_interval=30
    )


def create_app(config: Config, translator: Translator | None = None) -> web.Application:
    app = web.Application(middlewares=[errors_middleware], client_max_size=MAX_BODY)
    headers.setup(app)
    app[CONFIG] = config
    use_stages(config.stages_file)  # the office's stages of a case, or the shipped ones
    translator = translator or Translator()
    app[METRICS] = Metrics(translator)

    async def database(app: web.Application) -> AsyncIterator[None]:
        db = Database(config.database_url)
        if config.sqlite:
            await upgrade(db.engine)  # the embedded database migrates itself
        runner = Runner(db, await db.run(store_with_added), translator, now)
        runner.address_key = derive(secret(config), "address")
        runner.warm_up()
        # What start-up loaded (modules, catalogs, rules, locale data) lives as long as the
        # process: kept out of the collector's full passes, which otherwise stop every request
        # for about 80 ms now and then.
        gc.freeze()
        redis = redis_client(config.redis_url) if config.redis_url else None
        limits = {
            "telegram": ChannelLimit(config.telegram_rate, per_chat=1.0),
            "sms": ChannelLimit(config.sms_rate),
            "whatsapp": ChannelLimit(config.whatsapp_rate, per_chat=1.0),
        }
        runner.limiter = LocalLimiter(limits)
        app[THROTTLE] = NewConversations(config.web_new_per_minute)
        if redis is not None:
            runner.locks = RedisLocks(redis)  # one lock per person across every worker
            runner.limiter = RedisLimiter(redis, limits)  # one rate for all workers
            app[THROTTLE] = RedisNewConversations(redis, config.web_new_per_minute)
        app[RUNNER] = runner
        yield
        if redis is not None:
            await redis.aclose()
        await db.close()

    app.cleanup_ctx.append(database)
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/readyz", readyz, name="readyz")
    app.router.add_get("/metrics", metrics_view, name="metrics")
    webchat.setup(app)
    staff_api.setup(app)
    staff_pages.setup(app, secret(config))
    sms.setup(app)
    if config.telegram_token:
        telegram.setup(app)
    if config.whatsapp:
        whatsapp.setup(app)
    app.cleanup_ctx.append(recovery)  # last: after every channel has registered its sender
    return app


async def recovery(app: web.Application) -> AsyncIterator[None]:
    """What a crash left recorded but unanswered is processed while the server already serves
    (the person's lock keeps it in order with anything new from them), and replies stored but
    never sent go out. Then the outbox dispatcher and the sweep start (here, last, when every
    channel has registered how it sends)."""
    runner = app[RUNNER]
    config = app[CONFIG]
    task = asyncio.create_task(_recover(runner, runner.clock(), config.sqlite))
    dispatcher = Dispatcher(
        runner,
        renderers(runner.translator),
        poll=config.outbox_poll,
        limiter=runner.limiter,
        schedulers=[schedule_reminders, send_due],
        stale=timedelta(seconds=config.outbox_stale),
        sole=config.sqlite,
    )
    sending = asyncio.create_task(dispatcher.run_forever())
    sweeping = asyncio.create_task(_sweep(runner, timedelta(days=config.retention_days)))
    yield
    for background in (sending, sweeping):
        background.cancel()
    await asyncio.gather(sending, sweeping, return_exceptions=True)
    await task


class PrivateAccessLogger(AbstractAccessLogger):
    """Access log without query strings: they carry phone numbers, texts and tokens (SMS)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms", request.method, request.path, response.status, time * 1000
        )
