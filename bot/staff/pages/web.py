"""What every staff page shares: the session behind it, the check of the member's role and of
the form's CSRF token, the language, the forms read within a limit, and rendering a template
with the gettext catalogs and Babel's formats of the member's language.

A page handler is `async def handler(page: Page) -> web.StreamResponse`, registered through
`view(...)`, which refuses what the member may not do before the handler runs: no session
(the sign-in page), a sign-in not finished (its next step), a POST without the form's token
(403), a role the page is not for (403).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote

import aiohttp_jinja2
from aiohttp import web
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from markupsafe import Markup, escape
from multidict import MultiDict, MultiDictProxy

from bot.i18n.translator import BABEL_LOCALE, LANGUAGES, Translator, format_money
from bot.staff.accounts import ROLES, Member
from bot.staff.pages import labels
from bot.staff.sessions import ACTIVE, PASSWORD, TOTP, TOTP_SETUP, Signed, load
from bot.storage.text import storable
from bot.web.keys import RUNNER
from bot.web.requests import read_body
from core.almaty import local
from dialogs.text import Text

COOKIE = "komek_staff"
PRE_COOKIE = "komek_pre"  # the CSRF secret of a browser not signed in (the sign-in form)
LANGUAGE_COOKIE = "komek_lang"
MAX_FORM = 64 * 1024
STAGE_PAGES = {PASSWORD: "/staff/password", TOTP: "/staff/totp", TOTP_SETUP: "/staff/totp/setup"}


@dataclass(frozen=True, slots=True)
class Keys:
    """The keys of the staff pages, derived from KOMEK_SECRET_KEY."""

    session: bytes
    csrf: bytes


KEYS = web.AppKey("staff_keys", Keys)
NEW_PRE = web.RequestKey("komek_pre_new", str)  # a browser's new CSRF cookie, until it is set


class Page:
    """One request to a staff page: who asks, in which language, and the means to answer."""

    def __init__(self, request: web.Request, signed: Signed | None, form: MultiDictProxy[str]):
        self.request = request
        self.signed = signed
        self.form = form
        self.runner = request.app[RUNNER]
        self.keys = request.app[KEYS]
        self.language = language_of(request, signed)
        self.translator: Translator = self.runner.translator
        self._catalog = self.translator.catalog(self.language)
        self.now = self.runner.clock()

    @property
    def member(self) -> Member:
        assert self.signed is not None  # every page but the sign-in ones has a session
        return self.signed.member

    @property
    def ip(self) -> str:
        return self.request.remote or "unknown"

    @property
    def csrf(self) -> str:
        return csrf_token(self.request, self.keys, self.signed)

    # -- text --------------------------------------------------------------------------------

    def gettext(self, msgid: str, /, **params: Any) -> Markup:
        """A template's text: translated, then its {placeholders} filled, escaped."""
        return _fill(self._catalog.gettext(msgid), params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: Any) -> Markup:
        return _fill(self._catalog.ngettext(singular, plural, n), {"n": self.number(n), **params})

    def pgettext(self, context: str, msgid: str, /, **params: Any) -> Markup:
        return _fill(self._catalog.pgettext(context, msgid), params)

    def name(self, table: Mapping[str, Text], code: str | None) -> str:
        """The name of a code (a role, a status, a channel) in the page's language."""
        return self.text(labels.label(dict(table), code))

    def text(self, text: Text | str) -> str:
        """A message declared in Python (`msg`, `nmsg`, or a msgid marked with `N_`)."""
        if isinstance(text, str):
            return self._catalog.gettext(text)
        return self.translator.render(text, self.language)

    # -- formats -----------------------------------------------------------------------------

    def number(self, value: int | Decimal | float) -> str:
        return format_decimal(value, locale=BABEL_LOCALE[self.language])

    def money(self, value: Any) -> str:
        """An amount in tenge; "—" for one that is not there (a record from before a field)."""
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            return "—"
        return format_money(amount, self.language) if amount.is_finite() else "—"

    def day(self, value: date | None, form: str = "medium") -> str:
        if value is None:
            return "—"
        return format_date(value, format=form, locale=BABEL_LOCALE[self.language])

    def moment(self, value: datetime | None, form: str = "short") -> str:
        """A moment in Kazakhstan's time."""
        if value is None:
            return "—"
        wall = local(value).replace(tzinfo=None)
        return format_datetime(wall, format=form, locale=BABEL_LOCALE[self.language])

    # -- answers -----------------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        context.update(
            page=self,
            me=None if self.signed is None else self.signed.member,
            lang=self.language,
            languages=LANGUAGE_NAMES,
            _=self.gettext,
            gettext=self.gettext,
            ngettext=self.ngettext,
            pgettext=self.pgettext,
            nav=navigation(self),
            labels=labels,
        )
        response = aiohttp_jinja2.render_template(template, self.request, context, status=status)
        if self.signed is None and PRE_COOKIE not in self.request.cookies:
            response.set_cookie(
                PRE_COOKIE, _pre_value(self.request), **cookie_options(self.request)
            )
        return response

    def refuse(self, status: int = 403) -> web.Response:
        return self.render("denied.html", status=status)

    async def run(self, work: Callable[[Any], Any]) -> Any:
        """One transaction on the database."""
        return await self.runner.db.run(work)


LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def _fill(pattern: str, params: Mapping[str, Any]) -> Markup:
    if not params:
        return Markup(pattern)  # the catalogs' own text, trusted
    values = {key: escape(value) for key, value in params.items()}
    return Markup(pattern.format_map(values))  # placeholders escaped above


def language_of(request: web.Request, signed: Signed | None) -> str:
    if signed is not None and signed.language in LANGUAGES:
        return str(signed.language)
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    return accepted_language(request.headers.get("Accept-Language", ""))


def accepted_language(header: str) -> str:
    """The first of kk, ru, en the browser asks for (by weight), else Russian."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        weight = 1.0
        if rest.strip().startswith("q="):
            try:
                weight = float(rest.strip()[2:])
            except ValueError:
                weight = 0.0
        weighted.append((-weight, position, tag.strip().lower()[:2]))
    for _, _, tag in sorted(weighted):
        if tag in LANGUAGES:
            return tag
    return "ru"


def cookie_options(request: web.Request) -> dict[str, Any]:
    secure = request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"
    return {"httponly": True, "samesite": "Lax", "secure": secure, "path": "/staff"}


def _pre_value(request: web.Request) -> str:
    value = request.cookies.get(PRE_COOKIE, "")
    if not value or len(value) > 64:
        value = request.get(NEW_PRE) or secrets.token_urlsafe(24)
        request[NEW_PRE] = value
    return str(value)


def csrf_token(request: web.Request, keys: Keys, signed: Signed | None) -> str:
    """The token every form carries: bound to the session, or before sign-in to the browser's
    own random cookie."""
    if signed is not None:
        basis = f"session:{signed.session_id}:{request.cookies.get(COOKIE, '')}"
    else:
        basis = f"pre:{_pre_value(request)}"
    return hmac.new(keys.csrf, basis.encode("utf-8"), hashlib.sha256).hexdigest()


async def read_form(request: web.Request, limit: int = MAX_FORM) -> MultiDictProxy[str]:
    """A URL-encoded form, read whole within `limit` (413 past it); text that cannot be
    stored (NUL, lone surrogates) is refused (400)."""
    if request.method != "POST" or request.content_type != "application/x-www-form-urlencoded":
        return MultiDictProxy(MultiDict())
    body = await read_body(request, limit)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise web.HTTPBadRequest(text="the form could not be read") from None
    if not all(storable(key) and storable(value) for key, value in pairs):
        raise web.HTTPBadRequest(text="the form holds characters that cannot be kept")
    return MultiDictProxy(MultiDict(pairs))


Handler = Callable[[Page], Awaitable[web.StreamResponse]]


class Refused(Exception):  # noqa: N818 - what the page answers, not an error of the code
    """Raised by a handler for something the member may not see or do: the page answers 403."""


async def signed_in(request: web.Request) -> Signed | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    runner = request.app[RUNNER]
    key = request.app[KEYS].session
    now = runner.clock()
    signed: Signed | None = await runner.db.run(lambda c: load(c, key, token, now))
    return signed


def view(
    handler: Handler,
    *,
    roles: Iterable[str] = ROLES,
    stage: str | None = ACTIVE,
    form: bool = True,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """`handler` behind the checks every staff page makes. `stage` None: a page for browsers
    not signed in (sign-in); otherwise the stage the session must be at. `form` False: the
    handler reads the body itself (an upload) and checks the token with `check_csrf`."""
    allowed = frozenset(roles)

    async def wrapped(request: web.Request) -> web.StreamResponse:
        signed = await signed_in(request)
        if stage is not None:
            if signed is None:
                target = request.path_qs if request.method == "GET" else "/staff/"
                raise web.HTTPSeeOther(f"/staff/login?next={quote(target, safe='')}")
            if signed.stage != stage:
                raise web.HTTPSeeOther(STAGE_PAGES.get(signed.stage, "/staff/"))
        fields = await read_form(request) if form else MultiDictProxy(MultiDict[str]())
        page = Page(request, signed, fields)
        if request.method == "POST" and form and not check_csrf(page, fields.get("csrf", "")):
            return page.refuse()
        if signed is not None and stage is not None and signed.member.role not in allowed:
            return page.refuse()
        try:
            return await handler(page)
        except Refused:
            return page.refuse()

    return wrapped


def check_csrf(page: Page, token: str) -> bool:
    return bool(token) and hmac.compare_digest(token, page.csrf)


def number(request: web.Request, name: str = "id") -> int:
    """A whole number from the path; 404 for anything else."""
    raw = request.match_info.get(name, "")
    if not raw.isascii() or not raw.isdecimal() or len(raw) > 18:
        raise web.HTTPNotFound()
    return int(raw)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a staff page of this site, never elsewhere."""
    if value and value.startswith("/staff/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/staff/"


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str
    current: bool


def navigation(page: Page) -> list[NavItem]:
    if page.signed is None or page.signed.stage != ACTIVE:
        return []
    role = page.member.role
    items = [
        ("/staff/", page.pgettext("page", "Today"), ROLES),
        ("/staff/inbox", page.pgettext("page", "Inbox"), ROLES),
        ("/staff/caseload", page.pgettext("page", "Families"), ROLES),
        ("/staff/campaigns", page.pgettext("page", "Campaigns"), ROLES),
        ("/staff/visits", page.pgettext("page", "Visits"), ROLES),
        ("/staff/poverty-lines", page.pgettext("page", "Poverty lines"), ("supervisor", "admin")),
        ("/staff/charts", page.pgettext("page", "Charts"), ("supervisor", "admin")),
        ("/staff/audit", page.pgettext("page", "Audit"), ("supervisor", "admin")),
        ("/staff/members", page.pgettext("page", "Staff"), ("admin",)),
    ]
    path = page.request.path
    return [
        NavItem(
            href,
            str(label),
            path == href if href == "/staff/" else path.startswith(href),
        )
        for href, label, roles in items
        if role in roles
    ]
