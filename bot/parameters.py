"""Reads the parameter files shipped in `core/parameters/` (or a directory the operator names) and
the holiday calendar `core/holidays.yaml`, and hands their text to the core's pure parsers."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from core.calendar import Calendar
from core.parameters import ParameterStore

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


def calendar_text(path: Path | None = None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    return resources.files("core").joinpath("holidays.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_calendar() -> Calendar:
    """Kazakhstan's holidays and days off as shipped, parsed once per process."""
    return Calendar.parse(calendar_text())
