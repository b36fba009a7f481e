"""The port between delivery and the channels: what a message ready for a channel is
(`Outgoing`), and how a channel sends one to an address (`Sender`).

Nothing here knows a channel. The app factory registers each configured channel's sender in one
`Senders` map, which the runner (for replies no request waits for) and the dispatcher (for
reminders, notices and campaigns) share.

A sender records each message's outcome on its row in `messages` (`bot.storage.messages`):
- `sent` (or `delivered`): it went out;
- `failed`: an error that may pass (a refused connection, a 5xx, a rate limit that outlasted
  the sender's own back-off): the outbox sends it again later on the same channel;
- `undeliverable`: failed for good on this channel (the person blocked the bot, the number is
  not on WhatsApp, no approved template outside WhatsApp's window): the outbox tries the
  person's next channel at once. A failure that the channel learns of later (an SMS delivery
  report, a WhatsApp status callback) goes through `bot.delivery.fallback` instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (a visit's calendar entry, on Telegram)."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Notice:
    """An outbox message as data: which Komek message it is (`serves`, a key of
    `bot.delivery.forms.FORMS`), its language, and its parameters already written in that
    language. A channel that may send only pre-approved texts at times (WhatsApp outside its
    24-hour window) sends the approved form of `serves` with these parameters."""

    serves: str
    language: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message ready for its channel: the text (with a numbered menu where the channel has no
    buttons), the choices for channels that draw buttons, a file for channels that take one,
    and, for a message that is not a reply, what it says as data (`notice`); `language`, where
    known, is the one it is written in (for a channel's own words around it, such as the label
    of a list's button). `message_id` is its row in `messages`, where the channel records how
    sending went."""

    message_id: int
    text: str
    choices: tuple[tuple[str, str], ...] = ()
    document: Document | None = None
    html: str | None = None  # the text as HTML, for channels that show it
    input_hint: str | None = None  # "numeric" or "text": the keyboard the question wants
    progress: tuple[int, int] | None = None  # question n of about m
    multi: bool = False  # the choices toggle; `selected` are on
    selected: frozenset[str] = frozenset()
    notice: Notice | None = None
    language: str | None = None


# Sends the messages, in order, to one address of the channel, and records how each went.
Sender = Callable[[str, list[Outgoing]], Awaitable[None]]
Senders = dict[str, Sender]
