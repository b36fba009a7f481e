"""Whole conversations against golden transcripts, per language and channel.

Set KOMEK_UPDATE_GOLDEN=1 to rewrite the goldens after a deliberate change, then read the diff.
Every conversation must also end in the assessment its scenario expects, and never shows a raw
placeholder or an untranslated key.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.conversation.render import LabelOfTranslator, render_menu, render_text
from bot.i18n.translator import Translator
from core.parameters import ParameterStore
from dialogs.conversation import Inbound, Session, new_session, resume
from dialogs.segments import cost

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("KOMEK_UPDATE_GOLDEN") == "1"
OPENING = {"kk": ["Сәлем"], "ru": ["Здравствуйте"], "en": ["Hello"]}
WORDS = {  # the global words, as a person writing in each language would type them
    "kk": {"back": "артқа", "language": "тіл", "restart": "қайта", "menu": "мәзір",
           "forget": "ұмыту"},
    "ru": {"back": "назад", "language": "язык", "restart": "заново", "menu": "меню",
           "forget": "забыть"},
    "en": {"back": "back", "language": "language", "restart": "restart", "menu": "menu",
           "forget": "forget"},
}  # fmt: skip


def scenarios() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load((HERE / "scenarios.yaml").read_text("utf-8"))
    return loaded


def play(
    scenario: dict[str, Any],
    language: str,
    channel: str,
    store: ParameterStore,
    translator: Translator,
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Plays the scenario; returns the transcript and the assessments it produced."""
    now = datetime.fromisoformat(str(scenario["now"]))
    session: Session = new_session()
    label_of = LabelOfTranslator(translator)
    transcript: list[dict[str, str]] = []
    results: list[dict[str, Any]] = []
    for text in [*OPENING[language], *scenario["inputs"]]:
        typed = WORDS[language].get(text, text)
        turn = resume(session, Inbound(typed, now, channel), store, label_of)
        session = turn.session
        lang = str(session.get("lang") or "ru")
        out = []
        for reply in turn.replies:
            if channel == "sms":
                rendered = render_menu(reply, lang, translator, one_line=True)
                rendered = f"[{cost(rendered).segments} SMS]\n{rendered}"
            else:  # Telegram: the text, and the choices as buttons under it
                rendered = render_text(reply, lang, translator)
                buttons = " ".join(f"[{translator.render(c.label, lang)}]" for c in reply.choices)
                rendered = f"{rendered}\n{buttons}" if buttons else rendered
            out.append(rendered)
        transcript.append({"in": typed, "out": "\n---\n".join(out)})
        results.extend(e.data["result"] for e in turn.events if e.kind == "assessment_done")
    return transcript, results


CASES = [
    pytest.param(s, lang, channel, id=f"{s['name']}.{lang}.{channel}")
    for s in scenarios()
    for lang in ("kk", "ru", "en")
    for channel in ("sms", "telegram")
]


@pytest.mark.parametrize(("scenario", "language", "channel"), CASES)
def test_conversation_matches_its_golden(
    scenario: dict[str, Any],
    language: str,
    channel: str,
    store: ParameterStore,
    translator: Translator,
) -> None:
    before = translator.missing[language]
    transcript, results = play(scenario, language, channel, store, translator)
    path = GOLDEN / f"{scenario['name']}.{language}.{channel}.yaml"
    body = yaml.safe_dump(transcript, allow_unicode=True, sort_keys=False, width=100)
    if UPDATE or not path.exists():
        path.write_text(body, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == body, (
        f"{path.name} differs: rerun with KOMEK_UPDATE_GOLDEN=1 and read the diff"
    )
    assert translator.missing[language] == before, "a string fell back to another language"
    for turn in transcript:
        assert "{" not in turn["out"], turn
    expected = scenario.get("expect")
    if expected:
        assert results, "the conversation ended without an assessment"
        final = results[-1]
        for key, value in expected.items():
            assert str(final[key]).lower() == str(value).lower(), (key, final[key])
