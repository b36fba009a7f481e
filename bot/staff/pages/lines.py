"""The poverty-line page (supervisors and administrators): the table of region × quarter, each
line published (with its source) or estimated by the core, regions without this quarter's line
highlighted; and adding a quarter's published line, which every assessment uses from then on."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from sqlalchemy import Connection

from bot.staff import poverty_lines
from bot.staff.pages.web import Page, Refused, view
from bot.staff.poverty_lines import LineError
from bot.staff.reports import today_in_almaty
from dialogs.text import N_

ROLES = ("supervisor", "admin")
PROBLEMS = {
    "region": N_("Choose a region."),
    "quarter": N_("Choose a quarter."),
    "value": N_("The line is a whole number of tenge a month, above zero."),
    "title": N_("Say where the line was published (at most 300 characters)."),
    "url": N_("Give the address (http or https) of the publication."),
    "exists": N_("This region already has a published line for that quarter."),
}


def _quarter_label(page: Page, quarter: date) -> str:
    return str(page.gettext("Q{q} {year}", q=(quarter.month - 1) // 3 + 1, year=quarter.year))


async def _render(page: Page, status: int = 200, **extra: object) -> web.StreamResponse:
    today = today_in_almaty(page.now)
    regions = poverty_lines.regions_of(page.member)
    rows = poverty_lines.table(page.runner.store, today, regions)
    quarters = poverty_lines.quarters_around(today)
    form = {
        "region": regions[0],
        "quarter": quarters[-2].isoformat(),
        "value": "",
        "title": "",
        "url": "",
    }
    form.update(extra.pop("form", {}))  # type: ignore[call-overload]
    return page.render(
        "lines.html",
        status=status,
        rows=rows,
        quarters=quarters,
        labels_of=[_quarter_label(page, q) for q in quarters],
        regions=regions,
        form=form,
        current=quarters[-2],
        **extra,
    )


async def lines_page(page: Page) -> web.StreamResponse:
    return await _render(page, done=page.request.query.get("done"))


async def add(page: Page) -> web.StreamResponse:
    member, now, form = page.member, page.now, page.form
    values = {
        key: form.get(key, "").strip() for key in ("region", "quarter", "value", "title", "url")
    }
    try:
        quarter = date.fromisoformat(values["quarter"])
    except ValueError:
        return await _render(page, 400, problem=page.text(PROBLEMS["quarter"]), form=values)
    typed = values["value"].replace(" ", "").replace("\u00a0", "").replace(",", "")
    if not typed.isascii() or not typed.isdecimal() or len(typed) > 9:
        return await _render(page, 400, problem=page.text(PROBLEMS["value"]), form=values)
    store = page.runner.store

    def work(connection: Connection) -> None:
        poverty_lines.add_line(
            connection,
            member,
            store,
            region=values["region"],
            quarter=quarter,
            value=int(typed),
            title=values["title"],
            url=values["url"],
            now=now,
        )

    try:
        await page.run(work)
    except LineError as problem:
        return await _render(page, 400, problem=page.text(PROBLEMS[str(problem)]), form=values)
    except PermissionError:
        raise Refused() from None
    # This worker uses the line at once; the others take it in within a minute.
    page.runner.store = await page.run(poverty_lines.store_with_added)
    raise web.HTTPSeeOther("/staff/poverty-lines?done=added")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/poverty-lines", view(lines_page, roles=ROLES))
    app.router.add_post("/staff/poverty-lines", view(add, roles=ROLES))
