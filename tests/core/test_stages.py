"""The stages of a case as data: the shipped file, what a bad file is refused for, and the
fields a change of stage carries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.stages import FieldError, StagesError, check_fields, parse_stages

SHIPPED = Path(__file__).resolve().parents[2] / "core" / "stages.yaml"


def shipped_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return data


def test_the_shipped_stages_are_the_eight_steps_of_a_case_in_order() -> None:
    stages = parse_stages(SHIPPED.read_text(encoding="utf-8"))
    assert [s.id for s in stages.stages] == [
        "applied",
        "documents_requested",
        "commission_review",
        "assigned",
        "refused",
        "contract_signed",
        "first_payment",
        "reassessment_due",
    ]
    assert stages["assigned"].fields == {"amount": True, "months": True, "category": True}
    assert stages["refused"].appeal
    assert stages.appeal.unverified  # the time limit rests on an [UNVERIFIED] judgement
    # A spreadsheet may name a stage by its id, its number or its name in any language.
    assert stages.find("Учаскелік комиссияның қарауында") == stages["commission_review"]
    assert stages.find("  в асп ОТКАЗАНО ") == stages["refused"]
    assert stages.find("4") == stages["assigned"]
    assert stages.find("approved") is None


def test_an_appeal_is_due_three_months_after_the_decision() -> None:
    stages = parse_stages(SHIPPED.read_text(encoding="utf-8"))
    assert stages.appeal.by(date(2026, 11, 30)) == date(2027, 2, 28)


def test_an_office_renames_a_stage_in_the_file() -> None:
    data = shipped_data()
    data["stages"][0]["name"]["ru"] = "Заявка зарегистрирована"
    stages = parse_stages(yaml.safe_dump(data, allow_unicode=True))
    assert stages["applied"].name["ru"] == "Заявка зарегистрирована"


def _broken(change: Callable[[dict[str, Any]], object]) -> str:
    data = shipped_data()
    change(data)
    with pytest.raises(StagesError) as caught:
        parse_stages(yaml.safe_dump(data, allow_unicode=True), "office.yaml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["stages"][0]["name"].pop("kk"), "stage applied: `name` needs kk, ru and en"),
        (lambda d: d["stages"][1].update(id="applied"), "stage applied: the id appears twice"),
        (lambda d: d["stages"][2].update(id="Review"), "stage 3: `id` must be lower-case"),
        (
            lambda d: d["stages"][3]["fields"].update(iban="required"),
            "stage assigned: unknown field 'iban'",
        ),
        (
            lambda d: d["stages"][3]["fields"].update(amount="yes"),
            "field amount must be required or optional",
        ),
        (
            lambda d: d["stages"][4]["next_step"].update(kk="х" * 151),
            "`next_step` in kk is longer than 150 characters",
        ),
        (lambda d: d["stages"][0]["next_step"].update(en="  "), "`next_step` in en is empty"),
        (lambda d: d["stages"][0].update(colour="red"), "unknown key(s) ['colour']"),
        (lambda d: d["appeal"].update(months=0), "appeal: `months` must be a whole number"),
        (lambda d: d["appeal"].update(url="adilet"), "appeal: `url` must be an http(s) address"),
        (lambda d: d.update(stages=[]), "`stages` must be a non-empty list"),
        (lambda d: d.pop("appeal"), "must be a mapping with `stages`"),
    ],
)
def test_a_bad_stages_file_is_refused_with_what_is_wrong(
    change: Callable[[dict[str, Any]], object], words: str
) -> None:
    message = _broken(change)
    assert message.startswith("office.yaml: ")
    assert words in message


def test_text_that_is_not_yaml_is_refused() -> None:
    with pytest.raises(StagesError, match="not valid YAML"):
        parse_stages("stages: [", "office.yaml")


def test_an_assignment_carries_amount_months_and_category() -> None:
    stage = parse_stages(SHIPPED.read_text(encoding="utf-8"))["assigned"]
    given = {"amount": "81 180", "months": "3", "category": "Шартсыз"}
    assert check_fields(stage, given) == {
        "amount": "81180",
        "months": 3,
        "category": "unconditional",
    }
    for field, value, problem in [
        ("amount", "", "missing"),
        ("amount", "-5", "amount"),
        ("amount", "100.50", "amount"),
        ("amount", "lots", "amount"),
        ("months", "13", "months"),
        ("months", "٣", "months"),
        ("category", "maybe", "category"),
    ]:
        with pytest.raises(FieldError) as caught:
            check_fields(stage, {**given, field: value})
        assert (caught.value.field, caught.value.problem) == (field, problem)


def test_a_stage_refuses_a_field_it_does_not_carry_and_a_long_reason() -> None:
    stages = parse_stages(SHIPPED.read_text(encoding="utf-8"))
    with pytest.raises(FieldError, match="amount: unexpected"):
        check_fields(stages["applied"], {"amount": "1000"})
    with pytest.raises(FieldError, match="reason: reason_long"):
        check_fields(stages["refused"], {"reason": "я" * 81})
    assert check_fields(stages["refused"], {"reason": " доход  выше черты "}) == {
        "reason": "доход выше черты"
    }
