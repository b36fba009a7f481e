"""The port between delivery and the channels: what a message ready for a channel is
(`Outgoing`), and how a channel sends one to an address (`Sender`).

Nothing here knows a channel. The app factory registers each configured channel's sender in one
`Senders` map, which the runner (for replies no request waits for) and the dispatcher (for
reminders, notices and campaigns) share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (a visit's calendar entry, on Telegram)."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message ready for its channel: the text (with a numbered menu where the channel has no
    buttons), the choices for channels that draw buttons, and a file for channels that take
    one. `message_id` is its row in `messages`, where the channel records how sending went."""

    message_id: int
    text: str
    choices: tuple[tuple[str, str], ...] = ()
    document: Document | None = None
    html: str | None = None  # the text as HTML, for channels that show it


# Sends the messages, in order, to one address of the channel, and records how each went.
Sender = Callable[[str, list[Outgoing]], Awaitable[None]]
Senders = dict[str, Sender]
