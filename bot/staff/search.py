"""Finding a family by what a worker remembers: a word of the name (or its beginning), or the
last digits of the phone.

Each case keeps its terms in `case_terms`: every word of the name folded (lower case, and the
Kazakh letters a Russian keyboard lacks written as the nearest Russian ones, so "Айгерим" finds
"Айгерім"), and the phone's digits reversed behind a `#`, so that its last digits are a prefix.
A search is then a range scan of one index per word typed, whatever the size of the caseload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, select

from bot.storage.tables import CASE_TERMS

_FOLD = str.maketrans("әіңғүұқөһё", "аингуукохе")
_WORD = re.compile(r"[^\W_]+")
MAX_TERM = 64
PHONE = "#"
MIN_DIGITS = 3  # fewer digits than this match too many phones to be a search


def fold(text: str) -> str:
    return text.casefold().translate(_FOLD)


def name_terms(name: str) -> set[str]:
    return {word[:MAX_TERM] for word in _WORD.findall(fold(name))}


def phone_term(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return PHONE + digits[::-1]


def terms(name: str, phone: str) -> set[str]:
    return name_terms(name) | {phone_term(phone)}


def reindex(connection: Connection, cases: Iterable[tuple[int, str, str]]) -> None:
    """Replace the terms of these cases (id, name, phone)."""
    rows = list(cases)
    if not rows:
        return
    t = CASE_TERMS.c
    connection.execute(delete(CASE_TERMS).where(t.case_id.in_([case_id for case_id, _, _ in rows])))
    connection.execute(
        insert(CASE_TERMS),
        [
            {"case_id": case_id, "term": term}
            for case_id, name, phone in rows
            for term in sorted(terms(name, phone))
        ],
    )


def query_terms(query: str) -> list[str]:
    """The prefixes to look for: each word typed, and the digits (of a phone's end) as one."""
    folded = fold(query)
    digits = "".join(ch for ch in folded if ch.isdigit())
    words = [w for w in _WORD.findall(folded) if not w.isdigit()]
    found = [w[:MAX_TERM] for w in words]
    if len(digits) >= MIN_DIGITS:
        found.append(PHONE + digits[::-1][:MAX_TERM])
    return found


def _prefix(connection: Connection, prefix: str) -> ColumnElement[bool]:
    term: ColumnElement[str] = CASE_TERMS.c.term
    if connection.dialect.name == "postgresql":
        term = term.collate("C")  # byte order, as the upper bound below assumes
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(term >= prefix, term < upper)


def matching(
    connection: Connection, query: str, case_id: ColumnElement[int]
) -> list[ColumnElement[bool]]:
    """One condition on `case_id` per term typed (a case matches all of them); none when the
    query holds nothing to look for."""
    return [
        case_id.in_(select(CASE_TERMS.c.case_id).where(_prefix(connection, prefix)))
        for prefix in query_terms(query)
    ]
