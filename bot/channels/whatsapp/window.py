"""WhatsApp's customer service window: a free-form message may go to a person only within 24
hours of the last message they sent; outside it only an approved template may (and a template
starts a conversation that counts towards the account's daily limit of people).

The window is judged by the database's record of the person's messages (every worker sees the
same), with a margin, so that a message that takes a moment to go never arrives just after the
window closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=5)
DAY = timedelta(hours=24)  # the account's limit of people is over a rolling day


def opened_after(now: datetime) -> datetime:
    """A person who wrote at this time or later may be sent a free-form message now."""
    return now - WINDOW + MARGIN


def tier_since(now: datetime) -> datetime:
    """Templates sent since this time count towards the daily limit of people."""
    return now - DAY
