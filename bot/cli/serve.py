"""`komek run`, `komek serve`, `komek db upgrade` and `komek chat`: the server, its database, and
the conversation in a terminal."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from bot.cli.common import config, with_database


def cmd_chat(args: argparse.Namespace, out: TextIO) -> int:
    from bot.channels.console import chat  # noqa: PLC0415 - loads the catalogs only when asked

    return chat(args.lang, args.sms, sys.stdin, out, config().database_url)


def cmd_db_upgrade(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio  # noqa: PLC0415

    from bot.storage.db import make_engine, upgrade  # noqa: PLC0415

    settings = config()

    async def migrate() -> None:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    out.write("database is at the newest schema\n")
    return 0


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    import logging  # noqa: PLC0415

    from aiohttp import web  # noqa: PLC0415

    from bot.config import ConfigError  # noqa: PLC0415
    from bot.keys import secret  # noqa: PLC0415
    from bot.server import PrivateAccessLogger, create_app  # noqa: PLC0415

    settings = config()
    try:
        secret(settings)  # made (SQLite) or required (PostgreSQL) before anything is served
    except ConfigError as exc:
        raise SystemExit(f"komek: configuration: {exc}") from None
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    out.write(f"Komek web chat: http://{settings.host}:{settings.port}/\n")
    out.flush()
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log_class=PrivateAccessLogger,
    )
    return 0


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    cmd_db_upgrade(args, out)
    return cmd_serve(args, out)


def cmd_db_purge(args: argparse.Namespace, out: TextIO) -> int:
    """What consent promises, at once: conversation data older than KOMEK_RETENTION_DAYS goes."""
    from datetime import timedelta  # noqa: PLC0415

    from bot import clock  # noqa: PLC0415
    from bot.storage.retention import purge  # noqa: PLC0415

    days = config().retention_days
    deleted = with_database(lambda db: purge(db, clock.now() - timedelta(days=days)))
    out.write(f"older than {days} days, deleted: ")
    out.write(", ".join(f"{n} {table}" for table, n in deleted.items()) + "\n")
    return 0


def register(sub: Any) -> None:
    chat = sub.add_parser("chat", help="talk to Komek in the terminal")
    chat.add_argument("--lang", choices=("kk", "ru", "en"), help="skip the language question")
    chat.add_argument("--sms", action="store_true", help="show it as an SMS user sees it")
    chat.set_defaults(handler=cmd_chat)

    serve = sub.add_parser("serve", help="run the server (web chat, webhooks, dashboard)")
    serve.set_defaults(handler=cmd_serve)
    run = sub.add_parser("run", help="migrate the database, then serve")
    run.set_defaults(handler=cmd_run)
    db = sub.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_sub.add_parser("upgrade", help="migrate to the newest schema")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)
    db_purge = db_sub.add_parser("purge", help="delete conversation data past its retention")
    db_purge.set_defaults(handler=cmd_db_purge)
