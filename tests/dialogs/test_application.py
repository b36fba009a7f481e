"""My application and the documents list in the dialog: the global words in kk, ru and en at any
time (even as the first message), the stage and the next step read from the case port, a family
without a case told where to apply, and on SMS every reply within the budget."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.conversation.render import LabelOfTranslator, render_menu
from bot.i18n.translator import LANGUAGES, Translator
from core.parameters import ParameterStore
from core.stages import Stages, parse_stages
from dialogs.cases import MyCase
from dialogs.conversation import Inbound, Session, new_session, resume
from dialogs.engine import global_word
from dialogs.paging import SMS_BUDGET
from dialogs.segments import cost

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
STAGES: Stages = parse_stages(
    (Path(__file__).resolve().parents[2] / "core" / "stages.yaml").read_text("utf-8")
)
LARGE_FAMILY = {
    "date": "2026-11-20",
    "region": "turkistan",
    "members": [
        {"age": 38, "income": 90000},
        {"age": 36, "disability_group": 2},
        {"age": 20, "student_full_time": True},
        {"age": 16},
        {"age": 12, "child_disability": True},
        {"age": 9},
        {"age": 4},
        {"age": 1},
    ],
}


@dataclass
class Port:
    """The case port as a test gives it."""

    case: MyCase | None

    def mine(self) -> MyCase | None:
        return self.case


def refused() -> MyCase:
    return MyCase(
        STAGES,
        STAGES["refused"],
        date(2026, 11, 25),
        {"reason": "доход выше черты бедности"},
        ((STAGES["applied"], date(2026, 11, 2)), (STAGES["commission_review"], date(2026, 11, 10))),
    )


def say(
    text: str,
    store: ParameterStore,
    translator: Translator,
    *,
    port: Port,
    channel: str = "sms",
    session: Session | None = None,
) -> tuple[Session, list[str], str]:
    turn = resume(
        session or new_session(),
        Inbound(text, NOW, channel),
        store,
        LabelOfTranslator(translator),
        cases=port,
    )
    language = str(turn.session["lang"])
    shown = [render_menu(reply, language, translator, one_line=True) for reply in turn.replies]
    return turn.session, shown, language


@pytest.mark.parametrize(
    ("words", "language"),
    [("моя заявка", "ru"), ("Менің өтінішім", "kk"), ("My application", "en")],
)
def test_the_words_show_the_stage_even_as_the_first_message(
    words: str, language: str, store: ParameterStore, translator: Translator
) -> None:
    assert global_word(words) == "application"
    session, shown, spoken = say(words, store, translator, port=Port(refused()))
    assert spoken == language and session["step"] == "my_application"
    text = "\n".join(shown)
    stage = STAGES["refused"].name[language]
    assert stage in text
    for reply in shown:
        assert cost(reply).segments <= SMS_BUDGET, reply
    # On Telegram the stages before it are listed too, and the whole route to appeal.
    _, shown, _ = say(words, store, translator, port=Port(refused()), channel="telegram")
    text = "\n".join(shown)
    assert STAGES["applied"].name[language] in text
    assert STAGES.appeal.route[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_family_without_a_case_is_told_where_to_apply(
    language: str, store: ParameterStore, translator: Translator
) -> None:
    session = {**new_session(), "lang": language, "consent": True, "step": "menu"}
    _, shown, _ = say("2", store, translator, port=Port(None), session=session)  # 2: not assessed
    _, shown, _ = say(
        {"kk": "өтінішім", "ru": "заявка", "en": "application"}[language],
        store,
        translator,
        port=Port(None),
        session=session,
    )
    assert "egov.kz" in shown[-1]
    assert cost(shown[-1]).segments <= SMS_BUDGET


def test_my_application_is_in_the_menu(store: ParameterStore, translator: Translator) -> None:
    session = {**new_session(), "lang": "ru", "consent": True, "step": "visit_done"}
    session, shown, _ = say("меню", store, translator, port=Port(refused()), session=session)
    assert "Моя заявка" in shown[-1]
    number = shown[-1].split("Моя заявка")[0].split()[-1]
    session, shown, _ = say(number, store, translator, port=Port(refused()), session=session)
    assert session["step"] == "my_application" and "В АСП отказано" in shown[-1]


def test_a_case_without_a_stage_says_so(store: ParameterStore, translator: Translator) -> None:
    _, shown, _ = say("моя заявка", store, translator, port=Port(MyCase(STAGES)))
    assert "этап пока не записан" in shown[-1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_documents_after_a_result_are_the_familys_own(
    language: str, store: ParameterStore, translator: Translator
) -> None:
    session: dict[str, Any] = {
        **new_session(),
        "lang": language,
        "consent": True,
        "step": "next",
        "assessed": json.dumps(LARGE_FAMILY),
    }
    # On SMS, typed: the list in kinds and counts, within the budget.
    after, shown, _ = say("docs", store, translator, port=Port(None), session=session)
    assert after["step"] == "documents"
    counted = {"kk": "4 жеке куәлік", "ru": "4 удостоверения личности", "en": "4 identity cards"}
    assert counted[language] in "\n".join(shown)
    for reply in shown:
        assert cost(reply).segments <= SMS_BUDGET, reply
    # On Telegram, tapped: every document by member, the income quarter's months named.
    turn = resume(
        session, Inbound("", NOW, "telegram", choice="docs"), store, LabelOfTranslator(translator)
    )
    assert turn.session["step"] == "documents"
    text = translator.render(turn.replies[-1].lines[-1], language)
    assert {"kk": "шілде 2026", "ru": "июль 2026", "en": "July 2026"}[language] in "\n".join(
        translator.render(line, language) for line in turn.replies[-1].lines
    ), text
