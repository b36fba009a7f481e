"""Renders `dialogs.text.Text` in kk, ru or en: gettext catalogs, per-string fallback
kk -> ru -> en, and Babel formatting of money, numbers and dates for the locale.

The catalogs are compiled (`make catalogs`); a missing compiled catalog is a startup error, not a
silent English reply. A msgid missing from a catalog falls back to the next language and is
counted per locale (`Translator.missing`), so a gap shows on /metrics and never as a raw key.
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import lru_cache
from html import escape
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal

from dialogs.text import Clock, Day, Local, Money, Month, Param, Text

LANGUAGES = ("kk", "ru", "en")
FALLBACK = {"kk": "ru", "ru": "en", "en": None}
DOMAIN = "messages"
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
BABEL_LOCALE = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}
TENGE = "\u00a0₸"


class CatalogError(RuntimeError):
    """A catalog that is not compiled or cannot be read."""


class _Missing(gettext.NullTranslations):
    """Sits between two languages' catalogs: counts a miss, then asks the next language."""

    def __init__(self, language: str, counter: Counter[str], after: gettext.NullTranslations):
        super().__init__()
        self.language = language
        self.counter = counter
        self.add_fallback(after)

    def gettext(self, message: str) -> str:
        self.counter[self.language] += 1
        return super().gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self.counter[self.language] += 1
        return super().ngettext(msgid1, msgid2, n)

    def pgettext(self, context: str, message: str) -> str:
        self.counter[self.language] += 1
        return super().pgettext(context, message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        self.counter[self.language] += 1
        return super().npgettext(context, msgid1, msgid2, n)


class Translator:
    """All three catalogs, chained for fallback; one per process."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self.missing: Counter[str] = Counter()
        chain: gettext.NullTranslations = gettext.NullTranslations()
        self._catalogs: dict[str, gettext.NullTranslations] = {}
        for language in reversed(LANGUAGES):
            path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
            try:
                with path.open("rb") as handle:
                    catalog = gettext.GNUTranslations(handle)
            except FileNotFoundError:
                raise CatalogError(
                    f"{path} is missing: compile the catalogs (make catalogs)"
                ) from None
            except OSError as exc:
                raise CatalogError(f"{path} cannot be read: {exc}") from None
            catalog.add_fallback(_Missing(language, self.missing, chain))
            self._catalogs[language] = catalog
            chain = catalog

    def catalog(self, language: str) -> gettext.NullTranslations:
        """The language's catalog, falling back (and counting) like `render` (for templates)."""
        return self._catalogs[language]

    def _pattern(self, text: Text, language: str) -> str:
        catalog = self._catalogs[language]
        if text.plural is not None:
            n = text.n if text.n is not None else 0
            if text.context is not None:
                return catalog.npgettext(text.context, text.msgid, text.plural, n)
            return catalog.ngettext(text.msgid, text.plural, n)
        if text.context is not None:
            return catalog.pgettext(text.context, text.msgid)
        return catalog.gettext(text.msgid)

    def render(self, text: Text, language: str) -> str:
        pattern = self._pattern(text, language)
        if not text.params:
            return pattern
        values = {key: self.format(value, language) for key, value in text.params.items()}
        try:
            return pattern.format_map(values)
        except (KeyError, IndexError, ValueError):
            # A translation with a broken placeholder must not cost the person the message:
            # fall back to the English pattern, which the catalog check keeps consistent.
            self.missing[language] += 1
            english = text.plural if text.plural is not None and text.n != 1 else text.msgid
            return english.format_map(values)

    def render_html(self, text: Text, language: str) -> str:
        """`text` as HTML for channels that show it (Telegram's HTML mode, the web chat): every
        character escaped, amounts of money in bold, addresses and web links clickable."""
        pattern = escape(self._pattern(text, language), quote=False)
        if not text.params:
            return link(pattern)
        values = {key: self._format_html(value, language) for key, value in text.params.items()}
        try:
            return link(pattern.format_map(values))
        except (KeyError, IndexError, ValueError):
            return escape(self.render(text, language), quote=False)

    def _format_html(self, value: Param, language: str) -> str:
        if isinstance(value, Text):
            return self.render_html(value, language)
        shown = escape(self.format(value, language), quote=False)
        return f"<b>{shown}</b>" if isinstance(value, Money) else shown

    def format(self, value: Param, language: str) -> str:
        locale = BABEL_LOCALE[language]
        if isinstance(value, Text):
            return self.render(value, language)
        if isinstance(value, Money):
            return format_money(value.amount, language)
        if isinstance(value, Month):
            month = format_date(value.day, format="LLLL y", locale=locale)
            return month if language == "en" else month.lower()  # kk and ru write months small
        if isinstance(value, Day):
            return format_date(value.day, format="EEEE, d MMMM", locale=locale)
        if isinstance(value, Clock):
            return f"{value.at:%H:%M}"
        if isinstance(value, Local):
            return value.get(language)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | Decimal):
            return _number(value, locale)
        if isinstance(value, date):
            return format_date(value, format="d MMMM y", locale=locale)
        return value


# A web address as people write it in a message: https://..., or a bare egov.kz-like domain.
_LINK = re.compile(
    r"(?<![\w/@.])(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]|(?:[a-z0-9-]+\.)+(?:kz|org|com)\b)",
    re.IGNORECASE,
)


def link(html: str) -> str:
    """Escaped HTML with its web addresses made links (opened in a new tab, no referrer)."""

    def anchor(found: re.Match[str]) -> str:
        shown = found.group(0)
        target = shown if shown.lower().startswith("http") else f"https://{shown}"
        return f'<a href="{target}" target="_blank" rel="noopener noreferrer">{shown}</a>'

    return _LINK.sub(anchor, html)


# Babel builds a number's text anew each time; the same few numbers (ages, counts, the amounts of
# a region) are shown over and over.
@lru_cache(maxsize=4096, typed=True)
def _number(value: int | Decimal, locale: str) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096, typed=True)
def format_money(amount: Decimal, language: str) -> str:
    """`37 060 ₸` or `6 487,50 ₸` (kk, ru); `37,060 ₸` or `6,487.50 ₸` (en)."""
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    number = format_decimal(amount, format=pattern, locale=BABEL_LOCALE[language])
    return number + TENGE
