"""The campaign pages: the list, composing one (a template or an own text in kk, ru and en, and
its audience), its preview (each language's text with its SMS encoding, parts and cost, the
recipients by channel, the opted out, how long sending takes under the limits), sending now or
at a date and time (Kazakhstan's), the live progress, and sending the failed ones again."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from bot.staff import campaigns
from bot.staff.campaigns import Audience, CampaignError
from bot.staff.pages.web import Page, number, view
from bot.staff.reports import waiting
from bot.storage.tables import CAMPAIGNS
from bot.web.keys import CONFIG
from core.almaty import wall
from core.regions import REGIONS
from dialogs.text import N_

# The reasons `bot.staff.campaigns` gives (English, for the API), as the pages say them.
PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), msgid)
    for p, msgid in (
        (r"^name:", N_("Give the campaign a name (at most 120 characters).")),
        (
            r"^text in (?P<language>\w+): required",
            N_("Write the text in every language: {language} is missing."),
        ),
        (
            r"^text in (?P<language>\w+): at most (?P<n>\d+)",
            N_("The text in {language} is longer than {n} characters."),
        ),
        (r"^due:", N_("Give the date the documents are due.")),
        (r"^template:", N_("Choose a message.")),
        (r"^region:", N_("Choose a region.")),
        (r"^language:", N_("Choose a language.")),
        (
            r"writes to their own caseload only",
            N_("A social worker writes to their own caseload only."),
        ),
        (r"within their own region only", N_("A supervisor writes within their own region only.")),
        (r"is (?P<state>\w+) already", N_("This campaign has already been sent.")),
        (r"time to send is past", N_("That time has passed: send it now instead.")),
        (r"is not scheduled", N_("This campaign is not scheduled.")),
        (r"belongs to another", N_("This campaign belongs to another member of staff.")),
    )
]


def problem_text(page: Page, problem: CampaignError) -> str:
    for pattern, msgid in PROBLEMS:
        found = pattern.search(str(problem))
        if found is not None:
            return page.gettext(msgid, **found.groupdict())
    return str(problem)


async def listing(page: Page) -> web.StreamResponse:
    member = page.member

    def work(connection: Connection) -> list[campaigns.Listed]:
        found = campaigns.visible_campaigns(connection, member)
        # "sending" stays on a campaign's row; it is sent once none of its messages waits.
        return [
            replace(c, status="sent")
            if c.status == "sending" and not waiting(connection, c.id)
            else c
            for c in found
        ]

    return page.render("campaigns.html", campaigns=await page.run(work))


def _form_defaults(page: Page) -> dict[str, Any]:
    return {
        "name": "",
        "template": "custom",
        "due": "",
        "texts": {"kk": "", "ru": "", "en": ""},
        "audience": "caseload",
        "region": page.member.region or "",
        "language": "",
        "reassess_before": "",
    }


async def compose(page: Page) -> web.StreamResponse:
    return page.render("compose.html", form=_form_defaults(page), regions=REGIONS)


async def create(page: Page) -> web.StreamResponse:
    member, now, form = page.member, page.now, page.form
    values = _form_defaults(page)
    values.update(
        name=form.get("name", ""),
        template=form.get("template", ""),
        due=form.get("due", ""),
        texts={lang: form.get(f"text_{lang}", "") for lang in ("kk", "ru", "en")},
        audience=form.get("audience", "caseload"),
        region=form.get("region", ""),
        language=form.get("language", ""),
        reassess_before=form.get("reassess_before", ""),
    )
    try:
        before = values["reassess_before"]
        audience = Audience(
            caseload=values["audience"] != "region" or member.role == "worker",
            region=(values["region"] or None) if values["audience"] == "region" else None,
            language=values["language"] or None,
            reassess_before=date.fromisoformat(before) if before else None,
        )
        texts: dict[str, Any] = dict(values["texts"])
        if values["template"] == "documents_due":
            texts = {"due": values["due"]}
        campaign_id = await page.run(
            lambda c: campaigns.create(
                c,
                member,
                name=values["name"],
                template=values["template"],
                texts=texts,
                audience=audience,
                now=now,
            )
        )
    except ValueError as problem:
        text = (
            problem_text(page, problem)
            if isinstance(problem, CampaignError)
            else str(page.gettext("A date is not valid."))
        )
        return page.render("compose.html", status=400, form=values, regions=REGIONS, problem=text)
    raise web.HTTPSeeOther(f"/staff/campaigns/{campaign_id}")


def _rates(page: Page) -> dict[str, float]:
    config = page.request.app[CONFIG]
    return {"telegram": config.telegram_rate, "sms": config.sms_rate}


async def _progress(page: Page, campaign_id: int) -> dict[str, Any] | None:
    member = page.member
    try:
        found: dict[str, Any] = await page.run(lambda c: campaigns.status(c, member, campaign_id))
    except CampaignError:
        return None
    return found


def progress_view(found: dict[str, Any]) -> dict[str, Any]:
    """The counts the progress shows, and the bar's parts (as shares of 100)."""
    outbox = found["outbox"]
    delivered = int(found["delivered"])
    counts = {
        "queued": int(outbox.get("pending", 0)) + int(outbox.get("sending", 0)),
        "sent": max(0, int(outbox.get("sent", 0)) - delivered),
        "delivered": delivered,
        "failed": int(outbox.get("failed", 0)),
        "skipped": int(outbox.get("skipped", 0)) + int(outbox.get("cancelled", 0)),
    }
    total = max(1, sum(counts.values()))
    parts, x = [], Decimal(0)
    for key in ("delivered", "sent", "failed", "skipped"):
        width = Decimal(counts[key] * 100) / total
        if width:
            parts.append({"kind": key, "x": round(x, 2), "width": round(width, 2)})
        x += width
    return {
        "counts": counts,
        "parts": parts,
        "total": sum(counts.values()),
        "final": found["status"] == "sent" and not counts["queued"],
    }


async def detail(page: Page) -> web.StreamResponse:
    campaign_id = number(page.request)
    member = page.member
    translator, rates = page.translator, _rates(page)

    def work(connection: Connection) -> tuple[dict[str, Any], dict[str, Any], Any] | None:
        try:
            shown = campaigns.preview(connection, member, campaign_id, translator, rates)
            state = campaigns.status(connection, member, campaign_id)
        except CampaignError:
            return None
        row = connection.execute(CAMPAIGNS.select().where(CAMPAIGNS.c.id == campaign_id)).one()
        return shown, state, row

    loaded = await page.run(work)
    if loaded is None:
        return page.refuse()
    shown, state, row = loaded
    price = page.request.app[CONFIG].sms_price
    cost = None if price is None else price * int(shown.get("sms_segments", 0))
    return page.render(
        "campaign.html",
        campaign=row,
        state=state["status"],  # "sent" once nothing is left to send
        preview=shown,
        progress=progress_view(state),
        cost=cost,
        done=page.request.query.get("done"),
        problem=page.request.query.get("problem"),
    )


async def progress(page: Page) -> web.StreamResponse:
    """The progress alone, for the page's live refresh."""
    campaign_id = number(page.request)
    found = await _progress(page, campaign_id)
    if found is None:
        return page.refuse()
    return page.render(
        "campaign_progress.html", campaign_id=campaign_id, progress=progress_view(found)
    )


def _action(name: str) -> Any:
    async def act(page: Page) -> web.StreamResponse:
        campaign_id = number(page.request)
        member, now = page.member, page.now
        at: datetime | None = None
        if name == "schedule":
            try:
                wall_time = datetime.fromisoformat(page.form.get("at", ""))
            except ValueError:
                raise web.HTTPSeeOther(f"/staff/campaigns/{campaign_id}?problem=time") from None
            at = wall(wall_time.date(), wall_time.time())

        def work(connection: Connection) -> None:
            if name == "send":
                campaigns.send(connection, member, campaign_id, now)
            elif name == "schedule" and at is not None:
                campaigns.schedule(connection, member, campaign_id, at, now)
            elif name == "unschedule":
                campaigns.unschedule(connection, member, campaign_id, now)
            elif name == "retry":
                campaigns.retry_failed(connection, member, campaign_id, now)

        try:
            await page.run(work)
        except CampaignError as problem:
            if "belongs to another" in str(problem) or str(problem).startswith("no campaign"):
                return page.refuse()
            key = "past" if "past" in str(problem) else "state"
            raise web.HTTPSeeOther(f"/staff/campaigns/{campaign_id}?problem={key}") from None
        raise web.HTTPSeeOther(f"/staff/campaigns/{campaign_id}?done={name}")

    return act


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/campaigns", view(listing))
    app.router.add_get("/staff/campaigns/new", view(compose))
    app.router.add_post("/staff/campaigns/new", view(create))
    app.router.add_get("/staff/campaigns/{id}", view(detail))
    app.router.add_get("/staff/campaigns/{id}/progress", view(progress))
    for name in ("send", "schedule", "unschedule", "retry"):
        app.router.add_post(f"/staff/campaigns/{{id}}/{name}", view(_action(name)))
