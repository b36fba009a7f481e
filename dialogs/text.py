"""Translatable messages: what the dialogs say, before any language is chosen.

A `Text` is a msgid (English, the catalogs' key) with named parameters, an optional plural and
context. It is rendered in the person's language by `bot/`, which translates first and fills the
placeholders after, formatting money, numbers and dates for the locale. The helpers `msg`, `nmsg`
and `pmsg` are the extraction keywords (see `make extract`); `N_` marks a msgid declared as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of tenge, formatted per locale ("37 060 ₸")."""

    amount: Decimal


@dataclass(frozen=True, slots=True)
class Month:
    """A month and year, named per locale ("қазан 2025", "октябрь 2025", "October 2025")."""

    day: date


@dataclass(frozen=True, slots=True)
class Day:
    """A day with its weekday, short, per locale ("дс, 30 қараша", "пн, 30 ноября")."""

    day: date


@dataclass(frozen=True, slots=True)
class Clock:
    """A time of day on the 24-hour clock ("09:30"), as the wall clock in Kazakhstan shows it."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Local:
    """Words that are data, given in each language (an office's name or address)."""

    kk: str
    ru: str
    en: str

    @classmethod
    def of(cls, values: Mapping[str, str]) -> Local:
        return cls(values["kk"], values["ru"], values["en"])

    def get(self, language: str) -> str:
        return {"kk": self.kk, "ru": self.ru}.get(language, self.en)


Param: TypeAlias = "str | int | Decimal | Money | Month | Day | Clock | Local | date | Text"


@dataclass(frozen=True, slots=True)
class Text:
    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None
    context: str | None = None


def N_(msgid: str) -> str:  # noqa: N802 - the conventional gettext marker
    """Marks a msgid declared as data; translated later, where it is rendered."""
    return msgid


def msg(msgid: str, /, **params: Param) -> Text:
    return Text(msgid, params)


def nmsg(singular: str, plural: str, n: int, /, **params: Param) -> Text:
    """A message with a count: the catalog picks the form (ru has three, kk and en two)."""
    return Text(singular, {"n": n, **params}, plural=plural, n=n)


def pmsg(context: str, msgid: str, /, **params: Param) -> Text:
    """A message whose English msgid has more than one meaning; `context` tells them apart."""
    return Text(msgid, params, context=context)


def joined(first: Text, *rest: Text) -> Text:
    """Several messages as one list ("34 years, 7 years"), for a line that names them all."""
    if not rest:
        return first
    return msg("{first}, {rest}", first=first, rest=joined(*rest))
