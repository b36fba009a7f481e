"""Feedback as the runner and the outbox keep it, on SQLite and on PostgreSQL: a rating after a
result with its region and channel, a comment only with consent, the question after a visit
marked attended (sent once, in the family's language, answered by the next message), and
FORGET and retention clearing the comments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, update

from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.feedback import FORM, KIND, feedback_key
from bot.delivery.notices import renderers
from bot.delivery.outbox import rendered
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.staff.visits import mark_visit
from bot.storage import messages
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.offices import ATTENDED, NO_SHOW, import_offices, read_office_records
from bot.storage.retention import purge
from bot.storage.tables import CONTACTS, CONVERSATIONS, FEEDBACK, OUTBOX
from core.parameters import ParameterStore
from dialogs.segments import cost
from tests.bot.conftest import book_a_visit, fresh_postgres

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
VISIT_DAY = date(2026, 11, 30)
CHAT = "555000222"
PHONE = "+77017654321"
# Russian, consent, Aktobe, a pensioner alone, to the result; "Right, show the result" on Telegram.
TO_RESULT = ("Здравствуйте", "1", "3", "66", "0", "32360", "1", "1", "1")


@pytest.fixture(params=["sqlite", "postgresql"])
async def runner(
    request: pytest.FixtureRequest, tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[Runner]:
    async def made(url: str) -> AsyncIterator[Runner]:
        db = Database(url)
        await upgrade(db.engine)
        try:
            yield Runner(db, store, translator, lambda: NOW)
        finally:
            await db.close()

    if request.param == "sqlite":
        async for made_runner in made(f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}"):
            yield made_runner
        return
    async with fresh_postgres() as url:
        async for made_runner in made(url):
            yield made_runner


class Said:
    """Numbers the messages of one person, as a channel's ids would."""

    def __init__(self, runner: Runner, channel: str, address: str) -> None:
        self.runner, self.channel, self.address, self.n = runner, channel, address, 0

    async def __call__(self, text: str = "", choice: str | None = None) -> list[Outgoing]:
        self.n += 1
        replies = await self.runner.handle(
            InboundMessage(self.channel, self.address, text, str(self.n), choice=choice)
        )
        await self.runner.mark_many([r.message_id for r in replies], "sent")
        return replies


async def rows(runner: Runner, query: Any) -> list[Any]:
    return await runner.db.run(lambda c: list(c.execute(query).all()))


async def rated_with_a_comment(runner: Runner) -> Said:
    say = Said(runner, "telegram", CHAT)
    for text in TO_RESULT:
        await say(text)
    asked = await say(choice="menu")
    assert [key for key, _ in asked[-1].choices] == ["1", "2", "3", "4", "5", "skip"]
    assert "Насколько это было полезно?" in asked[-1].text
    await say(choice="4")
    await say("Всё понятно, спасибо")
    return say


async def test_a_rating_and_a_comment_after_a_result_are_stored(runner: Runner) -> None:
    await rated_with_a_comment(runner)
    f = FEEDBACK.c
    (row,) = await rows(
        runner, select(f.kind, f.region, f.channel, f.rating, f.comment, f.contact_id)
    )
    assert tuple(row)[:5] == ("result", "aktobe", "telegram", 4, "Всё понятно, спасибо")
    assert row.contact_id is not None


async def test_forget_me_deletes_the_comments_and_unlinks_the_ratings(runner: Runner) -> None:
    say = await rated_with_a_comment(runner)
    await say("забыть")
    await say("1")
    f = FEEDBACK.c
    (row,) = await rows(runner, select(f.rating, f.comment, f.contact_id, f.region))
    assert tuple(row) == (4, None, None, "aktobe")


async def test_retention_clears_old_comments_and_keeps_the_figures(runner: Runner) -> None:
    await rated_with_a_comment(runner)
    f = FEEDBACK.c
    assert await purge(runner.db, NOW - timedelta(days=90)) == {
        **(await purge(runner.db, NOW - timedelta(days=90))),
        "feedback_comments": 0,
    }
    (kept,) = await rows(runner, select(f.comment))
    assert kept.comment is not None  # younger than the retention time
    deleted = await purge(runner.db, NOW + timedelta(days=1), batch=1)
    assert deleted["feedback_comments"] == 1
    (row,) = await rows(runner, select(f.rating, f.comment, f.contact_id))
    assert tuple(row) == (4, None, None)


class Phone:
    """The SMS channel's sender, recording what went out."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.sent: list[tuple[str, Outgoing]] = []

    async def __call__(self, address: str, replies: list[Outgoing]) -> None:
        self.sent.extend((address, reply) for reply in replies)
        await self.runner.mark_many([r.message_id for r in replies], messages.SENT)


async def a_visit_by_sms(runner: Runner, language: str) -> tuple[int, int]:
    examples = ROOT / "examples" / "offices.example.yaml"

    def seed(connection: Connection) -> tuple[int, int]:
        import_offices(connection, read_office_records(examples.name, examples.read_bytes()), NOW)
        return book_a_visit(
            connection, channel="sms", address=PHONE, language=language, now=NOW, day=VISIT_DAY
        )

    return await runner.db.run(seed)


def mark(visit: int, status: str) -> Any:
    return lambda connection: mark_visit(connection, visit, status, NOW)


async def test_a_visit_marked_attended_asks_once_and_the_answer_is_its_rating(
    runner: Runner,
) -> None:
    visit, contact = await a_visit_by_sms(runner, "kk")
    assert await runner.db.run(mark(visit, ATTENDED))
    assert await runner.db.run(mark(visit, ATTENDED))  # marked twice: asked once
    o = OUTBOX.c
    questions = await rows(runner, select(o.id).where(o.contact_id == contact, o.kind == KIND))
    assert len(questions) == 1
    phone = Phone(runner)
    runner.senders["sms"] = phone
    dispatcher = Dispatcher(runner, renderers(runner.translator))
    await dispatcher.dispatch_once()
    ((address, question),) = phone.sent
    assert address == PHONE
    assert question.text.startswith("Көмек: мансап орталығына")
    assert [key for key, _ in question.choices] == ["1", "2", "3", "4", "5", "skip"]
    (marked,) = await rows(
        runner, select(CONTACTS.c.feedback_visit).where(CONTACTS.c.id == contact)
    )
    assert marked.feedback_visit == visit

    say = Said(runner, "sms", PHONE)
    await say("5")
    f = FEEDBACK.c
    (row,) = await rows(runner, select(f.kind, f.rating, f.region, f.channel, f.appointment_id))
    assert tuple(row) == ("visit", 5, "astana", "sms", visit)
    (cleared,) = await rows(
        runner, select(CONTACTS.c.feedback_visit).where(CONTACTS.c.id == contact)
    )
    assert cleared.feedback_visit is None
    # The next message is an ordinary one again: "3" is not a second rating.
    await say("0")
    await say("3")
    assert len(await rows(runner, select(f.id))) == 1


async def test_a_visit_unmarked_before_the_question_went_out_asks_nothing(runner: Runner) -> None:
    visit, _ = await a_visit_by_sms(runner, "ru")
    await runner.db.run(mark(visit, ATTENDED))
    await runner.db.run(mark(visit, NO_SHOW))
    (row,) = await rows(runner, select(OUTBOX.c.status).where(OUTBOX.c.key == feedback_key(visit)))
    assert row.status == "cancelled"


async def test_a_family_that_said_no_thanks_this_quarter_is_not_asked_after_a_visit(
    runner: Runner,
) -> None:
    visit, contact = await a_visit_by_sms(runner, "ru")
    declined = {"v": 1, "lang": "ru", "step": "menu", "answers": {}, "history": []}
    declined["feedback_declined"] = "2026Q4"

    def seed(connection: Connection) -> None:
        connection.execute(
            CONVERSATIONS.insert().values(contact_id=contact, state=declined, updated_at=NOW)
        )

    await runner.db.run(seed)
    await runner.db.run(mark(visit, ATTENDED))
    phone = Phone(runner)
    runner.senders["sms"] = phone
    await Dispatcher(runner, renderers(runner.translator)).dispatch_once()
    assert phone.sent == []
    (row,) = await rows(runner, select(OUTBOX.c.status).where(OUTBOX.c.key == feedback_key(visit)))
    assert row.status == "cancelled"
    (contact_row,) = await rows(
        runner, select(CONTACTS.c.feedback_visit).where(CONTACTS.c.id == contact)
    )
    assert contact_row.feedback_visit is None


async def test_without_consent_a_comment_is_not_kept(runner: Runner) -> None:
    visit, contact = await a_visit_by_sms(runner, "en")
    await runner.db.run(
        lambda c: c.execute(update(CONTACTS).where(CONTACTS.c.id == contact).values(consent=False))
    )
    await runner.db.run(mark(visit, ATTENDED))
    runner.senders["sms"] = Phone(runner)
    await Dispatcher(runner, renderers(runner.translator)).dispatch_once()
    say = Said(runner, "sms", PHONE)
    replies = await say("4")
    assert "Thank you for your answer." in replies[0].text
    f = FEEDBACK.c
    (row,) = await rows(runner, select(f.rating, f.comment))
    assert tuple(row) == (4, None)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_question_after_a_visit_takes_at_most_two_sms(
    translator: Translator, language: str
) -> None:
    text = rendered(translator, FORM, {}, language).text
    assert all(digit in text for digit in ("1", "5", "0"))
    assert cost(text).segments <= 2
