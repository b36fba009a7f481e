"""A person when the bot is not enough: what the conversation needs from the world to pass a
family to a social worker, as a port, and what the family is told while it waits.

A family asks for a person with a word (PERSON_WORDS, in the three languages) or takes the offer
the bot makes after three answers in a row it could not understand. The conversation then goes
to the inbox of the family's own social worker (a family in a caseload) or to the shared queue
of its region, and the bot holds: what the family writes goes to the worker, and the bot says
nothing until the worker hands the conversation back. The runner implements the port on the
database, inside the turn's transaction; dialogs stay free of I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.almaty import local
from dialogs.regions import REGION_NAMES
from dialogs.text import Clock, Day, Text, msg

# The words that ask for a person, whatever question is open. "Адам" (a person) and "маман" (a
# specialist) are what a Kazakh speaker writes; "оператор" is what people call whoever answers
# a helpline, in Kazakh and Russian alike. Each is a whole message on its own: "5 адам" is an
# answer about the family, not a request. "Көмек" (help) is not here: it shows the help.
PERSON_WORDS = frozenset(
    {
        "адам",
        "маман",
        "қызметкер",
        "оператор",
        "человек",
        "специалист",
        "operator",
        "human",
        "person",
        "/person",
    }
)
# Answers not understood in a row, on the same question, before a person is offered.
MISSES_BEFORE_OFFER = 3
ASKED = "asked"  # the reason of a conversation handed over because the family asked


@dataclass(frozen=True, slots=True)
class Waiting:
    """Who will answer a family and when, as the inbox and the office hours say."""

    own_worker: bool  # the family's own social worker (a caseload), else the region's queue
    region: str | None
    open_now: bool
    closes: datetime | None  # open now: until then
    opens: datetime | None  # closed: the next opening (None: no office hours known)


class Desk(Protocol):
    def region(self) -> str | None:
        """The region of the family's caseload row; None when it is in no caseload."""
        ...

    def waiting(self, region: str | None) -> Waiting:
        """Who answers a family of `region` now, and when."""
        ...


def held(session: Mapping[str, Any]) -> bool:
    """Whether a social worker has the conversation (the bot holds)."""
    return bool(session.get("held"))


def hold(session: dict[str, Any], reason: str, region: str | None) -> None:
    """The conversation goes to a person: the bot holds, and the step it was at is kept."""
    session["held"] = True
    session["person"] = {"reason": reason, "region": region}


def handed_back(session: Mapping[str, Any]) -> dict[str, Any]:
    """The session as the bot takes it back from a social worker: at the step it was at."""
    taken = {key: value for key, value in session.items() if key not in ("held", "person")}
    taken.pop("misses", None)
    return taken


def waiting_lines(waiting: Waiting | None) -> tuple[Text, ...]:
    """What a family is told when its conversation reaches the inbox: who answers, when, and
    that the bot is silent meanwhile."""
    if waiting is None:
        who = msg("Your conversation has gone to a social worker. They will answer you here.")
        when: Text | None = None
    else:
        if waiting.own_worker:
            who = msg(
                "Your conversation has gone to your social worker. They will answer you here."
            )
        elif waiting.region in REGION_NAMES:
            who = msg(
                "Your conversation has gone to the social workers of {region}. One of them will "
                "answer you here.",
                region=REGION_NAMES[waiting.region],
            )
        else:
            who = msg("Your conversation has gone to a social worker. They will answer you here.")
        when = _when(waiting)
    lines = [who] if when is None else [who, when]
    lines.append(
        msg(
            "Until then Komek does not answer: what you write goes to the social worker. "
            "STOP, LANGUAGE and FORGET still work."
        )
    )
    return tuple(lines)


def _when(waiting: Waiting) -> Text | None:
    if waiting.open_now and waiting.closes is not None:
        return msg("The office is open now, until {time}.", time=Clock(waiting.closes))
    if waiting.opens is not None:
        return msg(
            "The office is closed now. The answer will come after it opens: {day} at {time}.",
            day=Day(local(waiting.opens).date()),
            time=Clock(waiting.opens),
        )
    return None


BACK = msg("The social worker has handed you back to Komek. Let us go on where we were.")
