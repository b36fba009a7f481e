"""Feedback: one optional question after a result and after a visit, "How useful was this?"
from 1 to 5, then an optional comment, then back to where the family was.

It must never stand between a family and what it came for. It is asked at most once per
result (when the family leaves the result for the menu), and not again in a quarter in which
the family said "no thanks". Anything that is not a rating (a global word, a button of an
earlier menu, a choice of the step the family was at) leaves the question without complaint and
is read as if the question had not been asked.

After a visit the question comes as a message of the outbox (`bot.delivery.feedback`); when the
family next writes, the runner puts the conversation on this question (`expect_visit`), so that
the digit or the button is read as the rating of that visit.

A comment is free text, and so personal data: it is asked only of a family that has consented
to Komek keeping its answers (the runner also stores it only then).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from core.almaty import local
from dialogs.engine import (
    Answer,
    Choice,
    Ctx,
    Event,
    Go,
    Outcome,
    Pass,
    Reply,
    Session,
    Step,
    register,
    upgrade,
)
from dialogs.parsing import parse_whole, parse_yes_no
from dialogs.text import msg, pmsg

FLOW = "feedback"
FLOW_STEPS = ("feedback", "feedback_comment")
RESULT, VISIT = "result", "visit"
RATINGS = (1, 2, 3, 4, 5)
SKIP = "skip"
COMMENT_LIMIT = 500  # characters: a few words, not a letter
# Typed on a channel without buttons: "0" skips, as the question says.
SKIP_WORDS = frozenset({"0", "skip", "пропустить", "пропуск", "өткізу", "откизу"})

RATING_CHOICES = (
    *(Choice(str(n), pmsg("rating", "{n}", n=n)) for n in RATINGS),
    Choice(SKIP, msg("No, thanks")),
)
COMMENT_CHOICES = (Choice(SKIP, pmsg("feedback", "Skip")),)


def quarter(now: datetime) -> str:
    """The quarter `now` falls in, in Kazakhstan ("2026Q4")."""
    day = local(now)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _fingerprint(assessed: str) -> str:
    """A short mark of the result asked about (the household itself is kept once, elsewhere)."""
    return hashlib.sha256(assessed.encode()).hexdigest()[:16]


def after_result(ctx: Ctx) -> Outcome:
    """Leaving the result for the menu: the question, once per result, or straight to the menu."""
    assessed = ctx.session.get("assessed")
    if not isinstance(assessed, str) or ctx.session.get("feedback_declined") == quarter(ctx.now):
        return Go("menu")
    mark = _fingerprint(assessed)
    if ctx.session.get("feedback_asked") == mark:
        return Go("menu")
    ctx.session["feedback_asked"] = mark
    ctx.session["feedback"] = {"kind": RESULT, "back": "menu"}
    return Go("feedback")


def expect_visit(
    session: Session | None, visit_id: int, language: str, *, consent: bool = False
) -> Session:
    """The conversation put on the after-visit question, which the outbox has sent: the next
    message is read as its answer, then the family is back where it was. `language` and
    `consent` are the contact's (a family the office booked may not have chatted before)."""
    state = upgrade(session)
    if state.get("stopped"):
        return state
    if state.get("lang") is None:
        state["lang"] = language
    if consent:
        state["consent"] = True
    pending = state.get("feedback")
    back = state.get("step")
    if back in FLOW_STEPS:
        back = pending.get("back") if isinstance(pending, dict) else None
    state["feedback"] = {"kind": VISIT, "visit": visit_id, "back": back}
    state["step"] = "feedback"
    state.pop("echo", None)
    return state


def declined_this_quarter(session: Any, now: datetime) -> bool:
    """Whether the family said "no thanks" to feedback this quarter (nothing more is asked)."""
    return isinstance(session, dict) and session.get("feedback_declined") == quarter(now)


def _pending(ctx: Ctx) -> dict[str, Any]:
    found = ctx.session.get("feedback")
    return found if isinstance(found, dict) else {"kind": RESULT, "back": "menu"}


def _back(ctx: Ctx) -> str:
    """Where the family was before the question (the menu when that is unknown)."""
    back = _pending_back(ctx)
    ctx.session.pop("feedback", None)
    return back if back is not None else "menu"


def _pending_back(ctx: Ctx) -> str | None:
    found = ctx.session.get("feedback")
    back = found.get("back") if isinstance(found, dict) else None
    return back if isinstance(back, str) and back not in FLOW_STEPS else None


def _region(ctx: Ctx) -> str | None:
    """The region of the answers, or of the last result when the answers are gone."""
    region = ctx.answers.get("region")
    if isinstance(region, str):
        return region
    assessed = ctx.session.get("assessed")
    if isinstance(assessed, str):
        try:
            data = json.loads(assessed)
        except ValueError:
            return None
        if isinstance(data, dict) and isinstance(data.get("region"), str):
            return str(data["region"])
    return None


def ask_rating(ctx: Ctx) -> Reply:
    if _pending(ctx).get("kind") == VISIT:
        question = msg("How useful was your visit to the career centre?")
    else:
        question = msg("How useful was this?")
    if ctx.sms:
        # SMS: no menu to number; the digits are the rating (within one SMS with the question).
        return Reply((question, msg("Reply 1 (not useful) to 5 (very useful), or 0 to skip.")))
    return Reply((question, msg("1 is not useful, 5 is very useful.")), RATING_CHOICES)


def _rating(given: Answer) -> int | None:
    if given.key in {str(n) for n in RATINGS}:
        return int(given.key or "0")
    if given.key is not None:
        return None
    return parse_whole(given.text, 1, 5)


def _skipped(given: Answer) -> bool:
    if given.key == SKIP:
        return True
    text = given.text.strip().lower().rstrip(".!")
    return given.key is None and (text in SKIP_WORDS or parse_yes_no(text) is False)


def answer_rating(ctx: Ctx, given: Answer) -> Outcome:
    pending = _pending(ctx)
    rating = None if given.pressed and given.key is None else _rating(given)
    if rating is not None:
        data: dict[str, Any] = {"kind": pending.get("kind", RESULT), "rating": rating}
        data["region"] = _region(ctx)
        if pending.get("visit") is not None:
            data["visit"] = pending["visit"]
        ctx.events.append(Event("feedback", data))
        if not ctx.session.get("consent"):  # a comment is kept only with consent
            ctx.notes.append(msg("Thank you for your answer."))
            return Go(_back(ctx))
        pending["rating"] = rating
        ctx.session["feedback"] = pending
        return Go("feedback_comment")
    if _skipped(given):
        ctx.session["feedback_declined"] = quarter(ctx.now)
        return Go(_back(ctx))
    # Not an answer to this question: the step the family was at reads it.
    return Pass(_back(ctx))


def ask_comment(ctx: Ctx) -> Reply:
    del ctx
    return Reply(
        (msg("Thank you! Anything to add? Write a few words, or skip."),),
        COMMENT_CHOICES,
    )


def answer_comment(ctx: Ctx, given: Answer) -> Outcome:
    pending = _pending(ctx)
    typed = given.text.strip().lower().rstrip(".!")
    if given.key == SKIP or (not given.pressed and typed in SKIP_WORDS):
        return Go(_back(ctx))
    if given.pressed:  # a button of an earlier message: the step the family was at reads it
        return Pass(_back(ctx))
    comment = " ".join(given.text.split())[:COMMENT_LIMIT]
    if comment:
        ctx.events.append(
            Event("feedback_comment", {"kind": pending.get("kind", RESULT), "comment": comment})
        )
        ctx.notes.append(msg("Thank you, your words will reach the office."))
    return Go(_back(ctx))


register(
    Step("feedback", ask_rating, answer_rating, flow=FLOW, remember=False),
    Step("feedback_comment", ask_comment, answer_comment, flow=FLOW, remember=False),
)
