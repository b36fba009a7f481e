"""The conversation engine: `resume(session, inbound, store) -> Turn(session, replies, events)`.

Pure: it never sends, sleeps, reads a clock or raises on anything a person types. The time comes
in the inbound message; the runner in `bot/` stores the new session and the events, then sends
the replies. A session is plain JSON with a schema version, so a conversation survives a deploy.

Dialogs are declared as data: each `Step` has a stable id, a question (`ask`) and a reader of the
answer (`answer`); a step that cannot matter for this household says so in `applies` and is
skipped. The engine matches a typed digit, label or key to the choices of the question asked,
handles the global words (menu, back, restart, visit, my application, person, help, language,
stop, forget) in all three languages, and keeps a history so that "back" re-asks the previous
question with the answers kept (a step that shows a list page by page turns back a page first). An
optional question (feedback) that gets something other than its answer passes it on (`Pass`) to
the step the person was at, which reads it as if the question had not been asked.

What the engine adds to every question: the answer just given, said back (`Step.echo`) with a
way to change it; the input a channel should offer (`Reply.input_hint`); and, in the
self-assessment, how far along the person is (`Reply.progress`). `current` re-asks the question
a person is at without touching the session (a web page that reloads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from core.parameters import ParameterStore
from dialogs.appointments import Appointments, Booking
from dialogs.cases import Cases
from dialogs.handover import Handover
from dialogs.person import (
    ASKED,
    MISSES_BEFORE_OFFER,
    PERSON_WORDS,
    Desk,
    held,
    hold,
    waiting_lines,
)
from dialogs.segments import within_budget
from dialogs.text import Text, msg

SCHEMA_VERSION = 1
LANGUAGES = ("kk", "ru", "en")
CHANNELS = ("sms", "telegram", "web", "console")
BUTTON_CHANNELS = ("telegram", "web")  # choices are buttons; elsewhere a numbered menu
MAX_TEXT = 2000  # longer input is cut: nobody types an essay to a benefits bot
ASSESSMENT = "assessment"  # the flow whose questions are counted in `Reply.progress`
NUMERIC, TEXT = "numeric", "text"  # `Reply.input_hint`: the keyboard a question wants
CHANGE = "change"  # the key of the choice that goes back to change the answer said back

Session = dict[str, Any]

# The engine needs each choice's label in words to match what is typed; `bot/` gives the real
# translator, tests and pure callers may rely on the English msgid.
LabelOf = Callable[[Text, str], str]


def english_label(text: Text, language: str) -> str:
    del language
    return text.msgid.format_map({k: str(v) for k, v in text.params.items()})


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
    selected: bool = False  # in a multi-select question: toggled on (a ✓, a pressed button)


@dataclass(frozen=True, slots=True)
class Reply:
    lines: tuple[Text, ...]
    choices: tuple[Choice, ...] = ()
    booking: Booking | None = None  # a visit just booked: Telegram adds it as a calendar file
    # The keyboard the question wants: NUMERIC (a number or numbers) or TEXT; None when the
    # reply asks nothing. Channels decide what to do with it (the web chat's input box).
    input_hint: str | None = None
    # Question n of about m of the self-assessment; None outside it. Never written into the text.
    progress: tuple[int, int] | None = None
    # A multi-select question (button channels): each tap toggles a choice, `selected` marks
    # those on, and a "done" choice sends them.
    multi: bool = False


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
    earlier: list[Reply] = field(default_factory=list)  # notes too long to share an SMS with it
    appointments: Appointments | None = None  # None where no booking is possible
    handover: Handover | None = None  # the web chat's move to Telegram or SMS; None elsewhere
    desk: Desk | None = None  # who answers a family that asks for a person; None: not known
    cases: Cases | None = None  # the family's case ("my application"); None where none is kept
    booking: Booking | None = None  # attached to the last reply of the turn
    # A message in words, in a language: what a step measures when it must fit an SMS budget.
    label_of: LabelOf = english_label
    # What steps work out from the answers (the core's assessment), kept for the turn: whether a
    # question applies and how many remain ask it many times over the same answers.
    memo: dict[str, Any] = field(default_factory=dict)

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

    @property
    def buttons(self) -> bool:
        return self.channel in BUTTON_CHANNELS


@dataclass(frozen=True, slots=True)
class Answer:
    text: str  # what was typed, stripped
    key: str | None  # the choice it matched, if any
    tapped: bool = False  # the key came from a button, not from typing
    pressed: bool = False  # a button was pressed (maybe one of an earlier message)


@dataclass(frozen=True, slots=True)
class Go:
    """Move on: to `step`, or to the next applicable step of the flow when None."""

    step: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """Not understood: say why and ask again."""

    hint: Text


@dataclass(frozen=True, slots=True)
class Pass:
    """Not an answer to this (optional) question: leave it without complaint, and let `step`
    read the input as if the question had not been asked; what `step` cannot read either
    brings its question, without a hint."""

    step: str


Outcome = Go | Retry | Pass


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
    input: str = TEXT  # the keyboard the question wants (`Reply.input_hint`)
    # The answer said back with the next question ("You wrote 120 000 ₸ a month..."), so that
    # a mistyped amount or age is seen before it decides the result; None says nothing back.
    echo: Callable[[Ctx], Text | None] | None = None
    # "Back" handled by the step itself (a list shown page by page turns back a page): the step
    # to ask (this one again, or another), or None for the previous question in the history.
    back: Callable[[Ctx], str | None] | None = None
    question: bool = True  # False for what is shown rather than asked (a result, a review)


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
    "menu": frozenset(
        {"menu", "меню", "мәзір", "мазир", "/menu", "/start", "start", "старт", "бастау"}
    ),
    "back": frozenset({"back", "назад", "артқа", "артка", "/back"}),
    "restart": frozenset({"restart", "заново", "сначала", "қайта", "кайта", "басынан", "/restart"}),
    # "Көмек" is the product's name and the Kazakh for help: someone writing it wants help.
    "help": frozenset(
        {"help", "помощь", "справка", "анықтама", "көмек", "комек", "komek", "/help", "?"}
    ),
    "language": frozenset({"language", "язык", "тіл", "тил", "/language", "lang"}),
    "stop": frozenset({"stop", "стоп", "тоқтату", "токтату", "/stop"}),
    "forget": frozenset({"forget", "забыть", "удалить", "ұмыту", "өшіру", "/forget"}),
    "visit": frozenset({"visit", "/visit", "запись", "визит", "жазылу", "кездесу"}),
    "person": PERSON_WORDS,  # a social worker, not the bot (see dialogs.person)
    "application": frozenset(
        {"my application", "application", "/application", "моя заявка", "заявка", "моё заявление"}
        | {"мое заявление", "менің өтінішім", "өтінішім", "менин отинишим", "өтініш"}
    ),
}
# What a family may still do while a social worker has the conversation: the steps it may be
# at, and the words the bot still answers (everything else goes to the worker).
HELD_STEPS = frozenset({"language", "forget"})
# Flows whose "not understood" is no misunderstanding a person could clear up: the offer itself,
# the trilingual language menu, and a confirmation code typed wrong (the web chat's hand-over).
NO_OFFER_FLOWS = frozenset({"person", "language", "handover"})


START_WORDS = frozenset({"start", "старт", "бастау", "/start"})


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
    result: Session = _copied(session)
    if not isinstance(result.get("answers"), dict):
        result["answers"] = {}
    if not isinstance(result.get("history"), list):
        result["history"] = []
    if result.get("step") is not None and result["step"] not in STEPS:
        result["step"] = None
    if result.get("lang") not in (*LANGUAGES, None):
        result["lang"] = None
    return result


def _copied(value: Any) -> Any:
    """A copy of a session (JSON: dicts, lists, strings, numbers), so that the caller's is never
    changed; several times quicker than `copy.deepcopy`, which a turn would spend most on."""
    if isinstance(value, Mapping):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


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


# ------------------------------------------------------------------------------------------
# resume


def resume(  # noqa: PLR0917 - the ports are optional, in the order the runner gives them
    session: Mapping[str, Any] | None,
    inbound: Inbound,
    store: ParameterStore,
    label_of: LabelOf = english_label,
    appointments: Appointments | None = None,
    handover: Handover | None = None,
    desk: Desk | None = None,
    cases: Cases | None = None,
) -> Turn:
    state = upgrade(session)
    text = (inbound.text or "")[:MAX_TEXT].strip()
    ctx = Ctx(
        state,
        inbound.now,
        inbound.channel if inbound.channel in CHANNELS else "console",
        store,
        appointments=appointments,
        handover=handover,
        desk=desk,
        cases=cases,
        label_of=label_of,
    )
    replies: list[Reply] = []

    if state.get("lang") is None and inbound.language_hint:
        hint = inbound.language_hint.lower()[:2]
        if hint in LANGUAGES:
            state["lang"] = hint

    if state.get("stopped") and ctx.channel == "web":
        # A web page stopped by an earlier release: it answers again; the messages stay off.
        state["stopped"] = False
        state["opted_out"] = True
    if state.get("stopped"):
        if global_word(text) == "menu" or _norm(text) in START_WORDS:
            state["stopped"] = False
            ctx.events.append(Event("opt_in"))
            return _finish(ctx, replies, _enter(ctx, "menu"))
        return Turn(state, (), tuple(ctx.events))

    word = global_word(text) if inbound.choice is None else None
    if state.get("opted_out") and _norm(text) in START_WORDS:
        # STOP on the web ended the messages that are not replies; START turns them back on.
        state.pop("opted_out")
        ctx.events.append(Event("opt_in"))
        ctx.notes.append(msg("Messages from Komek are on again."))
    current = state.get("step")
    if word == "application":
        # Asked at any time, even as the first message (a reply to a notice of the case): the
        # case is the office's, so no consent is needed to read it back.
        if state.get("lang") is None:
            state["lang"] = guess_language(text) or "en"
        return _finish(ctx, replies, _enter(ctx, "my_application"))
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
    if held(state) and current not in HELD_STEPS:
        # A social worker has the conversation: what is written is theirs (the runner puts it
        # in the inbox); the bot answers only LANGUAGE and FORGET (and STOP, above).
        if word == "language":
            state["after_language"] = current
            return _finish(ctx, replies, _enter(ctx, "language"))
        if word == "forget":
            return _finish(ctx, replies, _enter(ctx, "forget"))
        ctx.events.append(Event("person_message"))
        return Turn(state, (), tuple(ctx.events))
    if held(state) and word not in ("language", "forget"):
        word = None  # at the language or forget question while held: nowhere else to go
    if word == "person" and "person_offer" in STEPS:
        state.pop("misses", None)
        back = current
        if STEPS[current].flow == "person":  # asked again while offered or asked the region
            back = str(state.get("person_back") or state.get("person_offer") or "menu")
        state.pop("person_offer", None)
        return _outcome(ctx, replies, current, start_person(ctx, ASKED, back))
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
        return _finish(ctx, replies, _enter(ctx, FLOWS[ASSESSMENT][0]))
    if word == "back":
        return _finish(ctx, replies, _back(ctx, current))

    return _read(ctx, replies, current, text, inbound)


def _read(
    ctx: Ctx,
    replies: list[Reply],
    current: str,
    text: str,
    inbound: Inbound,
    *,
    quiet: bool = False,
) -> Turn:
    """Read the input as the answer to `current` and move on; `quiet` when another question
    passed the input on (`Pass`): what `current` cannot read brings its question, no hint."""
    state, label_of = ctx.session, ctx.label_of
    step = STEPS[current]
    asked = _question(ctx, current, measured=False)  # what was asked, to read the answer by
    key = match_choice(text, inbound.choice, asked.choices, ctx.lang, label_of)
    typed = text
    if asked.choices and key is None and inbound.choice is not None:
        # A button from an older message: treat its key as typed text.
        text = inbound.choice
    # A typed number picks "change" only from a numbered menu of answers (SMS); where the answer
    # itself is typed numbers (ages, members), the number is the answer.
    typed_number = inbound.choice is None and _norm(text).isdecimal()
    if (
        key == CHANGE
        and typed_number
        and (asked.multi or all(c.key == CHANGE for c in asked.choices))
    ):
        key = None
    if key == CHANGE and any(c.key == CHANGE for c in asked.choices):
        return _finish(ctx, replies, _change(ctx))
    tapped = inbound.choice is not None and key == inbound.choice
    outcome = step.answer(ctx, Answer(text, key, tapped, pressed=inbound.choice is not None))
    if isinstance(outcome, Pass) and outcome.step in STEPS and not quiet:
        _move(ctx, outcome.step)
        return _read(ctx, replies, outcome.step, typed, inbound, quiet=True)
    if isinstance(outcome, Pass):
        return _finish(ctx, replies, _enter(ctx, outcome.step if outcome.step in STEPS else "menu"))
    if isinstance(outcome, Retry) and quiet:
        return _finish(ctx, replies, _ask(ctx, current))
    if isinstance(outcome, Retry):  # one message: why, then the question again
        ctx.notes.append(outcome.hint)
        if _missed(ctx, current) >= MISSES_BEFORE_OFFER:
            state.pop("misses", None)
            state["person_offer"] = current
            return _finish(ctx, replies, _enter(ctx, "person_offer"))
        return _finish(ctx, replies, _ask(ctx, current))
    state.pop("misses", None)
    return _outcome(ctx, replies, current, outcome)


def _outcome(ctx: Ctx, replies: list[Reply], current: str, outcome: Go) -> Turn:
    """Move on as `outcome` says from `current`; a conversation just passed to a social worker
    (or held, and back from the language question) says who will answer instead."""
    state, step = ctx.session, STEPS[current]
    target = outcome.step if outcome.step is not None else _next_in_flow(ctx, current)
    landing = target if STEPS[target].applies(ctx) else _next_in_flow(ctx, target)
    if held(state):
        _move(ctx, landing)
        return _finish(ctx, replies, _held_reply(ctx))
    if landing != current:
        if step.remember:
            state["history"] = [*state["history"], current][-30:]
        if step.echo is not None:
            state["echo"] = current
        else:
            state.pop("echo", None)
    else:  # a step shown again (a page, a toggle) is one step; what was said back, was said
        state.pop("echo", None)
    return _finish(ctx, replies, _enter(ctx, landing))


def current(  # noqa: PLR0917 - the signature the channels call
    session: Mapping[str, Any] | None,
    now: datetime,
    channel: str,
    store: ParameterStore,
    label_of: LabelOf,
    appointments: Appointments | None = None,
    handover: Handover | None = None,
    desk: Desk | None = None,
    cases: Cases | None = None,
) -> tuple[Reply, ...]:
    """The question the person is at, asked again without reading any input and without changing
    the session (a page that reloads); empty when there is none (not started, or stopped)."""
    state = upgrade(session)  # a copy: nothing a step does while asking reaches `session`
    step_id = state.get("step")
    if state.get("stopped") or step_id is None:
        return ()
    ctx = Ctx(
        state,
        now,
        channel if channel in CHANNELS else "console",
        store,
        appointments=appointments,
        handover=handover,
        desk=desk,
        cases=cases,
        label_of=label_of,
    )
    if held(state) and step_id not in HELD_STEPS:
        return (_held_reply(ctx),)
    return (_question(ctx, step_id),)


def start_person(ctx: Ctx, reason: str, back: str) -> Go:
    """Pass the conversation to a person (`reason`: the step the bot failed at, or "asked"),
    coming back to `back` when it is handed back; the region first when neither a caseload nor
    the answers tell it (`dialogs.flows.person` asks it)."""
    region = ctx.desk.region() if ctx.desk is not None else None
    region = region or ctx.answers.get("region")
    ctx.session["person_back"] = back
    ctx.session["person_reason"] = reason
    if not isinstance(region, str):
        ctx.notes.append(
            msg("To pass your conversation to a social worker, Komek needs your region.")
        )
        return Go("person_region")
    return hold_for_person(ctx, region)


def hold_for_person(ctx: Ctx, region: str) -> Go:
    """The bot holds from now on; the runner opens the conversation in the inbox."""
    back = str(ctx.session.pop("person_back", None) or "menu")
    reason = str(ctx.session.pop("person_reason", None) or ASKED)
    hold(ctx.session, reason, region)
    ctx.events.append(Event("person_asked", {"reason": reason, "region": region}))
    return Go(back if back in STEPS else "menu")


def _held_reply(ctx: Ctx) -> Reply:
    """Who will answer and when, said in place of the next question while the bot holds."""
    person = ctx.session.get("person") or {}
    region = person.get("region") if isinstance(person, dict) else None
    waiting = ctx.desk.waiting(region) if ctx.desk is not None else None
    lines = (*ctx.notes, *waiting_lines(waiting))
    ctx.notes.clear()
    return Reply(lines)


def _missed(ctx: Ctx, step_id: str) -> int:
    """Count an answer not understood at `step_id`; the number in a row there."""
    state = ctx.session
    if held(state) or STEPS[step_id].flow in NO_OFFER_FLOWS or "person_offer" not in STEPS:
        return 0
    misses = state.get("misses")
    n = misses.get("n", 0) + 1 if isinstance(misses, dict) and misses.get("step") == step_id else 1
    state["misses"] = {"step": step_id, "n": n}
    return int(n)


def _back(ctx: Ctx, current: str) -> Reply:
    """The previous page of a list, else the previous question that still applies."""
    state = ctx.session
    hook = STEPS[current].back
    turned = hook(ctx) if hook is not None else None
    if turned is not None and turned in STEPS:
        _move(ctx, turned)
        return _ask(ctx, turned)
    history = state["history"]
    while history:
        previous = history.pop()
        if previous in STEPS and STEPS[previous].applies(ctx):
            _move(ctx, previous)
            return _ask(ctx, previous)
    return _ask(ctx, current)


def _change(ctx: Ctx) -> Reply:
    """ "Change" under an answer said back: ask that question again, as "back" would."""
    target = str(ctx.session.pop("echo"))
    history = ctx.session["history"]
    if history and history[-1] == target:
        history.pop()
    return _enter(ctx, target)


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
    _move(ctx, step_id)
    return _ask(ctx, step_id)


def _move(ctx: Ctx, step_id: str) -> None:
    """Make `step_id` current; a page kept for another step is dropped (see dialogs.paging)."""
    if ctx.session.get("step") != step_id:
        ctx.session.pop("page", None)
    ctx.session["step"] = step_id


def _ask(ctx: Ctx, step_id: str) -> Reply:
    reply = _question(ctx, step_id)
    if ctx.notes:
        lines = (*ctx.notes, *reply.lines)
        labels = [c.label for c in reply.choices]
        if ctx.sms and not within_budget(lines, labels, ctx.lang, ctx.label_of):
            ctx.earlier.append(Reply(tuple(ctx.notes)))  # two SMS replies, each within budget
        else:
            reply = replace(reply, lines=lines)
        ctx.notes.clear()
    return reply


def _question(ctx: Ctx, step_id: str, *, measured: bool = True) -> Reply:
    """The step's question as the person sees it: the previous answer said back (with a way to
    change it), the keyboard it wants, and (when `measured`) how far along the self-assessment
    is."""
    step = STEPS[step_id]
    reply = step.ask(ctx)
    lines, choices = reply.lines, reply.choices
    said = _echo(ctx, step)
    if said is not None:
        if choices or ctx.buttons:
            lines, choices = (said, *lines), (*choices, Choice(CHANGE, msg("Change")))
        else:  # a typed answer: a numbered "change" would read as the answer "1"
            lines = (msg("{answer} To change it: BACK.", answer=said), *lines)
    return replace(
        reply,
        lines=lines,
        choices=choices,
        input_hint=reply.input_hint or step.input,
        progress=reply.progress or (_progress(ctx, step) if measured else None),
    )


def _echo(ctx: Ctx, step: Step) -> Text | None:
    """The answer to say back before `step`: the one given just before it, in the same flow."""
    echoed = ctx.session.get("echo")
    history = ctx.session.get("history") or []
    if not step.question or not isinstance(echoed, str) or echoed not in STEPS:
        return None
    source = STEPS[echoed]
    if source.echo is None or source.flow != step.flow or source.id == step.id:
        return None
    if not history or history[-1] != echoed:  # "back" or a jump left it behind
        return None
    return source.echo(ctx)


def _progress(ctx: Ctx, step: Step) -> tuple[int, int] | None:
    """Question n of about m: the questions of the self-assessment that apply to this household
    as far as its answers tell (a later answer can add or drop one)."""
    if step.flow != ASSESSMENT or not step.question:
        return None
    questions = [s for s in FLOWS[ASSESSMENT] if STEPS[s].question]
    index = questions.index(step.id)
    before = sum(1 for s in questions[:index] if STEPS[s].applies(ctx))
    after = sum(1 for s in questions[index + 1 :] if STEPS[s].applies(ctx))
    return before + 1, before + 1 + after


def _finish(ctx: Ctx, replies: list[Reply], last: Reply) -> Turn:
    if ctx.booking is not None:
        last = replace(last, booking=ctx.booking)
    return Turn(ctx.session, (*replies, *ctx.earlier, last), tuple(ctx.events))


def _stop(ctx: Ctx) -> Turn:
    # STOP also ends a conversation with a social worker (the runner closes it in the inbox).
    ctx.session.pop("held", None)
    ctx.session.pop("person", None)
    if ctx.channel == "web":
        # A page that stops answering looks broken: on the web STOP ends the reminders and every
        # other message that is not a reply, and the chat goes on answering.
        ctx.session["opted_out"] = True
        ctx.events.append(Event("opt_out"))
        if ctx.session.get("reminders"):
            ctx.session["reminders"] = False
            ctx.events.append(Event("reminders_off"))
        ctx.notes.append(
            msg(
                "Komek will send you no reminders or other messages. This chat still answers: "
                "write START to get the reminders again."
            )
        )
        step = ctx.session.get("step")
        if step is None:
            last = Reply(tuple(ctx.notes))
            ctx.notes.clear()
            return Turn(ctx.session, (last,), tuple(ctx.events))
        return _finish(ctx, [], _ask(ctx, str(step)))
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
        "Answer with the number of a choice or in words. At any time: MENU, BACK, RESTART, "
        "VISIT, MY APPLICATION, LANGUAGE, HELP, PERSON (a social worker), STOP, FORGET."
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
