"""Phone numbers to E.164, the form every SMS contact is stored under.

Kazakhstan shares country code +7 with Russia; its numbers (mobile and fixed) are +7 6xx / +7 7xx
with ten national digits. People and gateways write them in many ways: "87011234567" (the
trunk prefix 8), "+7 701 123 45 67", "7011234567", "8 (701) 123-45-67", "77011234567". National
forms are accepted only for Kazakh numbers; a number written internationally ("+" or "00") is
accepted when it is a plausible E.164 number (for +7, exactly ten national digits). Everything
else (letters, alphanumeric senders, short codes, too short or too long) is None.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]+")
_KZ_NATIONAL = re.compile(r"[67]\d{9}")  # 10 national digits: +7 6xx / +7 7xx
_ZONE_7_NATIONAL = re.compile(r"[3-9]\d{9}")  # Russia (3xx, 4xx, 8xx, 9xx) and Kazakhstan
_MAX_INPUT = 32


def normalise(raw: str) -> str | None:
    """`raw` as E.164 ("+77011234567"), or None when it is not a plausible phone number."""
    if len(raw) > _MAX_INPUT:
        return None
    text = _SEPARATORS.sub("", raw.strip())
    international = False
    if text.startswith("+"):
        international, text = True, text[1:]
    elif text.startswith("00"):
        international, text = True, text[2:]
    if not text.isascii() or not text.isdecimal():
        return None
    if international:
        return _international(text)
    if len(text) == 10 and _KZ_NATIONAL.fullmatch(text):
        return "+7" + text
    if len(text) == 11 and text[0] in "78" and _KZ_NATIONAL.fullmatch(text[1:]):
        return "+7" + text[1:]
    if len(text) == 11 and text[0] == "7":  # zone 7 written without "+", as SMSCs often do
        return _international(text)
    if 12 <= len(text) <= 15 and text[0] not in "078":  # another country, "+" dropped
        return _international(text)
    return None


def _international(digits: str) -> str | None:
    if digits.startswith("7"):
        return "+" + digits if _ZONE_7_NATIONAL.fullmatch(digits[1:]) else None
    if digits.startswith("0") or not 8 <= len(digits) <= 15:
        return None
    return "+" + digits


def last_digits(number: str, count: int = 4) -> str:
    """What may be logged of a phone number: its last digits only."""
    return "…" + number[-count:]
