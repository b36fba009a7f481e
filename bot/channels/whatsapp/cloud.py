"""A thin client of the WhatsApp Business Cloud API on the server's aiohttp: `POST
{api}/{phone-number-id}/messages` with a bearer token, for text, interactive replies (reply
buttons, lists) and templates; and the mapping of the API's errors to what Komek does about them.

Why not a library: pywa (the maintained Python client, with typed updates) sends through httpx,
which measured three to five times slower than aiohttp on these machines (notes/telegram.md), and
its webhook handling belongs to its own servers (FastAPI, Flask) rather than to a route that
must record each message before its 200; it also logs request bodies (phone numbers and texts)
at debug level. The part of the API Komek uses is four payload shapes and one error format.

Errors (the `error.code` of the Graph API's answer):
- rate limits (130429 throughput, 131048 spam rate, 131056 pair rate, 80007 and 4 account
  rate): `RATE_LIMITED`, back off and send again;
- 131047 (more than 24 hours since the person wrote): `OUTSIDE_WINDOW`, a template or the next
  channel;
- 131026 (not on WhatsApp, blocked, an old app): `BLOCKED`, the channel is done with this
  number, the next channel;
- other refusals of this message for good (a template missing, paused or disabled, Meta choosing
  not to deliver): `UNDELIVERABLE`, the next channel;
- 5xx, 131000 (something went wrong), 131016 (service unavailable), an expired token, a network
  error: `TRANSIENT`, the same channel later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

RATE_LIMITED, OUTSIDE_WINDOW, BLOCKED, UNDELIVERABLE, TRANSIENT = (
    "rate_limited",
    "outside_window",
    "blocked",
    "undeliverable",
    "transient",
)
RATE_CODES = frozenset({4, 80007, 130429, 131048, 131056})
WINDOW_CODES = frozenset({131047})
BLOCKED_CODES = frozenset({131026})
UNDELIVERABLE_CODES = frozenset(
    {
        100,  # invalid parameter: this message will never be taken
        130472,  # the number is part of an experiment
        131008,  # a required parameter is missing
        131009,  # a parameter value is not valid
        131021,  # recipient is the sender
        131049,  # Meta chose not to deliver (ecosystem engagement)
        131051,  # unsupported message type
        131053,  # media upload error
        132000,  # template parameters do not match
        132001,  # template does not exist (in this language)
        132005,  # template text too long once filled
        132007,  # template format character policy
        132012,  # template parameter format mismatch
        132015,  # template paused
        132016,  # template disabled
        132068,  # flow blocked
        132069,  # flow throttled
    }
)
TEXT_LIMIT = 4096  # characters of a text message
BODY_LIMIT = 1024  # characters of an interactive message's body
BUTTONS = 3
BUTTON_TITLE = 20
ROWS = 10
ROW_TITLE = 24
LIST_BUTTON = 20
ID_LIMIT = 200  # characters of a button's or row's id (a choice key)


def classify(code: int | None, http_status: int = 400) -> str:
    """What to do about an error of the Cloud API."""
    if code in RATE_CODES or http_status == 429:
        return RATE_LIMITED
    if code in WINDOW_CODES:
        return OUTSIDE_WINDOW
    if code in BLOCKED_CODES:
        return BLOCKED
    if code in UNDELIVERABLE_CODES:
        return UNDELIVERABLE
    return TRANSIENT


class CloudError(Exception):
    """The Cloud API refused a message (or could not be reached: `code` None)."""

    def __init__(self, kind: str, code: int | None, title: str, *, connected: bool = True):
        super().__init__(f"{kind}: {code} {title}".strip())
        self.kind = kind
        self.code = code
        self.title = title
        self.connected = connected  # False: no connection was made, so nothing was sent

    @property
    def reason(self) -> str:
        """For a message's error column (no personal data: a code and Meta's short title)."""
        return f"whatsapp {self.code}: {self.title}"[:200] if self.code else self.title[:200]


def text(to: str, body: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body, "preview_url": False},
    }


def buttons(to: str, body: str, choices: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Up to three reply buttons (titles of at most 20 characters)."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": key, "title": label}}
                    for key, label in choices
                ]
            },
        },
    }


def choice_list(
    to: str, body: str, button: str, choices: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """A list: a button that opens up to ten rows (titles of at most 24 characters)."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": button,
                "sections": [{"rows": [{"id": key, "title": label} for key, label in choices]}],
            },
        },
    }


def template(to: str, name: str, language: str, parameters: list[str]) -> dict[str, Any]:
    content: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        content["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
        ]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": content,
    }


@dataclass
class CloudApi:
    """Sends messages from one business number. `session` is the channel's own."""

    session: aiohttp.ClientSession
    api_url: str
    phone_number_id: str
    token: str
    timeout: float = 10.0

    @property
    def messages_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/{self.phone_number_id}/messages"

    async def send(self, payload: dict[str, Any]) -> str:
        """Send one message; its WhatsApp id (wamid). Raises `CloudError`."""
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self.session.post(
                self.messages_url,
                json=payload,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                status = response.status
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except aiohttp.ClientConnectorError as exc:  # never reached the API: safe to repeat
            raise CloudError(TRANSIENT, None, type(exc).__name__, connected=False) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise CloudError(TRANSIENT, None, type(exc).__name__) from exc
        if status == 200 and isinstance(answer, dict):
            sent = answer.get("messages")
            if isinstance(sent, list) and sent and isinstance(sent[0], dict):
                wamid = sent[0].get("id")
                if isinstance(wamid, str) and wamid:
                    return wamid
        error = answer.get("error") if isinstance(answer, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        title = ""
        if isinstance(error, dict):
            found = error.get("error_user_title") or error.get("message") or ""
            title = str(found)[:120]
        if status >= 500 and code is None:
            raise CloudError(TRANSIENT, None, f"HTTP {status}")
        if code == 190 or status == 401:
            log.error("the WhatsApp token was refused (expired or revoked?)")
        return_kind = classify(code, status)
        raise CloudError(return_kind, code, title or f"HTTP {status}")
