"""Signing in to the staff pages: sessions and their cookies, the CSRF token on every form,
the lockout after five failures, two-step sign-in (required for administrators), a password an
administrator set replaced at the first sign-in, signing out here and everywhere, timeouts,
the language, and the headers every page carries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, update
from yarl import URL

from bot.config import Config, ConfigError
from bot.i18n.translator import Translator
from bot.keys import secret
from bot.storage.tables import AUTH_FAILURES, SESSIONS, STAFF
from tests.bot.staff.workspace import PASSWORD, Workspace, workspace


@pytest.fixture
async def ws(tmp_path: Path, translator: Translator) -> AsyncIterator[Workspace]:
    async with workspace(tmp_path, translator) as found:
        yield found


async def test_a_page_without_a_session_leads_to_the_sign_in(ws: Workspace) -> None:
    agent = await ws.agent()
    page = await agent.get("/staff/caseload?q=ab")
    assert URL(page.url).path == "/staff/login"
    assert URL(page.url).query["next"] == "/staff/caseload?q=ab"
    assert page.has('name="next" value="/staff/caseload?q=ab"')


async def test_signing_in_sets_a_session_cookie_that_scripts_cannot_read(ws: Workspace) -> None:
    agent = await ws.agent()
    form = await agent.get("/staff/login")
    async with agent.session.post(
        ws.base + "/staff/login",
        data={"csrf": form.csrf, "username": "aigerim", "password": PASSWORD},
        allow_redirects=False,
    ) as response:
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
    assert "komek_staff=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/staff" in cookie
    assert "Secure" not in cookie  # plain HTTP here; behind HTTPS it is Secure (next test)


async def test_the_cookie_is_secure_behind_https(ws: Workspace) -> None:
    agent = await ws.agent()
    form = await agent.get("/staff/login")
    async with agent.session.post(
        ws.base + "/staff/login",
        data={"csrf": form.csrf, "username": "aigerim", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
        allow_redirects=False,
    ) as response:
        assert "Secure" in response.headers["Set-Cookie"]


async def test_a_form_without_its_token_is_refused(ws: Workspace) -> None:
    agent = await ws.agent()
    await agent.get("/staff/login")
    page = await agent.post("/staff/login", {"username": "aigerim", "password": PASSWORD}, csrf="")
    assert page.status == 403
    worker = await ws.signed_in("aigerim")
    case_id = ws.cases["aigerim"][0]
    for path, data in (
        (f"/staff/families/{case_id}/notes", {"note": "a note"}),
        ("/staff/logout", {}),
        ("/staff/campaigns/new", {"name": "x", "template": "quarterly"}),
    ):
        page = await worker.post(path, data, csrf="0" * 64)
        assert page.status == 403, path
    # Another session's token is no good either.
    other = await ws.signed_in("aigerim")
    await other.get("/staff/")
    page = await worker.post(
        f"/staff/families/{case_id}/notes",
        {"note": "x"},
        csrf=other.last.csrf if other.last else "",
    )
    assert page.status == 403
    assert (await worker.get("/staff/")).status == 200  # still signed in


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(ws: Workspace) -> None:
    agent = await ws.agent()
    for _ in range(4):
        page = await agent.post(
            "/staff/login", {"username": "aigerim", "password": "wrong"}, form="/staff/login"
        )
        assert page.status == 401 and page.has("wrong")
    page = await agent.post(
        "/staff/login", {"username": "aigerim", "password": "wrong"}, form="/staff/login"
    )
    assert page.status == 429
    page = await agent.post(
        "/staff/login", {"username": "aigerim", "password": PASSWORD}, form="/staff/login"
    )
    assert page.status == 429  # the right password too, while locked
    assert ("aigerim", "login.locked", "aigerim") in await ws.audit()
    ws.clock.now += timedelta(minutes=15, seconds=1)
    assert await ws.signed_in("aigerim")


async def test_failures_from_one_address_lock_it_whatever_the_account(ws: Workspace) -> None:
    agent = await ws.agent()
    for name in ("a1", "a2", "a3", "a4", "a5"):
        await agent.post("/staff/login", {"username": name, "password": "x"}, form="/staff/login")
    page = await agent.post(
        "/staff/login", {"username": "bota", "password": PASSWORD}, form="/staff/login"
    )
    assert page.status == 429
    failures = await ws.run(lambda c: c.execute(select(AUTH_FAILURES.c.kind)).scalars().all())
    assert failures == ["password"] * 5


async def test_an_administrator_signs_in_with_a_code(ws: Workspace) -> None:
    agent = await ws.agent()
    page = await agent.post(
        "/staff/login", {"username": "root", "password": PASSWORD}, form="/staff/login"
    )
    assert page.url.endswith("/staff/totp")
    assert (await agent.get("/staff/caseload")).url.endswith("/staff/totp")  # not yet
    page = await agent.post(
        "/staff/totp", {"code": "000000" if ws.code() != "000000" else "111111"}
    )
    assert page.status == 401
    page = await agent.post("/staff/totp", {"code": ws.code()})
    assert page.url.endswith("/staff/") and page.status == 200
    # The same code does not open a second session.
    again = await ws.agent()
    await again.post(
        "/staff/login", {"username": "root", "password": PASSWORD}, form="/staff/login"
    )
    assert (await again.post("/staff/totp", {"code": ws.code()})).status == 401
    assert (await again.post("/staff/totp", {"code": ws.code(1)})).url.endswith("/staff/")


async def test_an_administrator_without_a_code_must_set_one_up_first(ws: Workspace) -> None:
    await ws.run(
        lambda c: c.execute(
            update(STAFF).where(STAFF.c.username == "root").values(totp_secret=None)
        )
    )
    agent = await ws.agent()
    page = await agent.post(
        "/staff/login", {"username": "root", "password": PASSWORD}, form="/staff/login"
    )
    assert page.url.endswith("/staff/totp/setup")
    assert (await agent.get("/staff/members")).url.endswith("/staff/totp/setup")
    pending = await ws.run(lambda c: c.execute(select(SESSIONS.c.totp_pending)).scalar_one())
    assert page.has(pending[:4])
    page = await agent.post("/staff/totp/setup", {"code": pyotp.TOTP(pending).at(ws.clock.now)})
    assert page.url.endswith("/staff/")
    stored = await ws.run(
        lambda c: c.execute(
            select(STAFF.c.totp_secret).where(STAFF.c.username == "root")
        ).scalar_one()
    )
    assert stored == pending
    assert (await agent.get("/staff/members")).status == 200


async def test_a_worker_may_turn_two_step_sign_in_on(ws: Workspace) -> None:
    agent = await ws.signed_in("bota")
    page = await agent.get("/staff/account/totp")
    secret_key = await ws.run(lambda c: c.execute(select(SESSIONS.c.totp_pending)).scalar_one())
    page = await agent.post(
        "/staff/account/totp", {"code": pyotp.TOTP(secret_key).at(ws.clock.now)}
    )
    assert page.url.endswith("/staff/account?done=totp")
    second = await ws.agent()
    page = await second.post(
        "/staff/login", {"username": "bota", "password": PASSWORD}, form="/staff/login"
    )
    assert page.url.endswith("/staff/totp")


async def test_a_password_set_by_an_administrator_is_replaced_at_the_first_sign_in(
    ws: Workspace,
) -> None:
    admin = await ws.signed_in("root")
    page = await admin.post(
        "/staff/members",
        {"username": "new.worker", "name": "Нұрлан", "role": "worker", "region": "astana"},
    )
    assert page.status == 201
    temporary = page.text.split('id="temporary">')[1].split("<")[0]
    agent = await ws.agent()
    page = await agent.post(
        "/staff/login", {"username": "new.worker", "password": temporary}, form="/staff/login"
    )
    assert page.url.endswith("/staff/password")
    assert (await agent.get("/staff/caseload")).url.endswith("/staff/password")
    page = await agent.post("/staff/password", {"password": "short", "repeated": "short"})
    assert page.status == 400
    page = await agent.post(
        "/staff/password", {"password": "my own long password", "repeated": "my own long password"}
    )
    assert page.url.endswith("/staff/")
    assert await ws.signed_in("new.worker", "my own long password")
    old = await ws.agent()
    page = await old.post(
        "/staff/login", {"username": "new.worker", "password": temporary}, form="/staff/login"
    )
    assert page.status == 401


async def test_sign_out_and_sign_out_everywhere(ws: Workspace) -> None:
    first = await ws.signed_in("aigerim")
    second = await ws.signed_in("aigerim")
    page = await first.post("/staff/logout", {}, form="/staff/")
    assert page.url.endswith("/staff/login")
    assert (await first.get("/staff/")).url.endswith("/staff/login?next=/staff/")
    assert (await second.get("/staff/")).status == 200
    third = await ws.signed_in("aigerim")
    await third.post("/staff/logout/everywhere", {}, form="/staff/account")
    assert (await second.get("/staff/")).url.endswith("/staff/login?next=/staff/")
    assert ("aigerim", "logout.everywhere", "aigerim") in await ws.audit()


async def test_a_session_ends_after_30_idle_minutes_and_after_12_hours(ws: Workspace) -> None:
    agent = await ws.signed_in("aigerim")
    ws.clock.now += timedelta(minutes=29)
    assert (await agent.get("/staff/")).status == 200
    ws.clock.now += timedelta(minutes=29)
    assert (await agent.get("/staff/")).status == 200  # used within 30 minutes: still on
    ws.clock.now += timedelta(minutes=31)
    assert (await agent.get("/staff/")).url.endswith("/staff/login?next=/staff/")
    agent = await ws.signed_in("aigerim")
    for _ in range(25):  # busy all day
        ws.clock.now += timedelta(minutes=29)
        page = await agent.get("/staff/")
    assert page.url.endswith("/staff/login?next=/staff/")


async def test_a_deactivated_member_is_signed_out(ws: Workspace) -> None:
    worker = await ws.signed_in("bota")
    admin = await ws.signed_in("root")
    await admin.post("/staff/members/bota/deactivate", {}, form="/staff/members/bota")
    assert (await worker.get("/staff/")).url.endswith("/staff/login?next=/staff/")


async def test_the_language_is_the_member_s_own_and_can_be_switched(ws: Workspace) -> None:
    agent = await ws.agent(language=None)
    page = await agent.get("/staff/login")
    assert page.has('<html lang="ru">')
    async with agent.session.get(
        ws.base + "/staff/login", headers={"Accept-Language": "kk-KZ,kk;q=0.9"}
    ) as r:
        assert '<html lang="kk">' in await r.text()
    page = await agent.post(
        "/staff/language", {"language": "en", "next": "/staff/login"}, form="/staff/login"
    )
    assert page.has('<html lang="en">') and page.has("Sign in")
    agent = await ws.signed_in("aigerim")
    page = await agent.post(
        "/staff/language", {"language": "kk", "next": "/staff/caseload"}, form="/staff/"
    )
    assert page.url.endswith("/staff/caseload") and page.has('<html lang="kk">')
    fresh = await ws.signed_in("aigerim")  # another browser: the member's choice is kept
    assert (await fresh.get("/staff/")).has('<html lang="kk">')


async def test_pages_forbid_framing_inline_script_and_caching(ws: Workspace) -> None:
    agent = await ws.signed_in("aigerim")
    for path in ("/staff/login", "/staff/", "/staff/caseload"):
        page = await agent.get(path)
        policy = page.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert page.headers["Cache-Control"] == "no-store"
        assert "<script>" not in page.text and " style=" not in page.text
    status, _, headers = await agent.raw("/staff/caseload/export.csv")
    assert status == 200 and headers["Cache-Control"] == "no-store"


async def test_the_next_page_after_sign_in_stays_on_this_site(ws: Workspace) -> None:
    agent = await ws.agent()
    page = await agent.post(
        "/staff/login",
        {"username": "aigerim", "password": PASSWORD, "next": "//evil.example/staff/"},
        form="/staff/login",
    )
    assert page.url == ws.base + "/staff/"


def test_staff_pages_need_a_secret_key_with_postgresql() -> None:
    with pytest.raises(ConfigError, match="KOMEK_SECRET_KEY"):
        secret(Config(database_url="postgresql+asyncpg://u@h/d"))
