"""Each Kazakh and Russian translation is in its catalog's language (lingua, offline)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n.translator import LOCALES_DIR

lingua = pytest.importorskip("lingua")

PLACEHOLDER = re.compile(r"\{\w+\}")


def _strings(language: str) -> list[str]:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = []
    for message in catalog:
        if not message.id or message.string == message.id:
            continue  # names of languages and the trilingual language question are the same in all
        strings = (
            [message.string] if isinstance(message.string, str) else list(message.string or ())
        )
        for string in strings:
            words = PLACEHOLDER.sub("", string)
            if len(re.findall(r"[^\W\d_]{3,}", words)) >= 3:  # enough words to tell
                found.append(words)
    return found


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_translations_are_in_the_catalogs_language(language: str) -> None:
    detector = lingua.LanguageDetectorBuilder.from_languages(
        lingua.Language.KAZAKH, lingua.Language.RUSSIAN, lingua.Language.ENGLISH
    ).build()
    expected = lingua.Language.KAZAKH if language == "kk" else lingua.Language.RUSSIAN
    wrong = [s for s in _strings(language) if detector.detect_language_of(s) != expected]
    assert not wrong, wrong
