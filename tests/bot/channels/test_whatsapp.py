"""The WhatsApp channel against a local Cloud API stub that checks every request's shape: Meta's
verification, signatures, whole assessments with reply buttons, lists and numbered menus in
each language, a visit booked and its reminder the next day as an approved template, duplicates,
status callbacks, the 24-hour window, rate limits and their back-off, and a number that is not on
WhatsApp."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import itertools
import json
import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, insert, select

from bot.channels.whatsapp import channel as whatsapp
from bot.channels.whatsapp.channel import WEBHOOK_PATH, WHATSAPP, shapes, split_text
from bot.channels.whatsapp.notifications import SIGNATURE_HEADER
from bot.channels.whatsapp.templates import REGISTRY, Registry, TemplateError, load, submissions
from bot.cli.main import main
from bot.config import Config, ConfigError
from bot.config import load as load_config
from bot.contacts.linking import link_by_phone
from bot.conversation.runner import Runner
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.forms import FORMS
from bot.delivery.notices import renderers
from bot.delivery.outbox import Claimed, Rendered, enqueue
from bot.delivery.senders import Notice, Outgoing
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.storage.offices import import_offices, read_office_records
from bot.storage.tables import APPOINTMENTS, CONTACTS, MESSAGES, OUTBOX
from bot.web.keys import RUNNER
from tests.bot.whatsapp_stub import NUMBER_ID, TOKEN, CloudApiStub
from tests.dialogs.memory_appointments import EXAMPLE_OFFICES

APP_SECRET = "wa-app-secret"
VERIFY = "wa-verify-token"
NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")  # a Thursday
_ids = itertools.count(1)


def approved_registry(tmp_path: Path) -> Path:
    """The packaged registry with every template approved (as after Meta's review)."""
    path = tmp_path / "templates.yaml"
    path.write_text(REGISTRY.read_text().replace("pending", "approved"), encoding="utf-8")
    return path


@pytest.fixture
async def stub() -> AsyncIterator[CloudApiStub]:
    server = await CloudApiStub().start()
    yield server
    assert server.violations == []  # every request had the Cloud API's shape
    await server.close()


def config(tmp_path: Path, stub: CloudApiStub, **more: Any) -> Config:
    return Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}",
        whatsapp_token=TOKEN,
        whatsapp_phone_number_id=NUMBER_ID,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token=VERIFY,
        whatsapp_api_url=stub.url,
        whatsapp_templates=approved_registry(tmp_path),
        outbox_poll=60.0,  # the tests run the dispatcher themselves
        **more,
    )


@pytest.fixture
async def client(
    stub: CloudApiStub, aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> TestClient[Any, Any]:
    app = create_app(config(tmp_path, stub), translator)
    result: TestClient[Any, Any] = await aiohttp_client(app)
    runner = result.app[RUNNER]
    runner.clock = lambda: NOW
    records = read_office_records(EXAMPLE_OFFICES.name, EXAMPLE_OFFICES.read_bytes())
    await runner.db.run(lambda c: import_offices(c, records, NOW))
    return result


def notification(
    messages: Sequence[dict[str, Any]] = (), statuses: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "77010000000", "phone_number_id": NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Айгүл"}, "wa_id": messages[0]["from"]}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


def text(wa_id: str, body: str, wamid: str | None = None) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": wamid or f"wamid.in{next(_ids)}",
        "timestamp": "1790000000",
        "type": "text",
        "text": {"body": body},
    }


def pressed(wa_id: str, choice: str, kind: str = "button_reply") -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": f"wamid.in{next(_ids)}",
        "timestamp": "1790000000",
        "type": "interactive",
        "interactive": {"type": kind, kind: {"id": choice, "title": choice[:20]}},
    }


def status(wamid: str, state: str, code: int | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": "1790000000",
        "recipient_id": "77011234567",
    }
    if code is not None:
        found["errors"] = [{"code": code, "title": "Message undeliverable"}]
    return found


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


async def post(client: TestClient[Any, Any], body: Any, signature: str | None = None) -> int:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature or sign(raw)}
    response = await client.post(WEBHOOK_PATH, data=raw, headers=headers)
    return response.status


async def settled(runner: Runner, timeout: float = 10.0) -> None:
    """Wait until every inbound message is answered and no reply waits to go out."""

    def busy(connection: Connection) -> int:
        m = MESSAGES.c
        return len(
            connection.execute(select(m.id).where(m.status.in_(("received", "queued")))).all()
        )

    for _ in range(int(timeout / 0.02)):
        if not await runner.db.run(busy):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the conversation did not settle")


async def say(client: TestClient[Any, Any], stub: CloudApiStub, wa_id: str, what: str) -> None:
    """Answer the last message as a person would: press the button or row `what` names (by
    its number or its id) when the last message had them, else type it."""
    last = stub.sent(wa_id)[-1] if stub.sent(wa_id) else None
    choices = last.choices if last is not None else []
    kind = "list_reply" if last is not None and last.kind == "list" else "button_reply"
    if what.isdecimal() and 0 < int(what) <= len(choices):
        message = pressed(wa_id, choices[int(what) - 1], kind)
    elif what in choices:
        message = pressed(wa_id, what, kind)
    else:
        message = text(wa_id, what)
    assert await post(client, notification([message])) == 200
    await settled(client.app[RUNNER])


# -- verification and signatures --------------------------------------------------------------


async def test_meta_verifies_the_webhook_with_the_verify_token(
    client: TestClient[Any, Any],
) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    response = await client.get(WEBHOOK_PATH, params=query)
    assert response.status == 200 and await response.text() == "1158201444"
    for wrong in (
        {"hub.verify_token": "guess"},
        {"hub.mode": "unsubscribe"},
        {"hub.challenge": ""},
    ):
        response = await client.get(WEBHOOK_PATH, params={**query, **wrong})
        assert response.status == 403


async def test_a_bad_signature_gets_401_and_nothing_is_recorded(
    client: TestClient[Any, Any], stub: CloudApiStub
) -> None:
    body = json.dumps(notification([text("77011234567", "Сәлем")])).encode()
    assert await post(client, body, sign(body, "another secret")) == 401
    assert await post(client, body, "sha256=" + "0" * 64) == 401
    response = await client.post(WEBHOOK_PATH, data=body)  # no signature at all
    assert response.status == 401
    assert await post(client, body + b" ", sign(body)) == 401  # signed bytes are the raw body

    def inbound(connection: Connection) -> int:
        return len(connection.execute(select(MESSAGES.c.id)).all())

    assert await client.app[RUNNER].db.run(inbound) == 0
    assert await post(client, b"{not json") == 400
    assert await post(client, {"object": "page"}) == 400
    assert stub.calls == []


# -- conversations ----------------------------------------------------------------------------

# A family of four in Astana, through to its result: (language's choice, its VISIT word, a word
# the result says).
LANGUAGES = [("1", "жазылу", "АӘК"), ("2", "запись", "АСП"), ("3", "visit", "TSA")]
ASSESSMENT = ("1", "astana", "34 32 7 2", "0", "2", "1", "90000", "1", "1", "1")
VISIT = ("astana", "example-astana-1", "2026-11-30", "2026-11-30T09:00:00+05:00", "yes")


@pytest.mark.parametrize(("choice", "visit_word", "result_word"), LANGUAGES)
async def test_a_family_is_assessed_books_a_visit_and_is_reminded_by_template(
    client: TestClient[Any, Any],
    stub: CloudApiStub,
    choice: str,
    visit_word: str,
    result_word: str,
) -> None:
    wa_id = f"7701123450{choice}"
    await say(client, stub, wa_id, "start")
    assert stub.sent(wa_id)[-1].kind == "button"  # the three languages
    for answer in (choice, *ASSESSMENT):
        await say(client, stub, wa_id, answer)
    said = "\n".join(call.body for call in stub.sent(wa_id))
    assert result_word in said
    kinds = {call.kind for call in stub.sent(wa_id)}
    assert {"button", "list", "text"} <= kinds  # buttons, a list, and the numbered menus
    labels = {
        c.payload["interactive"]["action"]["button"] for c in stub.sent(wa_id) if c.kind == "list"
    }
    assert labels == {
        {"1": "Жауапты таңдаңыз", "2": "Выбрать ответ", "3": "Choose an answer"}[choice]
    }
    for answer in (visit_word, *VISIT):
        await say(client, stub, wa_id, answer)
    runner = client.app[RUNNER]
    visits = await runner.db.run(lambda c: c.execute(select(APPOINTMENTS.c.id)).all())
    assert len(visits) == 1
    assert "09:00" in stub.sent(wa_id)[-1].body

    # The next day: the family has not written since, so the reminder goes as its template.
    runner.clock = lambda: datetime.fromisoformat("2026-11-29T10:00:05+05:00")
    before = len(stub.sent(wa_id))
    dispatcher = Dispatcher(runner, renderers(runner.translator), limiter=runner.limiter)
    assert await dispatcher.dispatch_once() == 1
    (reminder,) = stub.sent(wa_id)[before:]
    template = reminder.payload["template"]
    assert template["name"] == "komek_visit_reminder"
    assert template["language"]["code"] == {"1": "kk", "2": "ru", "3": "en"}[choice]
    day, clock, office, address = (p["text"] for p in template["components"][0]["parameters"])
    assert clock == "09:00" and "30" in day and office and address
    row = (await runner.db.run(lambda c: c.execute(select(OUTBOX)).all()))[0]
    assert row.status == "sent" and row.tried[0]["outcome"] == "sent"
    sent = await runner.db.run(
        lambda c: c.execute(select(MESSAGES).where(MESSAGES.c.id == row.message_id)).one()
    )
    assert sent.template == "komek_visit_reminder" and sent.external_id == reminder.wamid


async def test_a_message_delivered_twice_is_answered_once(
    client: TestClient[Any, Any], stub: CloudApiStub
) -> None:
    message = text("77011234567", "Сәлем", wamid="wamid.same")
    assert await post(client, notification([message])) == 200
    await settled(client.app[RUNNER])
    answered = len(stub.sent())
    assert answered >= 1
    assert await post(client, notification([message])) == 200
    await settled(client.app[RUNNER])
    assert len(stub.sent()) == answered

    def inbound(connection: Connection) -> int:
        m = MESSAGES.c
        return len(connection.execute(select(m.id).where(m.direction == "in")).all())

    assert await client.app[RUNNER].db.run(inbound) == 1


async def test_status_callbacks_move_a_message_forward_only(
    client: TestClient[Any, Any], stub: CloudApiStub
) -> None:
    runner = client.app[RUNNER]
    await say(client, stub, "77011234567", "Сәлем")
    wamid = stub.sent()[-1].wamid
    for state in ("sent", "read", "delivered"):  # "delivered" arrives late: read stays
        assert await post(client, notification(statuses=[status(wamid, state)])) == 200

    def state_of(connection: Connection) -> Any:
        m = MESSAGES.c
        return connection.execute(
            select(m.status, m.error).where(m.external_id == wamid, m.direction == "out")
        ).one()

    assert tuple(await runner.db.run(state_of)) == ("read", None)
    # Another number's reply fails later: not on WhatsApp. The contact is taken off WhatsApp.
    await say(client, stub, "77011234568", "Сәлем")
    other = stub.sent("77011234568")[-1].wamid
    assert await post(client, notification(statuses=[status(other, "failed", 131026)])) == 200

    def contact(connection: Connection) -> Any:
        c = CONTACTS.c
        return connection.execute(
            select(c.opted_out, c.unreachable).where(c.address == "+77011234568")
        ).one()

    assert tuple(await runner.db.run(contact)) == (True, "undeliverable")
    assert await post(client, notification(statuses=[status("wamid.unknown", "read")])) == 200


async def test_a_rate_limit_is_backed_off_and_the_message_goes_once(
    client: TestClient[Any, Any], stub: CloudApiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whatsapp, "RATE_PAUSES", (0.2, 0.4, 0.8))
    stub.rate_limited = 2
    await say(client, stub, "77011234567", "Сәлем")
    refused = stub.refused()
    assert [c.status for c in refused] == [400, 400]
    (first,) = stub.sent()
    assert first.at - refused[0].at >= 0.2 + 0.4 - 0.05  # waited, growing


async def test_a_reminder_outside_the_window_without_a_template_goes_by_sms(
    client: TestClient[Any, Any], stub: CloudApiStub
) -> None:
    """No approved template: undeliverable on WhatsApp, and the same phone's SMS gets it."""
    runner = client.app[RUNNER]
    got: list[tuple[str, list[Outgoing]]] = []

    async def sms(address: str, replies: list[Outgoing]) -> None:
        got.append((address, replies))
        await runner.mark_many([r.message_id for r in replies], "sent")

    runner.senders["sms"] = sms
    client.app[WHATSAPP].registry = Registry(())
    await say(client, stub, "77011234567", "Сәлем")
    await say(client, stub, "77011234567", "1")  # Kazakh
    for answer in ("1", "жазылу", *VISIT):
        await say(client, stub, "77011234567", answer)
    # A caseload knows the same phone: its SMS contact is the same person.

    def caseload_phone(connection: Connection) -> None:
        sms_id = connection.execute(
            CONTACTS.insert()
            .values(
                channel="sms",
                address="+77011234567",
                consent=False,
                opted_out=False,
                created_at=NOW,
            )
            .returning(CONTACTS.c.id)
        ).scalar_one()
        link_by_phone(connection, sms_id, "sms", "+77011234567", NOW)

    await runner.db.run(caseload_phone)
    runner.clock = lambda: datetime.fromisoformat("2026-11-29T10:00:05+05:00")
    before = len(stub.sent())
    dispatcher = Dispatcher(runner, renderers(runner.translator))
    assert await dispatcher.dispatch_once() == 1  # WhatsApp: undeliverable, no template
    assert await dispatcher.dispatch_once() == 1  # SMS
    assert len(stub.sent()) == before
    ((address, (reminder,)),) = got
    assert address == "+77011234567" and "09:00" in reminder.text
    row = (await runner.db.run(lambda c: c.execute(select(OUTBOX)).all()))[0]
    assert (row.status, row.hop) == ("sent", 1)
    assert [(t["channel"], t["outcome"]) for t in row.tried] == [
        ("whatsapp", "undeliverable"),
        ("sms", "sent"),
    ]
    assert "no approved template" in row.tried[0]["error"]


# -- rendering and the registry ---------------------------------------------------------------


def test_a_reply_is_buttons_a_list_or_a_numbered_menu_as_its_labels_fit() -> None:
    two = (("yes", "Иә"), ("no", "Жоқ"))
    assert shapes("7701", Outgoing(1, "Келісесіз бе?", two), "Таңдаңыз")[0]["type"] == "interactive"
    long_labels = tuple((f"k{n}", f"Облыс атауы өте ұзын {n}") for n in range(3))
    (as_list,) = shapes("7701", Outgoing(1, "Қай облыс?", long_labels), "Таңдаңыз")
    assert as_list["interactive"]["type"] == "list"  # 22 characters: too long for a button
    many = tuple((f"k{n}", f"Облыс {n}") for n in range(20))
    (menu,) = shapes("7701", Outgoing(1, "Қай облыс?", many), "Таңдаңыз")
    assert menu["type"] == "text" and "\n20 Облыс 19" in menu["text"]["body"]
    longer = tuple((f"k{n}", "Өте ұзын таңдау атауы, жиырма төрттен ұзын") for n in range(2))
    (menu,) = shapes("7701", Outgoing(1, "Сұрақ", longer), "Таңдаңыз")
    assert menu["type"] == "text" and menu["text"]["body"].startswith("Сұрақ\n1 ")
    parts = split_text("а" * 3000 + "\n" + "б" * 3000)
    assert [len(p) for p in parts] == [3000, 3000]
    assert all(len(p) <= 4096 for p in split_text("сөз " * 3000))


def test_the_registry_covers_every_outbox_message_and_prints_submissions(
    translator: Translator,
) -> None:
    registry = load()
    assert {t.serves for t in registry.templates} == set(FORMS)
    found = submissions(registry, translator)
    assert len(found) == 3 * len(FORMS)
    (reminder,) = [
        s for s in found if s["name"] == "komek_visit_reminder" and s["language"] == "kk"
    ]
    body = reminder["components"][0]
    assert "{{1}}" in body["text"] and "{{4}}" in body["text"] and "{day}" not in body["text"]
    assert len(body["example"]["body_text"][0]) == 4
    assert reminder["category"] == "UTILITY" and reminder["status"] == "pending"
    notice = Notice("visit_reminder", "kk", (("day", "дс, 30 қараша"), ("time", "09:00")))
    assert registry.for_notice(notice) is None  # nothing approved in the packaged registry
    (template,) = [t for t in registry.templates if t.serves == "visit_reminder"]
    assert template.body_parameters(notice) == ["дс, 30 қараша", "09:00", "-", "-"]


def note(connection: Connection, row: Claimed, language: str, now: datetime) -> Rendered:
    del connection, row, now
    return Rendered(f"Komek [{language}]", Notice("quarter_new", language))


async def test_inside_the_window_free_text_outside_a_template_within_the_daily_limit(
    stub: CloudApiStub, aiohttp_client: Any, tmp_path: Path, translator: Translator
) -> None:
    app = create_app(config(tmp_path, stub, whatsapp_daily_recipients=1), translator)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    runner = client.app[RUNNER]
    runner.clock = lambda: NOW
    people = {"77011234561": NOW - timedelta(hours=1)}  # wrote an hour ago: inside the window
    people |= {f"7701123456{n}": NOW - timedelta(days=2) for n in (2, 3)}  # two days ago

    def seed(connection: Connection) -> None:
        for n, (wa_id, wrote) in enumerate(people.items()):
            contact_id = connection.execute(
                insert(CONTACTS)
                .values(
                    channel="whatsapp", address=f"+{wa_id}", language="kk", consent=True,
                    opted_out=False, created_at=wrote,
                )
                .returning(CONTACTS.c.id)
            ).scalar_one()  # fmt: skip
            connection.execute(
                insert(MESSAGES).values(
                    contact_id=contact_id, channel="whatsapp", direction="in",
                    status="processed", created_at=wrote, updated_at=wrote,
                )
            )  # fmt: skip
            enqueue(
                connection, key=f"n:{n}", contact_id=contact_id, kind="note", payload={},
                due_at=NOW, now=NOW,
            )  # fmt: skip

    await asyncio.sleep(0.3)  # the server's own dispatcher has looked once, and sleeps
    await runner.db.run(seed)
    assert await Dispatcher(runner, {"note": note}).dispatch_once() == 3
    inside, outside = stub.sent("77011234561"), stub.sent("77011234562")
    assert [c.kind for c in inside] == ["text"] and inside[0].body == "Komek [kk]"
    assert [c.kind for c in outside] == ["template"]
    assert outside[0].payload["template"]["name"] == "komek_quarter_new"
    assert stub.sent("77011234563") == []  # the account's daily limit of one person is reached
    rows = await runner.db.run(lambda c: c.execute(select(OUTBOX).order_by(OUTBOX.c.id)).all())
    assert [r.status for r in rows] == ["sent", "sent", "failed"]
    assert "daily limit" in rows[2].tried[0]["error"]


# -- configuration and the command ------------------------------------------------------------

WHATSAPP_ENV = {
    "KOMEK_WHATSAPP_TOKEN": "t",
    "KOMEK_WHATSAPP_PHONE_NUMBER_ID": "123",
    "KOMEK_WHATSAPP_APP_SECRET": "s",
    "KOMEK_WHATSAPP_VERIFY_TOKEN": "v",
}


def test_whatsapp_is_on_with_all_four_settings_and_off_without_them(tmp_path: Path) -> None:
    assert not load_config({}).whatsapp
    settings = load_config(WHATSAPP_ENV)
    assert settings.whatsapp and settings.whatsapp_rate == 80.0
    assert settings.whatsapp_api_url == "https://graph.facebook.com/v21.0"
    registry = tmp_path / "approved.yaml"
    registry.write_text("templates: []\n")
    given = load_config(
        {
            **WHATSAPP_ENV,
            "KOMEK_WHATSAPP_API_URL": "http://127.0.0.1:9/",
            "KOMEK_WHATSAPP_RATE": "20",
            "KOMEK_WHATSAPP_DAILY_RECIPIENTS": "250",
            "KOMEK_WHATSAPP_TEMPLATES": str(registry),
        }
    )
    assert (given.whatsapp_api_url, given.whatsapp_rate) == ("http://127.0.0.1:9", 20.0)
    assert (given.whatsapp_daily_recipients, given.whatsapp_templates) == (250, registry)
    for wrong, says in (
        ({"KOMEK_WHATSAPP_TOKEN": ""}, "KOMEK_WHATSAPP_TOKEN unset"),
        ({"KOMEK_WHATSAPP_PHONE_NUMBER_ID": "+7701"}, "the number's id"),
        ({"KOMEK_WHATSAPP_API_URL": "graph"}, "http(s)"),
        ({"KOMEK_WHATSAPP_RATE": "fast"}, "KOMEK_WHATSAPP_RATE"),
        ({"KOMEK_WHATSAPP_DAILY_RECIPIENTS": "0"}, "KOMEK_WHATSAPP_DAILY_RECIPIENTS"),
        ({"KOMEK_WHATSAPP_TEMPLATES": str(tmp_path / "none.yaml")}, "names no file"),
    ):
        with pytest.raises(ConfigError, match=re.escape(says)):
            load_config({**WHATSAPP_ENV, **wrong})


def test_a_broken_registry_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "templates.yaml"
    for text, says in (
        ("[]", "templates:"),
        ("templates: [{name: Bad-Name}]", "name:"),
        ("templates: [{name: a, serves: nothing}]", "serves:"),
        ("templates: [{name: a, serves: quarter_new, category: marketing}]", "category:"),
        (
            "templates: [{name: a, serves: quarter_new, category: utility, parameters: [x]}]",
            "parameters:",
        ),
        (
            "templates: [{name: a, serves: quarter_new, category: utility, parameters: [],"
            " languages: {kz: approved}}]",
            "languages:",
        ),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(TemplateError, match=re.escape(says)):
            load(path)


def test_komek_whatsapp_templates_prints_what_to_submit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KOMEK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'komek.db'}")
    out = io.StringIO()
    assert main(["whatsapp", "templates"], out=out) == 0
    shown = out.getvalue()
    assert "komek_visit_reminder [kk] UTILITY (pending)" in shown and "{{4}} e.g." in shown
    out = io.StringIO()
    assert main(["whatsapp", "templates", "--json"], out=out) == 0
    bodies = json.loads(out.getvalue())
    assert {b["language"] for b in bodies} == {"kk", "ru", "en"}
    assert all(b["category"] == "UTILITY" and "status" not in b for b in bodies)
