"""What the conversation reads and changes of a social worker's case: a family that opens its
worker's deep link on Telegram joins its case, and is greeted in the case's language."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Connection, or_, select, update

from bot.storage import people
from bot.storage.tables import CASES

LINK_CODE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


def link_telegram(
    connection: Connection, code: str, telegram_contact_id: int, now: datetime
) -> bool:
    """Link a Telegram chat to the case whose deep link it opened. A code links one chat, once,
    before it expires: opened again by the same chat it changes nothing, and by another chat
    (a forwarded link) it is refused. False for an unknown, used or expired code."""
    if not LINK_CODE.match(code):
        return False
    c = CASES.c
    result = connection.execute(
        update(CASES)
        .where(
            c.link_code == code,
            c.link_used_at.is_(None),
            or_(c.link_expires_at.is_(None), c.link_expires_at > now),
        )
        .values(
            telegram_contact_id=telegram_contact_id,
            link_used_at=now,
            chat_forgotten_at=None,
            updated_at=now,
        )
    )
    if result.rowcount != 1:
        return False
    family = connection.execute(select(c.sms_contact_id).where(c.link_code == code)).scalar()
    if family is not None:  # the chat and the case's phone are one person
        people.link(connection, [telegram_contact_id, int(family)], now)
    return True


def case_language(connection: Connection, code: str) -> str | None:
    """The language the worker recorded for the family of this link code."""
    c = CASES.c
    found = connection.execute(select(c.language).where(c.link_code == code)).scalar()
    return None if found is None else str(found)
