"""The staff pages at work: a campaign composed, previewed, scheduled, sent by the scheduler or
at once, followed and retried; the visits of an office's day marked, cancelled and moved; a
quarter's poverty line added and used by the next assessment; accounts, tokens, the audit and
the charts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select, update

from bot.conversation.appointments import DbAppointments
from bot.i18n.translator import Translator
from bot.parameters import default_calendar
from bot.staff.campaigns import send_due
from bot.staff.poverty_lines import store_with_added
from bot.storage.tables import (
    APPOINTMENTS,
    ASSESSMENTS,
    CAMPAIGNS,
    CASES,
    OUTBOX,
    TOKENS,
)
from core.assess import assess_data
from tests.bot.staff.workspace import NOW, Workspace, workspace


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator) -> AsyncIterator[Workspace]:
    async with workspace(tmp_path, translator) as found:
        yield found


async def test_a_campaign_is_composed_previewed_scheduled_and_sent(ws: Workspace) -> None:
    agent = await ws.signed_in("aigerim")
    await agent.post("/staff/language", {"language": "en", "next": "/staff/"})
    page = await agent.post(
        "/staff/campaigns/new",
        {
            "name": "Office closed",
            "template": "custom",
            "text_kk": "Ертең мансап орталығы жабық.",
            "text_ru": "Завтра карьерный центр закрыт.",
            "text_en": "",
            "audience": "caseload",
        },
        form="/staff/campaigns/new",
    )
    assert page.status == 400 and page.has("en is missing")
    page = await agent.post(
        "/staff/campaigns/new",
        {
            "name": "Office closed",
            "template": "custom",
            "text_kk": "Ертең мансап орталығы жабық.",
            "text_ru": "Завтра карьерный центр закрыт.",
            "text_en": "The career centre is closed tomorrow.",
            "audience": "caseload",
        },
    )
    campaign = int(page.url.rsplit("/", 1)[1])
    assert page.has("UCS-2") and page.has("GSM-7")
    assert page.has("Opted out")
    page = await agent.post(f"/staff/campaigns/{campaign}/schedule", {"at": "2026-11-26T09:00"})
    assert page.has("That time has passed")
    page = await agent.post(f"/staff/campaigns/{campaign}/schedule", {"at": "2026-11-26T18:30"})
    assert page.has("The campaign is scheduled") and page.has("18:30")
    # Not yet: the scheduler sends nothing before the time.
    assert await ws.run(lambda c: send_due(c, NOW)) == 0
    at = datetime.fromisoformat("2026-11-26T18:30:00+05:00")
    assert await ws.run(lambda c: send_due(c, at)) == 3
    state = await ws.run(
        lambda c: c.execute(
            select(CAMPAIGNS.c.status).where(CAMPAIGNS.c.id == campaign)
        ).scalar_one()
    )
    assert state == "sending"
    page = await agent.get(f"/staff/campaigns/{campaign}/progress")
    assert page.has('data-refresh="/staff/campaigns/') and page.has("Queued")
    # Two messages fail for good; the worker sends them again.
    await ws.run(
        lambda c: c.execute(
            update(OUTBOX).where(OUTBOX.c.id.in_([1, 2])).values(status="failed", error="x")
        )
    )
    page = await agent.get(f"/staff/campaigns/{campaign}")
    assert page.has("Send the 2 failed messages again")
    page = await agent.post(f"/staff/campaigns/{campaign}/retry", {})
    statuses = await ws.run(lambda c: c.execute(select(OUTBOX.c.status)).scalars().all())
    assert statuses == ["pending"] * 3
    actions = [a for u, a, _ in await ws.audit() if u == "aigerim"]
    assert {"campaign.create", "campaign.schedule", "campaign.retry"} <= set(actions)


async def test_a_scheduled_campaign_can_be_sent_at_once(ws: Workspace) -> None:
    agent = await ws.signed_in("aigerim")
    page = await agent.post(
        "/staff/campaigns/new",
        {"name": "Q1", "template": "quarterly", "audience": "caseload"},
        form="/staff/campaigns/new",
    )
    campaign = int(page.url.rsplit("/", 1)[1])
    await agent.post(f"/staff/campaigns/{campaign}/schedule", {"at": "2026-12-01T10:00"})
    await agent.post(f"/staff/campaigns/{campaign}/send", {})
    queued = await ws.run(lambda c: c.execute(select(OUTBOX.c.due_at)).scalars().all())
    assert len(queued) == 3
    assert (await agent.get("/staff/campaigns")).has(">Sending<")
    await ws.run(lambda c: c.execute(update(OUTBOX).values(status="sent")))
    listed = await agent.get("/staff/campaigns")
    assert listed.has(">Sent<") and not listed.has(">Sending<")
    assert (
        await ws.run(lambda c: send_due(c, datetime.fromisoformat("2026-12-01T10:00:00+05:00")))
        == 0
    )


async def test_visits_are_marked_cancelled_with_a_message_and_moved(ws: Workspace) -> None:
    case_id = ws.cases["aigerim"][0]

    def book(connection: Connection) -> list[int]:
        contact = connection.execute(
            select(CASES.c.sms_contact_id).where(CASES.c.id == case_id)
        ).scalar_one()
        booking = DbAppointments(connection, contact, NOW, default_calendar())
        slots = booking.slots("example-astana-1", NOW.date() + timedelta(days=5), 3)
        ids = []
        for slot in slots[:3]:
            made = booking.book("example-astana-1", slot.start)
            assert made is not None
            ids.append(made.id)
        return ids

    first, second, third = await ws.run(book)
    day = await ws.run(
        lambda c: c.execute(
            select(APPOINTMENTS.c.starts_at).where(APPOINTMENTS.c.id == first)
        ).scalar_one()
    )
    agent = await ws.signed_in("bota")  # the same region: the office's visits are hers too
    await agent.post("/staff/language", {"language": "en", "next": "/staff/"})
    local_day = (day + timedelta(hours=5)).date().isoformat()
    page = await agent.get(f"/staff/visits?office=example-astana-1&date={local_day}")
    assert page.text.count("/attended") == 3 and page.has("Айгерім Сәрсенова") is False
    grid = await agent.get(f"/staff/visits?office=example-astana-1&date={local_day}&view=grid")
    assert grid.has('class="hours"')
    await agent.post(
        f"/staff/visits/{first}/attended",
        {"date": local_day},
        form=f"/staff/visits?date={local_day}",
    )
    await agent.post(
        f"/staff/visits/{second}/cancel",
        {"note": "Кеңсе жабық", "date": local_day},
        form=f"/staff/visits?date={local_day}",
    )
    move = await agent.get(f"/staff/visits/{third}/move?day={local_day}")
    times = move.text.split('name="start" value="')
    assert len(times) > 2
    page = await agent.post(f"/staff/visits/{third}/move", {"start": times[-1].split('"')[0]})
    assert "done=move" in page.url

    def state(connection: Connection) -> tuple[list[str], list[str]]:
        visits = (
            connection.execute(select(APPOINTMENTS.c.status).order_by(APPOINTMENTS.c.id))
            .scalars()
            .all()
        )
        kinds = connection.execute(select(OUTBOX.c.kind).order_by(OUTBOX.c.id)).scalars().all()
        return list(visits), list(kinds)

    visits, kinds = await ws.run(state)
    assert visits == ["attended", "cancelled", "booked"]
    assert "visit_cancelled" in kinds and "visit_booked" in kinds
    actions = [a for u, a, _ in await ws.audit() if u == "bota"]
    assert {"appointments.attended", "appointments.cancel", "appointments.move"} <= set(actions)


async def test_a_poverty_line_added_is_used_by_the_next_assessment(ws: Workspace) -> None:
    household = {
        "date": "2026-11-20",
        "region": "astana",
        "members": [{"age": 30, "income": 10000}],
    }
    before = assess_data(household, ws.runner.store)
    assert before.poverty_line_estimated
    agent = await ws.signed_in("sara")
    await agent.post("/staff/language", {"language": "en", "next": "/staff/"})
    page = await agent.get("/staff/poverty-lines")
    assert page.has("this quarter missing") or page.has("not published for two quarters")
    form = {
        "region": "almaty",
        "quarter": "2026-10-01",
        "value": "45 210",
        "title": "Almaty akimat, Q4 2026",
        "url": "https://example.kz/q4",
    }
    page = await agent.post("/staff/poverty-lines", form)
    assert page.status == 403  # another region's line is not hers to add
    page = await agent.post("/staff/poverty-lines", {**form, "region": "astana", "value": "0"})
    assert page.status == 400
    page = await agent.post("/staff/poverty-lines", {**form, "region": "astana"})
    assert "done=added" in page.url and page.has("45,210")
    after = assess_data(household, ws.runner.store)
    assert not after.poverty_line_estimated and after.poverty_line == Decimal(45210)
    assert any(r.url == "https://example.kz/q4" for r in after.reasons)
    page = await agent.post("/staff/poverty-lines", {**form, "region": "astana"})
    assert page.status == 400 and page.has("already has a published line")
    # What another worker or `komek assess` reads: the same line, from the database.
    fresh = await ws.run(store_with_added)
    assert assess_data(household, fresh).poverty_line == Decimal(45210)
    assert ("sara", "poverty_line.add", "astana 2026-10-01") in await ws.audit()


async def test_a_family_s_assessment_shows_what_today_s_line_changes(ws: Workspace) -> None:
    case_id = ws.cases["aigerim"][0]
    household = {
        "date": "2026-11-20",
        "region": "astana",
        "members": [{"age": 30, "income": 10000}],
    }
    stored = assess_data(household, ws.runner.store).to_dict()

    def seed(connection: Connection) -> None:
        contact = connection.execute(
            select(CASES.c.sms_contact_id).where(CASES.c.id == case_id)
        ).scalar_one()
        connection.execute(
            insert(ASSESSMENTS).values(
                contact_id=contact,
                household=household,
                result={k: str(v) if isinstance(v, Decimal) else v for k, v in stored.items()},
                created_at=NOW,
            )
        )

    await ws.run(seed)
    sara = await ws.signed_in("sara")
    await sara.post(
        "/staff/poverty-lines",
        {
            "region": "astana",
            "quarter": "2026-10-01",
            "value": "45210",
            "title": "Astana akimat, Q4 2026",
            "url": "https://example.kz/q4",
        },
        form="/staff/poverty-lines",
    )
    agent = await ws.signed_in("aigerim")
    await agent.post("/staff/language", {"language": "en", "next": "/staff/"})
    page = await agent.get(f"/staff/families/{case_id}")
    assert page.has("With today's parameters") and page.has("45,210")


async def test_administrators_manage_accounts_and_tokens(ws: Workspace) -> None:
    admin = await ws.signed_in("root")
    await admin.post("/staff/language", {"language": "en", "next": "/staff/"})
    page = await admin.post(
        "/staff/members/bota",
        {"name": "Bota S.", "role": "supervisor", "region": "astana"},
        form="/staff/members/bota",
    )
    assert "done=saved" in page.url
    page = await admin.post("/staff/members/bota/tokens", {"label": "excel", "days": "30"})
    assert page.has("valid for 30 days") and page.has("kmk_")
    token_id = await ws.run(lambda c: c.execute(select(TOKENS.c.id)).scalar_one())
    page = await admin.post(f"/staff/tokens/{token_id}/revoke", {})
    assert "done=revoked" in page.url
    revoked = await ws.run(lambda c: c.execute(select(TOKENS.c.revoked_at)).scalar_one())
    assert revoked is not None
    page = await admin.post("/staff/members/bota/reset", {})
    assert page.has('id="temporary"')
    bad = await admin.post(
        "/staff/members",
        {"username": "X Y", "name": "n", "role": "worker", "region": "astana"},
        form="/staff/members",
    )
    assert bad.status == 400
    actions = [a for u, a, _ in await ws.audit() if u == "root"]
    assert {"staff.change", "token.issue", "token.revoke", "password.reset"} <= set(actions)


async def test_the_audit_is_filtered_and_exported(ws: Workspace) -> None:
    await ws.signed_in("aigerim")
    await ws.signed_in("dana")
    sara = await ws.signed_in("sara")
    page = await sara.get("/staff/audit?who=aigerim&action=login")
    assert page.has("aigerim") and page.text.count("<code>login</code>") == 1
    page = await sara.get("/staff/audit")
    assert "dana" not in page.text.split("<tbody>")[1]  # another region's member
    status, body, _ = await sara.raw("/staff/audit/export.csv?action=login")
    lines = body.decode("utf-8-sig").splitlines()
    assert status == 200 and len(lines) == 3  # header, aigerim, sara
    assert ("sara", "audit.export", "csv") in await ws.audit()


async def test_the_charts_draw_each_figure_with_its_table(ws: Workspace) -> None:
    admin = await ws.signed_in("root")
    page = await admin.get("/staff/charts")
    assert page.status == 200
    assert page.text.count("<svg") >= 4
    assert page.text.count("<table") >= page.text.count("<svg")
