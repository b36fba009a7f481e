"""`komek chat`: the conversation in a terminal, as on Telegram or (with --sms) as on a basic
phone, with each message's SMS encoding and segment count.

It runs through the same runner as the channels, on the configured database (the embedded
SQLite file by default, migrated on first use), so that booking a visit works here too. Each
run is a new person."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import TextIO

from bot.clock import now
from bot.conversation.runner import InboundMessage, Runner
from bot.i18n.translator import Translator
from bot.parameters import default_store
from bot.storage.database import Database
from bot.storage.db import upgrade
from dialogs.segments import cost


def chat(language: str | None, sms: bool, stdin: TextIO, stdout: TextIO, database_url: str) -> int:
    return asyncio.run(_chat(language, sms, stdin, stdout, database_url))


async def _chat(
    language: str | None, sms: bool, stdin: TextIO, stdout: TextIO, database_url: str
) -> int:
    db = Database(database_url)
    try:
        if db.dialect == "sqlite":
            await upgrade(db.engine)
        clock = lambda: now()  # noqa: E731, PLW0108 - late-bound: tests fix the time
        runner = Runner(db, default_store(), Translator(), clock)
        channel = "sms" if sms else "console"
        address = f"terminal-{uuid.uuid4().hex[:12]}"
        stdout.write("Komek. Ctrl-D to leave.\n\n")
        for line in itertools.chain([""], stdin):  # the empty first line opens the conversation
            replies = await runner.handle(
                InboundMessage(channel, address, line.rstrip("\n"), language_hint=language)
            )
            await runner.mark_many([reply.message_id for reply in replies], "sent")
            for reply in replies:
                if sms:
                    c = cost(reply.text)
                    stdout.write(
                        f"--- SMS: {c.segments} segment(s), {c.encoding}, {c.units} units\n"
                    )
                stdout.write(reply.text + "\n\n")
            stdout.flush()
    finally:
        await db.close()
    return 0
