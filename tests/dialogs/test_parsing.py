"""What people type, read forgivingly; nothing they type makes a reader raise. An amount that
can be read two ways gives both readings (the dialog asks); it is never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.parsing import parse_amount, parse_numbers, parse_whole, parse_yes_no, read_amount


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
        # A comma, dot, space or apostrophe before a group of exactly three digits: thousands.
        ("120,000", 120000),
        ("120,000 tenge", 120000),
        ("120.000", 120000),
        ("120.000 ₸", 120000),
        ("120'000", 120000),
        ("120’000 тг", 120000),
        ("120\u202f000", 120000),
        ("1,200,000", 1200000),
        ("1.200.000", 1200000),
        ("1 200 000 теңге", 1200000),
        # One or two digits after a comma or a dot: decimals.
        ("120,5", Decimal("120.5")),
        ("120.50", Decimal("120.50")),
        ("1,200.50", Decimal("1200.50")),
        ("1.200,50", Decimal("1200.50")),
        ("120 000,50", Decimal("120000.50")),
        ("120,5 мың", 120500),
        ("1,5 млн", 1500000),
        # Neither a grouping nor a decimal anyone writes for tenge: not understood, asked again.
        ("1234,567", None),
        ("1,2,3", None),
        ("1,200,50", None),
    ],
)
def test_thousands_separators_and_decimals(text: str, expected: int | Decimal | None) -> None:
    assert parse_amount(text) == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("2,500 мың", (2500, 2500000)),  # 2.5 thousand, or 2 500 thousand?
        ("1.500 тыс", (1500, 1500000)),
        ("1,500 млн", (1500000, 1500000000)),
        ("1.200,500", (Decimal("1200.5"), 1200500)),  # the comma a decimal mark, or thousands?
        ("1 200.000", (1200, 1200000)),
    ],
)
def test_an_amount_that_reads_two_ways_is_not_guessed(
    text: str, readings: tuple[int | Decimal, ...]
) -> None:
    assert read_amount(text) == tuple(Decimal(r) for r in readings)
    assert parse_amount(text) is None


_SEPARATORS = st.sampled_from([",", ".", " ", "'", "’", "\u00a0", "\u202f"])
_CURRENCY = st.sampled_from(["", " тг", " ₸", " теңге", " tenge", "₸"])


def _grouped(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**11), _SEPARATORS, _CURRENCY)
def test_any_amount_written_in_groups_of_three_reads_as_itself(
    number: int, separator: str, currency: str
) -> None:
    assert read_amount(_grouped(number, separator) + currency) == (Decimal(number),)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=99),
    st.sampled_from([1, 2]),
    st.sampled_from([",", "."]),
    st.sampled_from(["", " ", "'", "\u00a0"]),
)
def test_one_or_two_digits_after_a_comma_or_dot_are_decimals(
    whole: int, cents: int, width: int, mark: str, group: str
) -> None:
    if group and group == mark:
        return
    fraction = f"{cents:02d}"[:width]
    grouped = _grouped(whole, group) if group else str(whole)
    text = f"{grouped}{mark}{fraction}"
    assert read_amount(text) == (Decimal(f"{whole}.{fraction}"),)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999))
def test_three_digits_after_one_mark_before_a_multiplier_are_asked(head: int, tail: int) -> None:
    # "2,500 мың": 2.5 thousand or 2 500 thousand: both readings, the smaller first.
    readings = read_amount(f"{head},{tail:03d} мың")
    assert readings == (Decimal(f"{head}.{tail:03d}") * 1000, Decimal(head * 1000 + tail) * 1000)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789,.' ₸мыңтгk"), max_size=30))
def test_readings_are_few_sorted_and_never_negative(text: str) -> None:
    readings = read_amount(text)
    assert len(readings) <= 2
    assert list(readings) == sorted(set(readings))
    assert all(r >= 0 for r in readings)
    assert parse_amount(text) == (readings[0] if len(readings) == 1 else None)


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
    read_amount(text)
    parse_numbers(text)
    parse_whole(text)
    parse_yes_no(text)
