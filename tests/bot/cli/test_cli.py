"""`komek assess`: the JSON contract of DESIGN.md §2, explanations, batches and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.parameters import parameter_texts

T13 = {
    "date": "2026-01-15",
    "region": "aktobe",
    "members": [
        {"age": 28, "sex": "female", "cares_for": [1], "income": 30000},
        {"age": 2},
        {"age": 5},
    ],
}
CONTRACT_KEYS = [
    "status",
    "category",
    "family_size",
    "per_capita_income",
    "poverty_line",
    "poverty_line_estimated",
    "monthly_amount",
    "child_payment_monthly",
    "months",
    "quarter_total",
    "large_family_allowance_monthly",
    "members",
    "reasons",
    "flags",
]


def run(args: list[str], tmp_path: Path, body: str | None = None) -> tuple[int, str]:
    if body is not None:
        path = tmp_path / "household.json"
        path.write_text(body, encoding="utf-8")
        args = [a if a != "FILE" else str(path) for a in args]
    out = io.StringIO()
    code = main(args, out=out)
    return code, out.getvalue()


def test_assess_prints_the_contract_with_amounts_to_the_tiyn(tmp_path: Path) -> None:
    code, out = run(["assess", "FILE"], tmp_path, json.dumps(T13))
    assert code == 0
    assert '"monthly_amount": 81180.00' in out
    assert '"per_capita_income": 10000.00' in out
    assert '"poverty_line": 37060,' in out
    result = json.loads(out)
    assert list(result) == CONTRACT_KEYS
    assert result["quarter_total"] == 282465
    assert list(result["members"][0]) == [
        "index",
        "counted",
        "able_bodied",
        "employment_measures",
        "exempt_reason",
    ]
    assert list(result["reasons"][0]) == ["code", "article", "url"]


def test_assess_reads_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(T13)))
    code, out = run(["assess", "-"], tmp_path)
    assert code == 0
    assert json.loads(out)["status"] == "eligible"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"date": "2026-01-15", "region": "aktobe"', "not valid JSON"),
        ('{"date": "2026-01-15", "date": "2026-01-16"}', "appears twice"),
        ('{"date": "2026-01-15", "region": "aktobe", "members": [{"age": NaN}]}', "JSON"),
        ('{"date": "2026-01-15", "region": "aktobe", "members": [{"age": 30.5}]}', "age"),
        ('{"date": "15.01.2026", "region": "aktobe", "members": [{"age": 3}]}', "date:"),
        ('{"region": "aktobe", "members": [{"age": 3}]}', "date:"),
        ('{"date": "2026-01-15", "region": "aktobe", "members": [{"age": 3}], "x": 1}', "x:"),
        ("[1, 2]", "household:"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, field: str
) -> None:
    code, out = run(["assess", "FILE"], tmp_path, body)
    err = capsys.readouterr().err
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert field in err


def test_a_file_that_is_not_utf8_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cp1251.json"
    path.write_bytes('{"region": "Ақтөбе"}'.encode("utf-16"))
    assert main(["assess", str(path)], out=io.StringIO()) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_a_missing_file_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assess", str(tmp_path / "nope.json")], out=io.StringIO()) == 2
    assert "cannot be read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("kk", "шартсыз ақшалай көмек"),
        ("ru", "безусловной денежной помощи"),
        ("en", "unconditional cash assistance"),
    ],
)
def test_explain_prints_sentences_in_the_language_asked(
    tmp_path: Path, lang: str, expected: str
) -> None:
    code, out = run(["assess", "FILE", "--explain", "--lang", lang], tmp_path, json.dumps(T13))
    assert code == 0
    assert expected in out
    assert "81" in out and "180" in out and "₸" in out


def test_batch_prints_one_result_per_household_and_keeps_going_past_a_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "batch.jsonl"
    lines = [json.dumps(T13), "{broken", "", json.dumps({**T13, "region": "kostanay"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    code = main(["assess", "--batch", str(path)], out=out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 2
    assert "1 of 3 households rejected" in capsys.readouterr().err
    assert [r.get("status") for r in results] == ["eligible", None, "eligible"]
    assert results[1]["line"] == 2
    assert results[2]["poverty_line_estimated"] is True


def test_params_check_lists_the_published_lines(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert main(["params", "check"], out=out) == 0
    assert "aktobe: 2025-Q2: 36550, 2026-Q1: 37060" in out.getvalue()


def test_a_broken_parameter_directory_is_reported_with_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, text in parameter_texts().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "mrp.yaml").write_text(
        "description: x\nvalues:\n  2019-13-01: 5\n", encoding="utf-8"
    )
    assert main(["params", "check", "--parameters", str(tmp_path)], out=io.StringIO()) == 1
    assert "mrp.yaml" in capsys.readouterr().err


def test_chat_in_the_terminal_reaches_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = ["1", "6", "66", "0", "0", "32360", "1", "1"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    out = io.StringIO()
    assert main(["chat", "--lang", "en", "--sms"], out=out) == 0
    text = out.getvalue()
    assert "--- SMS:" in text
    assert "Likely eligible" in text or "Likely not eligible" in text
