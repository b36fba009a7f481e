"""Rendering in kk, ru and en: plurals, money, dates, the per-string fallback and its count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n.catalog_check import extract, problems
from bot.i18n.translator import CatalogError, Translator, format_money
from dialogs.text import Money, msg, nmsg

MONTHS = (
    "TSA: {amount} a month for {n} month, {total} in all.",
    "TSA: {amount} a month for {n} months, {total} in all.",
)


@pytest.mark.parametrize(
    ("n", "word"),
    [(1, "месяц,"), (2, "месяца,"), (5, "месяцев,"), (21, "месяц,"), (12, "месяцев,")],
)
def test_russian_has_three_plural_forms(translator: Translator, n: int, word: str) -> None:
    text = nmsg(*MONTHS, n, amount=Money(Decimal(1000)), total=Money(Decimal(3000)))
    assert f" {n} {word}" in translator.render(text, "ru")


@pytest.mark.parametrize("n", [1, 2, 5])
def test_kazakh_keeps_the_noun_singular_after_a_number(translator: Translator, n: int) -> None:
    text = nmsg(*MONTHS, n, amount=Money(Decimal(1000)), total=Money(Decimal(3000)))
    assert f"{n} айға" in translator.render(text, "kk")


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        (Decimal(37060), "kk", "37\u00a0060\u00a0₸"),
        (Decimal(37060), "ru", "37\u00a0060\u00a0₸"),
        (Decimal(37060), "en", "37,060\u00a0₸"),
        (Decimal("6487.50"), "ru", "6\u00a0487,50\u00a0₸"),
        (Decimal("6487.50"), "en", "6,487.50\u00a0₸"),
    ],
)
def test_money_is_formatted_per_locale(amount: Decimal, language: str, expected: str) -> None:
    assert format_money(amount, language) == expected


def test_dates_are_written_in_the_language(translator: Translator) -> None:
    text = msg(
        "A social contract was terminated on {since}; assistance is refused until {until}.",
        since=date(2025, 10, 1),
        until=date(2026, 4, 1),
    )
    assert "1 октября 2025" in translator.render(text, "ru")
    assert "1 April 2026" in translator.render(text, "en")
    assert "қазан" in translator.render(text, "kk")


def test_a_string_missing_in_kazakh_falls_back_to_russian_and_is_counted(
    locales_copy: Path,
) -> None:
    po = locales_copy / "kk" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="kk")
    del catalog["Why:"]
    with (po.with_suffix(".mo")).open("wb") as handle:
        write_mo(handle, catalog)
    translator = Translator(locales_copy)
    assert translator.render(msg("Why:"), "kk") == "Почему:"
    assert translator.missing["kk"] == 1
    assert translator.render(msg("Why:"), "ru") == "Почему:"
    assert translator.missing["ru"] == 0


def test_an_unknown_string_falls_back_to_english_never_a_blank(translator: Translator) -> None:
    before = translator.missing["kk"]
    assert translator.render(msg("Not in any catalog {x}", x="!"), "kk") == "Not in any catalog !"
    assert translator.missing["kk"] == before + 1


def test_an_uncompiled_catalog_is_a_startup_error(locales_copy: Path) -> None:
    (locales_copy / "ru" / "LC_MESSAGES" / "messages.mo").unlink()
    with pytest.raises(CatalogError, match="make catalogs"):
        Translator(locales_copy)


def test_the_shipped_catalogs_agree_with_the_code() -> None:
    assert problems(extract()) == []


def test_the_catalog_check_finds_a_changed_placeholder(locales_copy: Path) -> None:
    po = locales_copy / "ru" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace("всего {total}", "всего {sum}"), encoding="utf-8")
    found = problems(extract(), locales_copy)
    assert found and "placeholders" in found[0]


def test_the_catalog_check_finds_an_untranslated_string(locales_copy: Path) -> None:
    po = locales_copy / "kk" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "Неліктен:"', 'msgstr ""'), encoding="utf-8")
    assert any("untranslated" in line for line in problems(extract(), locales_copy))


def test_html_escapes_everything_bolds_money_and_links_addresses(translator: Translator) -> None:
    from decimal import Decimal  # noqa: PLC0415

    from dialogs.text import Money, msg  # noqa: PLC0415

    said = translator.render_html(
        msg("{who} <i> & {amount}: egov.kz", who="<script>", amount=Money(Decimal("22384"))), "ru"
    )
    assert said == (
        "&lt;script&gt; &lt;i&gt; &amp; <b>22\xa0384\xa0₸</b>: "
        '<a href="https://egov.kz" target="_blank" rel="noopener noreferrer">egov.kz</a>'
    )
