"""The inbox pages: the conversations families passed to a person, newest activity first, with
their unread messages and how long they have waited (refreshed in place every few seconds, and
counted in the navigation's badge); one conversation, answered through the family's channel,
taken, transferred, marked unread or handed back to the bot; and the replies kept ready per
region and language (supervisors and administrators).

Who may see and do what is `bot.staff.inbox`'s; anything else is refused (403) and every action
is audited.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from bot.conversation.inbox import BackTo, hand_back
from bot.staff import inbox
from bot.staff.accounts import audit
from bot.staff.inbox import Conversation, ReplyRefused
from bot.staff.pages.web import Page, Refused, number, view
from bot.web.keys import METRICS
from core.regions import REGIONS

REFRESH_SECONDS = 5
MANAGERS = ("supervisor", "admin")


def _region(page: Page) -> str | None:
    """The region asked for in the query: a supervisor or a worker only their own (another is
    refused), an administrator any; None for every region the member sees."""
    asked = page.request.query.get("region") or None
    if asked is None:
        return None
    if asked not in REGIONS:
        raise web.HTTPBadRequest(text="unknown region")
    if page.member.role != "admin" and asked != page.member.region:
        raise Refused()
    return asked


async def inbox_page(page: Page) -> web.StreamResponse:
    region = _region(page)
    member, now = page.member, page.now
    rows = await page.run(lambda c: inbox.waiting(c, member, region))
    return page.render(
        "inbox.html",
        rows=rows,
        region=region,
        regions=sorted(REGIONS) if member.role == "admin" else [],
        every=REFRESH_SECONDS,
        now=now,
        waited=waited_for(page),
    )


async def inbox_list(page: Page) -> web.StreamResponse:
    """The list alone, for the page's refresh."""
    region = _region(page)
    member = page.member
    rows = await page.run(lambda c: inbox.waiting(c, member, region))
    return page.render(
        "inbox_list.html", rows=rows, region=region, every=REFRESH_SECONDS, waited=waited_for(page)
    )


def waited_for(page: Page) -> Any:
    """How long a conversation has waited for its first answer, in words of the page."""

    def waited(row: Conversation) -> str:
        minutes = int(row.waited(page.now).total_seconds() // 60)
        if minutes < 60:
            return str(page.ngettext("{n} minute", "{n} minutes", minutes))
        hours = minutes // 60
        if hours < 48:
            return str(page.ngettext("{n} hour", "{n} hours", hours))
        return str(page.ngettext("{n} day", "{n} days", hours // 24))

    return waited


async def count(page: Page) -> web.StreamResponse:
    """The badge's figures, as JSON (staff.js asks every few seconds)."""
    member = page.member
    counted = await page.run(lambda c: inbox.counts(c, member))
    return web.json_response(counted, headers={"Cache-Control": "no-store"})


async def segments(page: Page) -> web.StreamResponse:
    """The SMS parts an answer takes as it is typed."""
    text = page.request.query.get("text", "")[: inbox.MAX_REPLY * 2]
    return web.json_response(inbox.segments(text), headers={"Cache-Control": "no-store"})


async def _load(page: Page) -> Conversation:
    conversation_id = number(page.request)
    member = page.member
    found: Conversation | None = await page.run(lambda c: inbox.find(c, member, conversation_id))
    if found is None:
        raise Refused()
    return found


async def conversation_page(page: Page, problem: str | None = None) -> web.StreamResponse:
    found = await _load(page)
    member, now = page.member, page.now

    def work(connection: Connection) -> dict[str, Any]:
        lines = inbox.thread(connection, found)
        if inbox.may_answer(member, found) and lines.last_in > 0:
            inbox.read(connection, found.id, lines.last_in)
        audit(connection, member, "inbox.view", f"inbox {found.id}", now)
        return {
            "thread": lines,
            "canned": inbox.canned(connection, member, found.language, found.region),
            "colleagues": [
                (i, name)
                for i, name in inbox.colleagues(connection, found.region)
                if i != found.staff_id
            ],
            "window_closed": inbox.window_closed(connection, found, now),
        }

    loaded = await page.run(work)
    return page.render(
        "inbox_conversation.html",
        status=400 if problem else 200,
        conversation=found,
        problem=problem,
        done=page.request.query.get("done"),
        may_answer=inbox.may_answer(member, found),
        may_take=inbox.may_take(member, found),
        may_transfer=inbox.may_transfer(member, found),
        max_text=inbox.MAX_REPLY,
        waited=waited_for(page)(found),
        **loaded,
    )


def _back(found: Conversation, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/staff/inbox/{found.id}?done={done}")


async def take(page: Page) -> web.StreamResponse:
    found = await _load(page)
    if found.staff_id == page.member.id and found.closed_at is None:
        raise _back(found, "taken")  # theirs already
    if not inbox.may_take(page.member, found):
        raise Refused()
    member, now = page.member, page.now

    def work(connection: Connection) -> bool:
        taken = inbox.take(connection, member, found.id, now)
        if taken:
            audit(connection, member, "inbox.take", f"inbox {found.id}", now)
        return taken

    if not await page.run(work):
        raise web.HTTPSeeOther("/staff/inbox?done=gone")
    raise _back(found, "taken")


async def answer(page: Page) -> web.StreamResponse:
    found = await _load(page)
    member, now = page.member, page.now
    if not inbox.may_answer(member, found):
        raise Refused()
    text = page.form.get("text", "")

    def work(connection: Connection) -> str | None:
        try:
            inbox.answer(connection, member, found, text, now)
        except ReplyRefused as refused:
            return refused.code
        audit(
            connection,
            member,
            "inbox.answer",
            f"inbox {found.id}",
            now,
            channel=found.channel,
            length=len(text.strip()),
        )
        return None

    problem = await page.run(work)
    if problem is not None:
        return await conversation_page(page, problem)
    if found.first_answer_at is None:
        waited = (now - found.opened_at).total_seconds()
        page.request.app[METRICS].inbox_first_answer.observe(max(waited, 0.0))
    raise _back(found, "sent")


async def give_back(page: Page) -> web.StreamResponse:
    """Hand the conversation back to the bot, under the family's lock (no turn of theirs runs
    while the session changes)."""
    found = await _load(page)
    member, now = page.member, page.now
    if not inbox.may_answer(member, found):
        raise Refused()
    runner = page.runner
    back = BackTo(runner.store, runner.translator, runner.calendar)

    def work(connection: Connection) -> bool:
        done = hand_back(connection, found.id, member.id, now, back)
        if done:
            audit(connection, member, "inbox.hand_back", f"inbox {found.id}", now)
        return done

    async with runner.locks.hold(found.contact_id):
        await page.run(work)
    raise web.HTTPSeeOther("/staff/inbox?done=back")


async def transfer(page: Page) -> web.StreamResponse:
    found = await _load(page)
    member, now = page.member, page.now
    if not inbox.may_transfer(member, found):
        raise Refused()
    raw = page.form.get("to", "")
    to = int(raw) if raw.isdecimal() and len(raw) < 12 else 0

    def work(connection: Connection) -> bool:
        moved = inbox.transfer(connection, found, to, now)
        if moved:
            audit(connection, member, "inbox.transfer", f"inbox {found.id}", now, to=to)
        return moved

    if not await page.run(work):
        return await conversation_page(page, "transfer")
    raise web.HTTPSeeOther("/staff/inbox?done=transferred")


async def unread(page: Page) -> web.StreamResponse:
    found = await _load(page)
    member, now = page.member, page.now
    if not inbox.may_answer(member, found):
        raise Refused()

    def work(connection: Connection) -> None:
        inbox.mark_unread(connection, found, now)
        audit(connection, member, "inbox.unread", f"inbox {found.id}", now)

    await page.run(work)
    raise web.HTTPSeeOther("/staff/inbox?done=unread")


# -- replies kept ready ------------------------------------------------------------------------


async def replies_page(page: Page, problem: str | None = None) -> web.StreamResponse:
    member = page.member
    found = await page.run(lambda c: inbox.canned(c, member))
    return page.render(
        "inbox_replies.html",
        status=400 if problem else 200,
        replies=found,
        problem=problem,
        regions=sorted(REGIONS) if member.role == "admin" else [],
        done=page.request.query.get("done"),
    )


async def add_reply(page: Page) -> web.StreamResponse:
    member, now = page.member, page.now
    form = page.form
    language = form.get("language", "")
    title = form.get("title", "").strip()
    body = form.get("body", "").strip()
    region: str | None = member.region
    if member.role == "admin":
        region = form.get("region") or None
        if region is not None and region not in REGIONS:
            return await replies_page(page, "region")
    if language not in ("kk", "ru", "en") or not title or not body:
        return await replies_page(page, "missing")
    if len(title) > 80 or len(body) > inbox.MAX_REPLY:
        return await replies_page(page, "long")

    def work(connection: Connection) -> None:
        created = inbox.add_canned(
            connection, member, region=region, language=language, title=title, body=body, now=now
        )
        audit(connection, member, "inbox.reply_add", f"reply {created}", now, region=region)

    await page.run(work)
    raise web.HTTPSeeOther("/staff/inbox/replies?done=added")


async def delete_reply(page: Page) -> web.StreamResponse:
    reply_id = number(page.request)
    member, now = page.member, page.now

    def work(connection: Connection) -> bool:
        deleted = inbox.delete_canned(connection, member, reply_id)
        if deleted:
            audit(connection, member, "inbox.reply_delete", f"reply {reply_id}", now)
        return deleted

    if not await page.run(work):
        raise Refused()
    raise web.HTTPSeeOther("/staff/inbox/replies?done=deleted")


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/inbox", view(inbox_page))
    app.router.add_get("/staff/inbox/list", view(inbox_list))
    app.router.add_get("/staff/inbox/count", view(count))
    app.router.add_get("/staff/inbox/segments", view(segments))
    app.router.add_get("/staff/inbox/replies", view(replies_page, roles=MANAGERS))
    app.router.add_post("/staff/inbox/replies", view(add_reply, roles=MANAGERS))
    app.router.add_post("/staff/inbox/replies/{id}/delete", view(delete_reply, roles=MANAGERS))
    app.router.add_get("/staff/inbox/{id}", view(conversation_page))
    app.router.add_post("/staff/inbox/{id}/take", view(take))
    app.router.add_post("/staff/inbox/{id}/answer", view(answer))
    app.router.add_post("/staff/inbox/{id}/back", view(give_back))
    app.router.add_post("/staff/inbox/{id}/transfer", view(transfer))
    app.router.add_post("/staff/inbox/{id}/unread", view(unread))
