"""Every staff page and action checks the member's right: a social worker sees their own
caseload, a supervisor their region, an administrator everything. The table below lists every
route under /staff/ with who must be refused (403); a test checks that no route is missing from
it, so a new page cannot slip through unchecked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select

from bot.conversation.appointments import DbAppointments
from bot.conversation.inbox import open_conversation
from bot.i18n.translator import Translator
from bot.parameters import default_calendar
from bot.staff.accounts import find, issue_token
from bot.staff.campaigns import Audience, create
from bot.staff.inbox import add_canned
from bot.storage.tables import CASES, CONTACTS, TOKENS
from tests.bot.staff.workspace import NOW, Workspace, workspace


@dataclass
class Ids:
    own: int  # aigerim's family
    other: int  # bota's family (the same region)
    far: int  # dana's family (almaty)
    campaign: int  # aigerim's campaign
    visit: int  # a visit at an Astana office
    token: int  # bota's API token
    mine: int  # the inbox conversation of aigerim's family (hers)
    queue: int  # a conversation in Astana's shared queue
    faraway: int  # a conversation in Almaty's shared queue
    reply: int  # a reply kept ready for Astana


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator) -> AsyncIterator[Workspace]:
    async with workspace(tmp_path, translator) as found:
        yield found


async def _ids(ws: Workspace) -> Ids:
    def work(connection: Connection) -> Ids:
        aigerim = find(connection, "aigerim")
        bota = find(connection, "bota")
        assert aigerim is not None and bota is not None
        campaign = create(
            connection,
            aigerim,
            name="Q1",
            template="quarterly",
            texts={},
            audience=Audience(),
            now=NOW,
        )
        contact = connection.execute(
            select(CASES.c.sms_contact_id).where(CASES.c.id == ws.cases["aigerim"][0])
        ).scalar_one()
        booking = DbAppointments(connection, contact, NOW, default_calendar())
        (slot,) = booking.slots("example-astana-1", None, 1)
        visit = booking.book("example-astana-1", slot.start)
        assert visit is not None
        issue_token(connection, bota, "t", NOW)
        token = connection.execute(select(TOKENS.c.id)).scalar_one()
        mine = open_conversation(connection, contact, "asked", None, NOW)
        strangers = [
            connection.execute(
                insert(CONTACTS)
                .values(
                    channel="telegram",
                    address=address,
                    consent=True,
                    opted_out=False,
                    created_at=NOW,
                )
                .returning(CONTACTS.c.id)
            ).scalar_one()
            for address in ("5550001", "5550002")
        ]
        queue = open_conversation(connection, strangers[0], "ages", "astana", NOW)
        faraway = open_conversation(connection, strangers[1], "asked", "almaty", NOW)
        sara = find(connection, "sara")
        assert sara is not None
        reply = add_canned(
            connection, sara, region="astana", language="ru", title="t", body="b", now=NOW
        )
        return Ids(
            ws.cases["aigerim"][0],
            ws.cases["bota"][0],
            ws.cases["dana"][0],
            campaign,
            visit.id,
            token,
            mine,
            queue,
            faraway,
            reply,
        )

    result: Ids = await ws.run(work)
    return result


WORKERS = ("aigerim", "bota", "dana")
NOT_WORKERS = ("sara", "marat", "root")  # a spreadsheet of stage changes: workers' own cases
NOT_ADMIN = ("aigerim", "bota", "dana", "sara", "marat")
NOT_HER_WORKER = ("bota", "dana", "sara", "marat", "root")  # aigerim's families: she acts
NOT_OWNER = ("bota", "dana", "sara", "marat")  # aigerim's campaign: she and administrators
NOT_ASTANA = ("dana", "marat")
NOT_ALMATY = ("aigerim", "bota", "sara")
# The inbox conversation of aigerim's family: she has it; her supervisor and an administrator
# may take it (and then act); her colleague and another region's staff may do nothing.
NOT_HERS = ("bota", "dana", "marat")
# (method, route, path with {own} {other} {far} {campaign} {visit} {token}, refused members)
RIGHTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("GET", "/staff/", "/staff/", ()),
    ("GET", "/staff/caseload", "/staff/caseload", ()),
    ("GET", "/staff/caseload/upload", "/staff/caseload/upload", ()),
    ("POST", "/staff/caseload/upload", "/staff/caseload/upload", ()),
    ("GET", "/staff/caseload/export.csv", "/staff/caseload/export.csv", ()),
    ("GET", "/staff/caseload/export.xlsx", "/staff/caseload/export.xlsx", ()),
    ("GET", "/staff/families/{id}", "/staff/families/{own}", ("bota", "dana", "marat")),
    ("GET", "/staff/families/{id}", "/staff/families/{far}", ("aigerim", "bota", "sara")),
    # Only the family's own worker acts for it; a supervisor and an administrator read.
    (
        "POST",
        "/staff/families/{id}/notes",
        "/staff/families/{own}/notes",
        NOT_HER_WORKER,
    ),
    (
        "POST",
        "/staff/families/{id}/message",
        "/staff/families/{own}/message",
        NOT_HER_WORKER,
    ),
    ("POST", "/staff/families/{id}/link", "/staff/families/{own}/link", NOT_HER_WORKER),
    (
        "GET",
        "/staff/families/{id}/visit",
        "/staff/families/{own}/visit",
        NOT_HER_WORKER,
    ),
    ("POST", "/staff/families/{id}/visit", "/staff/families/{own}/visit", NOT_HER_WORKER),
    # The case, step by step: only its worker changes the stage, ticks documents, numbers it.
    ("POST", "/staff/families/{id}/stage", "/staff/families/{own}/stage", NOT_HER_WORKER),
    (
        "POST",
        "/staff/families/{id}/documents",
        "/staff/families/{own}/documents",
        NOT_HER_WORKER,
    ),
    ("POST", "/staff/families/{id}/number", "/staff/families/{own}/number", NOT_HER_WORKER),
    ("GET", "/staff/stages/upload", "/staff/stages/upload", NOT_WORKERS),
    ("POST", "/staff/stages/upload", "/staff/stages/upload", NOT_WORKERS),
    ("GET", "/staff/campaigns", "/staff/campaigns", ()),
    ("GET", "/staff/campaigns/new", "/staff/campaigns/new", ()),
    ("POST", "/staff/campaigns/new", "/staff/campaigns/new", ()),
    (
        "GET",
        "/staff/campaigns/{id}",
        "/staff/campaigns/{campaign}",
        NOT_OWNER,
    ),
    (
        "GET",
        "/staff/campaigns/{id}/progress",
        "/staff/campaigns/{campaign}/progress",
        NOT_OWNER,
    ),
    ("POST", "/staff/campaigns/{id}/send", "/staff/campaigns/{campaign}/send", NOT_OWNER),
    (
        "POST",
        "/staff/campaigns/{id}/schedule",
        "/staff/campaigns/{campaign}/schedule",
        NOT_OWNER,
    ),
    (
        "POST",
        "/staff/campaigns/{id}/unschedule",
        "/staff/campaigns/{campaign}/unschedule",
        NOT_OWNER,
    ),
    ("POST", "/staff/campaigns/{id}/retry", "/staff/campaigns/{campaign}/retry", NOT_OWNER),
    ("GET", "/staff/inbox", "/staff/inbox", ()),
    ("GET", "/staff/inbox", "/staff/inbox?region=almaty", NOT_ALMATY),
    ("GET", "/staff/inbox/list", "/staff/inbox/list", ()),
    ("GET", "/staff/inbox/list", "/staff/inbox/list?region=astana", NOT_ASTANA),
    ("GET", "/staff/inbox/count", "/staff/inbox/count", ()),
    ("GET", "/staff/inbox/segments", "/staff/inbox/segments?text=abc", ()),
    ("GET", "/staff/inbox/{id}", "/staff/inbox/{mine}", NOT_HERS),
    ("GET", "/staff/inbox/{id}", "/staff/inbox/{queue}", NOT_ASTANA),
    ("GET", "/staff/inbox/{id}", "/staff/inbox/{faraway}", NOT_ALMATY),
    # Nobody answers a conversation still in the queue: it is taken first.
    (
        "POST",
        "/staff/inbox/{id}/answer",
        "/staff/inbox/{queue}/answer",
        (*WORKERS, "sara", "marat", "root"),
    ),
    ("POST", "/staff/inbox/{id}/take", "/staff/inbox/{queue}/take", NOT_ASTANA),
    ("POST", "/staff/inbox/{id}/take", "/staff/inbox/{faraway}/take", NOT_ALMATY),
    ("POST", "/staff/inbox/{id}/take", "/staff/inbox/{mine}/take", NOT_HERS),
    ("POST", "/staff/inbox/{id}/answer", "/staff/inbox/{mine}/answer", NOT_HERS),
    ("POST", "/staff/inbox/{id}/unread", "/staff/inbox/{mine}/unread", NOT_HERS),
    ("POST", "/staff/inbox/{id}/transfer", "/staff/inbox/{mine}/transfer", NOT_HERS),
    ("POST", "/staff/inbox/{id}/back", "/staff/inbox/{mine}/back", NOT_HERS),
    ("GET", "/staff/inbox/replies", "/staff/inbox/replies", WORKERS),
    ("POST", "/staff/inbox/replies", "/staff/inbox/replies", WORKERS),
    (
        "POST",
        "/staff/inbox/replies/{id}/delete",
        "/staff/inbox/replies/{reply}/delete",
        (*WORKERS, "marat"),
    ),
    ("GET", "/staff/visits", "/staff/visits", ()),
    ("POST", "/staff/visits/{id}/attended", "/staff/visits/{visit}/attended", ("dana", "marat")),
    ("POST", "/staff/visits/{id}/no-show", "/staff/visits/{visit}/no-show", ("dana", "marat")),
    ("POST", "/staff/visits/{id}/cancel", "/staff/visits/{visit}/cancel", ("dana", "marat")),
    ("GET", "/staff/visits/{id}/move", "/staff/visits/{visit}/move", ("dana", "marat")),
    ("POST", "/staff/visits/{id}/move", "/staff/visits/{visit}/move", ("dana", "marat")),
    # A worker of the office's region takes a visiting family into their caseload.
    ("POST", "/staff/visits/{id}/case", "/staff/visits/{visit}/case", ("dana", *NOT_WORKERS)),
    ("GET", "/staff/poverty-lines", "/staff/poverty-lines", WORKERS),
    ("POST", "/staff/poverty-lines", "/staff/poverty-lines", WORKERS),
    ("GET", "/staff/charts", "/staff/charts", WORKERS),
    ("GET", "/staff/audit", "/staff/audit", WORKERS),
    ("GET", "/staff/audit/export.csv", "/staff/audit/export.csv", WORKERS),
    ("GET", "/staff/members", "/staff/members", NOT_ADMIN),
    ("POST", "/staff/members", "/staff/members", NOT_ADMIN),
    ("GET", "/staff/members/{username}", "/staff/members/bota", NOT_ADMIN),
    ("POST", "/staff/members/{username}", "/staff/members/bota", NOT_ADMIN),
    ("POST", "/staff/members/{username}/reset", "/staff/members/bota/reset", NOT_ADMIN),
    ("POST", "/staff/members/{username}/tokens", "/staff/members/bota/tokens", NOT_ADMIN),
    ("POST", "/staff/tokens/{id}/revoke", "/staff/tokens/{token}/revoke", NOT_ADMIN),
    ("POST", "/staff/members/{username}/deactivate", "/staff/members/bota/deactivate", NOT_ADMIN),
    ("GET", "/staff/account", "/staff/account", ()),
    ("GET", "/staff/account/totp", "/staff/account/totp", ()),
    ("POST", "/staff/account/totp", "/staff/account/totp", ()),
    ("POST", "/staff/account/totp/off", "/staff/account/totp/off", ("root",)),
    ("POST", "/staff/logout/everywhere", "/staff/logout/everywhere", ()),
]
# Open to anyone (the sign-in and its steps, which check the session's stage), or no page.
OPEN = {
    "/staff",
    "/staff/login",
    "/staff/logout",
    "/staff/language",
    "/staff/password",
    "/staff/totp",
    "/staff/totp/setup",
    "/staff/static",
}


def test_every_staff_route_is_in_the_table_of_rights(ws: Workspace) -> None:
    routes = {
        (route.method, route.resource.canonical)
        for route in ws.server.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/staff")
    }
    listed = {(method, route) for method, route, _, _ in RIGHTS}
    unlisted = {
        (method, route)
        for method, route in routes - listed
        if route not in OPEN and not route.startswith("/staff/static") and method != "HEAD"
    }
    assert not unlisted, f"routes whose rights no test checks: {sorted(unlisted)}"


@pytest.mark.parametrize("member", ["aigerim", "bota", "dana", "sara", "marat", "root"])
async def test_each_page_refuses_whom_it_must(ws: Workspace, member: str) -> None:
    ids = await _ids(ws)
    agent = await ws.signed_in(member)
    home = await agent.get("/staff/")
    for method, _, template, refused in RIGHTS:
        path = template.format(
            own=ids.own,
            other=ids.other,
            far=ids.far,
            campaign=ids.campaign,
            visit=ids.visit,
            token=ids.token,
            mine=ids.mine,
            queue=ids.queue,
            faraway=ids.faraway,
            reply=ids.reply,
        )
        if method == "GET":
            status = (await agent.get(path)).status
        else:
            status = (await agent.post(path, {}, csrf=home.csrf)).status
        if member in refused:
            assert status == 403, (member, method, path, status)
        else:
            assert status != 403, (member, method, path, status)
            assert status < 500, (member, method, path, status)
