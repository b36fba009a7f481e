"""Runs the YAML rule cases in tests/core/cases: each names the behaviour it pins down as a
sentence, and its comments do the arithmetic. Only the output keys a case gives are compared;
`reasons` lists codes that must be present, `flags` is compared whole, `articles` maps a reason
code to text its article must contain, and `error` names the field a refused input must name."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.parameters import default_store
from core.assess import assess_data
from core.errors import InputError

CASES_DIR = Path(__file__).parent / "cases"


def _jsonish(value: Any) -> Any:
    """YAML reads 2026-01-15 as a date; the contract takes it as a string."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonish(v) for v in value]
    return value


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return isinstance(actual, int | Decimal) and Decimal(str(expected)) == Decimal(actual)
    return bool(expected == actual)


@pytest.mark.parametrize("case", _cases())
def test_rule_case(case: dict[str, Any]) -> None:
    household = _jsonish(case["input"])
    expected = case["output"]
    if "error" in expected:
        with pytest.raises(InputError) as raised:
            assess_data(household, default_store())
        assert raised.value.field == expected["error"], str(raised.value)
        return
    result = assess_data(household, default_store())
    actual = result.to_dict()
    codes = [r["code"] for r in actual["reasons"]]
    for key, want in expected.items():
        if key == "reasons":
            missing = [code for code in want if code not in codes]
            assert not missing, f"reasons {missing} not in {codes}"
        elif key == "articles":
            for code, text in want.items():
                articles = [r["article"] for r in actual["reasons"] if r["code"] == code]
                assert articles and text in articles[0], f"{code}: {articles}"
        elif key == "flags":
            assert sorted(actual["flags"]) == sorted(want), actual["flags"]
        elif key == "members":
            for partial in want:
                member = actual["members"][partial["index"]]
                for field, value in partial.items():
                    assert member[field] == value, f"members[{partial['index']}].{field}: {member}"
        else:
            assert _same(want, actual[key]), f"{key}: expected {want!r}, got {actual[key]!r}"
