"""The explanation: every reason and flag the core can return has a sentence, and every rule case
reads completely in kk, ru and en with nothing left to fall back on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.i18n.explain import render_explanation
from bot.i18n.translator import LANGUAGES, Translator
from core.assess import assess_data
from core.parameters import ParameterStore
from core.reasons import FLAGS, known_codes
from dialogs.explain import known_flags, known_reason_codes
from tests.core.test_cases import _jsonish

CASES = Path(__file__).resolve().parent.parent / "core" / "cases"


def _households() -> list[dict[str, Any]]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            if "error" not in case["output"]:
                found.append(_jsonish(case["input"]))
    return found


def test_every_reason_code_has_a_sentence() -> None:
    assert known_codes() <= known_reason_codes()


def test_every_flag_has_a_sentence() -> None:
    assert set(FLAGS) == known_flags()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_case_is_explained_fully_in_each_language(
    language: str, store: ParameterStore, translator: Translator
) -> None:
    before = translator.missing[language]
    for household in _households():
        text = render_explanation(assess_data(household, store), language, translator)
        assert "{" not in text and "}" not in text, text
        assert text.strip()
    assert translator.missing[language] == before


def test_a_family_above_the_line_is_told_how_much_less_income_would_qualify(
    store: ParameterStore, translator: Translator
) -> None:
    household = {
        "date": "2026-01-15",
        "region": "aktobe",
        "members": [{"age": 66, "sex": "female", "income": 49060}],
    }
    text = render_explanation(assess_data(household, store), "en", translator)
    assert "With 12,000\u00a0₸ less income a month you would qualify." in text  # alone
    assert "career centre" in text


def _explained(household: dict[str, Any], language: str, store: ParameterStore) -> str:
    return render_explanation(assess_data(household, store), language, Translator())


def test_a_part_time_student_away_is_said_not_to_be_counted_in_russian(
    store: ParameterStore,
) -> None:
    household = {
        "date": "2026-01-15",
        "region": "aktobe",
        "members": [
            {"age": 45, "sex": "female", "permanent_job": True, "income": 60000},
            {"age": 22, "sex": "male", "absence": "studies_away"},
        ],
    }
    text = _explained(household, "ru", store)
    assert "не по очной форме, поэтому не учитывается в составе семьи" in text
    assert "но учитывается в составе семьи" not in text


@pytest.mark.parametrize(
    ("language", "decides"),
    [("en", "the office that assigns TSA decides"), ("ru", "орган, назначающий АСП"),
     ("kk", "АӘК тағайындайтын орган")],
)  # fmt: skip
def test_a_minor_alone_is_told_the_office_decides_and_not_about_pensioners(
    store: ParameterStore, language: str, decides: str
) -> None:
    household = {"date": "2026-01-15", "region": "aktobe", "members": [{"age": 17}]}
    text = _explained(household, language, store)
    assert decides in text.splitlines()[0]
    assert "pension age, has a group I or II disability" not in text


def test_a_household_inside_the_band_is_told_first_what_is_certain(
    store: ParameterStore,
) -> None:
    household = {
        "date": "2026-01-15",
        "region": "kostanay",
        "members": [{"age": 66, "sex": "female", "income": 40000}],
    }
    first = _explained(household, "en", store).splitlines()[0]
    assert first.startswith("Income per person is 40,000\u00a0₸ a month.")
    assert "between 36,223\u00a0₸ and 56,465\u00a0₸" in first
    assert "not eligible" not in first


def test_a_loan_that_cuts_the_amount_shows_it_with_and_without_the_loan(
    store: ParameterStore,
) -> None:
    household = {
        "date": "2026-01-15",
        "region": "aktobe",
        "non_mortgage_loans": 300000,
        "members": [{"age": 40, "sex": "female"}, {"age": 8}, {"age": 10}],
    }
    text = _explained(household, "en", store)
    assert "with the loan counted: 11,180\u00a0₸ a month; without it: 111,180\u00a0₸" in text


def test_each_exemption_is_explained_with_its_article(store: ParameterStore) -> None:
    household = {
        "date": "2026-01-15",
        "region": "aktobe",
        "members": [
            {"age": 45, "sex": "male"},
            {"age": 19, "sex": "male", "student_full_time": True},
            {"age": 21, "sex": "female", "permanent_job": True},
        ],
    }
    text = _explained(household, "en", store)
    assert "studies full-time. (Social Code, art. 122, p. 4, subp. 2)" in text
    assert "has a permanent job. (Social Code, art. 122, p. 4, subp. 5)" in text
    assert "(Social Code, art. 1, subp. 43)" in text
