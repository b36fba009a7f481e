"""The audit page (supervisors and administrators): what staff did, filtered by person, action
and dates, and exported as CSV (the export is itself audited)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import Connection

from bot.staff import audit_log
from bot.staff.accounts import audit
from bot.staff.audit_log import AuditFilters
from bot.staff.exports import to_csv
from bot.staff.pages.web import Page, view

ROLES = ("supervisor", "admin")


def _query(filters: AuditFilters, **changes: Any) -> str:
    values: dict[str, Any] = {
        "who": filters.username,
        "action": filters.action,
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
        "page": filters.page,
    }
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})


def detail_text(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)[:300]


async def audit_page(page: Page) -> web.StreamResponse:
    filters = AuditFilters.from_query(page.request.query)
    member = page.member

    def work(connection: Connection) -> tuple[list[audit_log.Entry], int, list[str], list[str]]:
        found, total = audit_log.entries(connection, member, filters)
        people, actions = audit_log.choices(connection, member)
        return found, total, people, actions

    found, total, people, actions = await page.run(work)
    pages = max(1, -(-total // audit_log.PAGE_SIZE))
    return page.render(
        "audit.html",
        entries=found,
        total=total,
        pages=pages,
        filters=filters,
        people=people,
        actions=actions,
        query=lambda **changes: _query(filters, **changes),
        detail_text=detail_text,
    )


async def export(page: Page) -> web.StreamResponse:
    filters = AuditFilters.from_query(page.request.query)
    member, now = page.member, page.now

    def work(connection: Connection) -> list[audit_log.Entry]:
        rows = list(audit_log.export(connection, member, filters))
        audit(connection, member, "audit.export", "csv", now, rows=len(rows))
        return rows

    rows = await page.run(work)
    header = [
        str(page.gettext("Time")),
        str(page.gettext("Person")),
        str(page.gettext("Action")),
        str(page.gettext("Subject")),
        str(page.gettext("Details")),
    ]
    body = to_csv(
        header,
        (
            [
                page.moment(e.at, "yyyy-MM-dd HH:mm:ss"),
                e.username or "",
                e.action,
                e.target,
                detail_text(e.detail),
            ]
            for e in rows
        ),
    )
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="komek-audit-{now:%Y-%m-%d}.csv"',
            "Cache-Control": "no-store",
        },
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/staff/audit", view(audit_page, roles=ROLES))
    app.router.add_get("/staff/audit/export.csv", view(export, roles=ROLES))
