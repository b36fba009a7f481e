"""Feedback after a result and after a visit: one optional question, asked once, easy to skip,
never in the way of what the family writes next."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.render import LabelOfTranslator, render_menu
from bot.i18n.translator import Translator
from core.parameters import ParameterStore
from dialogs.conversation import Inbound, Session, Turn, new_session, resume
from dialogs.engine import global_word
from dialogs.flows.feedback import declined_this_quarter, expect_visit
from dialogs.segments import SMS_BUDGET, cost

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")
NEXT_QUARTER = datetime.fromisoformat("2026-04-02T10:00:00+05:00")
# A pensioner alone in Aktobe, to the result (SMS: no review; Telegram: "Right, show the result").
TO_RESULT = {
    "sms": ["1", "3", "66", "0", "32360", "1", "1"],
    "telegram": ["1", "3", "66", "0", "32360", "1", "1", "1"],
}
GREETING = {"kk": "Сәлем", "ru": "Здравствуйте", "en": "Hello"}  # each says its language


class Chat:
    """One conversation, turn by turn; a "key:x" input is a tap on the button "x"."""

    def __init__(self, store: ParameterStore, channel: str, translator: Translator | None = None):
        self.store, self.channel, self.translator = store, channel, translator
        self.session: Session = new_session()
        self.now = NOW

    def say(self, text: str) -> Turn:
        choice = text.removeprefix("key:") if text.startswith("key:") else None
        label_of = LabelOfTranslator(self.translator) if self.translator else None
        inbound = Inbound("" if choice else text, self.now, self.channel, choice=choice)
        turn = (
            resume(self.session, inbound, self.store, label_of)
            if label_of
            else resume(self.session, inbound, self.store)
        )
        self.session = turn.session
        return turn

    def to_result(self, language: str = "en") -> None:
        self.say(GREETING[language])
        for text in TO_RESULT[self.channel]:
            self.say(text)
        assert self.session["step"] == "result"


def feedback(turn: Turn) -> list[dict[str, object]]:
    return [dict(e.data) for e in turn.events if e.kind == "feedback"]


def comments(turn: Turn) -> list[dict[str, object]]:
    return [dict(e.data) for e in turn.events if e.kind == "feedback_comment"]


def lines(turn: Turn) -> list[str]:
    return [line.msgid for reply in turn.replies for line in reply.lines]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_on_sms_a_rating_and_a_comment_are_read_in_each_language(
    store: ParameterStore, translator: Translator, language: str
) -> None:
    chat = Chat(store, "sms", translator)
    chat.to_result(language)
    asked = chat.say("4")  # "Menu" under the result
    assert chat.session["step"] == "feedback"
    text = render_menu(asked.replies[-1], language, translator, one_line=True)
    assert "1" in text and "5" in text and "0" in text
    assert cost(text).segments <= 2
    before = translator.missing[language]
    rated = chat.say("4")
    assert feedback(rated) == [{"kind": "result", "rating": 4, "region": "aktobe"}]
    assert chat.session["step"] == "feedback_comment"
    said = chat.say("Понятно и быстро")
    assert comments(said) == [{"kind": "result", "comment": "Понятно и быстро"}]
    assert chat.session["step"] == "menu"
    for reply in (*asked.replies, *rated.replies, *said.replies):
        rendered = render_menu(reply, language, translator, one_line=True)
        assert cost(rendered).segments <= SMS_BUDGET
        assert "{" not in rendered
    assert translator.missing[language] == before


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_on_telegram_the_rating_is_buttons_and_the_comment_can_be_skipped(
    store: ParameterStore, translator: Translator, language: str
) -> None:
    chat = Chat(store, "telegram", translator)
    chat.to_result(language)
    asked = chat.say("key:menu")
    keys = [c.key for c in asked.replies[-1].choices]
    assert keys == ["1", "2", "3", "4", "5", "skip"]
    labels = [translator.render(c.label, language) for c in asked.replies[-1].choices]
    assert labels[:5] == ["1", "2", "3", "4", "5"]
    rated = chat.say("key:5")
    assert feedback(rated) == [{"kind": "result", "rating": 5, "region": "aktobe"}]
    skipped = chat.say("key:skip")
    assert comments(skipped) == []
    assert chat.session["step"] == "menu"
    assert "feedback" not in chat.session


def test_skipping_goes_to_the_menu_and_nothing_is_asked_again_this_quarter(
    store: ParameterStore,
) -> None:
    chat = Chat(store, "sms")
    chat.to_result()
    chat.say("4")
    skipped = chat.say("0")
    assert feedback(skipped) == []
    assert chat.session["step"] == "menu"
    assert declined_this_quarter(chat.session, NOW)
    # A new result, with a different income, the same quarter: straight to the menu.
    for text in ["1", "3", "66", "0", "20000", "1", "1"]:
        chat.say(text)
    assert chat.session["step"] == "result"
    chat.say("4")
    assert chat.session["step"] == "menu"
    # Next quarter, another result: asked again.
    chat.now = NEXT_QUARTER
    for text in ["1", "3", "66", "0", "25000", "1", "1", "4"]:
        chat.say(text)
    assert chat.session["step"] == "feedback"


def test_no_thanks_in_words_skips_too(store: ParameterStore) -> None:
    chat = Chat(store, "sms")
    chat.to_result("ru")
    chat.say("4")
    chat.say("нет")
    assert chat.session["step"] == "menu"


def test_it_is_asked_once_per_result(store: ParameterStore) -> None:
    chat = Chat(store, "telegram")
    chat.to_result()
    chat.say("key:menu")
    chat.say("key:3")
    chat.say("key:skip")
    chat.say("key:result")  # "My result" from the menu, then "Menu" again
    again = chat.say("key:menu")
    assert chat.session["step"] == "menu"
    assert feedback(again) == []


@pytest.mark.parametrize(("word", "step"), [("menu", "menu"), ("мәзір", "menu"), ("стоп", None)])
def test_a_global_word_leaves_the_question(store: ParameterStore, word: str, step: str) -> None:
    chat = Chat(store, "sms")
    chat.to_result()
    chat.say("4")
    turn = chat.say(word)
    assert feedback(turn) == []
    if step is None:
        assert chat.session.get("stopped")
    else:
        assert chat.session["step"] == step


def test_a_button_of_the_menu_leaves_the_question_and_does_what_it_says(
    store: ParameterStore,
) -> None:
    chat = Chat(store, "telegram")
    chat.to_result()
    chat.say("key:menu")
    turn = chat.say("key:check")  # "Check eligibility", from a menu sent earlier
    assert feedback(turn) == []
    assert chat.session["step"] == "region"


def test_other_words_leave_the_question_without_complaint(store: ParameterStore) -> None:
    chat = Chat(store, "sms")
    chat.to_result()
    chat.say("4")
    turn = chat.say("what is this")
    assert feedback(turn) == []
    assert chat.session["step"] == "menu"
    assert "Please choose a number from the menu." not in lines(turn)


def test_after_a_visit_the_answer_is_read_and_the_family_is_back_where_it_was(
    store: ParameterStore,
) -> None:
    chat = Chat(store, "sms")
    chat.to_result()
    for text in ["restart", "3"]:  # a new assessment, the region: at the ages question
        chat.say(text)
    assert chat.session["step"] == "ages"
    chat.session = expect_visit(chat.session, 41, "en")
    rated = chat.say("2")
    assert feedback(rated) == [{"kind": "visit", "rating": 2, "region": "aktobe", "visit": 41}]
    chat.say("skip")
    assert chat.session["step"] == "ages"


def test_after_a_visit_an_answer_to_the_question_the_family_was_at_is_read_as_that(
    store: ParameterStore,
) -> None:
    chat = Chat(store, "sms")
    chat.to_result()
    chat.say("restart")
    chat.say("4")
    chat.session = expect_visit(chat.session, 41, "en")
    turn = chat.say("66 40")  # the ages, not a rating
    assert feedback(turn) == []
    assert chat.session["answers"]["ages"] == [66, 40]
    assert chat.session["step"] != "ages"


def test_a_family_without_consent_gives_a_rating_and_no_comment(store: ParameterStore) -> None:
    session = expect_visit(None, 7, "kk")  # the office booked the visit; no chat before
    chat = Chat(store, "telegram")
    chat.session = session
    turn = chat.say("key:4")
    assert feedback(turn) == [{"kind": "visit", "rating": 4, "region": None, "visit": 7}]
    assert chat.session["step"] == "menu"
    assert chat.session["lang"] == "kk"


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40), channel=st.sampled_from(["sms", "telegram", "web", "console"]))
def test_whatever_is_written_to_the_question_a_rating_is_one_of_1_to_5_or_none(
    store: ParameterStore, text: str, channel: str
) -> None:
    session = expect_visit(None, 9, "ru", consent=True)
    turn = resume(session, Inbound(text, NOW, channel), store)
    rated = feedback(turn)
    assert len(rated) <= 1
    if rated:
        assert rated[0]["rating"] in {1, 2, 3, 4, 5}
        assert turn.session["step"] == "feedback_comment"
    else:  # the question is left (HELP asks it again; STOP keeps the conversation where it is)
        assert turn.session.get("step") != "feedback" or global_word(text) in {"help", "stop"}
