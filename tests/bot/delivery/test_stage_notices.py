"""The notice of each stage of a case, in kk, ru and en, as SMS and as Telegram text, against
goldens (KOMEK_UPDATE_GOLDEN=1 rewrites them; read the diff). Every SMS notice stays within the
SMS budget, also at its longest: a refusal with the longest reason, a request for the documents
of a large family."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.delivery.stages import notice_text
from bot.i18n.translator import LANGUAGES, Translator
from bot.parameters import default_stages
from core.documents import documents_for
from core.stages import MAX_REASON
from dialogs.paging import SMS_BUDGET
from dialogs.segments import cost
from dialogs.stages import documents_field

GOLDEN = Path(__file__).parent / "golden" / "stage_notices.yaml"
UPDATE = os.environ.get("KOMEK_UPDATE_GOLDEN") == "1"
ON = date(2026, 11, 25)
LARGE_FAMILY = {
    "date": "2026-11-25",
    "region": "turkistan",
    "members": [
        {"age": 38, "income": {"wages": 90000, "alimony": 20000}},
        {"age": 36, "disability_group": 2},
        {"age": 20, "student_full_time": True},
        {"age": 19, "student_full_time": True},
        {"age": 16},
        {"age": 12, "child_disability": True},
        {"age": 9},
        {"age": 4},
        {"age": 1},
    ],
}
# (stage, its fields) as the examples of the goldens.
EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("applied", {}),
    ("documents_requested", {"documents": documents_field(documents_for(LARGE_FAMILY)[3:6])}),
    ("commission_review", {}),
    ("assigned", {"amount": "81180", "months": 2, "category": "unconditional"}),
    ("assigned", {"amount": "37060", "months": 1, "category": "conditional"}),
    ("refused", {"reason": "доход выше черты бедности"}),
    ("contract_signed", {}),
    ("first_payment", {"amount": "94155"}),
    ("reassessment_due", {}),
]


def _notices(translator: Translator) -> dict[str, str]:
    stages = default_stages()
    found: dict[str, str] = {}
    for n, (stage_id, fields) in enumerate(EXAMPLES, 1):
        for language in LANGUAGES:
            for channel in ("sms", "telegram"):
                text, _ = notice_text(
                    translator,
                    stages,
                    stages[stage_id],
                    ON,
                    fields,
                    language=language,
                    sms=channel == "sms",
                )
                found[f"{n}.{stage_id}.{language}.{channel}"] = text
    return found


def test_each_stage_notice_matches_its_golden(translator: Translator) -> None:
    found = _notices(translator)
    if UPDATE:
        GOLDEN.write_text(
            yaml.safe_dump(found, allow_unicode=True, sort_keys=False, width=100), "utf-8"
        )
    expected = yaml.safe_load(GOLDEN.read_text("utf-8"))
    assert found == expected
    for key, text in found.items():
        assert "{" not in text and "}" not in text, key
        if key.endswith(".sms"):
            assert cost(text).segments <= SMS_BUDGET, (key, cost(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_longest_sms_notices_stay_within_the_budget(
    translator: Translator, language: str
) -> None:
    stages = default_stages()
    longest: dict[str, dict[str, Any]] = {
        "refused": {"reason": "ы" * MAX_REASON},
        "documents_requested": {"documents": documents_field(documents_for(LARGE_FAMILY))},
        "assigned": {"amount": "9999999", "months": 12, "category": "conditional"},
    }
    for stage in stages.stages:
        fields: dict[str, Any] = longest.get(stage.id, {})
        text, _ = notice_text(translator, stages, stage, ON, fields, language=language, sms=True)
        assert cost(text).segments <= SMS_BUDGET, (stage.id, cost(text), text)


def test_a_refusal_on_telegram_gives_the_route_and_the_date_to_appeal_by(
    translator: Translator,
) -> None:
    stages = default_stages()
    text, one_line = notice_text(
        translator, stages, stages["refused"], ON, {"reason": "x"}, language="ru", sms=False
    )
    assert "в вышестоящем органе" in text and "в суде" in text
    assert "25 февраля 2027" in text
    assert "\n" not in one_line
