"""What people type, read forgivingly; nothing they type makes a reader raise."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.parsing import parse_amount, parse_numbers, parse_whole, parse_yes_no


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120000", 120000),
        ("120 000", 120000),
        ("120\u00a0000 тг", 120000),
        ("1 200 000", 1200000),
        ("120к", 120000),
        ("120 К", 120000),
        ("120k", 120000),
        ("120 тыс.", 120000),
        ("120 тысяч тенге", 120000),
        ("120 мың", 120000),
        ("120 мың теңге", 120000),
        ("1,5 млн", 1500000),
        ("37060.50", Decimal("37060.50")),
        ("сто двадцать тысяч", 120000),
        ("тридцать четыре тысячи", 34000),
        ("двести пятьдесят", 250),
        ("жүз жиырма мың", 120000),
        ("екі жүз елу", 250),
        ("отыз мың", 30000),
        ("one hundred and twenty thousand", 120000),
        ("forty five", 45),
        ("0", 0),
        ("ноль", 0),
        ("жоқ", None),
        ("", None),
        ("много", None),
        ("34 32", None),
        ("-5", None),
        ("12 apples", None),
    ],
)
def test_amounts_are_read_forgivingly(text: str, expected: int | Decimal | None) -> None:
    result = parse_amount(text)
    assert result == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("34 32 7 2", [34, 32, 7, 2]),
        ("34, 32, 7 и 2", [34, 32, 7, 2]),
        ("66;62", [66, 62]),
        ("отыз төрт, жеті", [34, 7]),
        ("thirty two and five", [32, 5]),
        ("34 lots", None),
        ("200", None),
        ("", None),
    ],
)
def test_lists_of_ages_are_read(text: str, expected: list[int] | None) -> None:
    assert parse_numbers(text) == expected


def test_a_whole_number_must_be_in_range() -> None:
    assert parse_whole("7", 1, 9) == 7
    assert parse_whole("10", 1, 9) is None
    assert parse_whole("2.5", 0, 9) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("да", True),
        ("Иә", True),
        ("ия", True),
        ("yes", True),
        ("ok", True),
        ("әрине", True),
        ("нет", False),
        ("жоқ", False),
        ("No", False),
        ("не знаю", None),
        ("да нет", None),
        ("", None),
        ("qwerty", None),
    ],
)
def test_yes_and_no_in_three_languages(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_no_text_makes_a_reader_raise(text: str) -> None:
    parse_amount(text)
    parse_numbers(text)
    parse_whole(text)
    parse_yes_no(text)
