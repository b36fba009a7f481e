"""Booking, moving and cancelling a visit, as whole conversations against golden transcripts in
kk, ru and en, rendered for Telegram and for SMS; a slot taken by someone else between showing and
booking it; "back" through lists shown page by page; and the region of a self-assessment used for
the booking. The port is kept in memory (see memory_appointments.py). Every SMS reply stays within
the SMS budget.

Set KOMEK_UPDATE_GOLDEN=1 to rewrite the goldens after a deliberate change, then read the diff.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import yaml

from bot.conversation.render import LabelOfTranslator, render_menu, render_text
from bot.i18n.translator import Translator
from core.parameters import ParameterStore
from dialogs.conversation import Inbound, Session, new_session, resume
from dialogs.segments import SMS_BUDGET, cost
from tests.dialogs.memory_appointments import (
    MemoryAppointments,
    example_offices,
    shipped_calendar,
)
from tests.dialogs.test_golden import GOLDEN, OPENING, UPDATE, WORDS, render

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # a Thursday
VISIT = {"kk": "жазылу", "ru": "запись", "en": "visit"}

# Inputs after the opening greeting: "1" gives consent, then VISIT opens the dialog; the region
# is asked (no self-assessment yet), "1" is Almaty city (first in every language's alphabet), "1"
# its first office. Telegram chooses a day then a time; SMS chooses among three slots at a time.
# "back" on a list shown page by page turns back a page; "back" from the days returns to the times
# of the day chosen before.
SCENARIOS: dict[str, dict[str, list[str]]] = {
    "visit_book_move_cancel": {
        "telegram": ["1", "VISIT", "1", "1", "2", "3", "1",
                     "VISIT", "1", "3", "1", "1",
                     "VISIT", "2", "1"],
        "sms": ["1", "VISIT", "1", "1", "4", "2", "1",
                "VISIT", "1", "1", "1",
                "VISIT", "2", "1"],
    },
    "visit_just_taken": {
        "telegram": ["1", "VISIT", "1", "1", "2", "1", "1", "1", "1"],
        "sms": ["1", "VISIT", "1", "1", "1", "1", "1", "1"],
    },
    "visit_back_through_pages": {
        "telegram": ["1", "VISIT", "1", "1", "6", "back", "back", "1", "2", "9", "back", "10",
                     "back", "1", "1"],
        "sms": ["1", "VISIT", "1", "1", "4", "4", "back", "back", "2", "1"],
    },
    "visit_after_a_self_assessment": {
        # The region of the self-assessment is Astana, which has an office: not asked again.
        "telegram": ["1", "Астана", "66", "0", "30000", "1", "1", "1", "2", "1", "1", "1", "1"],
        "sms": ["1", "Астана", "66", "0", "30000", "1", "1", "2", "1", "1", "1"],
    },
}  # fmt: skip
STOLEN = {  # the slot someone else books first, per scenario
    "visit_just_taken": {
        "telegram": datetime.fromisoformat("2026-11-27T09:00:00+05:00"),
        "sms": datetime.fromisoformat("2026-11-26T12:00:00+05:00"),
    }
}


def play(
    name: str, language: str, channel: str, store: ParameterStore, translator: Translator
) -> tuple[list[dict[str, str]], MemoryAppointments]:
    port = MemoryAppointments(example_offices(), shipped_calendar(), NOW)
    stolen = STOLEN.get(name, {}).get(channel)
    if stolen is not None:
        port.steal.add(stolen)
    session: Session = new_session()
    label_of = LabelOfTranslator(translator)
    transcript: list[dict[str, str]] = []
    for text in [*OPENING[language], *SCENARIOS[name][channel]]:
        typed = VISIT[language] if text == "VISIT" else WORDS[language].get(text, text)
        turn = resume(session, Inbound(typed, NOW, channel), store, label_of, port)
        session = turn.session
        lang = str(session.get("lang") or "ru")
        out = []
        for reply in turn.replies:
            rendered = render(reply, lang, channel, translator)
            if channel == "sms":
                segments = cost(render_menu(reply, lang, translator, one_line=True)).segments
                assert segments <= SMS_BUDGET, f"{segments} SMS: {rendered}"
            elif reply.booking is not None:
                rendered += f"\n(calendar file: visit {reply.booking.id})"
            out.append(rendered)
        transcript.append({"in": typed, "out": "\n---\n".join(out)})
    return transcript, port


CASES = [
    pytest.param(name, language, channel, id=f"{name}.{language}.{channel}")
    for name in SCENARIOS
    for language in ("kk", "ru", "en")
    for channel in ("sms", "telegram")
]


@pytest.mark.parametrize(("name", "language", "channel"), CASES)
def test_visit_conversation_matches_its_golden(
    name: str, language: str, channel: str, store: ParameterStore, translator: Translator
) -> None:
    before = translator.missing[language]
    transcript, port = play(name, language, channel, store, translator)
    path = GOLDEN / f"{name}.{language}.{channel}.yaml"
    body = yaml.safe_dump(transcript, allow_unicode=True, sort_keys=False, width=100)
    if UPDATE or not path.exists():
        path.write_text(body, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == body, (
        f"{path.name} differs: rerun with KOMEK_UPDATE_GOLDEN=1 and read the diff"
    )
    assert translator.missing[language] == before, "a string fell back to another language"
    for turn in transcript:
        assert "{" not in turn["out"], turn
    _check_outcome(name, channel, port)


def _check_outcome(name: str, channel: str, port: MemoryAppointments) -> None:
    if name == "visit_book_move_cancel":
        assert port.upcoming() == []  # booked, moved, then cancelled
        assert sum(port.taken.values()) == 0
    elif name in ("visit_back_through_pages", "visit_after_a_self_assessment"):
        (booking,) = port.upcoming()
        if name == "visit_after_a_self_assessment":
            assert booking.office.region == "astana"
    else:
        (booking,) = port.upcoming()
        stolen = STOLEN[name][channel]
        assert booking.start != stolen and booking.start > stolen


def test_every_booking_reply_carries_the_visit_for_a_calendar_file(
    store: ParameterStore, translator: Translator
) -> None:
    transcript, _ = play("visit_book_move_cancel", "kk", "telegram", store, translator)
    files = [t for t in transcript if "(calendar file" in t["out"]]
    assert len(files) == 2  # the booking and the move


def test_without_a_port_booking_says_where_to_apply(
    store: ParameterStore, translator: Translator
) -> None:
    session: Session = new_session()
    replies: list[Any] = []
    for text in ("Здравствуйте", "1", "запись"):
        turn = resume(session, Inbound(text, NOW, "telegram"), store)
        session = turn.session
        replies = list(turn.replies)
    text = render_text(replies[-1], "ru", translator)
    assert "egov.kz" in text
