"""Reading a request's body whole, within a limit, and as JSON that can be stored.

`request.content.read(n)` returns what has arrived so far, not the body: a CSV sent in several
TCP segments would be cut. Every route that reads a body reads it here, until the end or the
limit (413). JSON is parsed strictly (a depth that breaks the parser is a 400, not a 500), and
every string in it must be text a database can keep: no lone surrogate halves, no NUL.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.storage.text import storable

CHUNK = 64 * 1024


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_error(status: int, reason: str, **headers: str) -> web.Response:
    """A JSON error with a one-line reason."""
    return web.json_response({"error": reason}, status=status, headers=headers, dumps=_dumps)


class BodyError(Exception):
    """A body that cannot be taken: too large (413) or not what the route reads (400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> web.Response:
        return json_error(self.status, self.reason)


def _size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit // 1024} KB"


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, read until its end; `BodyError(413)` past `limit` bytes."""
    too_large = BodyError(413, f"the body is larger than {_size_text(limit)}")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _check_strings(value: Any) -> str | None:
    """The first string (key or value) that cannot be stored, walked without recursion."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            if not storable(item):
                return item
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return None


def parse_json(raw: bytes) -> Any:
    """Strict JSON from UTF-8 bytes; `BodyError(400)` with the reason otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, "the body must be JSON in UTF-8") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise BodyError(400, "the body is nested too deeply") from None
    except ValueError:
        raise BodyError(400, "the body must be JSON") from None
    if _check_strings(data) is not None:
        raise BodyError(400, "text must not contain NUL or unpaired surrogate characters")
    return data


async def read_json(request: web.Request, limit: int) -> Any:
    return parse_json(await read_body(request, limit))


async def read_json_object(request: web.Request, limit: int) -> dict[str, Any]:
    data = await read_json(request, limit)
    if not isinstance(data, dict):
        raise BodyError(400, "the body must be a JSON object")
    return data


async def respond(request: web.Request, response: web.StreamResponse) -> bool:
    """Write `response` now, whole; False when the client is gone (its connection closed before
    the response could leave). Routes that carry replies mark them sent only after this."""
    try:
        await response.prepare(request)
        await response.write_eof()
    except ConnectionError:
        return False
    return True
