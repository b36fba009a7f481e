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
