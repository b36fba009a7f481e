"""The stages of a TSA case (applied, documents requested, under review by the district
commission, assigned, refused, social contract signed, first payment made, reassessment due),
kept as data in `core/stages.yaml` so that an office can rename a stage without a code change.

This module reads the file's text and checks it (a bad file is refused with a message naming the
stage and the key), and checks the fields a worker gives with a change of stage. It never reads
the file itself: `bot.parameters.default_stages` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from core.dates import add_months

LANGUAGES = ("kk", "ru", "en")
ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_NAME = 60
MAX_NEXT_STEP = 150  # a notice with its next step stays within the SMS budget
MAX_ROUTE = 200
MAX_REASON = 80
MAX_AMOUNT = Decimal(10_000_000)
CATEGORIES = ("unconditional", "conditional")
# What a stage may carry; `documents` is filled from the family's checklist, never typed.
FIELDS = ("amount", "months", "category", "reason", "documents")
TYPED_FIELDS = ("amount", "months", "category", "reason")
REQUIRED, OPTIONAL = "required", "optional"


class StagesError(ValueError):
    """A stages file that cannot be used; the message names the file, the stage and the key."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


class FieldError(ValueError):
    """A field given with a change of stage that cannot be kept. `problem` is one of: missing,
    amount, months, category, reason_long, unexpected."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    number: int  # 1 for the first stage of the file
    name: Mapping[str, str]  # kk, ru, en
    next_step: Mapping[str, str]
    fields: Mapping[str, bool]  # field -> required
    appeal: bool


@dataclass(frozen=True, slots=True)
class Appeal:
    """How a refusal is appealed: where (`route`, in each language), within how many months of
    the decision, on what basis, and whether that time limit is confirmed."""

    months: int
    route: Mapping[str, str]
    basis: str
    url: str
    unverified: bool

    def by(self, decided: date) -> date:
        """The last day to appeal a decision of `decided`."""
        return add_months(decided, self.months)


@dataclass(frozen=True, slots=True)
class Stages:
    stages: tuple[Stage, ...]
    appeal: Appeal

    def get(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def __getitem__(self, stage_id: str) -> Stage:
        found = self.get(stage_id)
        if found is None:
            raise KeyError(stage_id)
        return found

    def find(self, typed: str) -> Stage | None:
        """The stage named by its id, its number or its name in any language (a spreadsheet
        exported from the official system writes the name)."""
        word = " ".join(typed.casefold().split())
        for stage in self.stages:
            names = {stage.id, str(stage.number), *(n.casefold() for n in stage.name.values())}
            if word in names:
                return stage
        return None


def parse_stages(text: str, file: str = "stages.yaml") -> Stages:
    """The stages in the YAML `text`; StagesError (naming `file`) when it is not usable."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StagesError(file, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict) or set(data) != {"stages", "appeal"}:
        raise StagesError(file, "must be a mapping with `stages` (a list) and `appeal`")
    raw = data["stages"]
    if not isinstance(raw, list) or not raw:
        raise StagesError(file, "`stages` must be a non-empty list")
    stages: list[Stage] = []
    for number, item in enumerate(raw, 1):
        stage = _stage(file, number, item)
        if any(s.id == stage.id for s in stages):
            raise StagesError(file, f"stage {stage.id}: the id appears twice")
        stages.append(stage)
    return Stages(tuple(stages), _appeal(file, data["appeal"]))


def _stage(file: str, number: int, item: Any) -> Stage:
    if not isinstance(item, dict):
        raise StagesError(file, f"stage {number}: must be a mapping")
    stage_id = item.get("id")
    if not isinstance(stage_id, str) or not ID.match(stage_id):
        raise StagesError(
            file, f"stage {number}: `id` must be lower-case letters, digits and _ (a-z first)"
        )
    where = f"stage {stage_id}"
    unknown = set(item) - {"id", "name", "next_step", "fields", "appeal"}
    if unknown:
        raise StagesError(file, f"{where}: unknown key(s) {sorted(map(str, unknown))}")
    fields_raw = item.get("fields") or {}
    if not isinstance(fields_raw, dict):
        raise StagesError(file, f"{where}: `fields` must map a field to required or optional")
    fields: dict[str, bool] = {}
    for name, need in fields_raw.items():
        if name not in FIELDS:
            raise StagesError(
                file, f"{where}: unknown field {name!r}; allowed: {', '.join(FIELDS)}"
            )
        if need not in (REQUIRED, OPTIONAL):
            raise StagesError(file, f"{where}: field {name} must be required or optional")
        fields[name] = need == REQUIRED
    appeal = item.get("appeal", False)
    if not isinstance(appeal, bool):
        raise StagesError(file, f"{where}: `appeal` must be true or false")
    return Stage(
        id=stage_id,
        number=number,
        name=_languages(file, where, "name", item.get("name"), MAX_NAME),
        next_step=_languages(file, where, "next_step", item.get("next_step"), MAX_NEXT_STEP),
        fields=fields,
        appeal=appeal,
    )


def _appeal(file: str, raw: Any) -> Appeal:
    if not isinstance(raw, dict):
        raise StagesError(file, "`appeal` must be a mapping (months, route, basis, url)")
    unknown = set(raw) - {"months", "route", "basis", "url", "unverified"}
    if unknown:
        raise StagesError(file, f"appeal: unknown key(s) {sorted(map(str, unknown))}")
    months = raw.get("months")
    if type(months) is not int or not 1 <= months <= 12:
        raise StagesError(file, "appeal: `months` must be a whole number from 1 to 12")
    basis, url = raw.get("basis"), raw.get("url")
    if not isinstance(basis, str) or not basis.strip():
        raise StagesError(file, "appeal: `basis` must name the articles it rests on")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise StagesError(file, "appeal: `url` must be an http(s) address")
    unverified = raw.get("unverified", False)
    if not isinstance(unverified, bool):
        raise StagesError(file, "appeal: `unverified` must be true or false")
    return Appeal(
        months=months,
        route=_languages(file, "appeal", "route", raw.get("route"), MAX_ROUTE),
        basis=basis.strip(),
        url=url,
        unverified=unverified,
    )


def _languages(file: str, where: str, key: str, raw: Any, longest: int) -> dict[str, str]:
    if not isinstance(raw, dict) or set(raw) != set(LANGUAGES):
        raise StagesError(file, f"{where}: `{key}` needs kk, ru and en (and nothing else)")
    found: dict[str, str] = {}
    for language in LANGUAGES:
        value = raw[language]
        if not isinstance(value, str) or not value.strip():
            raise StagesError(file, f"{where}: `{key}` in {language} is empty")
        value = " ".join(value.split())
        if len(value) > longest:
            raise StagesError(
                file, f"{where}: `{key}` in {language} is longer than {longest} characters"
            )
        found[language] = value
    return found


# ------------------------------------------------------------------------------------------
# The fields given with a change


def check_fields(stage: Stage, given: Mapping[str, str]) -> dict[str, Any]:
    """The typed fields of a change to `stage` (text as a form or a spreadsheet gives them; an
    empty value is no value), as they are kept: amount as a string of whole tenge, months as an
    int, category and reason as text. FieldError for the first one that cannot be kept."""
    kept: dict[str, Any] = {}
    for name in TYPED_FIELDS:
        value = " ".join(str(given.get(name) or "").split())
        if not value:
            if stage.fields.get(name):
                raise FieldError(name, "missing")
            continue
        if name not in stage.fields:
            raise FieldError(name, "unexpected")
        kept[name] = _field(name, value)
    return kept


def _field(name: str, value: str) -> Any:
    if name == "amount":
        try:
            amount = Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise FieldError(name, "amount") from None
        if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or amount % 1:
            raise FieldError(name, "amount")
        return str(int(amount))
    if name == "months":
        if not value.isascii() or not value.isdecimal() or not 1 <= int(value) <= 12:
            raise FieldError(name, "months")
        return int(value)
    if name == "category":
        word = value.casefold()
        found = CATEGORY_WORDS.get(word)
        if found is None:
            raise FieldError(name, "category")
        return found
    if len(value) > MAX_REASON:
        raise FieldError(name, "reason_long")
    return value


# How the official system's exports and the staff write a category.
CATEGORY_WORDS = {
    "unconditional": "unconditional", "безусловная": "unconditional", "шартсыз": "unconditional",
    "conditional": "conditional", "обусловленная": "conditional", "шартты": "conditional",
}  # fmt: skip
