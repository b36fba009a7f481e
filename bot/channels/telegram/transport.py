"""python-telegram-bot's network backend on aiohttp.

PTB keeps the typed Bot API (methods, objects, the mapping of HTTP answers to its errors); this
`BaseRequest` subclass only moves bytes, on an `aiohttp.ClientSession` (the server's own, or one it
opens itself). Measured here it is about 3-5 times faster than PTB's default httpx backend
(notes/telegram.md). What it owes PTB:

- timeouts become `telegram.error.TimedOut`, connection failures `telegram.error.NetworkError`
  (`NotConnectedError` when no connection was made at all, so the request surely did not arrive);
- every HTTP answer, success or not, goes back to PTB as (status, body): PTB itself turns a 429
  into `RetryAfter` (from `parameters.retry_after` in the body), a 403 into `Forbidden`, a 400
  into `BadRequest`.

aiohttp has no write timeout of its own: `write_timeout` bounds the whole request together with
the read timeout (sending a message body is small; file uploads are not used by komek).
"""

from __future__ import annotations

import os

import aiohttp
from telegram._utils.defaultvalue import DefaultValue  # as PTB's own HTTPXRequest does
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB 22 warns, on every RetryAfter it builds, that `retry_after` will become a timedelta; opt in
# to that now (komek reads it as either). An operator's explicit setting wins.
os.environ.setdefault("PTB_TIMEDELTA", "true")

DEFAULT_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0


def _pick(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class NotConnectedError(NetworkError):
    """No connection to the Bot API could be made (refused, unreachable): the request was not
    sent, so sending it again cannot make a duplicate."""


class AiohttpRequest(BaseRequest):
    """A PTB request backend on aiohttp. Give it `session` to share a session (it is then not
    closed here); otherwise it opens its own in `initialize` and closes it in `shutdown`."""

    __slots__ = (
        "_connect_timeout",
        "_limit",
        "_owned",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        connection_pool_size: int = 64,
    ) -> None:
        self._session = session
        self._owned = session is None
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._limit = connection_pool_size

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or (self._owned and self._session.closed):
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._limit))
            self._owned = True

    async def shutdown(self) -> None:
        if self._owned and self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(  # noqa: PLR0917 - BaseRequest's signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        read = _pick(read_timeout, self._read_timeout)
        write = _pick(write_timeout, self._write_timeout)
        connect = _pick(connect_timeout, self._connect_timeout)
        pool = _pick(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None if read is None or write is None else read + write,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, upload in files.items():
                    filename, content, *mime = upload
                    form.add_field(
                        name,
                        content,
                        filename=filename,
                        content_type=mime[0] if mime else "application/octet-stream",
                    )
                data = form
            else:
                data = request_data.json_parameters
        try:
            async with session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                headers={"User-Agent": self.USER_AGENT},
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut(f"aiohttp: {type(exc).__name__}: {exc}") from exc
        except aiohttp.ClientConnectorError as exc:  # never reached the Bot API: safe to repeat
            raise NotConnectedError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
