"""What the Cloud API posts to the webhook, checked and read: the signature over the raw body,
and the messages and status notifications inside.

A notification is `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {...}}]}]}`; each value names the business number it is for
(`metadata.phone_number_id`) and holds `messages` (what people wrote or pressed) and `statuses`
(how our messages went: sent, delivered, read, failed). Values for another number of the same
app, and fields other than `messages`, are acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_TEXT = 4096


class BadNotificationError(ValueError):
    """A body that is not a Cloud API notification."""


def signed(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` is `sha256=<HMAC-SHA256 of the raw body with the app secret>`, compared
    in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), expected)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message a person sent: its wamid, their wa_id (the number without "+"), and the
    text or the choice pressed (a reply button's or a list row's id)."""

    wamid: str
    wa_id: str
    text: str
    choice: str | None = None


@dataclass(frozen=True, slots=True)
class Status:
    """WhatsApp's word on one of our messages."""

    wamid: str
    status: str  # sent, delivered, read, failed
    code: int | None = None
    title: str = ""


@dataclass
class Notification:
    messages: list[Incoming] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadNotificationError(f"{name} must be an object")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadNotificationError(f"{name} must be a list")
    return value


def _string(value: Any, name: str, limit: int = 256) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadNotificationError(f"{name} must be a string of 1 to {limit} characters")
    return value


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse(data: Any, phone_number_id: str) -> Notification:
    """The messages and statuses for our number. Raises `BadNotificationError`."""
    body = _object(data, "the notification")
    if body.get("object") != "whatsapp_business_account":
        raise BadNotificationError("object must be whatsapp_business_account")
    found = Notification()
    for entry in _list(body.get("entry"), "entry"):
        for item in _list(_object(entry, "entry[]").get("changes"), "changes"):
            change = _object(item, "changes[]")
            if change.get("field") != "messages":
                continue
            value = _object(change.get("value"), "value")
            metadata = value.get("metadata")
            if (
                isinstance(metadata, dict)
                and metadata.get("phone_number_id") is not None
                and str(metadata["phone_number_id"]) != phone_number_id
            ):
                continue  # another business number of the same app
            for message in _list(value.get("messages"), "messages"):
                incoming = _message(_object(message, "messages[]"))
                if incoming is not None:
                    found.messages.append(incoming)
            for status in _list(value.get("statuses"), "statuses"):
                found.statuses.append(_status(_object(status, "statuses[]")))
    return found


def _message(message: dict[str, Any]) -> Incoming | None:
    wamid = _string(message.get("id"), "messages[].id")
    wa_id = _string(message.get("from"), "messages[].from", 32)
    if not (wa_id.isascii() and wa_id.isdecimal()):
        raise BadNotificationError("messages[].from must be a phone number's digits")
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        return Incoming(wamid, wa_id, _text(text.get("body") if isinstance(text, dict) else None))
    if kind == "interactive":
        interactive = _object(message.get("interactive"), "messages[].interactive")
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        if isinstance(reply, dict) and isinstance(reply.get("id"), str):
            return Incoming(wamid, wa_id, _text(reply.get("title"), 256), reply["id"][:256])
        return Incoming(wamid, wa_id, "")
    if kind == "button":  # a quick reply of a template
        button = message.get("button")
        if isinstance(button, dict):
            return Incoming(wamid, wa_id, _text(button.get("text"), 256))
        return Incoming(wamid, wa_id, "")
    if kind in ("reaction", "unsupported", "system", "ephemeral"):
        return None  # nothing said: no turn
    # A voice note, a photo, a location: said, but not in words Komek reads; the conversation
    # answers as it does to anything it does not understand.
    caption = message.get(kind) if isinstance(kind, str) else None
    return Incoming(
        wamid, wa_id, _text(caption.get("caption") if isinstance(caption, dict) else None)
    )


def _status(status: dict[str, Any]) -> Status:
    wamid = _string(status.get("id"), "statuses[].id")
    state = _string(status.get("status"), "statuses[].status", 32)
    code: int | None = None
    title = ""
    errors = status.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        raw = errors[0].get("code")
        code = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        title = _text(errors[0].get("title"), 120)
    return Status(wamid, state, code, title)
