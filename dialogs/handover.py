"""What the web chat's hand-over needs from the world, as a port. A web page cannot receive a
message it did not ask for, so a person on the web who wants reminders (of the quarter, of a
visit) continues on Telegram (a link that carries the conversation) or by SMS (their number,
confirmed with a code sent to it). The runner implements it on the database, inside the turn's
transaction; dialogs stay free of I/O."""

from __future__ import annotations

from typing import Protocol


class Handover(Protocol):
    def target(self) -> str | None:
        """Where this conversation's messages go since it was handed over: "telegram", or the
        phone as it may be shown ("…4567"); None when it was not."""
        ...

    def telegram_link(self) -> str | None:
        """A Telegram link that carries this conversation (for one chat, for a day); None when
        Komek has no Telegram."""
        ...

    def can_text(self) -> bool:
        """Whether Komek can send SMS at all (a gateway is configured)."""
        ...

    def send_code(self, typed: str) -> str | None:
        """Send a one-time code by SMS to the number typed; the number as it may be shown
        ("…4567"), or None when it is not a phone number Komek can write to."""
        ...

    def confirm(self, typed: str) -> str | None:
        """The code typed: when it is the one sent (and neither expired nor tried too often),
        that phone takes over the conversation, its reminders and its visits, and the number
        as it may be shown is returned; None otherwise."""
        ...
