"""Phone numbers to E.164, the form every SMS contact is stored under.

Kazakhstan shares country code +7 with Russia; its numbers (mobile and fixed) have ten national
digits. People and gateways write them in many ways: "87011234567" (the trunk prefix 8),
"+7 701 123 45 67", "7011234567", "8 (701) 123-45-67", "77011234567". Which numbers exist is
Google's libphonenumber's (`phonenumbers`) to say; Komek's own rules sit on top:

- a national form (no "+" or "00") counts only when it is a Kazakh number: a Russian number
  written "8 916 ..." is refused, because a family in Kazakhstan writing that means something
  else or mistyped;
- eleven digits starting with 7 are zone 7 written without "+", as SMSCs often send them, and
  12 to 15 digits not starting with 0, 7 or 8 are another country's number whose "+" was dropped;
- letters (an alphanumeric sender such as "Beeline"), short codes ("1414") and anything that is
  not a valid number are None: such a sender can be answered in the gateway's reply, but has no
  number to store or to send to later.
"""

from __future__ import annotations

import re

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-().]+")
_MAX_INPUT = 32
KAZAKHSTAN = "KZ"


def normalise(raw: str) -> str | None:
    """`raw` as E.164 ("+77011234567"), or None when it is not a valid phone number."""
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
        return _valid("+" + text)
    if len(text) == 10:
        return _valid(text, national=True)
    if len(text) == 11 and text[0] == "8":
        return _valid(text[1:], national=True)
    if len(text) == 11 and text[0] == "7":  # zone 7 without "+", or 7 + a Kazakh number
        return _valid("+" + text)
    if 12 <= len(text) <= 15 and text[0] not in "078":  # another country, "+" dropped
        return _valid("+" + text)
    return None


def _valid(text: str, *, national: bool = False) -> str | None:
    try:
        number = phonenumbers.parse(text, KAZAKHSTAN if national else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if national and phonenumbers.region_code_for_number(number) != KAZAKHSTAN:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def last_digits(number: str, count: int = 4) -> str:
    """What may be logged of a phone number: its last digits only."""
    return "…" + number[-count:]
