"""The staff pages (administrators only): accounts with their roles and regions, a new account
(with a temporary password the member replaces at the first sign-in), a password reset, an
account deactivated, and API tokens issued with an expiry or revoked."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from bot.staff import accounts, sessions
from bot.staff.accounts import StaffError, audit
from bot.staff.pages.web import Page, Refused, number, view
from core.regions import REGIONS
from dialogs.text import N_

ROLES = ("admin",)
PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), msgid)
    for p, msgid in (
        (
            r"^username:",
            N_("The username: small Latin letters, digits, '.', '_' or '-', 2 to 64."),
        ),
        (r"is taken$", N_("This username is taken.")),
        (r"^role:", N_("Choose a role.")),
        (r"^region:", N_("Choose a region.")),
        (r"needs a region$", N_("A social worker or a supervisor needs a region.")),
        (r"^name:", N_("The name is required (at most 120 characters).")),
    )
]


def problem_text(page: Page, problem: StaffError) -> str:
    for pattern, msgid in PROBLEMS:
        if pattern.search(str(problem)):
            return page.text(msgid)
    return str(problem)


async def _list(page: Page, status: int = 200, **extra: Any) -> web.StreamResponse:
    found = await page.run(accounts.accounts)
    form = {"username": "", "name": "", "role": "worker", "region": ""}
    form.update(extra.pop("form", {}))
    return page.render(
        "members.html", status=status, accounts=found, regions=REGIONS, form=form, **extra
    )


async def members_page(page: Page) -> web.StreamResponse:
    return await _list(page, done=page.request.query.get("done"))


async def add(page: Page) -> web.StreamResponse:
    admin, now, form = page.member, page.now, page.form
    values = {key: form.get(key, "").strip() for key in ("username", "name", "role", "region")}
    temporary = secrets.token_urlsafe(9)

    def work(connection: Connection) -> None:
        staff_id = accounts.create(
            connection,
            username=values["username"].lower(),
            name=values["name"],
            role=values["role"],
            region=values["region"] or None,
            password=temporary,
            now=now,
        )
        accounts.require_new_password(connection, staff_id)
        audit(connection, admin, "staff.add", values["username"].lower(), now, role=values["role"])

    try:
        await page.run(work)
    except StaffError as problem:
        return await _list(page, 400, problem=problem_text(page, problem), form=values)
    return await _list(page, 201, created=values["username"].lower(), temporary=temporary)


async def _account(page: Page, username: str) -> accounts.Account:
    found: list[accounts.Account] = await page.run(accounts.accounts)
    account = next((a for a in found if a.username == username), None)
    if account is None:
        raise web.HTTPNotFound()
    return account


async def member_page(page: Page, status: int = 200, **extra: Any) -> web.StreamResponse:
    username = page.request.match_info["username"]
    account = await _account(page, username)
    tokens = await page.run(lambda c: accounts.tokens_of(c, username))
    return page.render(
        "member.html",
        status=status,
        account=account,
        tokens=tokens,
        regions=REGIONS,
        done=page.request.query.get("done"),
        **extra,
    )


async def change(page: Page) -> web.StreamResponse:
    username = page.request.match_info["username"]
    admin, now, form = page.member, page.now, page.form
    account = await _account(page, username)
    role, region = form.get("role", ""), form.get("region", "") or None
    name = form.get("name", "")

    def work(connection: Connection) -> None:
        accounts.change(connection, username, name=name, role=role, region=region)
        if (role, region) != (account.role, account.region):
            sessions.end_all(connection, account.id)  # rights change: sign in again
        audit(connection, admin, "staff.change", username, now, role=role, region=region)

    try:
        await page.run(work)
    except StaffError as problem:
        return await member_page(page, 400, problem=problem_text(page, problem))
    raise web.HTTPSeeOther(f"/staff/members/{username}?done=saved")


async def reset(page: Page) -> web.StreamResponse:
    username = page.request.match_info["username"]
    admin, now = page.member, page.now
    await _account(page, username)
    temporary = await page.run(lambda c: sessions.reset_password(c, admin, username, now))
    return await member_page(page, temporary=temporary)


async def deactivate(page: Page) -> web.StreamResponse:
    username = page.request.match_info["username"]
    admin, now = page.member, page.now
    account = await _account(page, username)
    if account.id == admin.id:
        raise Refused()  # an administrator does not lock themselves out

    def work(connection: Connection) -> None:
        accounts.deactivate(connection, username, now)
        sessions.end_all(connection, account.id)
        audit(connection, admin, "staff.deactivate", username, now)

    await page.run(work)
    raise web.HTTPSeeOther(f"/staff/members/{username}?done=deactivated")


async def issue(page: Page) -> web.StreamResponse:
    username = page.request.match_info["username"]
    admin, now = page.member, page.now
    account = await _account(page, username)
    if not account.active:
        raise Refused()
    days_text = page.form.get("days", "90")
    days = int(days_text) if days_text.isdecimal() and 1 <= int(days_text) <= 3650 else 90
    label = page.form.get("label", "").strip()[:64] or "api"
    owner = accounts.Member(
        account.id, account.username, account.name, account.role, account.region
    )

    def work(connection: Connection) -> str:
        token = accounts.issue_token(connection, owner, label, now, timedelta(days=days))
        audit(connection, admin, "token.issue", f"{username} {label}", now, days=days)
        return token

    token = await page.run(work)
    return await member_page(page, token=token, days=days)


async def revoke(page: Page) -> web.StreamResponse:
    token_id = number(page.request)
    admin, now = page.member, page.now

    def work(connection: Connection) -> str | None:
        owner = accounts.revoke_token(connection, token_id, now)
        if owner is not None:
            audit(connection, admin, "token.revoke", f"{owner} #{token_id}", now)
        return owner

    owner = await page.run(work)
    if owner is None:
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(f"/staff/members/{owner}?done=revoked")


def setup(app: web.Application) -> None:
    add_route = app.router.add_route
    add_route("GET", "/staff/members", view(members_page, roles=ROLES))
    add_route("POST", "/staff/members", view(add, roles=ROLES))
    add_route("GET", "/staff/members/{username}", view(member_page, roles=ROLES))
    add_route("POST", "/staff/members/{username}", view(change, roles=ROLES))
    add_route("POST", "/staff/members/{username}/reset", view(reset, roles=ROLES))
    add_route("POST", "/staff/members/{username}/deactivate", view(deactivate, roles=ROLES))
    add_route("POST", "/staff/members/{username}/tokens", view(issue, roles=ROLES))
    add_route("POST", "/staff/tokens/{id}/revoke", view(revoke, roles=ROLES))
