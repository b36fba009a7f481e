"""The home page: today's work. The day's visits at the member's offices, campaigns on their
way, messages that could not be delivered, families waiting for a person (the newest of the
inbox), and (for supervisors and administrators) regions
whose poverty line for this quarter is not published yet."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from bot.staff import inbox, poverty_lines, reports
from bot.staff.pages.inbox import waited_for
from bot.staff.pages.web import Page, view

HOME_CONVERSATIONS = 5  # the newest; the inbox has them all


async def home(page: Page) -> web.StreamResponse:
    member, now = page.member, page.now
    today = reports.today_in_almaty(now)
    store = page.runner.store

    def work(connection: Connection) -> dict[str, Any]:
        failed, failures = reports.failed_deliveries(connection, member, now)
        return {
            "visits": reports.visits_today(connection, member, today),
            "running": reports.running_campaigns(connection, member),
            "failed": failed,
            "failures": failures,
            "waiting": inbox.waiting(connection, member)[:HOME_CONVERSATIONS],
        }

    found = await page.run(work)
    unpublished = (
        poverty_lines.unpublished(store, today, poverty_lines.regions_of(member))
        if member.role in ("supervisor", "admin")
        else []
    )
    return page.render(
        "home.html", today=today, unpublished=unpublished, waited=waited_for(page), **found
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/", view(home))
    app.router.add_get("/staff", _to_home)


async def _to_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/staff/")
