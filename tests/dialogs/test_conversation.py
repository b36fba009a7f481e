"""What the channels build on: the input a question wants, how far along the self-assessment is,
multi-select questions on button channels, the question asked again for a reloaded page, STOP on
the web, the answers said back with a way to change them; and what the issue of a family's
reading asked for: questions that fit the household, regions as people write them, a result that
adds up, every SMS reply within its budget."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.conversation.render import LabelOfTranslator, render_menu, render_text
from bot.i18n.translator import LANGUAGES, Translator
from core.assess import assess_data
from core.parameters import ParameterStore
from core.regions import REGIONS
from dialogs.conversation import Inbound, Reply, Session, Turn, current, new_session, resume
from dialogs.engine import CHANGE, GLOBAL_WORDS, NUMERIC, TEXT, Ctx, english_label, global_word
from dialogs.explain import flag_lines, why
from dialogs.flows import assessment
from dialogs.flows.explanations import AFTER_TOPIC, TOPICS
from dialogs.flows.result import WHY_LAST_CHOICES
from dialogs.paging import MORE, fits
from dialogs.regions import AMBIGUOUS, REGION_NAMES, collation_key, read_region, sorted_regions
from dialogs.segments import SMS_BUDGET, cost
from dialogs.text import msg
from tests.dialogs.test_explain import _households

NOW = datetime.fromisoformat("2026-01-15T10:00:00+05:00")


def talk(
    texts: list[str],
    store: ParameterStore,
    *,
    channel: str = "telegram",
    lang: str = "en",
    label_of: Any = english_label,
    session: Session | None = None,
    now: datetime = NOW,
) -> tuple[Session, list[Turn]]:
    """Plays typed texts, or taps written "key:<choice key>"."""
    state = new_session() if session is None else session
    if session is None:
        state["lang"] = lang
    turns = []
    for text in texts:
        if text.startswith("key:"):
            inbound = Inbound("", now, channel, choice=text.removeprefix("key:"))
        else:
            inbound = Inbound(text, now, channel)
        turn = resume(state, inbound, store, label_of)
        state = turn.session
        turns.append(turn)
    return state, turns


def last(turns: list[Turn]) -> Reply:
    return turns[-1].replies[-1]


def keys(reply: Reply) -> list[str]:
    return [c.key for c in reply.choices]


FAMILY = ["hi", "1", "3", "34 32 7 2"]  # consent, Aktobe, the family's ages


# ------------------------------------------------------------------------------------------
# Input hints and progress


def test_a_question_wanting_numbers_says_so(store: ParameterStore) -> None:
    _, turns = talk(["hi", "1", "3"], store)
    ages = last(turns)
    assert ages.input_hint == NUMERIC  # the ages
    assert turns[1].replies[-1].input_hint == TEXT  # the region list
    _, turns = talk(["hi", "1", "3", "66", "0"], store)
    assert last(turns).input_hint == NUMERIC  # the income


def test_a_reply_that_asks_nothing_has_no_input_hint(store: ParameterStore) -> None:
    _, turns = talk(["hi", "1", "help"], store)
    help_reply, question = turns[-1].replies
    assert help_reply.input_hint is None and question.input_hint == TEXT
    _, turns = talk(["hi", "1", "stop"], store, channel="sms")
    assert last(turns).input_hint is None


def test_progress_counts_the_questions_that_apply_to_this_household(
    store: ParameterStore,
) -> None:
    session, turns = talk([*FAMILY, "0", "2", "1", "90000", "1"], store, channel="sms")
    shown = [t.replies[-1].progress for t in turns[1:]]
    assert shown[0] == (1, 6)  # the region: nothing known yet about the household
    numbers = [p[0] for p in shown if p is not None]
    assert numbers == sorted(numbers) and numbers[0] == 1
    assert all(p is None or p[0] <= p[1] for p in shown)
    assert turns[0].replies[-1].progress is None  # consent: not part of the self-assessment
    session, turns = talk(["1"], store, channel="sms", session=session)  # the result
    assert last(turns).progress is None


def test_no_progress_outside_the_self_assessment(store: ParameterStore) -> None:
    _, turns = talk(["hi", "1", "menu", "3"], store)
    assert all(r.progress is None for t in turns[2:] for r in t.replies)


# ------------------------------------------------------------------------------------------
# Multi-select on button channels, numbers on SMS


def test_members_are_toggled_with_buttons_then_sent_with_done(store: ParameterStore) -> None:
    session, turns = talk([*FAMILY], store)
    asked = last(turns)
    assert asked.multi
    assert keys(asked) == ["p1", "p2", "p3", "p4", "none", "done", CHANGE]
    assert [c.label.params.get("n") for c in asked.choices[:4]] == [34, 32, 7, 2]
    session, turns = talk(["key:p1", "key:p3"], store, session=session)
    toggled = last(turns)
    assert [c.selected for c in toggled.choices[:4]] == [True, False, True, False]
    assert session["step"] == "disabled"
    session, turns = talk(["key:p3", "key:done"], store, session=session)
    assert session["answers"]["to_classify"] == [0]  # the adult of 34: disability or illness?
    assert session["answers"]["disabled"] == [0]
    assert "picking" not in session


def test_nobody_answers_a_multi_select_at_once(store: ParameterStore) -> None:
    session, _ = talk([*FAMILY, "key:p1", "key:none"], store)
    assert session["answers"]["disabled"] == [] and session["step"] != "disabled"


def test_typed_numbers_still_answer_on_a_button_channel(store: ParameterStore) -> None:
    session, _ = talk([*FAMILY, "1 3"], store)
    assert session["answers"]["disabled"] == [2, 0]  # the child, then the adult to classify


def test_sms_lists_the_members_with_an_example_from_the_family(
    store: ParameterStore, translator: Translator
) -> None:
    _, turns = talk(FAMILY, store, channel="sms", lang="ru", label_of=LabelOfTranslator(translator))
    text = render_menu(last(turns), "ru", translator, one_line=True)
    assert "1=34 2=32 3=7 4=2" in text and "2 — тот, кому 32" in text
    assert not last(turns).multi and not last(turns).choices


def test_the_buttons_name_members_by_age_in_each_language(
    store: ParameterStore, translator: Translator
) -> None:
    _, turns = talk(["hi", "1", "3", "34 7 7"], store)
    labels = {lang: [translator.render(c.label, lang) for c in last(turns).choices[:3]]
              for lang in LANGUAGES}  # fmt: skip
    assert labels["ru"] == ["34 года", "7 лет, № 2", "7 лет, № 3"]
    assert labels["kk"] == ["34 жас", "7 жас, №2", "7 жас, №3"]
    assert labels["en"] == ["34 years", "7 years, no. 2", "7 years, no. 3"]


# ------------------------------------------------------------------------------------------
# The question again for a reloaded page


def test_current_asks_the_same_question_without_changing_anything(
    store: ParameterStore,
) -> None:
    session, turns = talk([*FAMILY, "key:p2"], store)
    kept = copy.deepcopy(session)
    (again,) = current(session, NOW, "telegram", store, english_label)
    assert again == last(turns)
    assert session == kept
    (result,) = current(
        talk(["0", "2", "1", "90000", "1", "1", "key:ok"], store, session=session)[0],
        NOW,
        "telegram",
        store,
        english_label,
    )
    assert result.choices and result.choices[0].key == "why"


def test_current_is_empty_before_the_start_and_after_stop(store: ParameterStore) -> None:
    assert current(new_session(), NOW, "web", store, english_label) == ()
    assert current(None, NOW, "web", store, english_label) == ()
    stopped, _ = talk(["hi", "1", "stop"], store, channel="sms")
    assert current(stopped, NOW, "sms", store, english_label) == ()


def test_the_result_asked_again_records_no_second_assessment(store: ParameterStore) -> None:
    session, turns = talk([*FAMILY, "0", "2", "1", "90000", "1", "1"], store, channel="sms")
    assert any(e.kind == "assessment_done" for e in turns[-1].events)
    before = json.dumps(session, sort_keys=True)
    current(session, NOW, "sms", store, english_label)
    assert json.dumps(session, sort_keys=True) == before


# ------------------------------------------------------------------------------------------
# STOP on the web


def test_stop_on_the_web_ends_the_messages_but_not_the_chat(store: ParameterStore) -> None:
    session, turns = talk(["hi", "1", "key:on"], store, channel="web")
    session["reminders"] = True
    session, turns = talk(["stop"], store, channel="web", session=session)
    kinds = [e.kind for e in turns[-1].events]
    assert kinds == ["opt_out", "reminders_off"]
    assert not session.get("stopped") and session["step"] == "region"
    assert "START" in last(turns).lines[0].msgid
    session, turns = talk(["3"], store, channel="web", session=session)
    assert turns[-1].replies and session["step"] == "ages"  # the page still answers
    session, turns = talk(["start"], store, channel="web", session=session)
    assert [e.kind for e in turns[-1].events] == ["opt_in"]
    assert session["step"] == "menu" and "opted_out" not in session


def test_stop_on_sms_still_silences_until_start(store: ParameterStore) -> None:
    session, turns = talk(["hi", "1", "stop", "3"], store, channel="sms")
    assert session["stopped"] and turns[-1].replies == ()


def test_a_web_session_stopped_before_answers_again(store: ParameterStore) -> None:
    stored = {"v": 1, "lang": "ru", "step": "region", "consent": True, "stopped": True,
              "answers": {}, "history": []}  # fmt: skip
    turn = resume(stored, Inbound("3", NOW, "web"), store)
    assert turn.replies and turn.session["step"] == "ages"
    assert not turn.session["stopped"] and turn.session["opted_out"]


# ------------------------------------------------------------------------------------------
# Global words and help


def test_komek_the_products_name_is_help(store: ParameterStore) -> None:
    for word in ("Көмек", "көмек", "комек", "Komek"):
        assert global_word(word) == "help"
    _, turns = talk(["hi", "1", "Көмек"], store, lang="kk")
    assert len(turns[-1].replies) == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_lists_every_global_word_in_the_language(
    language: str, store: ParameterStore, translator: Translator
) -> None:
    _, turns = talk(["hi", "1", "help"], store, lang=language)
    text = translator.render(turns[-1].replies[0].lines[0], language)
    # The words are listed between commas; one may be two words ("MY APPLICATION"), one may be
    # explained in brackets ("PERSON (a social worker)").
    listed = [re.sub(r"\(.*\)", "", w).strip(" .") for w in text.split(":", 1)[1].split(",")]
    named = {global_word(w) for w in listed}
    assert None not in named, listed
    assert named == set(GLOBAL_WORDS), listed


# ------------------------------------------------------------------------------------------
# The answer said back, and "Change"


def test_the_income_is_said_back_with_change_in_the_next_question(
    store: ParameterStore,
) -> None:
    session, turns = talk([*FAMILY, "0", "2", "1", "120,000"], store, channel="sms")
    asked = last(turns)
    assert asked.lines[0].msgid == "Income: {amount} a month for the whole family."
    assert asked.lines[0].params["amount"].amount == Decimal(120000)  # type: ignore[union-attr]
    assert keys(asked) == ["no", "yes", CHANGE]
    session, turns = talk(["3"], store, channel="sms", session=session)
    assert session["step"] == "income" and "echo" not in session
    session, turns = talk(["130 000"], store, channel="sms", session=session)
    assert session["answers"]["income"] == "130000" and session["step"] == "property"


def test_a_typed_answer_is_said_back_with_back_on_sms(store: ParameterStore) -> None:
    _, turns = talk(["hi", "1", "3"], store, channel="sms")
    said = last(turns).lines[0]
    assert said.msgid == "{answer} To change it: BACK."
    assert not last(turns).choices  # a "1 Change" would read as the answer "1"


def test_a_typed_number_is_not_change_where_numbers_are_the_answer(
    store: ParameterStore,
) -> None:
    # Telegram: the ages question has only the "Change" button; "1" typed is an age.
    session, _ = talk(["hi", "1", "3", "1"], store)
    assert session["answers"]["ages"] == [1]
    session, _ = talk(["hi", "1", "3", "key:change"], store)
    assert session["step"] == "region"


def test_an_amount_that_reads_two_ways_is_asked(store: ParameterStore) -> None:
    session, turns = talk([*FAMILY, "0", "2", "1", "2,500 мың"], store, channel="sms")
    assert session["step"] == "income"
    assert keys(last(turns)) == ["2500", "2500000"]
    session, _ = talk(["1"], store, channel="sms", session=session)
    assert session["answers"]["income"] == "2500"


# ------------------------------------------------------------------------------------------
# Questions that fit the household


def test_a_pensioner_alone_is_not_asked_about_refusals_or_care(store: ParameterStore) -> None:
    session, turns = talk(["hi", "1", "3", "66", "0", "32360", "1"], store, channel="sms")
    assert session["step"] == "obligations"
    assert keys(last(turns)) == ["no", "yes"]
    asked = {t.session["step"] for t in turns}
    assert "needs_care" not in asked
    session, _ = talk(["2", "90000"], store, channel="sms", session=session)
    assert session["answers"]["loan"] == "90000" and not session["answers"]["has_refusal"]


def test_a_family_with_workers_is_asked_about_refusals(store: ParameterStore) -> None:
    _, turns = talk([*FAMILY, "0", "2", "1", "90000", "1"], store, channel="sms")
    assert keys(last(turns)) == ["none", "loan", "refusal", "both"]


def test_the_elderly_need_of_care_is_asked_where_someone_may_give_it(
    store: ParameterStore,
) -> None:
    session, _ = talk(["hi", "1", "3", "70 40", "0"], store, channel="sms")
    assert session["step"] == "needs_care"


# ------------------------------------------------------------------------------------------
# A large family's allowance, which counts as income: asked once, kept through the review

LARGE = ["hi", "1", "3", "40 38 15 12 9 6 3", "0", "key:p1", "key:done", "400000", "2", "1", "1"]
ALLOWANCE_ASKED = (
    "Did the family get the large-family allowance ({amount} a month) in those months?"
)


def _asked(turns: list[Turn]) -> list[str]:
    return [line.msgid for t in turns for r in t.replies for line in r.lines]


def _income(session: Session, store: ParameterStore) -> Any:
    return assessment.household(Ctx(session, NOW, "telegram", store))["members"][0]["income"]


def test_a_change_from_the_review_does_not_ask_the_allowance_again(
    store: ParameterStore,
) -> None:
    session, turns = talk(LARGE, store)
    assert session["step"] == "review" and "allowance" in keys(last(turns))
    session, turns = talk(["key:income", "300000"], store, session=session)
    assert session["step"] == "review" and ALLOWANCE_ASKED not in _asked(turns)
    # 86,673 ₸ of the new income is the allowance the family said was in it
    assert _income(session, store) == {"other": 213327, "large_family_allowance": 86673}
    session, turns = talk(["key:allowance", "key:separate"], store, session=session)
    assert ALLOWANCE_ASKED in _asked(turns) and session["step"] == "review"
    assert _income(session, store) == {"other": 300000, "large_family_allowance": 86673}


def test_new_ages_ask_the_allowance_again_only_of_a_family_still_large(
    store: ParameterStore,
) -> None:
    session, _ = talk(LARGE, store)
    smaller, turns = talk(
        ["key:ages", "40 38 15 12 9", "key:none", "key:p1", "key:done"], store, session=session
    )
    assert smaller["step"] == "review" and ALLOWANCE_ASKED not in _asked(turns)
    assert "allowance" not in keys(last(turns))
    assert _income(smaller, store) == 400000  # three children: no allowance to count
    larger, turns = talk(
        ["key:ages", "40 38 15 12 9 6 4", "key:none", "key:p1", "key:done"],
        store,
        session=session,
    )
    assert larger["step"] == "allowance" and ALLOWANCE_ASKED in _asked(turns)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_allowance_question_with_the_income_said_back_fits_an_sms_reply(
    language: str, store: ParameterStore, translator: Translator
) -> None:
    label_of = LabelOfTranslator(translator)
    inputs = ["hi", "1", "3", "40 38 17 15 12 9 6 4", "0", "1", "1 200 000"]
    _, turns = talk(inputs, store, channel="sms", lang=language, label_of=label_of)
    asked = last(turns)
    assert asked.lines[-1].msgid == ALLOWANCE_ASKED and keys(asked)[-1] == CHANGE
    assert cost(render_menu(asked, language, translator, one_line=True)).segments <= SMS_BUDGET


# ------------------------------------------------------------------------------------------
# Regions


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Туркестанская область", "turkistan"),
        ("Туркестанская обл.", "turkistan"),
        ("Turkestan region", "turkistan"),
        ("Түркістан облысы", "turkistan"),
        ("Астана қаласы", "astana"),
        ("г. Астана", "astana"),
        ("Шымкент қ.", "shymkent"),
        ("Shymkent city", "shymkent"),
        ("Алматы облысы", "almaty_region"),
        ("Алматинская область", "almaty_region"),
        ("Almaty Region", "almaty_region"),
        ("г. Алматы", "almaty"),
        ("Алматы қаласы", "almaty"),
        ("Almaty city", "almaty"),
        ("Алматы", AMBIGUOUS),
        ("almaty", AMBIGUOUS),
        ("Восточно-Казахстанская обл.", "east_kazakhstan"),
        ("Шығыс Қазақстан облысы", "east_kazakhstan"),
        ("North Kazakhstan region", "north_kazakhstan"),
        ("ЗКО", "west_kazakhstan"),
        ("Караганды", "karaganda"),
        ("Марс", None),
        ("", None),
    ],
)
def test_regions_are_read_full_or_short_in_any_language(typed: str, code: str | None) -> None:
    assert read_region(typed) == code


def test_almaty_alone_asks_city_or_region(store: ParameterStore) -> None:
    session, turns = talk(["hi", "1", "Алматы"], store)
    assert keys(last(turns)) == ["almaty", "almaty_region"]
    session, turns = talk(["2"], store, session=session)
    assert session["answers"]["region"] == "almaty_region"
    assert last(turns).lines[0].msgid == "Region: {region}."  # said back
    session, turns = talk(["hi", "1", "Алматы", "back"], store)
    assert len(last(turns).choices) == 8  # the list again


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_region_list_is_in_the_languages_own_alphabet(
    language: str, translator: Translator
) -> None:
    label_of = LabelOfTranslator(translator)
    codes = sorted_regions(REGIONS, language, label_of)
    ordered = [label_of(REGION_NAMES[c], language) for c in codes]
    assert [collation_key(n, language) for n in ordered] == sorted(
        collation_key(n, language) for n in ordered
    )
    if language == "kk":  # Ақ- before Ал-: қ comes before л in the Kazakh alphabet
        assert ordered[:4] == ["Абай", "Ақмола", "Ақтөбе", "Алматы қаласы"]
        assert ordered[-2:] == ["Шығыс Қазақстан", "Шымкент"]


# ------------------------------------------------------------------------------------------
# Results: labelled amounts that add up, only the lines of the outcome


def test_the_result_shows_tsa_the_child_payment_and_the_total_each_labelled(
    store: ParameterStore, translator: Translator
) -> None:
    # The family of the report: four, 120,000 ₸ a month, two months left in the quarter.
    inputs = ["hi", "1", "Алматы", "1", "34 36 3 8", "0", "key:p1", "key:done", "120,000"]
    _, turns = talk(
        [*inputs, "1", "1", "key:ok"],
        store,
        now=datetime.fromisoformat("2026-05-15T10:00:00+05:00"),
    )
    text = render_text(last(turns), "kk", translator)
    text = text.replace("\u00a0", " ")
    assert "АӘК: айына 61 064 ₸." in text
    assert "1 балаға қосымша төлем" in text and "айына 6 487,50 ₸" in text
    assert "Барлығы: айына 67 551,50 ₸, 2 айға 135 103 ₸." in text
    assert (Decimal("61064") + Decimal("6487.50")) * 2 == Decimal("135103")


def test_a_refused_family_reads_nothing_about_amounts_or_contracts(
    store: ParameterStore, translator: Translator
) -> None:
    for household in _households():
        result = assess_data(household, store)
        if result.status != "ineligible":
            continue
        said = " ".join(translator.render(t, "en") for t in [*why(result), *flag_lines(result)])
        for never in (
            "social contract is still needed",
            "amount is higher",
            "and the amount with it",
            "assigned from",
            "exempt from employment measures",
            "is able-bodied",
            "the assistance is conditional",
            "the office that assigns TSA decides",
        ):
            assert never not in said, said


# ------------------------------------------------------------------------------------------
# Within the SMS budget


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_part_of_why_fits_in_an_sms_reply(
    language: str, store: ParameterStore, translator: Translator
) -> None:
    """Every sentence "Why?" can say for any rule case fits in one SMS reply with its menu."""
    label_of = LabelOfTranslator(translator)
    session = new_session()
    session["lang"] = language
    ctx = Ctx(session, NOW, "sms", store, label_of=label_of)
    menu = (MORE, *WHY_LAST_CHOICES)
    for household in _households():
        for line in why(assess_data(household, store), cite=False, ages=[30] * 20):
            assert fits(ctx, [line], menu), label_of(line, language)
    for _, _, make in TOPICS:
        for line in make(ctx):
            assert fits(ctx, [line], (MORE, *AFTER_TOPIC)), label_of(line, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_why_on_sms_comes_in_parts_with_more_and_says_everything(
    language: str, store: ParameterStore, translator: Translator
) -> None:
    label_of = LabelOfTranslator(translator)
    session, turns = talk(
        ["hi", "1", "3", "34 32 7 2", "0", "2", "1", "90000", "1", "1", "1"],
        store, channel="sms", lang=language, label_of=label_of,
    )  # fmt: skip
    parts = [last(turns)]
    while parts[-1].choices[0].key == "more":
        session, turns = talk(["1"], store, channel="sms", session=session, label_of=label_of)
        parts.append(last(turns))
    assert len(parts) > 1
    for part in parts:
        assert cost(render_menu(part, language, translator, one_line=True)).segments <= SMS_BUDGET
    said = [line for part in parts for line in part.lines]
    data = json.loads(session["assessed"])
    assert said == why(assess_data(data, store), cite=False, ages=[34, 32, 7, 2])


def test_a_retry_that_would_overflow_an_sms_goes_in_its_own_reply(
    store: ParameterStore, translator: Translator
) -> None:
    label_of = LabelOfTranslator(translator)
    # A part of an explanation that fills an SMS, and a word that is no choice.
    _, turns = talk(["hi", "2", "6", "4", "x"], store, channel="sms", lang="kk", label_of=label_of)
    for reply in turns[-1].replies:
        assert cost(render_menu(reply, "kk", translator, one_line=True)).segments <= SMS_BUDGET
    hint, again = turns[-1].replies
    assert hint.lines == (msg("Please choose a number from the menu."),)
    assert again == turns[-2].replies[-1]  # the same part of the same topic


# ------------------------------------------------------------------------------------------
# The guaranteed social package and school-age children


def test_the_social_package_text_speaks_of_school_pupils(
    store: ParameterStore, translator: Translator
) -> None:
    session = new_session()
    ctx = Ctx(session, NOW, "telegram", store)
    (lines,) = [make(ctx) for key, _, make in TOPICS if key == "package"]
    english = " ".join(translator.render(t, "en") for t in lines)
    assert "1.5 MRP" in english and "2023" in english
    assert "school" in english and "akimat" in english and "could not confirm" in english


# ------------------------------------------------------------------------------------------
# Sessions from before: they keep working


def test_an_old_session_in_the_middle_of_a_self_assessment_goes_on(
    store: ParameterStore,
) -> None:
    answers = {"region": "aktobe", "ages": [34, 32, 7, 2], "disabled": [], "ill": [],
               "to_classify": [], "carer": 1, "jobs": [0], "income": "90000", "owns": False,
               "property": []}  # fmt: skip
    history = ["region", "ages", "disabled", "carer", "jobs", "income", "property"]
    old = {"v": 1, "lang": "ru", "step": "obligations", "consent": True, "answers": answers,
           "history": history}  # fmt: skip
    turn = resume(old, Inbound("1", NOW, "sms"), store)
    assert any(e.kind == "assessment_done" for e in turn.events)
    assert turn.session["step"] == "result"


def test_the_last_result_of_an_old_session_is_my_result(store: ParameterStore) -> None:
    household = {"date": "2025-12-01", "region": "aktobe",
                 "members": [{"age": 66, "sex": "female", "income": 32360}]}  # fmt: skip
    old = {"v": 1, "lang": "en", "step": "menu", "consent": True, "answers": {}, "history": [],
           "assessed": json.dumps(household, sort_keys=True)}  # fmt: skip
    asked = resume(old, Inbound("menu", NOW, "telegram"), store).replies[-1]
    assert "result" in keys(asked)
    shown = resume(old, Inbound("", NOW, "telegram", choice="result"), store).replies[-1]
    assert shown.lines[0].msgid == "Your result of {day}:"
    assert shown.choices[0].key == "why"


def test_forget_me_forgets_the_last_result_too(store: ParameterStore) -> None:
    session, _ = talk([*FAMILY, "0", "2", "1", "90000", "1", "1"], store, channel="sms")
    assert "assessed" in session
    session, _ = talk(["forget", "1"], store, channel="sms", session=session)
    assert "assessed" not in session and session["answers"] == {}
    _, turns = talk(["1", "menu"], store, channel="sms", session=session)
    assert "result" not in keys(last(turns))


def test_sessions_stay_plain_json(store: ParameterStore) -> None:
    session, _ = talk([*FAMILY, "key:p2", "key:p1"], store)
    assert json.loads(json.dumps(session)) == session
