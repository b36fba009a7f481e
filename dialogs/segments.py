"""What a text costs as SMS: its encoding (GSM-7 or UCS-2) and how many segments it takes, and
what a reply costs laid out as the SMS channel lays it out (`SMS_BUDGET` is the most any reply
may take).

GSM-7 (3GPP TS 23.038) fits 160 septets in one SMS and 153 per part of a long one; characters of
the extension table (€ [ ] { } ^ ~ | \\ and form feed) take two. Any other character (every
Kazakh or Russian letter) makes the whole text UCS-2: 70 UTF-16 units alone, 67 per part, and a
character outside the BMP takes two units that are never split between parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dialogs.text import Text

GSM7 = "gsm7"
SMS_BUDGET = 4  # segments in one SMS reply, at most
UCS2 = "ucs2"

_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = "\f^{}\\[~]|€"
_SEPTETS = {**dict.fromkeys(_BASIC, 1), **dict.fromkeys(_EXTENSION, 2)}
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True, slots=True)
class SmsCost:
    encoding: str
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def encoding_of(text: str) -> str:
    return GSM7 if all(c in _SEPTETS for c in text) else UCS2


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [_SEPTETS[c] for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def cost(text: str) -> SmsCost:
    """Encoding, size and number of segments of `text` sent as one (possibly long) SMS."""
    encoding = encoding_of(text)
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    single, part = _LIMITS[encoding]
    if units <= single:
        return SmsCost(encoding, units, 1 if text else 0)
    # Greedy, as phones and gateways split: a character never straddles two parts.
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return SmsCost(encoding, units, segments)


def sms_layout(
    lines: Sequence[Text],
    labels: Sequence[Text],
    language: str,
    words: Callable[[Text, str], str],
) -> str:
    """A reply as the SMS channel writes it (`bot/conversation/render.py`): the lines, then the
    choices numbered on one line ("1 Иә  2 Жоқ"); `words` renders a message in a language."""
    text = "\n".join(words(line, language) for line in lines)
    if not labels:
        return text
    menu = "  ".join(f"{n} {words(label, language)}" for n, label in enumerate(labels, 1))
    return f"{text}\n{menu}"


def within_budget(
    lines: Sequence[Text],
    labels: Sequence[Text],
    language: str,
    words: Callable[[Text, str], str],
) -> bool:
    return cost(sms_layout(lines, labels, language, words)).segments <= SMS_BUDGET
