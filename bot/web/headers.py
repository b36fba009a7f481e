"""Headers every response carries: no software version in `Server`, no content-type sniffing,
and for pages a content security policy without inline script, no framing, no referrer and no
caching (a page may show a family's conversation or a caseload)."""

from __future__ import annotations

from aiohttp import web

SERVER = "Komek"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.content_type == "text/html":
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(secure_headers)
