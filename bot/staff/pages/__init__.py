"""The staff workspace under `/staff/`: server-rendered pages (Jinja2) in the member's language,
one module per group of pages, the templates in `bot/staff/templates/` and the stylesheet and
the one small script in `bot/staff/static/`."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.keys import derive
from bot.staff.pages import (
    audit,
    auth,
    campaigns,
    caseload,
    charts,
    family,
    home,
    inbox,
    lines,
    members,
    stages,
    visits,
)
from bot.staff.pages.web import KEYS, Keys

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


def setup(app: web.Application, secret: bytes) -> None:
    """Add the staff pages to `app`; `secret` is the root key (KOMEK_SECRET_KEY)."""
    app[KEYS] = Keys(session=derive(secret, "session"), csrf=derive(secret, "csrf"))
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    app.router.add_static("/staff/static", STATIC, name="staff_static")
    for group in (
        auth,
        home,
        inbox,
        caseload,
        family,
        stages,
        campaigns,
        visits,
        lines,
        members,
        audit,
        charts,
    ):
        group.setup(app)
