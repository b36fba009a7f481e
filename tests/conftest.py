"""Shared fixtures, and the rule for tests that need a real service: they use it when it is there
and skip with a reason otherwise; with KOMEK_TEST_STRICT=1 (CI) such a skip is a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n.translator import LANGUAGES, LOCALES_DIR, Translator
from bot.parameters import default_store
from core.parameters import ParameterStore

STRICT = os.environ.get("KOMEK_TEST_STRICT") == "1"


def require_service(available: bool, reason: str) -> None:
    """Skip (or, under KOMEK_TEST_STRICT=1, fail) a test whose real service is not there."""
    if available:
        return
    if STRICT:
        pytest.fail(f"KOMEK_TEST_STRICT=1 and {reason}")
    pytest.skip(reason)


def _compile_catalogs() -> None:
    # `make test` compiles the catalogs; a bare `pytest` run compiles stale ones here.
    for language in LANGUAGES:
        po = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source, locale=language)
            with mo.open("wb") as target:
                write_mo(target, catalog)


@pytest.fixture(scope="session")
def store() -> ParameterStore:
    return default_store()


@pytest.fixture(scope="session")
def translator() -> Translator:
    _compile_catalogs()
    return Translator()


@pytest.fixture
def locales_copy(tmp_path: Path) -> Path:
    """A writable copy of the catalogs, for tests that break one on purpose."""
    _compile_catalogs()
    target = tmp_path / "locales"
    for language in LANGUAGES:
        folder = target / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        for name in ("messages.po", "messages.mo"):
            (folder / name).write_bytes(
                (LOCALES_DIR / language / "LC_MESSAGES" / name).read_bytes()
            )
    return target
