"""Campaigns: a message from staff to the families of a caseload. Preview (texts per language
with their SMS encoding and segments, recipients by channel, the opted out, the time sending
takes), sending through the outbox (Telegram where the family opened the worker's deep link, SMS
otherwise, nobody twice, nothing to the opted out), status with each recipient masked; who may do
what; the templates; the audit log; and the same through the staff API and `komek` commands."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Connection, select

from bot.cli.main import main
from bot.config import Config
from bot.conversation.runner import InboundMessage, Runner
from bot.delivery.campaigns import KIND
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import renderers
from bot.delivery.senders import Outgoing
from bot.i18n.translator import Translator
from bot.server import create_app
from bot.staff import campaigns
from bot.staff.accounts import Member, create, find, issue_token
from bot.staff.campaigns import Audience, CampaignError
from bot.staff.caseload import import_caseload, read_caseload
from bot.storage.database import Database
from bot.storage.db import upgrade
from bot.storage.tables import AUDIT, CAMPAIGNS, CASES, OUTBOX, STAFF
from bot.web.keys import RUNNER
from core.parameters import ParameterStore
from tests.bot.conftest import fresh_postgres

NOW = datetime.fromisoformat("2026-11-26T10:00:00+05:00")
PASSWORD = "a long enough password"
RATES = {"telegram": 30.0, "sms": 10.0}

LINKED = "+77011110001"  # Aigerim: opens the deep link in Telegram (chat 5550001), in Kazakh
BY_SMS = "+77011110002"  # Dana: reached by SMS, in English
STOPPED = "+77011110003"  # Ivan: wrote STOP by SMS
CHAT = "5550001"
A_CSV = (
    "name,phone,region,language\n"
    f"Aigerim Sadykova,{LINKED},astana,kk\n"
    f"Dana Nurlanovna,{BY_SMS},astana,en\n"
    f"Ivan Petrov,{STOPPED},astana,ru\n"
).encode()
B_CSV = b"name,phone,region,language\nBota Serikova,+77011110009,astana,ru\n"

# The custom message: short in Kazakh and Russian (Cyrillic: UCS-2), two GSM-7 parts in English.
TEXTS = {
    "kk": "Komek: ертең мансап орталығы жабық.",
    "ru": "Komek: завтра карьерный центр закрыт.",
    "en": "Komek: the career centre is closed tomorrow. " * 4,
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Inbox:
    """A channel's sender: takes each message and marks it sent."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.got: list[tuple[str, str, int]] = []

    async def __call__(self, address: str, replies: list[Outgoing]) -> None:
        for reply in replies:
            self.got.append((address, reply.text, reply.message_id))
            await self.runner.mark(reply.message_id, "sent")


@dataclass
class World:
    runner: Runner
    a: Member  # worker, astana: three families
    b: Member  # worker, astana: one family
    s: Member  # supervisor, astana
    admin: Member

    async def run(self, work: Callable[[Connection], Any]) -> Any:
        return await self.runner.db.run(work)

    async def custom(self, member: Member | None = None, **changes: Any) -> int:
        options: dict[str, Any] = {
            "name": "Closed tomorrow",
            "template": "custom",
            "texts": TEXTS,
            "audience": Audience(),
            **changes,
        }
        who = member or self.a
        return int(await self.run(lambda c: campaigns.create(c, who, now=NOW, **options)))


def _staff(connection: Connection) -> list[Member]:
    people = (
        ("aigul", "worker", "astana"),
        ("bolat", "worker", "astana"),
        ("saule", "supervisor", "astana"),
        ("root", "admin", None),
    )
    found = []
    for username, role, region in people:
        create(
            connection,
            username=username,
            name=username.title(),
            role=role,
            region=region,
            password=PASSWORD,
            now=NOW,
        )
        member = find(connection, username)
        assert member is not None
        found.append(member)
    return found


async def _link_code(runner: Runner, phone: str) -> str:
    query = select(CASES.c.link_code).where(CASES.c.phone == phone)
    return str(await runner.db.run(lambda c: c.execute(query).scalar_one()))


@asynccontextmanager
async def _world(url: str, store: ParameterStore, translator: Translator) -> AsyncIterator[World]:
    db = Database(url)
    try:
        await upgrade(db.engine)
        a, b, s, admin = await db.run(_staff)
        for worker, data in ((a, A_CSV), (b, B_CSV)):
            report = await import_caseload(db, worker, read_caseload("caseload.csv", data), NOW)
            assert not report.rejected
        runner = Runner(db, store, translator, Clock(NOW))
        # Aigerim opens the worker's deep link (greeted in Kazakh, her language on the case)
        # and consents; Ivan writes STOP.
        code = await _link_code(runner, LINKED)
        (asked,) = await runner.handle(InboundMessage("telegram", CHAT, f"/start {code}"))
        assert "Келісесіз бе?" in asked.text
        await runner.handle(InboundMessage("telegram", CHAT, "1"))
        await runner.handle(InboundMessage("sms", STOPPED, "STOP"))
        yield World(runner, a, b, s, admin)
    finally:
        await db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
        else:
            url = await stack.enter_async_context(fresh_postgres())
        yield await stack.enter_async_context(_world(url, store, translator))


@pytest.fixture
async def lite(
    tmp_path: Path, store: ParameterStore, translator: Translator
) -> AsyncIterator[World]:
    async with _world(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", store, translator) as found:
        yield found


async def preview(world: World, member: Member, campaign_id: int) -> dict[str, Any]:
    translator = world.runner.translator
    return dict(
        await world.run(lambda c: campaigns.preview(c, member, campaign_id, translator, RATES))
    )


async def status(world: World, member: Member, campaign_id: int) -> dict[str, Any]:
    return dict(
        await world.run(lambda c: campaigns.status(c, member, campaign_id, recipients=True))
    )


async def send(world: World, member: Member, campaign_id: int) -> int:
    return int(await world.run(lambda c: campaigns.send(c, member, campaign_id, NOW)))


# ------------------------------------------------------------------------------------------
# Preview, send, status


async def test_the_preview_counts_recipients_and_shows_each_text_with_its_sms_cost(
    lite: World,
) -> None:
    campaign_id = await lite.custom()
    shown = await preview(lite, lite.a, campaign_id)
    assert shown["campaign"] == campaign_id
    assert shown["name"] == "Closed tomorrow"
    assert shown["status"] == "draft"
    assert shown["recipients"] == {"telegram": 1, "sms": 1}
    assert shown["opted_out"] == 1
    texts = shown["texts"]
    assert set(texts) == {"kk", "ru", "en"}
    for language in ("kk", "ru", "en"):
        assert texts[language]["text"] == TEXTS[language].strip()
    assert (texts["kk"]["sms_encoding"], texts["kk"]["sms_segments"]) == ("ucs2", 1)
    assert (texts["ru"]["sms_encoding"], texts["ru"]["sms_segments"]) == ("ucs2", 1)
    assert (texts["en"]["sms_encoding"], texts["en"]["sms_segments"]) == ("gsm7", 2)
    # Side by side: one Telegram message at 30/s, one English SMS of two parts at 10 parts/s.
    assert shown["eta_seconds"] == pytest.approx(0.2)
    assert shown["eta_seconds"] > 0


async def test_sending_queues_each_family_once_and_the_dispatcher_delivers_in_their_language(
    world: World,
) -> None:
    campaign_id = await world.custom()
    assert await send(world, world.a, campaign_id) == 3
    with pytest.raises(CampaignError, match="is sending already"):
        await send(world, world.a, campaign_id)
    before = await status(world, world.a, campaign_id)
    assert before["status"] == "sending"
    assert before["outbox"] == {"pending": 3}
    assert before["queued"] == 3 and before["delivered"] == 0

    runner = world.runner
    telegram, sms = Inbox(runner), Inbox(runner)
    runner.senders.update(telegram=telegram, sms=sms)
    dispatcher = Dispatcher(runner, renderers(runner.translator), poll=0.01)
    assert await dispatcher.dispatch_once() == 3
    assert await dispatcher.dispatch_once() == 0
    assert [(address, text) for address, text, _ in telegram.got] == [(CHAT, TEXTS["kk"])]
    assert [(address, text) for address, text, _ in sms.got] == [(BY_SMS, TEXTS["en"].strip())]

    after = await status(world, world.a, campaign_id)
    assert after["status"] == "sent"
    assert after["outbox"] == {"sent": 2, "skipped": 1}
    assert after["queued"] == 3
    recipients = sorted(after["recipients"], key=lambda r: (r["channel"], r["status"]))
    assert [(r["channel"], r["status"], r["delivery"], r["error"]) for r in recipients] == [
        ("sms", "sent", "sent", None),
        ("sms", "skipped", None, "opted out"),
        ("telegram", "sent", "sent", None),
    ]
    assert recipients[0]["contact"].endswith("0002")
    assert recipients[1]["contact"].endswith("0003")
    assert recipients[2]["contact"] == "telegram"
    for recipient in recipients[:2]:  # an SMS contact shows its last four digits only
        assert "+7" not in recipient["contact"]
        assert re.sub(r"\D", "", recipient["contact"]) in ("0002", "0003")

    # The gateway's delivery report comes later.
    await runner.mark(sms.got[0][2], "delivered")
    assert (await status(world, world.a, campaign_id))["delivered"] == 1


async def test_an_sms_recipient_is_shown_as_its_last_four_digits(lite: World) -> None:
    campaign_id = await lite.custom()
    await send(lite, lite.a, campaign_id)
    shown = await status(lite, lite.a, campaign_id)
    contacts = sorted(r["contact"] for r in shown["recipients"])
    assert contacts == ["telegram", "…0002", "…0003"]


async def test_a_family_is_reached_once_even_with_two_channels(lite: World) -> None:
    campaign_id = await lite.custom(audience=Audience(language="kk"))
    shown = await preview(lite, lite.a, campaign_id)
    assert shown["recipients"] == {"telegram": 1} and shown["opted_out"] == 0
    assert await send(lite, lite.a, campaign_id) == 1
    (row,) = await lite.run(lambda c: list(c.execute(select(OUTBOX)).all()))
    assert row.key.startswith(f"campaign:{campaign_id}:") and row.kind == KIND


# ------------------------------------------------------------------------------------------
# Who may do what


async def test_a_worker_may_not_preview_send_or_follow_another_worker_s_campaign(
    lite: World,
) -> None:
    campaign_id = await lite.custom()
    translator = lite.runner.translator
    calls: list[Callable[[Connection], Any]] = [
        lambda c: campaigns.preview(c, lite.b, campaign_id, translator, RATES),
        lambda c: campaigns.send(c, lite.b, campaign_id, NOW),
        lambda c: campaigns.status(c, lite.b, campaign_id),
    ]
    for call in calls:
        with pytest.raises(CampaignError, match="belongs to another member of staff"):
            await lite.run(call)
    assert (await status(lite, lite.a, campaign_id))["status"] == "draft"
    with pytest.raises(CampaignError, match="no campaign 999"):
        await preview(lite, lite.a, 999)


async def test_a_worker_writes_to_their_own_caseload_only(lite: World) -> None:
    with pytest.raises(CampaignError, match="own caseload only"):
        await lite.custom(lite.b, audience=Audience(caseload=False))
    with pytest.raises(CampaignError, match="own caseload only"):
        await lite.custom(lite.b, audience=Audience(caseload=False, region="astana"))
    campaign_id = await lite.custom(lite.b)
    shown = await preview(lite, lite.b, campaign_id)
    assert shown["recipients"] == {"sms": 1} and shown["opted_out"] == 0


async def test_a_supervisor_writes_within_their_region_only(lite: World) -> None:
    with pytest.raises(CampaignError, match="own region only"):
        await lite.custom(lite.s, audience=Audience(caseload=False, region="almaty"))
    with pytest.raises(CampaignError, match="region: one of"):
        await lite.custom(lite.s, audience=Audience(caseload=False, region="atlantis"))
    campaign_id = await lite.custom(lite.s, audience=Audience(caseload=False))
    shown = await preview(lite, lite.s, campaign_id)  # every case of Astana: A's and B's
    assert shown["recipients"] == {"telegram": 1, "sms": 2}
    assert shown["opted_out"] == 1
    assert await send(lite, lite.s, campaign_id) == 4


async def test_an_admin_may_see_any_campaign(lite: World) -> None:
    campaign_id = await lite.custom()
    shown = await status(lite, lite.admin, campaign_id)
    assert shown["campaign"] == campaign_id and shown["status"] == "draft"
    assert shown["recipients"] == []
    assert (await preview(lite, lite.admin, campaign_id))["name"] == "Closed tomorrow"
    await send(lite, lite.a, campaign_id)
    assert (await status(lite, lite.admin, campaign_id))["queued"] == 3


async def test_an_admin_previewing_a_worker_s_campaign_sees_its_recipients(lite: World) -> None:
    campaign_id = await lite.custom()
    shown = await preview(lite, lite.admin, campaign_id)
    assert shown["recipients"] == {"telegram": 1, "sms": 1}
    assert shown["opted_out"] == 1


# ------------------------------------------------------------------------------------------
# Templates


async def test_documents_due_names_its_date_in_each_language(lite: World) -> None:
    campaign_id = await lite.custom(
        name="Documents", template="documents_due", texts={"due": "2027-01-15"}
    )
    texts = (await preview(lite, lite.a, campaign_id))["texts"]
    assert "15 қаңтар 2027" in texts["kk"]["text"]
    assert "15 января 2027" in texts["ru"]["text"]
    assert "by 15 January 2027." in texts["en"]["text"]
    assert texts["kk"]["sms_encoding"] == texts["ru"]["sms_encoding"] == "ucs2"
    assert texts["en"]["sms_encoding"] == "gsm7"
    with pytest.raises(CampaignError, match="due: the date documents are due"):
        await lite.custom(template="documents_due", texts={"due": "15.01.2027"})
    with pytest.raises(CampaignError, match="due: the date documents are due"):
        await lite.custom(template="documents_due", texts={})


async def test_the_quarterly_template_needs_no_text(lite: World) -> None:
    campaign_id = await lite.custom(name="Quarter", template="quarterly", texts={})
    texts = (await preview(lite, lite.a, campaign_id))["texts"]
    assert texts["en"]["text"].startswith("Komek: a new quarter has begun.")
    assert texts["ru"]["text"].startswith("Komek: начался новый квартал.")


@pytest.mark.parametrize(
    ("texts", "why"),
    [
        ({"kk": TEXTS["kk"], "ru": TEXTS["ru"]}, "text in en: required"),
        ({**TEXTS, "kk": "   "}, "text in kk: required"),
        ({**TEXTS, "ru": 42}, "text in ru: required"),
        ({**TEXTS, "en": "x" * 601}, "text in en: at most 600 characters"),
        ({**TEXTS, "kk": "ә" * 601}, "text in kk: at most 600 characters"),
    ],
    ids=["missing", "blank", "not-text", "long-en", "long-kk"],
)
async def test_a_custom_text_missing_a_language_or_too_long_is_refused(
    lite: World, texts: dict[str, Any], why: str
) -> None:
    with pytest.raises(CampaignError, match=why):
        await lite.custom(texts=texts)
    assert await lite.run(lambda c: list(c.execute(select(CAMPAIGNS)).all())) == []


async def test_a_text_of_exactly_600_characters_and_other_bad_campaigns(lite: World) -> None:
    campaign_id = await lite.custom(texts={**TEXTS, "en": "y" * 600})
    assert (await preview(lite, lite.a, campaign_id))["texts"]["en"]["text"] == "y" * 600
    with pytest.raises(CampaignError, match="template: one of"):
        await lite.custom(template="spam")
    with pytest.raises(CampaignError, match="name: required"):
        await lite.custom(name="  ")
    with pytest.raises(CampaignError, match="language: kk, ru or en"):
        await lite.custom(audience=Audience(language="de"))


async def test_creating_and_sending_are_in_the_audit_log_with_the_member(lite: World) -> None:
    campaign_id = await lite.custom()
    await send(lite, lite.a, campaign_id)

    def work(connection: Connection) -> list[tuple[str, str, str, Any]]:
        a, s = AUDIT.c, STAFF.c
        rows = connection.execute(
            select(s.username, a.action, a.target, a.detail)
            .join(STAFF, s.id == a.staff_id)
            .where(a.action.startswith("campaign."))
            .order_by(a.id)
        )
        return [(r.username, r.action, r.target, r.detail) for r in rows]

    assert await lite.run(work) == [
        ("aigul", "campaign.create", f"campaign {campaign_id}", {"name": "Closed tomorrow"}),
        ("aigul", "campaign.send", f"campaign {campaign_id}", {"queued": 3}),
    ]


# ------------------------------------------------------------------------------------------
# The staff API


@dataclass
class Api:
    client: TestClient[Any, Any]
    runner: Runner
    tokens: dict[str, str]

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def call(self, method: str, path: str, username: str, **options: Any) -> tuple[int, Any]:
        response = await self.client.request(method, path, headers=self.auth(username), **options)
        return response.status, await response.json()


@pytest.fixture
async def api(aiohttp_client: Any, tmp_path: Path, translator: Translator) -> Api:
    config = Config(database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}", outbox_poll=60)
    client: TestClient[Any, Any] = await aiohttp_client(create_app(config, translator))
    app: Any = client.app
    runner: Runner = app[RUNNER]
    runner.clock = lambda: NOW

    def seed(connection: Connection) -> dict[str, str]:
        return {
            member.username: issue_token(connection, member, "tests", NOW)
            for member in _staff(connection)
        }

    return Api(client, runner, await runner.db.run(seed))


CAMPAIGN = {"name": "Closed tomorrow", "template": "custom", "texts": TEXTS}


async def test_the_api_imports_and_lists_a_caseload(api: Api) -> None:
    bad = A_CSV + b"Nobody,12345,astana,ru\n"
    code, body = await api.call("POST", "/api/staff/caseload?filename=x.csv", "aigul", data=bad)
    assert code == 200
    assert body["added"] == 3 and body["updated"] == 0
    assert body["rejected"] == [{"row": 5, "reason": "The phone is not a phone number."}]
    code, body = await api.call("POST", "/api/staff/caseload?filename=b.csv", "bolat", data=B_CSV)
    assert (code, body["added"]) == (200, 1)

    code, body = await api.call("GET", "/api/staff/caseload", "aigul")
    assert code == 200
    cases = body["cases"]
    assert sorted(case["name"] for case in cases) == [
        "Aigerim Sadykova",
        "Dana Nurlanovna",
        "Ivan Petrov",
    ]
    assert sorted(case["phone"] for case in cases) == ["…0001", "…0002", "…0003"]
    assert all(case["channels"] == ["sms"] for case in cases)
    code, body = await api.call("GET", "/api/staff/caseload", "bolat")
    assert [case["name"] for case in body["cases"]] == ["Bota Serikova"]
    code, body = await api.call("POST", "/api/staff/caseload?filename=x.txt", "aigul", data=A_CSV)
    assert code == 400 and "filename" in body["error"]


async def test_the_api_creates_previews_sends_and_follows_a_campaign(api: Api) -> None:
    await api.call("POST", "/api/staff/caseload?filename=a.csv", "aigul", data=A_CSV)
    code, body = await api.call("POST", "/api/staff/campaigns", "aigul", json=CAMPAIGN)
    assert code == 201
    campaign_id = body["campaign"]
    assert isinstance(campaign_id, int)

    code, shown = await api.call("GET", f"/api/staff/campaigns/{campaign_id}/preview", "aigul")
    assert code == 200
    assert shown["recipients"] == {"sms": 3} and shown["opted_out"] == 0
    assert shown["texts"]["kk"]["sms_encoding"] == "ucs2"
    assert shown["eta_seconds"] > 0

    code, body = await api.call("POST", f"/api/staff/campaigns/{campaign_id}/send", "aigul")
    assert (code, body) == (200, {"queued": 3})
    code, body = await api.call("POST", f"/api/staff/campaigns/{campaign_id}/send", "aigul")
    assert code == 409 and "sending already" in body["error"]

    code, body = await api.call("GET", f"/api/staff/campaigns/{campaign_id}?recipients=1", "aigul")
    assert code == 200
    assert body["status"] == "sending" and body["outbox"] == {"pending": 3}
    assert len(body["recipients"]) == 3
    for recipient in body["recipients"]:
        assert recipient["channel"] == "sms" and recipient["status"] == "pending"
        assert "+7701" not in recipient["contact"]
        assert recipient["contact"][-4:] in ("0001", "0002", "0003")
    code, body = await api.call("GET", f"/api/staff/campaigns/{campaign_id}", "aigul")
    assert code == 200 and "recipients" not in body

    code, body = await api.call("GET", f"/api/staff/campaigns/{campaign_id}", "root")
    assert code == 200 and body["queued"] == 3

    def audited(connection: Connection) -> list[tuple[str, str]]:
        a, s = AUDIT.c, STAFF.c
        rows = connection.execute(
            select(s.username, a.action)
            .join(STAFF, s.id == a.staff_id)
            .where(a.action.startswith("campaign."))
            .order_by(a.id)
        )
        return [(r.username, r.action) for r in rows]

    assert await api.runner.db.run(audited) == [
        ("aigul", "campaign.create"),
        ("aigul", "campaign.send"),
    ]


async def test_the_api_refuses_what_a_member_may_not_do_or_cannot_be(api: Api) -> None:
    await api.call("POST", "/api/staff/caseload?filename=a.csv", "aigul", data=A_CSV)
    code, body = await api.call("POST", "/api/staff/campaigns", "aigul", json=CAMPAIGN)
    campaign_id = body["campaign"]
    for method, path in (
        ("GET", f"/api/staff/campaigns/{campaign_id}/preview"),
        ("POST", f"/api/staff/campaigns/{campaign_id}/send"),
        ("GET", f"/api/staff/campaigns/{campaign_id}?recipients=1"),
    ):
        code, body = await api.call(method, path, "bolat")
        assert code == 403, path
        assert "belongs to another" in body["error"]
        code, body = await api.call(method, path.replace(str(campaign_id), "4242"), "aigul")
        assert code == 404, path
        assert "no campaign 4242" in body["error"]
        code, _ = await api.call(method, path.replace(str(campaign_id), "abc"), "aigul")
        assert code == 400, path
        response = await api.client.request(method, path)
        assert response.status == 401, path

    for data in (b"{not json", b"[1, 2]", b'{"texts": "x"}', b"\xff\xfe"):
        code, body = await api.call("POST", "/api/staff/campaigns", "aigul", data=data)
        assert code == 400, data
        assert "error" in body
    code, body = await api.call(
        "POST", "/api/staff/campaigns", "aigul", json={**CAMPAIGN, "texts": {"kk": "x"}}
    )
    assert code == 400 and "text in ru" in body["error"]
    code, body = await api.call(
        "POST", "/api/staff/campaigns", "bolat", json={**CAMPAIGN, "audience": {"caseload": False}}
    )
    assert code == 400 and "own caseload only" in body["error"]
    code, body = await api.call(
        "POST",
        "/api/staff/campaigns",
        "saule",
        json={**CAMPAIGN, "audience": {"caseload": False, "region": "almaty"}},
    )
    assert code == 400 and "own region only" in body["error"]
    code, body = await api.call(
        "POST",
        "/api/staff/campaigns",
        "aigul",
        json={**CAMPAIGN, "audience": {"reassess_before": "soon"}},
    )
    assert code == 400 and "reassess_before" in body["error"]
    # The draft is still a draft: nothing refused went through.
    code, body = await api.call("GET", f"/api/staff/campaigns/{campaign_id}", "aigul")
    assert body["status"] == "draft" and body["queued"] == 0


# ------------------------------------------------------------------------------------------
# `komek caseload` and `komek campaign`


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KOMEK_DATABASE_URL", value)
    monkeypatch.setenv("KOMEK_STAFF_PASSWORD", PASSWORD)
    return value


def komek(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


LANGUAGES = ("kk", "ru", "en")


def big_caseload(path: Path, rows: int) -> Path:
    lines = ["name,phone,region,language"]
    lines += [f"Family {n},+7702{n:07d},astana,{LANGUAGES[n % 3]}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_commands_import_a_caseload_and_send_a_campaign_to_it(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for username in ("aigul", "bolat"):
        code, out = komek(
            "staff", "add", username, "--name", username.title(), "--role", "worker",
            "--region", "astana",
        )  # fmt: skip
        assert code == 0 and f"staff member {username} added" in out
    capsys.readouterr()

    code, out = komek("caseload", "import", str(big_caseload(tmp_path / "families.csv", 1500)),
                      "--as", "aigul")  # fmt: skip
    assert (code, out) == (0, "1500 case(s) added, 0 updated\n")
    err = capsys.readouterr().err
    assert "[" in err and "#" in err
    assert "500 / " in err and "1,000 / " in err and "1,500 / " in err

    code, out = komek("caseload", "list", "--as", "aigul")
    assert code == 0
    assert out.endswith("1500 case(s)\n")
    assert "name='Family 7', phone='…0007'" in out
    assert "+7702" not in out and "0000007" not in out
    code, out = komek("caseload", "list", "--as", "bolat")
    assert (code, out) == (0, "0 case(s)\n")

    code, out = komek(
        "campaign", "create", "--as", "aigul", "--name", "Closed tomorrow", "--template",
        "custom", "--text-kk", TEXTS["kk"], "--text-ru", TEXTS["ru"], "--text-en", "Closed.",
    )  # fmt: skip
    assert code == 0
    (campaign_id,) = re.findall(r"campaign (\d+) created \(draft\)", out)

    code, out = komek("campaign", "preview", campaign_id, "--as", "aigul")
    assert code == 0
    assert f"campaign {campaign_id}: Closed tomorrow (draft)" in out
    assert "[kk] SMS: 1 segment(s), ucs2" in out
    assert "[ru] SMS: 1 segment(s), ucs2" in out
    assert "[en] SMS: 1 segment(s), gsm7" in out
    assert "recipients: 1500 by sms; opted out (skipped): 0" in out
    assert "sending takes about 150.0 s under the rate limits" in out  # 1,500 parts at 10/s

    code, out = komek("campaign", "preview", campaign_id, "--as", "bolat")
    assert code == 2
    assert "belongs to another member of staff" in capsys.readouterr().err

    code, out = komek("campaign", "send", campaign_id, "--as", "aigul")
    assert code == 0 and f"campaign {campaign_id}: 1500 message(s) queued" in out
    code, out = komek("campaign", "send", campaign_id, "--as", "aigul")
    assert code == 2 and "is sending already" in capsys.readouterr().err

    code, out = komek("campaign", "status", campaign_id, "--as", "aigul", "--recipients")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"campaign {campaign_id}: Closed tomorrow (sending): 1500 pending; 0 delivered; "
        "0 by fallback"
    )
    assert len(lines) == 1 + 1500
    assert all(line.split()[:1] == ["sms"] and "pending" in line for line in lines[1:])
    assert "+7702" not in out


@pytest.mark.parametrize(
    "args",
    [
        ("caseload", "list"),
        ("caseload", "import", "FILE"),
        ("campaign", "create", "--name", "x", "--template", "quarterly"),
        ("campaign", "preview", "1"),
        ("campaign", "send", "1"),
        ("campaign", "status", "1"),
    ],
    ids=lambda args: "-".join(args[:2]),
)
def test_an_unknown_member_of_staff_is_refused(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    path = big_caseload(tmp_path / "small.csv", 2)
    argv = [str(path) if arg == "FILE" else arg for arg in args]
    code, out = komek(*argv, "--as", "nobody")
    assert code == 2 and out == ""
    assert "no active staff member 'nobody'" in capsys.readouterr().err


def test_the_progress_bar_ends_full(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    komek("staff", "add", "aigul", "--name", "Aigul", "--role", "worker", "--region", "astana")
    capsys.readouterr()
    path = big_caseload(tmp_path / "families.csv", 1500)
    assert komek("caseload", "import", str(path), "--as", "aigul")[0] == 0
    last = capsys.readouterr().err.strip().split("\r")[-1]
    assert last == "[" + "#" * 30 + "] 1,500 / 1,500"
