"""Each family's own list of documents, from its household (tsa-rules.md §4 "Documents")."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.documents import documents_for, income_months


def keys(household: dict[str, Any]) -> list[str]:
    return [d.key for d in documents_for(household)]


def test_a_woman_alone_with_no_income_brings_the_application_and_her_id() -> None:
    assert keys({"date": "2026-01-15", "region": "aktobe", "members": [{"age": 61}]}) == [
        "application",
        "identity:0",
    ]


def test_a_mother_with_alimony_brings_the_alimony_certificate_for_the_income_quarter() -> None:
    # T13: mother 28 with children of 2 and 5, alimony 30,000 a month.
    household = {
        "date": "2026-01-15",
        "region": "aktobe",
        "members": [
            {"age": 28, "income": {"alimony": 30000}, "cares_for": [1]},
            {"age": 2},
            {"age": 5},
        ],
    }
    found = documents_for(household)
    assert [d.key for d in found] == [
        "application",
        "identity:0",
        "birth_certificate:1",
        "birth_certificate:2",
        "income",
        "alimony",
    ]
    # Applying in January: the income quarter is October to December 2025.
    assert found[-1].months == (date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1))


def test_one_income_figure_with_children_asks_for_alimony_only_if_received() -> None:
    household = {
        "date": "2026-05-04",
        "region": "astana",
        "members": [{"age": 35, "income": 90000}, {"age": 16}, {"age": 9}],
    }
    assert keys(household) == [
        "application",
        "identity:0",
        "identity:1",  # an identity card from 16
        "birth_certificate:2",
        "income",
        "alimony_if_any",
    ]


def test_disability_and_full_time_study_of_18_to_22_need_certificates() -> None:
    household = {
        "date": "2026-11-30",
        "region": "almaty",
        "members": [
            {"age": 45, "disability_group": 2},
            {"age": 19, "student_full_time": True},
            {"age": 23, "student_full_time": True},  # counted no more: no certificate
            {"age": 10, "child_disability": True},
        ],
    }
    found = keys(household)
    assert "disability:0" in found and "disability:3" in found
    assert "study:1" in found and "study:2" not in found
    assert "income" not in found


def test_the_income_quarter_is_the_quarter_before_the_application() -> None:
    assert income_months(date(2026, 4, 1)) == (
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    )
