"""Signing in and out: the sign-in form, a new password at the first sign-in, the second factor
(and its set-up), signing out here or everywhere, the language of the pages, and the member's
own account page."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import Connection

from bot.i18n.translator import LANGUAGES
from bot.staff import sessions
from bot.staff.accounts import audit
from bot.staff.pages.web import (
    COOKIE,
    LANGUAGE_COOKIE,
    STAGE_PAGES,
    Page,
    cookie_options,
    safe_next,
    view,
)
from bot.staff.sessions import ACTIVE, PASSWORD, TOTP, TOTP_SETUP, PasswordError
from dialogs.text import N_

PASSWORD_PROBLEMS = {
    "mismatch": N_("The two passwords differ."),
    "short": N_("The password needs at least 10 characters."),
    "username": N_("The password must not contain your username."),
}


def _after(stage: str, target: str = "/staff/") -> str:
    return STAGE_PAGES.get(stage, target) if stage != ACTIVE else target


async def login_form(page: Page) -> web.StreamResponse:
    if page.signed is not None:
        raise web.HTTPSeeOther(_after(page.signed.stage))
    return page.render("login.html", next=safe_next(page.request.query.get("next")))


async def login(page: Page) -> web.StreamResponse:
    username = page.form.get("username", "")
    password = page.form.get("password", "")
    target = safe_next(page.form.get("next"))
    key, ip, now = page.keys.session, page.ip, page.now
    outcome: sessions.SignIn = await page.run(
        lambda c: sessions.sign_in(c, key, username, password, ip=ip, now=now)
    )
    if outcome.token is None or outcome.stage is None:
        status = 429 if outcome.refused == "locked" else 401
        return page.render(
            "login.html", status=status, next=target, refused=outcome.refused, username=username
        )
    response = web.HTTPSeeOther(_after(outcome.stage, target))
    response.set_cookie(COOKIE, outcome.token, **cookie_options(page.request))
    raise response


async def password_form(page: Page) -> web.StreamResponse:
    return page.render("password.html")


async def password(page: Page) -> web.StreamResponse:
    assert page.signed is not None
    signed, now = page.signed, page.now
    new, repeated = page.form.get("password", ""), page.form.get("repeated", "")
    try:
        stage = await page.run(lambda c: sessions.set_password(c, signed, new, repeated, now))
    except PasswordError as problem:
        return page.render(
            "password.html", status=400, problem=page.text(PASSWORD_PROBLEMS[str(problem)])
        )
    raise web.HTTPSeeOther(_after(stage))


async def totp_form(page: Page) -> web.StreamResponse:
    return page.render("totp.html")


async def totp(page: Page) -> web.StreamResponse:
    assert page.signed is not None
    signed, code, ip, now = page.signed, page.form.get("code", ""), page.ip, page.now
    refused = await page.run(lambda c: sessions.check_code(c, signed, code, ip, now))
    if refused is not None:
        return page.render("totp.html", status=429 if refused == "locked" else 401, refused=refused)
    raise web.HTTPSeeOther("/staff/")


async def _setup_page(page: Page, status: int = 200, refused: str | None = None) -> web.Response:
    assert page.signed is not None
    signed = page.signed
    secret = signed.totp_pending
    if secret is None:
        secret = await page.run(lambda c: sessions.new_totp_secret(c, signed))
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return page.render(
        "totp_setup.html",
        status=status,
        secret=grouped,
        uri=sessions.provisioning_uri(secret, signed.member.username),
        refused=refused,
    )


async def totp_setup_form(page: Page) -> web.StreamResponse:
    return await _setup_page(page)


async def totp_setup(page: Page) -> web.StreamResponse:
    assert page.signed is not None
    signed, code, ip, now = page.signed, page.form.get("code", ""), page.ip, page.now
    refused = await page.run(lambda c: sessions.confirm_totp(c, signed, code, ip, now))
    if refused is not None:
        return await _setup_page(page, 429 if refused == "locked" else 401, refused)
    raise web.HTTPSeeOther("/staff/account?done=totp" if signed.stage == ACTIVE else "/staff/")


async def logout(page: Page) -> web.StreamResponse:
    signed, now = page.signed, page.now
    if signed is not None:
        await page.run(lambda c: sessions.end(c, signed, now))
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(COOKIE, path="/staff")
    raise response


async def logout_everywhere(page: Page) -> web.StreamResponse:
    member, now = page.member, page.now

    def work(connection: Connection) -> None:
        ended = sessions.end_all(connection, member.id)
        audit(connection, member, "logout.everywhere", member.username, now, ended=ended)

    await page.run(work)
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(COOKIE, path="/staff")
    raise response


async def language(page: Page) -> web.StreamResponse:
    chosen = page.form.get("language", "")
    target = safe_next(page.form.get("next"))
    if chosen not in LANGUAGES:
        raise web.HTTPBadRequest(text="language: kk, ru or en")
    signed = page.signed
    if signed is not None:
        await page.run(lambda c: sessions.set_language(c, signed, chosen))
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        LANGUAGE_COOKIE, chosen, max_age=365 * 86400, **cookie_options(page.request)
    )
    raise response


async def account(page: Page) -> web.StreamResponse:
    return page.render("account.html", done=page.request.query.get("done"))


async def totp_off(page: Page) -> web.StreamResponse:
    signed, now = page.signed, page.now
    assert signed is not None
    done = await page.run(lambda c: sessions.disable_totp(c, signed, now))
    if not done:
        return page.refuse()
    raise web.HTTPSeeOther("/staff/account?done=totp-off")


def setup(app: web.Application) -> None:
    add = app.router.add_route
    add("GET", "/staff/login", view(login_form, stage=None))
    add("POST", "/staff/login", view(login, stage=None))
    add("GET", "/staff/password", view(password_form, stage=PASSWORD))
    add("POST", "/staff/password", view(password, stage=PASSWORD))
    add("GET", "/staff/totp", view(totp_form, stage=TOTP))
    add("POST", "/staff/totp", view(totp, stage=TOTP))
    add("GET", "/staff/totp/setup", view(totp_setup_form, stage=TOTP_SETUP))
    add("POST", "/staff/totp/setup", view(totp_setup, stage=TOTP_SETUP))
    add("GET", "/staff/account/totp", view(totp_setup_form))
    add("POST", "/staff/account/totp", view(totp_setup))
    add("POST", "/staff/account/totp/off", view(totp_off))
    add("POST", "/staff/logout", view(logout, stage=None))
    add("POST", "/staff/logout/everywhere", view(logout_everywhere))
    add("POST", "/staff/language", view(language, stage=None))
    add("GET", "/staff/account", view(account))
