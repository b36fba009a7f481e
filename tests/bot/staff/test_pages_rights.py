"""Every staff page and action checks the member's right: a social worker sees their own
caseload, a supervisor their region, an administrator everything. The table below lists every
route under /staff/ with who must be refused (403); a test checks that no route is missing from
it, so a new page cannot slip through unchecked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from bot.conversation.appointments import DbAppointments
from bot.i18n.translator import Translator
from bot.parameters import default_calendar
from bot.staff.accounts import find, issue_token
from bot.staff.campaigns import Audience, create
from bot.storage.tables import CASES, TOKENS
from tests.bot.staff.workspace import NOW, Workspace, workspace


@dataclass
class Ids:
    own: int  # aigerim's family
    other: int  # bota's family (the same region)
    far: int  # dana's family (almaty)
    campaign: int  # aigerim's campaign
    visit: int  # a visit at an Astana office
    token: int  # bota's API token


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
        return Ids(
            ws.cases["aigerim"][0],
            ws.cases["bota"][0],
            ws.cases["dana"][0],
            campaign,
            visit.id,
            token,
        )

    result: Ids = await ws.run(work)
    return result


WORKERS = ("aigerim", "bota", "dana")
NOT_WORKERS = ("sara", "marat", "root")  # a spreadsheet of stage changes: workers' own cases
NOT_ADMIN = ("aigerim", "bota", "dana", "sara", "marat")
NOT_HER_WORKER = ("bota", "dana", "sara", "marat", "root")  # aigerim's families: she acts
NOT_OWNER = ("bota", "dana", "sara", "marat")  # aigerim's campaign: she and administrators
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
