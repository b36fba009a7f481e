"""The YAML parameter loader: what it rejects (always a ParameterError naming the file and saying
what is wrong), and what the shipped files give on given dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.parameters import default_store, parameter_texts
from core.errors import ParameterError
from core.parameters import (
    SCHEMAS,
    Parameter,
    ParameterStore,
    PensionAge,
    parse_parameter,
    parse_poverty_lines,
)
from core.poverty_line import estimate_poverty_line

REFERENCE = "    reference:\n      title: A source\n      url: https://example.kz/source\n"


def mrp_text(values: str, header: str = "description: MRP.\n") -> str:
    return f"{header}values:\n{values}"


def entry(start: str, value: str = "3180", reference: str = REFERENCE) -> str:
    return f"  {start}:\n    value: {value}\n{reference}"


def rejection(
    text: str, file: str = "mrp.yaml", convert: Callable[[Any], Any] | None = None
) -> str:
    """Parse one file that must be rejected; the message, which must start with the file name."""
    with pytest.raises(ParameterError) as caught:
        parse_parameter(file, text, convert or SCHEMAS[file.removesuffix(".yaml")])
    assert caught.value.file == file
    message = str(caught.value)
    assert message.startswith(f"{file}: ")
    return message


def poverty_lines_rejection(text: str) -> str:
    with pytest.raises(ParameterError) as caught:
        parse_poverty_lines("poverty_lines.yaml", text)
    assert caught.value.file == "poverty_lines.yaml"
    message = str(caught.value)
    assert message.startswith("poverty_lines.yaml: ")
    return message


def poverty_lines_text(region: str, *entries: str) -> str:
    """A table with one region; `entries` as `entry()` writes them, indented one level more."""
    body = "".join("  " + e.replace("\n", "\n  ").rstrip(" ") for e in entries)
    return f"description: Published lines.\nregions:\n  {region}:\n{body}"


# --------------------------------------------------------------------------------------------
# A well-formed file, as the rejections below depart from it


def test_a_well_formed_small_file_loads_with_its_reference() -> None:
    text = mrp_text(entry("2022-01-01", "3063") + entry("2022-04-01", "3180"))
    mrp = parse_parameter("mrp.yaml", text, SCHEMAS["mrp"])
    assert mrp.at(date(2022, 3, 31)) == Decimal(3063)
    assert mrp.at(date(2022, 4, 1)) == Decimal(3180)
    (reference,) = mrp.entry_at(date(2022, 4, 1)).references
    assert (reference.title, reference.url) == ("A source", "https://example.kz/source")


# --------------------------------------------------------------------------------------------
# Rejections: dates


def test_an_impossible_date_key_is_rejected_naming_the_file() -> None:
    # 2019-13-01 looks like a YAML timestamp, so PyYAML tries date(2019, 13, 1) while loading.
    message = rejection(mrp_text(entry("2019-13-01")))
    assert "2019-13-01" in message or "date" in message


def test_an_impossible_review_by_date_is_rejected_naming_the_file() -> None:
    header = "description: MRP.\nreview_by: 2026-02-30\n"
    message = rejection(mrp_text(entry("2026-01-01"), header=header))
    assert "2026-02-30" in message or "date" in message


def test_a_key_that_is_not_a_date_is_rejected_naming_the_file() -> None:
    message = rejection(mrp_text(entry("first of January")))
    assert "'first of January' is not a date" in message


def test_a_date_key_with_a_time_is_rejected_naming_the_file() -> None:
    # A YAML timestamp with a time loads as a datetime, which is also a date to isinstance; it must
    # not be accepted, or the lookup later compares a datetime with a date and fails.
    message = rejection(mrp_text(entry("2019-01-01 10:00:00") + entry("2018-01-01")))
    assert "date" in message


def test_a_duplicate_date_is_rejected_naming_the_file() -> None:
    message = rejection(mrp_text(entry("2022-01-01", "3063") + entry("2022-01-01", "3180")))
    assert "duplicate key" in message
    assert "2022, 1, 1" in message


def test_a_key_that_is_a_list_is_rejected_naming_the_file() -> None:
    message = rejection(mrp_text("  ? [2022-01-01, 2022-04-01]\n  : {value: 3180}\n"))
    assert "date" in message or "key" in message


def test_empty_values_are_rejected_naming_the_file() -> None:
    assert "values must be a non-empty mapping" in rejection("description: MRP.\nvalues: {}\n")


def test_values_holding_only_an_end_are_rejected_naming_the_file() -> None:
    assert "at least one value" in rejection(mrp_text("  2022-01-01: null\n"))


# --------------------------------------------------------------------------------------------
# Rejections: structure of the file and of each entry


def test_an_unknown_top_level_key_is_rejected_naming_the_file() -> None:
    text = mrp_text(entry("2022-01-01"), header="description: MRP.\nsource: budget law\n")
    assert "unknown top-level key(s) ['source']" in rejection(text)


def test_an_unknown_key_inside_a_value_entry_is_rejected_naming_the_file() -> None:
    text = mrp_text("  2022-01-01:\n    value: 3180\n    comment: indexed\n" + REFERENCE)
    assert "2022-01-01: unknown key(s) ['comment']" in rejection(text)


def test_an_unknown_key_inside_a_structured_value_is_rejected_naming_the_file() -> None:
    text = mrp_text(entry("2023-01-01", "{female: 61, male: 63, other: 62}"))
    message = rejection(text, "pension_age.yaml")
    assert "2023-01-01: unknown key(s) ['other'] in value" in message


def test_a_missing_key_inside_a_structured_value_is_rejected_naming_the_file() -> None:
    message = rejection(mrp_text(entry("2023-01-01", "{female: 61}")), "pension_age.yaml")
    assert "missing key(s) ['male']" in message


def test_an_entry_without_a_value_is_rejected_naming_the_file() -> None:
    text = mrp_text("  2022-01-01:\n" + REFERENCE)
    assert "2022-01-01: missing value" in rejection(text)


def test_an_entry_that_is_a_bare_number_is_rejected_naming_the_file() -> None:
    assert "write value and reference" in rejection(mrp_text("  2022-01-01: 3180\n"))


def test_a_missing_description_is_rejected_naming_the_file() -> None:
    text = mrp_text(entry("2022-01-01"), header="unit: KZT\n")
    assert "needs a description" in rejection(text)


def test_a_blank_description_is_rejected_naming_the_file() -> None:
    text = mrp_text(entry("2022-01-01"), header="description: '  '\n")
    assert "needs a description" in rejection(text)


def test_a_file_without_values_is_rejected_naming_the_file() -> None:
    assert "missing values" in rejection("description: MRP.\n")


def test_a_file_that_is_not_a_mapping_is_rejected_naming_the_file() -> None:
    assert "must be a mapping" in rejection("- 3180\n- 3450\n")


def test_invalid_yaml_syntax_is_rejected_naming_the_file() -> None:
    assert "not valid YAML" in rejection("description: MRP.\nvalues: {2022-01-01: [3180\n")


def test_a_python_tag_is_rejected_as_invalid_yaml_naming_the_file() -> None:
    text = mrp_text(entry("2022-01-01", "!!python/object/apply:os.getcwd []"))
    assert "not valid YAML" in rejection(text)


# --------------------------------------------------------------------------------------------
# Rejections: references


def test_a_missing_reference_is_rejected_naming_the_file() -> None:
    message = rejection(mrp_text("  2022-01-01:\n    value: 3180\n"))
    assert "2022-01-01: every value needs a reference" in message


def test_an_empty_reference_list_is_rejected_naming_the_file() -> None:
    message = rejection(mrp_text(entry("2022-01-01", reference="    reference: []\n")))
    assert "every value needs a reference" in message


def test_a_reference_without_url_is_rejected_naming_the_file() -> None:
    reference = "    reference:\n      title: A source\n"
    message = rejection(mrp_text(entry("2022-01-01", reference=reference)))
    assert "2022-01-01: a reference needs an http(s) url" in message


def test_a_reference_with_a_non_http_url_is_rejected_naming_the_file() -> None:
    reference = "    reference:\n      title: A source\n      url: ftp://example.kz/mrp\n"
    message = rejection(mrp_text(entry("2022-01-01", reference=reference)))
    assert "2022-01-01: a reference needs an http(s) url" in message


def test_a_reference_without_title_is_rejected_naming_the_file() -> None:
    reference = "    reference:\n      url: https://example.kz/mrp\n"
    message = rejection(mrp_text(entry("2022-01-01", reference=reference)))
    assert "2022-01-01: a reference needs a title" in message


def test_an_unknown_reference_key_is_rejected_naming_the_file() -> None:
    reference = REFERENCE + "      page: 12\n"
    message = rejection(mrp_text(entry("2022-01-01", reference=reference)))
    assert "unknown reference key(s) ['page']" in message


def test_unknown_reference_keys_of_mixed_types_are_rejected_naming_the_file() -> None:
    # A number and a word as extra keys: listing them must not fail on sorting 12 against 'page'.
    reference = REFERENCE + "      12: twelve\n      page: 12\n"
    message = rejection(mrp_text(entry("2022-01-01", reference=reference)))
    assert "unknown reference key(s)" in message


# --------------------------------------------------------------------------------------------
# Rejections: values of the wrong type


def test_a_word_for_the_mrp_is_rejected_naming_the_file() -> None:
    message = rejection(mrp_text(entry("2022-01-01", "three thousand")))
    assert "2022-01-01: value must be a number, got 'three thousand'" in message


def test_a_boolean_for_the_mrp_is_rejected_naming_the_file() -> None:
    assert "value must be a number, got True" in rejection(mrp_text(entry("2022-01-01", "true")))


def test_a_negative_mrp_is_rejected_naming_the_file() -> None:
    assert "non-negative" in rejection(mrp_text(entry("2022-01-01", "-3180")))


def test_a_mapping_for_the_mrp_is_rejected_naming_the_file() -> None:
    assert "must be a number" in rejection(mrp_text(entry("2022-01-01", "{amount: 3180}")))


def test_a_pension_age_that_is_no_whole_number_of_months_is_rejected_naming_the_file() -> None:
    text = mrp_text(entry("2023-01-01", "{female: 61.05, male: 63}"))
    assert "whole number of months" in rejection(text, "pension_age.yaml")


def test_a_rule_switched_off_with_other_keys_is_rejected_naming_the_file() -> None:
    text = mrp_text(entry("2018-01-01", "{in_force: false, mrp_multiple: 1.5}"))
    assert "in_force: false takes no other key" in rejection(text, "child_payment.yaml")


def test_an_unknown_amount_method_is_rejected_naming_the_file() -> None:
    text = mrp_text(entry("2020-01-01", "{method: per_household}"))
    assert "method must be per_member" in rejection(text, "amount_rule.yaml")


# --------------------------------------------------------------------------------------------
# Rejections: the poverty-line table


def test_a_poverty_line_starting_mid_quarter_is_rejected_naming_the_file() -> None:
    text = poverty_lines_text("aktobe", entry("2025-05-01", "36550"))
    message = poverty_lines_rejection(text)
    assert "2025-05-01: a quarterly value starts on a quarter's first day" in message


def test_a_poverty_line_for_an_unknown_region_is_rejected_naming_the_file() -> None:
    text = poverty_lines_text("nur_sultan", entry("2021-01-01", "24258"))
    assert "unknown region 'nur_sultan'" in poverty_lines_rejection(text)


def test_a_poverty_line_table_without_regions_is_rejected_naming_the_file() -> None:
    message = poverty_lines_rejection("description: Published lines.\nregions: [aktobe]\n")
    assert "regions must map region codes" in message


def test_a_well_formed_poverty_line_table_loads() -> None:
    text = poverty_lines_text("aktobe", entry("2025-04-01", "36550"), entry("2026-01-01", "37060"))
    table = parse_poverty_lines("poverty_lines.yaml", text)
    assert table["aktobe"].at(date(2026, 2, 15)) == Decimal(37060)


# --------------------------------------------------------------------------------------------
# The set of files given to the store


def test_a_missing_parameter_file_is_rejected_naming_it() -> None:
    texts = parameter_texts()
    del texts["carers.yaml"]
    with pytest.raises(ParameterError) as caught:
        ParameterStore.from_texts(texts)
    assert caught.value.file == "carers.yaml"
    assert str(caught.value) == "carers.yaml: parameter file missing"


def test_a_missing_poverty_line_table_is_rejected_naming_it() -> None:
    texts = parameter_texts()
    del texts["poverty_lines.yaml"]
    with pytest.raises(ParameterError, match=r"^poverty_lines\.yaml: parameter file missing$"):
        ParameterStore.from_texts(texts)


def test_an_unknown_extra_parameter_file_is_rejected_naming_it() -> None:
    texts = {**parameter_texts(), "minimum_wage.yaml": mrp_text(entry("2024-01-01", "85000"))}
    with pytest.raises(ParameterError) as caught:
        ParameterStore.from_texts(texts)
    assert caught.value.file == "minimum_wage.yaml"
    assert "unknown parameter file" in str(caught.value)


def test_a_bad_file_in_the_set_is_rejected_naming_that_file() -> None:
    texts = {
        **parameter_texts(),
        "refusal_bars.yaml": mrp_text(entry("2018-01-01", "{months: six}")),
    }
    with pytest.raises(ParameterError, match=r"^refusal_bars\.yaml: 2018-01-01: months must be"):
        ParameterStore.from_texts(texts)


# --------------------------------------------------------------------------------------------
# Lookups


def test_a_lookup_before_the_first_value_raises_naming_the_file() -> None:
    mrp = parse_parameter("mrp.yaml", mrp_text(entry("2018-01-01", "2405")), SCHEMAS["mrp"])
    with pytest.raises(ParameterError) as caught:
        mrp.at(date(2017, 12, 31))
    assert caught.value.file == "mrp.yaml"
    assert "no value in force on 2017-12-31: the first value starts 2018-01-01" in str(caught.value)


def test_a_lookup_after_an_end_raises_naming_the_file() -> None:
    text = mrp_text(entry("2018-01-01", "2405") + "  2019-01-01: null\n")
    mrp = parse_parameter("mrp.yaml", text, SCHEMAS["mrp"])
    assert mrp.at(date(2018, 12, 31)) == Decimal(2405)
    with pytest.raises(ParameterError) as caught:
        mrp.at(date(2019, 1, 1))
    assert caught.value.file == "mrp.yaml"
    assert "no value in force on 2019-01-01: ended 2019-01-01" in str(caught.value)


def test_a_value_after_an_end_is_in_force_again() -> None:
    text = mrp_text(entry("2018-01-01", "2405") + "  2019-01-01: null\n" + entry("2020-01-01"))
    mrp = parse_parameter("mrp.yaml", text, SCHEMAS["mrp"])
    assert mrp.at(date(2020, 1, 1)) == Decimal(3180)


def test_entries_written_out_of_order_are_looked_up_by_date() -> None:
    text = mrp_text(entry("2022-04-01", "3180") + entry("2022-01-01", "3063"))
    mrp = parse_parameter("mrp.yaml", text, SCHEMAS["mrp"])
    assert mrp.at(date(2022, 2, 1)) == Decimal(3063)
    assert mrp.at(date(2030, 1, 1)) == Decimal(3180)


# --------------------------------------------------------------------------------------------
# The shipped files


def test_the_shipped_files_all_load() -> None:
    store = default_store()
    assert set(store.parameters) == set(SCHEMAS)
    assert store.poverty_lines  # at least one published line
    assert store.statistics["national"].entries
    assert set(parameter_texts()) == {f"{name}.yaml" for name in SCHEMAS} | {
        "poverty_lines.yaml",
        "regional_subsistence_minimum.yaml",
    }


def test_the_mrp_in_force_is_the_newest_value_started() -> None:
    mrp = default_store().parameters["mrp"]
    assert mrp.at(date(2022, 3, 31)) == Decimal(3063)
    assert mrp.at(date(2022, 4, 1)) == Decimal(3180)
    assert mrp.at(date(2026, 12, 31)) == Decimal(4325)


def test_the_womens_pension_age_is_61_from_2023_to_2027() -> None:
    pension = default_store().parameters["pension_age"]
    for day in (date(2023, 1, 1), date(2025, 6, 30), date(2027, 12, 31)):
        assert pension.at(day) == PensionAge(female_months=732, male_months=756)
    assert pension.at(date(2022, 12, 31)).female_months == 726
    assert pension.at(date(2028, 1, 1)).female_months == 738


def test_the_snapshot_in_force_reads_every_parameter_for_its_date() -> None:
    rules = default_store().in_force(date(2026, 1, 15))
    assert rules.mrp == Decimal(4325)
    assert rules.subsistence_minimum == Decimal(50851)
    assert rules.pension_age.months("female") == 732
    assert rules.child_payment.mrp_multiple == Decimal("1.5")


def test_no_parameter_is_past_review_on_its_review_date() -> None:
    store = default_store()
    assert store.parameters["mrp"].review_by == date(2026, 12, 31)
    assert store.parameters["non_mortgage_loans"].review_by == date(2026, 6, 30)
    assert store.in_force(date(2026, 6, 30)).past_review == ()
    assert store.in_force(date(2026, 12, 31)).past_review == (
        "non_mortgage_loans",
        "regional_subsistence_minimum",
    )


def test_parameters_are_past_review_the_day_after_their_review_date() -> None:
    store = default_store()
    past = store.in_force(date(2027, 1, 1)).past_review
    assert "mrp" in past
    assert list(past) == sorted(past)
    assert not store.parameters["pension_age"].past_review(date(2040, 1, 1))  # no review date


def test_every_provisional_or_estimated_parameter_has_a_review_date() -> None:
    store = default_store()
    for name in (
        "non_mortgage_loans",
        "poverty_line_rule",
        "carers",
        "assignment_period",
        "property",
        "subsistence_minimum",
        "large_family_allowance_published",
        "poverty_line_estimate",
    ):
        assert store.parameters[name].review_by is not None, name


def test_the_published_poverty_line_holds_for_its_own_quarter_only() -> None:
    store = default_store()
    line = store.published_poverty_line("aktobe", date(2026, 3, 31))
    assert line is not None
    assert line.value == Decimal(37060)
    assert store.published_poverty_line("aktobe", date(2026, 4, 1)) is None
    assert store.published_poverty_line("abai", date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("region", "start"),
    [
        (region, entry.start)
        for region, table in sorted(default_store().poverty_lines.items())
        for entry in table.entries
        if entry.value is not None
    ],
)
def test_every_published_line_falls_within_the_band_estimated_without_it(
    region: str, start: date
) -> None:
    """The estimate is judged against every line the akimats published: without that line in the
    table, the band the core would give for the quarter must hold the published value."""
    store = default_store()
    lines = dict(store.poverty_lines)
    table = lines[region]
    kept = [e for e in table.entries if e.start != start]
    published = next(e for e in table.entries if e.start == start)
    if kept:
        lines[region] = Parameter(table.file, table.description, table.review_by, kept)
    else:
        del lines[region]
    without = ParameterStore(store.parameters, lines, store.statistics)
    day = start + timedelta(days=20)
    estimate = estimate_poverty_line(region, day, without, without.in_force(day))
    assert published.value is not None
    assert estimate.lowest <= published.value <= estimate.highest, (estimate.low, estimate.high)
