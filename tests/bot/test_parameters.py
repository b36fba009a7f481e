"""The parameters the server reads: the shipped files with the poverty lines staff added."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.parameters import AddedLine, with_lines
from core.assess import assess_data
from core.parameters import ParameterStore

HOUSEHOLD = {"date": "2026-11-20", "members": [{"age": 30, "income": 10000}]}
LINE = AddedLine("astana", date(2026, 10, 1), Decimal(45210), "Astana akimat", "https://a.kz/q4")


def test_an_added_line_is_used_for_its_region_and_quarter_only(store: ParameterStore) -> None:
    merged = with_lines(store, [LINE])
    astana = assess_data({**HOUSEHOLD, "region": "astana"}, merged)
    assert astana.poverty_line == Decimal(45210) and not astana.poverty_line_estimated
    earlier = assess_data({**HOUSEHOLD, "region": "astana", "date": "2026-09-20"}, merged)
    assert (
        earlier.poverty_line
        == assess_data({**HOUSEHOLD, "region": "astana", "date": "2026-09-20"}, store).poverty_line
    )
    for region in ("almaty", "aktobe"):  # everything else as the files say, estimates too
        assert (
            assess_data({**HOUSEHOLD, "region": region}, merged).to_dict()
            == assess_data({**HOUSEHOLD, "region": region}, store).to_dict()
        )


def test_a_quarter_in_the_files_keeps_the_files_value(store: ParameterStore) -> None:
    shipped = store.published_poverty_line("aktobe", date(2026, 1, 1))
    assert shipped is not None
    merged = with_lines(
        store, [AddedLine("aktobe", date(2026, 1, 1), Decimal(1), "x", "https://x")]
    )
    found = merged.published_poverty_line("aktobe", date(2026, 1, 1))
    assert found is not None and found.value == shipped.value


def test_no_added_line_leaves_the_store_as_it_is(store: ParameterStore) -> None:
    assert with_lines(store, []) is store
