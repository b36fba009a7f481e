"""What a text costs as SMS: its encoding (GSM-7 or UCS-2) and how many segments it takes.

GSM-7 (3GPP TS 23.038) fits 160 septets in one SMS and 153 per part of a long one; characters of
the extension table (€ [ ] { } ^ ~ | \\ and form feed) take two. Any other character (every
Kazakh or Russian letter) makes the whole text UCS-2: 70 UTF-16 units alone, 67 per part, and a
character outside the BMP takes two units that are never split between parts.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "gsm7"
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
