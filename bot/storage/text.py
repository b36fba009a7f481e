"""Text as the databases keep it. PostgreSQL refuses NUL in text, and neither database can
encode a lone UTF-16 surrogate half (which JSON's "\\ud800" and some phones produce)."""

from __future__ import annotations


def storable(text: str) -> bool:
    """Text a database keeps as it is: no NUL, no lone UTF-16 surrogate half."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean(text: str) -> str:
    """`text` made storable: NUL dropped, lone surrogate halves replaced by U+FFFD (for what a
    person typed, which is answered rather than refused)."""
    if storable(text):
        return text
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text if c != "\x00")


def fit(text: str, limit: int) -> str:
    """`text` made storable and cut to a column of `limit` characters."""
    return clean(text)[:limit]
