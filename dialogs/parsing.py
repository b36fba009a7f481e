"""Forgiving readers for what people type: amounts of money, counts and ages, yes and no, in
Kazakh, Russian and English, with digits or in words. A reader returns None when it cannot tell;
it never raises, whatever the text.

"120 000", "120000 тг", "120к", "120 тыс.", "120 мың", "1,5 млн", "сто двадцать тысяч",
"жүз жиырма мың" and "one hundred twenty thousand" all read as 120 000 (or 1 500 000).

Amounts in tenge have no decimals in practice, so a comma, dot, space or apostrophe before a group
of exactly three digits separates thousands: "120,000", "120.000" and "120'000" are 120 000, not
120. One or two digits after a comma or a dot are decimals ("120,5", "37060.50"). Where both
readings stay possible ("2,500 мың": 2 500 or 2 500 000? "1.200,500"), `read_amount` gives both
and the dialog asks which was meant; it never guesses.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = Decimal(10) ** 12

# Multipliers written after a number: thousands and millions in the three languages.
_THOUSAND = {"к", "k", "тыс", "тысяч", "тысяча", "тысячи", "тысячу", "мың", "мын", "thousand", "th"}
_MILLION = {"м", "m", "млн", "миллион", "миллиона", "миллионов", "million", "mln", "mio"}
_CURRENCY = {"тг", "тенге", "теңге", "₸", "kzt", "tenge", "tg", "t"}

_SMALL: dict[str, int] = {
    # Russian
    "ноль": 0, "нуль": 0, "один": 1, "одна": 1, "одно": 1, "два": 2, "две": 2, "три": 3,
    "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
    "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
    "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
    "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
    "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
    # Kazakh
    "нөл": 0, "бір": 1, "екі": 2, "үш": 3, "төрт": 4, "бес": 5, "алты": 6, "жеті": 7,
    "сегіз": 8, "тоғыз": 9, "он": 10, "жиырма": 20, "отыз": 30, "қырық": 40, "елу": 50,
    "алпыс": 60, "жетпіс": 70, "сексен": 80, "тоқсан": 90, "жүз": 100,
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
# Words that multiply what came before in the same group ("екі жүз", "two hundred").
_HUNDRED_WORDS = {"жүз", "hundred"}
_FILLER = {"and", "и", "және", "да", "plus"}

_YES = {
    "да", "ага", "угу", "конечно", "верно", "правильно", "есть", "иә", "ия", "иа", "йә", "әрине",
    "дұрыс", "бар", "yes", "y", "yeah", "yep", "ok", "okay", "ок", "sure", "true", "+",
}  # fmt: skip
_NO = {
    "нет", "неа", "жоқ", "жок", "жоғ", "no", "n", "nope", "none", "false", "-", "ешкім",
    "никто", "nobody", "ничего", "ештеңе",
}  # fmt: skip

# A run of digits with the separators people put between them: "120 000", "1.200.000,50".
_SEPARATORS = ".,'’ \t\u00a0\u202f"
_TOKEN = re.compile(r"\d+(?:[.,'’ \t\u00a0\u202f]\d+)*|[^\W\d_]+|[₸+\-]", re.UNICODE)
_SPLIT = re.compile(r"([.,'’ \t\u00a0\u202f])")
_DECIMAL_MARKS = ".,"


def _normal(text: str) -> str:
    return text.strip().lower().replace("ё", "е")


def _decimal(token: str) -> Decimal | None:
    try:
        value = Decimal(token.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _kind(separator: str) -> str:
    """Spaces of any width are one kind of separator, and so are the two apostrophes."""
    if separator in " \t\u00a0\u202f":
        return " "
    return "'" if separator in "'’" else separator


def _grouped(groups: list[str], kinds: list[str]) -> bool:
    """Thousands written in groups of three after a first group of one to three digits, with
    one kind of separator throughout: "1,200,000", "120 000", "1.200"."""
    return (
        bool(kinds)
        and len(set(kinds)) == 1
        and 1 <= len(groups[0]) <= 3
        and int(groups[0]) > 0
        and all(len(g) == 3 for g in groups[1:])
    )


def _number_readings(run: str, scaled: bool) -> set[Decimal]:
    """What a run of digits and separators can mean. `scaled`: a multiplier word follows
    ("2,500 мың"), so three digits after one comma or dot may be decimals after all."""
    parts = _SPLIT.split(run)
    groups, kinds = parts[0::2], [_kind(s) for s in parts[1::2]]
    if not kinds:
        return {Decimal(run)}
    readings: set[Decimal] = set()
    whole = Decimal("".join(groups))
    if _grouped(groups, kinds):
        readings.add(whole)
    last, mark = groups[-1], kinds[-1]
    head, head_kinds = groups[:-1], kinds[:-1]
    head_ok = not head_kinds or (_grouped(head, head_kinds) and head_kinds[0] != mark)
    if mark in _DECIMAL_MARKS and head_ok:
        decimal = Decimal(f"{''.join(head)}.{last}")
        if len(last) <= 2:
            readings.add(decimal)
        elif len(last) == 3 and (scaled or bool(head_kinds)):
            # "2,500 мың" (2.5 thousand?) or "1.200,500" (the comma a decimal mark?)
            readings.add(decimal)
            if head_kinds:
                readings.add(whole)
    return readings


def read_amount(text: str) -> tuple[Decimal, ...]:
    """Every amount the text can mean, smallest first: none when it holds no number (or more
    than one, or something else besides), one when it is clear, two when the dialog must ask."""
    if not isinstance(text, str) or len(text) > 200:
        return ()
    tokens = _TOKEN.findall(_normal(text))
    tokens = [t for t in tokens if t not in _CURRENCY and t not in _FILLER]
    if not tokens:
        return ()
    if tokens[0][0].isdecimal():
        rest = tokens[1:]
        factor = 1
        if rest and rest[0] in _THOUSAND:
            factor, rest = 1000, rest[1:]
        elif rest and rest[0] in _MILLION:
            factor, rest = 1_000_000, rest[1:]
        if rest:
            return ()
        try:
            values = {v * factor for v in _number_readings(tokens[0], factor > 1)}
        except (InvalidOperation, ValueError):
            return ()
    else:
        words = _words_to_number(tokens)
        if words is None:
            return ()
        values = {Decimal(words)}
    return tuple(sorted(_plain(v) for v in values if v.is_finite() and 0 <= v <= MAX_AMOUNT))


def _plain(value: Decimal) -> Decimal:
    """120000 rather than 120000.000 or 1.2E+5: the amount as a person would write it."""
    whole = value.to_integral_value()
    return whole.quantize(Decimal(1)) if value == whole else value.normalize()


def parse_amount(text: str) -> Decimal | None:
    """An amount of money or a count: digits with spaces, a multiplier word, or number words.

    Returns None when the text holds no number, more than one, something else besides, or could
    mean two amounts (`read_amount` says which).
    """
    readings = read_amount(text)
    return readings[0] if len(readings) == 1 else None


def _words_to_number(tokens: list[str]) -> int | None:
    """ "сто двадцать тысяч" -> 120000; "екі жүз елу" -> 250; "one hundred and five" -> 105."""
    total = 0
    group = 0
    seen = False
    for token in tokens:
        if token in _THOUSAND and seen:
            total += max(group, 1) * 1000
            group = 0
        elif token in _MILLION and seen:
            total += max(group, 1) * 1_000_000
            group = 0
        elif token in _HUNDRED_WORDS and seen and 0 < group < 10:
            group *= 100
        elif token in _SMALL:
            group += _SMALL[token]
            seen = True
        elif token[0].isdecimal() and not seen:
            number = _decimal(token)
            if number is None or number != number.to_integral_value():
                return None
            group, seen = int(number), True
        else:
            return None
    return total + group if seen else None


def parse_whole(text: str, low: int = 0, high: int = 130) -> int | None:
    """A whole number from `low` to `high` ("34", "тридцать четыре", "отыз төрт")."""
    value = parse_amount(text)
    if value is None or value != value.to_integral_value():
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_numbers(text: str, low: int = 0, high: int = 130, most: int = 40) -> list[int] | None:
    """Several whole numbers: "34 32 7 2", "34, 32, 7 и 2", "34;32". None if any part is not one."""
    if not isinstance(text, str) or len(text) > 400:
        return None
    parts = [p.strip() for p in re.split(r"[,;/]+|\b(?:и|and|және|мен)\b", _normal(text))]
    numbers = []
    for part in filter(None, parts):
        words = part.split()
        # "34 32 7" is three numbers; "отыз төрт" and "thirty two" are one each.
        pieces = words if all(w.isdecimal() for w in words) else [part]
        for piece in pieces:
            number = parse_whole(piece, low, high)
            if number is None:
                return None
            numbers.append(number)
    return numbers if 0 < len(numbers) <= most else None


def parse_yes_no(text: str) -> bool | None:
    """Yes or no in any of the three languages; None when it is neither (or both)."""
    if not isinstance(text, str) or len(text) > 100:
        return None
    words = set(_TOKEN.findall(_normal(text)))
    yes, no = bool(words & _YES), bool(words & _NO)
    if yes == no:
        return None
    return yes
