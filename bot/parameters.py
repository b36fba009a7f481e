"""Reads the parameter files shipped in `core/parameters/` (or a directory the operator names), the
holiday calendar `core/holidays.yaml` and the stages of a case `core/stages.yaml`, and hands their
text to the core's pure parsers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from core.calendar import Calendar
from core.parameters import Entry, Parameter, ParameterStore, Reference
from core.stages import Stages, parse_stages

PACKAGED = "core.parameters"


def parameter_texts(directory: Path | None = None) -> dict[str, str]:
    """`{"mrp.yaml": text, ...}` from `directory`, or from the files shipped with the package."""
    if directory is not None:
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yaml"))}
    root = resources.files("core").joinpath("parameters")
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(root.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }


def load_store(directory: Path | None = None) -> ParameterStore:
    return ParameterStore.from_texts(parameter_texts(directory))


@lru_cache(maxsize=1)
def default_store() -> ParameterStore:
    """The shipped parameters, parsed once per process."""
    return load_store()


@dataclass(frozen=True, slots=True)
class AddedLine:
    """A region's poverty line for a quarter that staff added (stored in the database)."""

    region: str
    quarter: date  # the quarter's first day
    value: Decimal
    title: str
    url: str


ADDED_FILE = "poverty lines added by staff"


def with_lines(store: ParameterStore, lines: Iterable[AddedLine]) -> ParameterStore:
    """`store` with the lines staff added merged into its poverty-line table: a new store (the
    old one, and what it has cached, is left as it was). A quarter the files already hold keeps
    the files' value."""
    added: dict[str, list[AddedLine]] = {}
    for line in lines:
        added.setdefault(line.region, []).append(line)
    if not added:
        return store
    table = dict(store.poverty_lines)
    for region, news in added.items():
        current = table.get(region)
        entries = list(current.entries) if current is not None else []
        taken = {entry.start for entry in entries}
        entries.extend(
            Entry(line.quarter, line.value, (Reference(line.title, line.url),))
            for line in news
            if line.quarter not in taken
        )
        table[region] = Parameter(
            current.file if current is not None else ADDED_FILE,
            current.description if current is not None else ADDED_FILE,
            current.review_by if current is not None else None,
            entries,
        )
    return ParameterStore(store.parameters, table, store.statistics)


def calendar_text(path: Path | None = None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    return resources.files("core").joinpath("holidays.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_calendar() -> Calendar:
    """Kazakhstan's holidays and days off as shipped, parsed once per process."""
    return Calendar.parse(calendar_text())


def stages_text(path: Path | None = None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    return resources.files("core").joinpath("stages.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def shipped_stages() -> Stages:
    """The stages of a case as shipped, parsed once per process."""
    return parse_stages(stages_text(), "core/stages.yaml")


_OFFICE: dict[str, Stages] = {}  # the office's own stages, once the server has read them


def use_stages(path: Path | None) -> Stages:
    """Make the stages in `path` (an office's own file; None: the shipped ones) the stages of
    this process, and return them. The server calls it once at start-up."""
    _OFFICE.clear()
    if path is not None:
        _OFFICE["stages"] = parse_stages(stages_text(path), str(path))
    return default_stages()


def default_stages() -> Stages:
    """The stages of a case in force: the office's own file when one is configured
    (KOMEK_STAGES_FILE), else the shipped ones."""
    return _OFFICE.get("stages") or shipped_stages()
