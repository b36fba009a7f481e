"""A person when the bot is not enough, in the dialogs: the words that ask for one in each
language, the offer after three answers not understood, who answers and when as the family
reads it, the hold (only STOP, LANGUAGE and FORGET answered) and the hand-back at the same
question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from bot.conversation.render import LabelOfTranslator, render_text
from bot.i18n.translator import Translator
from core.parameters import ParameterStore
from dialogs.conversation import Inbound, Session, Turn, current, new_session, resume
from dialogs.person import PERSON_WORDS, Waiting, handed_back, waiting_lines

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")  # a Thursday
WORDS = {"kk": ("адам", "маман", "оператор"), "ru": ("человек", "оператор"), "en": ("person",)}


@dataclass
class Desk:
    """The port as a caseload family of Astana sees it, the office open or not."""

    caseload: str | None = "astana"
    waiting_as: Waiting | None = None

    def region(self) -> str | None:
        return self.caseload

    def waiting(self, region: str | None) -> Waiting:
        assert self.waiting_as is not None
        return self.waiting_as


OPEN = Waiting(True, "astana", True, datetime.fromisoformat("2026-01-15T18:00:00+05:00"), None)
CLOSED = Waiting(False, "astana", False, None, datetime.fromisoformat("2026-01-19T09:00:00+05:00"))


def play(
    texts: list[str], store: ParameterStore, lang: str, desk: Desk | None = None
) -> tuple[Session, list[Turn]]:
    session: Session = new_session()
    session["lang"] = lang
    turns = []
    for text in texts:
        turn = resume(session, Inbound(text, NOW, "sms"), store, desk=desk)
        session = turn.session
        turns.append(turn)
    return session, turns


def said(turn: Turn, lang: str, translator: Translator) -> str:
    return "\n".join(render_text(reply, lang, translator) for reply in turn.replies)


@pytest.mark.parametrize(
    ("lang", "word"), [(language, w) for language, ws in WORDS.items() for w in ws]
)
def test_the_word_for_a_person_passes_the_conversation_in_every_language(
    lang: str, word: str, store: ParameterStore, translator: Translator
) -> None:
    desk = Desk(waiting_as=OPEN)
    missing = translator.missing[lang]
    session, turns = play(["start", "1", "6", word.upper()], store, lang, desk)
    assert word in PERSON_WORDS
    assert session["held"] is True and session["step"] == "ages"  # the step is kept
    assert [e.kind for e in turns[-1].events] == ["person_asked"]
    assert turns[-1].events[0].data == {"reason": "asked", "region": "astana"}
    text = said(turns[-1], lang, translator)
    assert "18:00" in text
    assert translator.missing[lang] == missing  # nothing fell back to another language


def test_without_a_caseload_or_an_answer_the_region_is_asked_first(
    store: ParameterStore, translator: Translator
) -> None:
    desk = Desk(caseload=None, waiting_as=CLOSED)
    session, turns = play(["start", "1", "человек"], store, "ru", desk)
    assert session["step"] == "person_region" and not session.get("held")
    assert "регион" in said(turns[-1], "ru", translator)
    session, turns = play(["start", "1", "человек", "Павлодар"], store, "ru", desk)
    assert session["held"] is True and session["step"] == "region"
    assert turns[-1].events[0].data == {"reason": "asked", "region": "pavlodar"}


@pytest.mark.parametrize(
    ("lang", "day"),
    [("kk", "дүйсенбі, 19 қаңтар"), ("ru", "понедельник, 19 января"), ("en", "Monday, 19 January")],
)
def test_outside_office_hours_the_family_is_told_the_next_opening_in_its_language(
    lang: str, day: str, translator: Translator
) -> None:
    text = "\n".join(translator.render(line, lang) for line in waiting_lines(CLOSED))
    assert day in text and "09:00" in text
    assert "{" not in text


def test_a_family_in_a_caseload_hears_its_own_worker_will_answer(translator: Translator) -> None:
    own = "\n".join(translator.render(line, "en") for line in waiting_lines(OPEN))
    queue = "\n".join(translator.render(line, "en") for line in waiting_lines(CLOSED))
    assert "your social worker" in own and "until 18:00" in own
    assert "social workers of Astana" in queue


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_three_answers_not_understood_in_a_row_offer_a_person(
    lang: str, store: ParameterStore
) -> None:
    session, turns = play(["start", "1", "6", "x", "x"], store, lang)
    assert session["step"] == "ages"
    session, turns = play(["start", "1", "6", "x", "x", "x"], store, lang)
    assert session["step"] == "person_offer"
    assert [c.key for c in turns[-1].replies[-1].choices] == ["person", "bot"]
    # Declined: the question again, and three more misses before the next offer.
    session, _ = play(["start", "1", "6", "x", "x", "x", "2", "x", "x"], store, lang)
    assert session["step"] == "ages"
    session, turns = play(["start", "1", "6", "x", "x", "x", "1"], store, lang)
    assert session["held"] is True and session["step"] == "ages"
    assert turns[-1].events[0].data == {"reason": "ages", "region": "astana"}


def test_misses_on_different_questions_do_not_add_up(store: ParameterStore) -> None:
    session, _ = play(["start", "1", "x", "x", "6", "x"], store, "en")
    assert session["step"] == "ages"


def test_while_held_the_family_writes_to_the_worker_and_the_bot_says_nothing(
    store: ParameterStore,
) -> None:
    session, turns = play(
        ["start", "1", "6", "person", "hello?", "help", "menu", "34"], store, "en"
    )
    for turn in turns[-4:]:
        assert turn.replies == ()
        assert [e.kind for e in turn.events] == ["person_message"]
    assert session["step"] == "ages" and session["held"] is True


@pytest.mark.parametrize(
    ("lang", "word", "choice"), [("kk", "тіл", "2"), ("ru", "язык", "3"), ("en", "language", "1")]
)
def test_language_still_works_while_held_and_the_hold_goes_on(
    lang: str, word: str, choice: str, store: ParameterStore, translator: Translator
) -> None:
    session, turns = play(["start", "1", "6", "person", word, choice], store, lang)
    assert session["held"] is True and session["step"] == "ages"
    chosen = {"1": "kk", "2": "ru", "3": "en"}[choice]
    assert session["lang"] == chosen
    assert turns[-1].replies and not turns[-1].events
    back = "\n".join(translator.render(line, chosen) for line in turns[-1].replies[0].lines)
    expected = translator.render(waiting_lines(None)[-1], chosen)
    assert expected in back


def test_stop_and_forget_still_work_while_held(store: ParameterStore) -> None:
    session, turns = play(["start", "1", "6", "person", "stop"], store, "ru")
    assert session["stopped"] is True and "held" not in session
    assert [e.kind for e in turns[-1].events] == ["opt_out"]
    session, turns = play(["start", "1", "6", "person", "забыть", "1"], store, "ru")
    assert "held" not in session and [e.kind for e in turns[-1].events] == ["forget_me"]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_handed_back_the_bot_asks_the_question_it_was_at(
    lang: str, store: ParameterStore, translator: Translator
) -> None:
    session, _ = play(["start", "1", "6", "person"], store, lang)
    label_of = LabelOfTranslator(translator)
    held_now = current(session, NOW, "sms", store, label_of)
    back = handed_back(session)
    asked = current(back, NOW, "sms", store, label_of)
    assert "held" not in back and back["step"] == "ages"
    assert held_now != asked
    assert "34 32 7 2" in render_text(asked[0], lang, translator)  # the ages' example
    turn = resume(back, Inbound("34 5", NOW, "sms"), store)
    assert turn.replies and turn.session["step"] != "ages"


def test_at_the_language_question_while_held_the_menu_is_no_way_out(
    store: ParameterStore,
) -> None:
    session, _ = play(["start", "1", "6", "person", "language", "menu"], store, "en")
    assert session["step"] == "language" and session["held"] is True
    session, _ = play(["start", "1", "6", "person", "language", "menu", "3"], store, "en")
    assert session["step"] == "ages" and session["held"] is True
