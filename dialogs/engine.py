"""The conversation engine: `resume(session, inbound, store) -> Turn(session, replies, events)`.

Pure: it never sends, sleeps, reads a clock or raises on anything a person types. The time comes
in the inbound message; the runner in `bot/` stores the new session and the events, then sends
the replies. A session is plain JSON with a schema version, so a conversation survives a deploy.

Dialogs are declared as data: each `Step` has a stable id, a question (`ask`) and a reader of the
answer (`answer`); a step that cannot matter for this household says so in `applies` and is
skipped. The engine matches a typed digit, label or key to the choices of the question asked,
handles the global words (menu, back, restart, visit, help, language, stop, forget) in all three
languages, and keeps a history so that "back" re-asks the previous question with the answers kept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.parameters import ParameterStore
from dialogs.appointments import Appointments, Booking
from dialogs.text import Text, msg

SCHEMA_VERSION = 1
LANGUAGES = ("kk", "ru", "en")
CHANNELS = ("sms", "telegram", "web", "console")
MAX_TEXT = 2000  # longer input is cut: nobody types an essay to a benefits bot

Session = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Inbound:
    text: str
    now: datetime  # aware, Asia/Almaty: the runner's clock, never the engine's
    channel: str = "console"
    choice: str | None = None  # a button's key (Telegram callback data)
    language_hint: str | None = None  # Telegram's language_code


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    label: Text


@dataclass(frozen=True, slots=True)
class Reply:
    lines: tuple[Text, ...]
    choices: tuple[Choice, ...] = ()
    booking: Booking | None = None  # a visit just booked: Telegram adds it as a calendar file


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # consent_given, consent_declined, assessment_done, forget_me, opt_out, opt_in, ...
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Turn:
    session: Session
    replies: tuple[Reply, ...]
    events: tuple[Event, ...]


@dataclass(slots=True)
class Ctx:
    """What a step sees: the session being changed, the time, the channel and the parameters."""

    session: Session
    now: datetime
    channel: str
    store: ParameterStore
    events: list[Event] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)  # said before the next question
    appointments: Appointments | None = None  # None where no booking is possible
    booking: Booking | None = None  # attached to the last reply of the turn

    @property
    def lang(self) -> str:
        return str(self.session.get("lang") or "ru")

    @property
    def answers(self) -> dict[str, Any]:
        answers: dict[str, Any] = self.session.setdefault("answers", {})
        return answers

    @property
    def sms(self) -> bool:
        return self.channel == "sms"


@dataclass(frozen=True, slots=True)
class Answer:
    text: str  # what was typed, stripped
    key: str | None  # the choice it matched, if any


@dataclass(frozen=True, slots=True)
class Go:
    """Move on: to `step`, or to the next applicable step of the flow when None."""

    step: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """Not understood: say why and ask again."""

    hint: Text


Outcome = Go | Retry


def _always(ctx: Ctx) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    ask: Callable[[Ctx], Reply]
    answer: Callable[[Ctx, Answer], Outcome]
    applies: Callable[[Ctx], bool] = _always
    flow: str = ""  # steps of one flow follow each other in declaration order
    remember: bool = True  # whether "back" can return here


STEPS: dict[str, Step] = {}
FLOWS: dict[str, list[str]] = {}


def register(*steps: Step) -> None:
    for step in steps:
        if step.id in STEPS:
            raise ValueError(f"step {step.id} declared twice")
        STEPS[step.id] = step
        FLOWS.setdefault(step.flow, []).append(step.id)


# ------------------------------------------------------------------------------------------
# Global words, in the three languages

GLOBAL_WORDS: dict[str, frozenset[str]] = {
    "menu": frozenset({"menu", "меню", "мәзір", "мазир", "/menu", "/start", "start", "старт"}),
    "back": frozenset({"back", "назад", "артқа", "артка", "/back"}),
    "restart": frozenset({"restart", "заново", "сначала", "қайта", "кайта", "басынан", "/restart"}),
    "help": frozenset({"help", "помощь", "справка", "анықтама", "/help", "?"}),
    "language": frozenset({"language", "язык", "тіл", "тил", "/language", "lang"}),
    "stop": frozenset({"stop", "стоп", "тоқтату", "токтату", "/stop"}),
    "forget": frozenset({"forget", "забыть", "удалить", "ұмыту", "өшіру", "/forget"}),
    "visit": frozenset({"visit", "/visit", "запись", "визит", "жазылу", "кездесу"}),
}


def global_word(text: str) -> str | None:
    word = text.strip().lower().rstrip(".!")
    for name, words in GLOBAL_WORDS.items():
        if word in words:
            return name
    return None


# ------------------------------------------------------------------------------------------
# Sessions


def new_session() -> Session:
    return {"v": SCHEMA_VERSION, "lang": None, "step": None, "answers": {}, "history": []}


def upgrade(session: Mapping[str, Any] | None) -> Session:
    """Bring a stored session to the current schema; anything unreadable starts afresh."""
    if not isinstance(session, Mapping) or session.get("v") != SCHEMA_VERSION:
        fresh = new_session()
        if isinstance(session, Mapping) and session.get("lang") in LANGUAGES:
            fresh["lang"] = session["lang"]
        return fresh
    result = copy.deepcopy(dict(session))
    if not isinstance(result.get("answers"), dict):
        result["answers"] = {}
    if not isinstance(result.get("history"), list):
        result["history"] = []
    if result.get("step") is not None and result["step"] not in STEPS:
        result["step"] = None
    if result.get("lang") not in (*LANGUAGES, None):
        result["lang"] = None
    return result


# ------------------------------------------------------------------------------------------
# Matching what was typed to the choices of the question asked


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().replace("ё", "е").split())


def match_choice(
    text: str,
    key: str | None,
    choices: tuple[Choice, ...],
    lang: str,
    label_of: Callable[[Text, str], str],
) -> str | None:
    """The key of the choice meant: a button's key, the menu number, the label, or the key."""
    if key is not None and any(c.key == key for c in choices):
        return key
    typed = _norm(text)
    if not typed:
        return None
    keys = [c.key for c in choices]
    if typed.isdecimal() and 1 <= int(typed) <= len(choices):
        return keys[int(typed) - 1]
    for choice in choices:
        if typed == choice.key.lower():
            return choice.key
        for language in (lang, *LANGUAGES):
            if typed == _norm(label_of(choice.label, language)):
                return choice.key
    return None


# The engine needs each choice's label in words to match what is typed; `bot/` gives the real
# translator, tests and pure callers may rely on the English msgid.
LabelOf = Callable[[Text, str], str]


def english_label(text: Text, language: str) -> str:
    del language
    return text.msgid.format_map({k: str(v) for k, v in text.params.items()})


# ------------------------------------------------------------------------------------------
# resume


def resume(
    session: Mapping[str, Any] | None,
    inbound: Inbound,
    store: ParameterStore,
    label_of: LabelOf = english_label,
    appointments: Appointments | None = None,
) -> Turn:
    state = upgrade(session)
    text = (inbound.text or "")[:MAX_TEXT].strip()
    ctx = Ctx(
        state,
        inbound.now,
        inbound.channel if inbound.channel in CHANNELS else "console",
        store,
        appointments=appointments,
    )
    replies: list[Reply] = []

    if state.get("lang") is None and inbound.language_hint:
        hint = inbound.language_hint.lower()[:2]
        if hint in LANGUAGES:
            state["lang"] = hint

    if state.get("stopped"):
        if global_word(text) == "menu" or _norm(text) in {"start", "старт", "бастау", "/start"}:
            state["stopped"] = False
            ctx.events.append(Event("opt_in"))
            return _finish(ctx, replies, _enter(ctx, "menu"))
        return Turn(state, (), tuple(ctx.events))

    word = global_word(text) if inbound.choice is None else None
    current = state.get("step")
    if current is None:
        first = (
            "language"
            if state.get("lang") is None
            else ("consent" if not state.get("consent") else "menu")
        )
        if state.get("lang") is None:
            guessed = guess_language(text)
            if guessed is not None:
                state["lang"] = guessed
                first = "consent" if not state.get("consent") else "menu"
        if word == "stop":
            return _stop(ctx)
        return _finish(ctx, replies, _enter(ctx, first))

    if word == "stop":
        return _stop(ctx)
    if word == "help":
        replies.append(Reply((_help_text(ctx),)))
        return _finish(ctx, replies, _ask(ctx, current))
    if word == "language":
        state["after_language"] = current
        return _finish(ctx, replies, _enter(ctx, "language"))
    if word == "forget":
        return _finish(ctx, replies, _enter(ctx, "forget"))
    if word == "menu" and state.get("consent"):
        return _finish(ctx, replies, _enter(ctx, "menu"))
    if word == "visit":
        if not state.get("consent"):  # a booking is kept with the person: consent first
            return _finish(ctx, replies, _enter(ctx, "consent"))
        state["visit"] = {}
        return _finish(ctx, replies, _enter(ctx, "visit_closed"))
    if word == "restart" and state.get("consent"):
        state["answers"] = {}
        state["history"] = []
        return _finish(ctx, replies, _enter(ctx, FLOWS["assessment"][0]))
    if word == "back":
        history = state["history"]
        while history:
            previous = history.pop()
            if previous in STEPS and STEPS[previous].applies(ctx):
                state["step"] = previous
                return _finish(ctx, replies, _ask(ctx, previous))
        return _finish(ctx, replies, _ask(ctx, current))

    step = STEPS[current]
    asked = step.ask(ctx)
    key = match_choice(text, inbound.choice, asked.choices, ctx.lang, label_of)
    if asked.choices and key is None and inbound.choice is not None:
        # A button from an older message: treat its key as typed text.
        text = inbound.choice
    outcome = step.answer(ctx, Answer(text, key))
    if isinstance(outcome, Retry):  # one message: why, then the question again
        ctx.notes.append(outcome.hint)
        return _finish(ctx, replies, _ask(ctx, current))
    target = outcome.step if outcome.step is not None else _next_in_flow(ctx, current)
    if step.remember:
        state["history"] = [*state["history"], current][-30:]
    return _finish(ctx, replies, _enter(ctx, target))


def _next_in_flow(ctx: Ctx, current: str) -> str:
    flow = FLOWS[STEPS[current].flow]
    index = flow.index(current)
    for step_id in flow[index + 1 :]:
        if STEPS[step_id].applies(ctx):
            return step_id
    return "menu"


def _enter(ctx: Ctx, step_id: str) -> Reply:
    """Make `step_id` current (skipping it forward if it does not apply) and ask it."""
    step = STEPS[step_id]
    if not step.applies(ctx):
        step_id = _next_in_flow(ctx, step_id)
    ctx.session["step"] = step_id
    return _ask(ctx, step_id)


def _ask(ctx: Ctx, step_id: str) -> Reply:
    reply = STEPS[step_id].ask(ctx)
    if ctx.notes:
        reply = Reply((*ctx.notes, *reply.lines), reply.choices)
        ctx.notes.clear()
    return reply


def _finish(ctx: Ctx, replies: list[Reply], last: Reply) -> Turn:
    if ctx.booking is not None:
        last = Reply(last.lines, last.choices, ctx.booking)
    return Turn(ctx.session, (*replies, last), tuple(ctx.events))


def _stop(ctx: Ctx) -> Turn:
    ctx.session["stopped"] = True
    ctx.events.append(Event("opt_out"))
    return Turn(
        ctx.session,
        (Reply((msg("You will get no more messages from Komek. Write START to come back."),)),),
        tuple(ctx.events),
    )


def _help_text(ctx: Ctx) -> Text:
    del ctx
    return msg(
        "Answer with the number of a choice or in words. Anytime: MENU, BACK, RESTART, "
        "VISIT, LANGUAGE, HELP, STOP."
    )


_KAZAKH_LETTERS = frozenset("әғқңөұүһі")
_ENGLISH_GREETINGS = frozenset(
    {"hello", "hi", "hey", "good morning", "good afternoon", "good evening"}
)


def guess_language(text: str) -> str | None:
    """Kazakh letters say Kazakh; other Cyrillic says Russian; an English greeting says English;
    nothing else decides (Latin letters may be Kazakh in the new alphabet)."""
    lowered = text.lower()
    if " ".join(lowered.replace("!", " ").replace(",", " ").split()) in _ENGLISH_GREETINGS:
        return "en"
    if any(c in _KAZAKH_LETTERS for c in lowered):
        return "kk"
    letters = [c for c in lowered if c.isalpha()]
    if len(letters) >= 3 and all("а" <= c <= "я" or c == "ё" for c in letters):
        return "ru"
    return None
