"""A person when the bot is not enough, end to end through Telegram (the local Bot API stub) and
the staff pages: a family of a caseload asks for a person and is told who answers and when; the
bot holds while its social worker has the conversation (what the family writes waits in her
inbox, unread; LANGUAGE still works); her answer reaches the family's chat through the outbox;
handed back, the bot asks the question it was at. Three answers not understood offer a person;
a family in no caseload goes to its region's queue, seen by that region's staff only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Connection, select

from bot.conversation.inbox import open_conversation
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.i18n.translator import Translator
from bot.storage.tables import CASES, CONTACTS, CONVERSATIONS, INBOX, MESSAGES, OUTBOX, STAFF
from tests.bot.channels.test_telegram import SECRET, message, press
from tests.bot.staff.workspace import NOW, Workspace, workspace
from tests.bot.telegram_stub import BotApiStub

TOKEN = "123456:inbox"
FAMILY_CHAT = 7001  # aigerim's first family, linked by her deep link
STRANGER_CHAT = 7002  # a family in no caseload


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    server = await BotApiStub().start()
    yield server
    await server.close()


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator, stub: BotApiStub) -> AsyncIterator[Workspace]:
    async with workspace(
        tmp_path,
        translator,
        telegram_token=TOKEN,
        telegram_api_url=stub.url,
        telegram_webhook_secret=SECRET,
    ) as found:
        yield found


async def tell(ws: Workspace, stub: BotApiStub, update: Any, answers: int = 1) -> list[str]:
    """Post a Telegram update; the texts of the `answers` messages it brings (0: none)."""
    before = len(stub.sent())
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            ws.base + "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response,
    ):
        assert response.status == 200
    if answers == 0:
        await asyncio.sleep(0.5)
        assert len(stub.sent()) == before, [c.params["text"] for c in stub.sent()[before:]]
        return []
    calls = await stub.wait_for("sendMessage", before + answers)
    return [str(c.params["text"]) for c in calls[before:]]


async def dispatch(ws: Workspace) -> None:
    """One pass of the outbox (the app's own dispatcher polls once a minute in these tests)."""
    await Dispatcher(ws.runner, renderers(ws.runner.translator)).dispatch_once()


def _link_code(ws: Workspace) -> Any:
    def work(connection: Connection) -> str:
        return str(
            connection.execute(
                select(CASES.c.link_code).where(CASES.c.id == ws.cases["aigerim"][0])
            ).scalar_one()
        )

    return work


def _state(chat: int) -> Any:
    def work(connection: Connection) -> dict[str, Any]:
        state = connection.execute(
            select(CONVERSATIONS.c.state)
            .join(CONTACTS, CONTACTS.c.id == CONVERSATIONS.c.contact_id)
            .where(CONTACTS.c.channel == "telegram", CONTACTS.c.address == str(chat))
        ).scalar_one()
        return dict(state)

    return work


async def test_a_family_asks_for_its_worker_who_answers_and_hands_back(
    ws: Workspace, stub: BotApiStub
) -> None:
    code = await ws.run(_link_code(ws))
    await tell(ws, stub, message(FAMILY_CHAT, f"/start {code}"))
    await tell(ws, stub, message(FAMILY_CHAT, "1"))  # consent: the region comes from the case
    asked = await ws.run(_state(FAMILY_CHAT))
    step = asked["step"]

    # 1. "Адам": the conversation goes to aigerim's inbox; the office is open until 18:00.
    (waiting,) = await tell(ws, stub, message(FAMILY_CHAT, "Адам"))
    assert "әлеуметтік қызметкеріңізге" in waiting and "18:00" in waiting

    # 2. The bot holds: what the family writes goes to the inbox, unanswered.
    await tell(ws, stub, message(FAMILY_CHAT, "Ақша қашан түседі?"), answers=0)
    aigerim = await ws.signed_in("aigerim")
    counted = await aigerim.get("/staff/inbox/count")
    assert '"unread": 1' in counted.text
    home = await aigerim.get("/staff/")
    assert home.has("Айгерім Сәрсенова") and home.has("1 unread")  # today's work lists it
    listing = await aigerim.get("/staff/inbox")
    assert listing.has("Айгерім Сәрсенова") and listing.has("asked for a person")
    (conversation,) = await ws.run(
        lambda c: c.execute(select(INBOX.c.id).where(INBOX.c.closed_at.is_(None))).scalars().all()
    )
    page = await aigerim.get(f"/staff/inbox/{conversation}")
    assert page.has("Ақша қашан түседі?")
    assert '"unread": 0' in (await aigerim.get("/staff/inbox/count")).text  # read now

    # 3. Her colleague may neither read nor answer it.
    bota = await ws.signed_in("bota")
    assert (await bota.get(f"/staff/inbox/{conversation}")).status == 403
    refused = await bota.post(
        f"/staff/inbox/{conversation}/answer", {"text": "x"}, csrf=listing.csrf
    )
    assert refused.status == 403

    # 4. Her answer goes out on the family's Telegram chat, through the outbox.
    sent = await aigerim.post(
        f"/staff/inbox/{conversation}/answer", {"text": "Сәлеметсіз бе! Ертең 10:00-де."}
    )
    assert sent.status == 200 and "done=sent" in sent.url
    before = len(stub.sent(FAMILY_CHAT))
    await dispatch(ws)
    texts = [str(c.params["text"]) for c in stub.sent(FAMILY_CHAT)[before:]]
    assert texts == ["Сәлеметсіз бе! Ертең 10:00-де."]
    kinds = await ws.run(lambda c: c.execute(select(OUTBOX.c.kind, OUTBOX.c.status)).all())
    assert ("inbox_reply", "sent") in [tuple(k) for k in kinds]

    # 5. LANGUAGE still works while held, and the hold goes on in the new language.
    (menu,) = await tell(ws, stub, message(FAMILY_CHAT, "тіл"))
    assert "Choose a language" in menu
    (again,) = await tell(ws, stub, press(FAMILY_CHAT, "ru"))
    assert "социальному работнику" in again
    await tell(ws, stub, message(FAMILY_CHAT, "спасибо"), answers=0)

    # 6. Handed back: the family is told, and asked the question it was at.
    back = await aigerim.post(f"/staff/inbox/{conversation}/back", {})
    assert "done=back" in back.url
    before = len(stub.sent(FAMILY_CHAT))
    await dispatch(ws)
    await asyncio.sleep(0.2)
    (resumed,) = [str(c.params["text"]) for c in stub.sent(FAMILY_CHAT)[before:]]
    assert resumed.startswith("Социальный работник вернул разговор Komek")
    state = await ws.run(_state(FAMILY_CHAT))
    assert state["step"] == step and "held" not in state
    replies = await tell(ws, stub, message(FAMILY_CHAT, "меню"))
    assert replies  # the bot answers again

    audited = [action for _, action, _ in await ws.audit()]
    assert {"inbox.view", "inbox.answer", "inbox.hand_back"} <= set(audited)
    metrics = await aigerim.raw("/metrics")
    body = metrics[1].decode()
    assert "komek_inbox_first_answer_seconds_count 1.0" in body
    assert "komek_inbox_handed_over_week 1.0" in body
    assert 'komek_inbox_reasons{reason="asked"} 1.0' in body
    charts = await (await ws.signed_in("sara")).get("/staff/charts")
    assert charts.has("Conversations handed to a person, per week")
    # The clock of these tests stands still: the answer came at once.
    assert charts.has("asked for a person: 1") and charts.has("0 minutes")


async def test_three_answers_not_understood_offer_a_person_and_the_region_queue_gets_it(
    ws: Workspace, stub: BotApiStub
) -> None:
    await tell(ws, stub, message(STRANGER_CHAT, "/start", language="ru"))
    await tell(ws, stub, message(STRANGER_CHAT, "1", language="ru"))  # consent
    await tell(ws, stub, message(STRANGER_CHAT, "Астана", language="ru"))  # the region
    for _ in range(2):
        (again,) = await tell(ws, stub, message(STRANGER_CHAT, "не знаю", language="ru"))
        assert "социальный работник" not in again
    (offer,) = await tell(ws, stub, message(STRANGER_CHAT, "не знаю", language="ru"))
    assert "трижды не смог понять" in offer
    markup = stub.sent(STRANGER_CHAT)[-1].params["reply_markup"]
    keys = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    assert keys == ["person", "bot"]
    (waiting,) = await tell(ws, stub, press(STRANGER_CHAT, "person", language="ru"))
    assert "социальным работникам региона (Астана)" in waiting

    reason = await ws.run(lambda c: c.execute(select(INBOX.c.reason, INBOX.c.staff_id)).one())
    assert tuple(reason) == ("ages", None)  # the question the bot failed at; nobody has it yet
    bota = await ws.signed_in("bota")
    assert (await bota.get("/staff/inbox")).has("region's queue")
    dana = await ws.signed_in("dana")
    assert not (await dana.get("/staff/inbox")).has("region's queue")
    assert (await dana.get("/staff/inbox?region=astana")).status == 403


async def test_a_web_chat_family_gets_the_answer_when_its_page_next_asks(ws: Workspace) -> None:
    page = "ab" * 16
    async with aiohttp.ClientSession() as client:

        async def say(text: str) -> list[str]:
            body = {"conversation": page, "text": text, "language": "en"}
            async with client.post(ws.base + "/api/chat", json=body) as response:
                assert response.status == 200
                return [r["text"] for r in (await response.json())["replies"]]

        for text in ("Hello", "1", "person"):
            await say(text)
        (waiting,) = await say("Astana")
        assert "social workers of Astana" in waiting
        assert await say("is anyone there?") == []  # the bot holds

        bota = await ws.signed_in("bota")
        listing = await bota.get("/staff/inbox")
        (conversation,) = await ws.run(lambda c: c.execute(select(INBOX.c.id)).scalars().all())
        await bota.post(f"/staff/inbox/{conversation}/take", {}, csrf=listing.csrf)
        sent = await bota.post(f"/staff/inbox/{conversation}/answer", {"text": "Hello, Bota here."})
        assert "done=sent" in sent.url

        async with client.get(f"{ws.base}/api/chat/{page}") as response:
            opened = await response.json()
        assert opened["messages"][-1] == {"from": "bot", "text": "Hello, Bota here.", "choices": []}
        statuses = await ws.run(
            lambda c: (
                c.execute(select(MESSAGES.c.status).where(MESSAGES.c.body == "Hello, Bota here."))
                .scalars()
                .all()
            )
        )
        assert statuses == ["sent"]  # the page took it

        await bota.post(f"/staff/inbox/{conversation}/back", {})
        async with client.get(f"{ws.base}/api/chat/{page}") as response:
            opened = await response.json()
        assert opened["messages"][-1]["text"].startswith("The social worker has handed you back")
        assert "Which region" in opened["current"][0]["text"]  # the question it was at


async def test_replies_kept_ready_a_transfer_and_bad_answers(ws: Workspace) -> None:
    """Sara keeps replies ready for Astana in two languages; the answer form offers the one in
    the family's language (Kazakh). Айгерім's empty answer is refused with the reason; she
    transfers the conversation to Бота, who may then answer it, and she no longer may."""

    def seed(connection: Connection) -> int:
        contact = connection.execute(
            select(CASES.c.sms_contact_id).where(CASES.c.id == ws.cases["aigerim"][0])
        ).scalar_one()
        return open_conversation(connection, contact, "asked", None, NOW)

    conversation = await ws.run(seed)
    sara = await ws.signed_in("sara")
    for language, title, body in (
        ("kk", "Құжаттар", "Жеке куәлік пен табыс туралы анықтама әкеліңіз."),
        ("ru", "Документы", "Принесите удостоверение и справку о доходах."),
    ):
        added = await sara.post(
            "/staff/inbox/replies",
            {"language": language, "title": title, "body": body},
            form="/staff/inbox/replies",
        )
        assert "done=added" in added.url
    refused = await sara.post("/staff/inbox/replies", {"language": "xx", "title": "", "body": ""})
    assert refused.status == 400 and refused.has("Choose a language and write a title and a text.")

    aigerim = await ws.signed_in("aigerim")
    page = await aigerim.get(f"/staff/inbox/{conversation}")
    assert page.has("Жеке куәлік пен табыс туралы анықтама әкеліңіз.")
    assert not page.has("Принесите удостоверение")
    counted = await aigerim.get("/staff/inbox/segments?text=" + "ә" * 71)
    assert '"segments": 2' in counted.text and '"within": true' in counted.text
    counted = await aigerim.get("/staff/inbox/segments?text=" + "a" * 160)
    assert '"segments": 1' in counted.text
    empty = await aigerim.post(f"/staff/inbox/{conversation}/answer", {"text": "   "})
    assert empty.status == 400 and empty.has("Write an answer first.")

    bota_id = await ws.run(
        lambda c: c.execute(select(STAFF.c.id).where(STAFF.c.username == "bota")).scalar_one()
    )
    moved = await aigerim.post(f"/staff/inbox/{conversation}/transfer", {"to": str(bota_id)})
    assert "done=transferred" in moved.url
    assert (await aigerim.get(f"/staff/inbox/{conversation}")).status == 403
    bota = await ws.signed_in("bota")
    page = await bota.get(f"/staff/inbox/{conversation}")
    assert page.status == 200 and page.has("Send the answer")
    sent = await bota.post(f"/staff/inbox/{conversation}/answer", {"text": "Бота here."})
    assert "done=sent" in sent.url
