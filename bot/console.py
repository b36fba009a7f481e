"""`komek chat`: the conversation in a terminal, as on Telegram or (with --sms) as on a basic
phone, with each message's SMS encoding and segment count."""

from __future__ import annotations

import itertools
import sys
from datetime import datetime, timedelta, timezone
from typing import TextIO

from bot.i18n import Translator
from bot.parameters import default_store
from bot.render import LabelOfTranslator, render_menu
from dialogs.conversation import Inbound, Session, new_session, resume
from dialogs.segments import cost

ALMATY = timezone(timedelta(hours=5), "Asia/Almaty")


def chat(language: str | None, sms: bool, stdin: TextIO, stdout: TextIO) -> int:
    translator = Translator()
    label_of = LabelOfTranslator(translator)
    store = default_store()
    session: Session = new_session()
    if language:
        session["lang"] = language
    channel = "sms" if sms else "console"
    stdout.write("Komek. Ctrl-D to leave.\n\n")
    for line in itertools.chain([""], stdin):  # the empty first line opens the conversation
        turn = resume(session, Inbound(line, datetime.now(ALMATY), channel), store, label_of)
        session = turn.session
        lang = str(session.get("lang") or "ru")
        for reply in turn.replies:
            text = render_menu(reply, lang, translator, one_line=sms)
            if sms:
                c = cost(text)
                stdout.write(f"--- SMS: {c.segments} segment(s), {c.encoding}, {c.units} units\n")
            stdout.write(text + "\n\n")
        stdout.flush()
    return 0


def main_chat(language: str | None, sms: bool) -> int:
    return chat(language, sms, sys.stdin, sys.stdout)
