"""Whole conversations against golden transcripts, per language and channel.

Set KOMEK_UPDATE_GOLDEN=1 to rewrite the goldens after a deliberate change, then read the diff.
Every conversation must also end in the assessment its scenario expects, never shows a raw
placeholder or an untranslated key, and keeps every SMS reply within the SMS budget.

An input "key:done" is a tap on the button whose key is "done" (Telegram); anything else is typed.
Where the channels need different inputs (Telegram shows the answers once more before the result,
SMS reads long answers a part at a time), a scenario gives `inputs` per channel.
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
from dialogs.conversation import Inbound, Reply, Session, new_session, resume
from dialogs.paging import SMS_BUDGET
from dialogs.segments import cost

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("KOMEK_UPDATE_GOLDEN") == "1"
OPENING = {"kk": ["Сәлем"], "ru": ["Здравствуйте"], "en": ["Hello"]}
WORDS = {  # the global words, as a person writing in each language would type them
    "kk": {"back": "артқа", "language": "тіл", "restart": "қайта", "menu": "мәзір",
           "forget": "ұмыту", "help": "көмек", "stop": "тоқтату", "start": "бастау",
           "person": "адам"},
    "ru": {"back": "назад", "language": "язык", "restart": "заново", "menu": "меню",
           "forget": "забыть", "help": "помощь", "stop": "стоп", "start": "старт",
           "person": "человек"},
    "en": {"back": "back", "language": "language", "restart": "restart", "menu": "menu",
           "forget": "forget", "help": "help", "stop": "stop", "start": "start",
           "person": "person"},
}  # fmt: skip


def scenarios() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load((HERE / "scenarios.yaml").read_text("utf-8"))
    return loaded


def inputs_for(scenario: dict[str, Any], language: str, channel: str) -> list[str]:
    """The scenario's inputs for this channel, or for this channel in this language ("sms.kk":
    a long explanation takes more SMS parts in one language than in another)."""
    given = scenario["inputs"]
    if not isinstance(given, dict):
        return [str(text) for text in given]
    chosen = given.get(f"{channel}.{language}", given.get(channel)) or []
    return [str(text) for text in chosen]


def inbound(text: str, typed_in: str, now: datetime, channel: str) -> Inbound:
    """A typed message, or a tap on a button ("key:done")."""
    if text.startswith("key:"):
        return Inbound("", now, channel, choice=text.removeprefix("key:"))
    return Inbound(WORDS[typed_in].get(text, text), now, channel)


def render(reply: Reply, lang: str, channel: str, translator: Translator) -> str:
    if channel == "sms":
        rendered = render_menu(reply, lang, translator, one_line=True)
        return f"[{cost(rendered).segments} SMS]\n{rendered}"
    # Telegram: the text, and the choices as buttons under it (✓ on those toggled on)
    rendered = render_text(reply, lang, translator)
    buttons = " ".join(
        f"[{'✓ ' if c.selected else ''}{translator.render(c.label, lang)}]" for c in reply.choices
    )
    return f"{rendered}\n{buttons}" if buttons else rendered


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
    for text in [*OPENING[language], *inputs_for(scenario, language, channel)]:
        message = inbound(text, language, now, channel)
        turn = resume(session, message, store, label_of)
        session = turn.session
        lang = str(session.get("lang") or "ru")
        out = []
        for reply in turn.replies:
            rendered = render(reply, lang, channel, translator)
            if channel == "sms":
                segments = cost(render_menu(reply, lang, translator, one_line=True)).segments
                assert segments <= SMS_BUDGET, f"{segments} SMS: {rendered}"
            out.append(rendered)
        said = message.text if message.choice is None else f"(tap {message.choice})"
        transcript.append({"in": said, "out": "\n---\n".join(out)})
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
