"""A real Kannel (bearerbox + smsbox from /usr/sbin) for end-to-end tests, with the operator's
side played by `FakeSmsc`: an asyncio client of Kannel's fake SMSC line protocol
(`from to type payload`, one message a line; see notes/kannel.md). Every wait has a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes

import aiohttp

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
PORT_RANGE = range(13100, 13200)


def free_ports(count: int, ports: range = PORT_RANGE) -> list[int]:
    """`count` ports of `ports` that nothing listens on now."""
    found: list[int] = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"fewer than {count} free ports in {ports.start}-{ports.stop - 1}")


@dataclass(frozen=True)
class KannelSetup:
    directory: Path
    app_port: int
    token: str
    admin_port: int
    smsbox_port: int
    smsc_port: int
    sendsms_port: int
    admin_password: str = "admin-secret"
    status_password: str = "status-secret"
    username: str = "komek"
    password: str = "sendsms-secret"
    max_messages: int = 6
    short_code: str = "1414"

    @property
    def conf(self) -> Path:
        return self.directory / "kannel.conf"

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    @property
    def status_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/status.txt?password={self.status_password}"

    def write(self) -> Path:
        d = self.directory
        get_url = (
            f"http://127.0.0.1:{self.app_port}/sms/kannel?token={quote(self.token)}"
            "&from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C"
        )
        self.conf.write_text(
            f"""
group = core
admin-port = {self.admin_port}
admin-password = {self.admin_password}
status-password = {self.status_password}
admin-allow-ip = "127.0.0.1"
smsbox-port = {self.smsbox_port}
box-allow-ip = "127.0.0.1"
log-file = "{d / "bearerbox.log"}"
log-level = 1
access-log = "{d / "access.log"}"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
host = 127.0.0.1
port = {self.smsc_port}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
mo-recode = true
log-file = "{d / "smsbox.log"}"
log-level = 1
access-log = "{d / "smsbox-access.log"}"

group = sms-service
keyword = default
catch-all = true
get-url = "{get_url}"
accept-x-kannel-headers = true
omit-empty = true
concatenation = true
max-messages = {self.max_messages}

group = sendsms-user
username = {self.username}
password = {self.password}
user-allow-ip = "127.0.0.1"
default-sender = {self.short_code}
concatenation = true
max-messages = {self.max_messages}
""",
            encoding="utf-8",
        )
        return self.conf


async def _stop(process: asyncio.subprocess.Process, timeout: float) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await asyncio.wait_for(process.wait(), 5)


async def _status(url: str) -> str:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
            session.get(url) as response,
        ):
            return await response.text(errors="replace")
    except (aiohttp.ClientError, TimeoutError):
        return ""


async def wait_until(check: str, url: str, timeout: float) -> str:
    """Poll Kannel's status.txt until it contains `check`; the last status seen."""
    deadline = asyncio.get_running_loop().time() + timeout
    status = ""
    while asyncio.get_running_loop().time() < deadline:
        status = await _status(url)
        if check in status:
            return status
        await asyncio.sleep(0.1)
    raise TimeoutError(f"Kannel status has no {check!r} after {timeout}s:\n{status}")


@contextlib.asynccontextmanager
async def kannel(setup: KannelSetup, timeout: float = 15) -> AsyncIterator[KannelSetup]:
    """bearerbox and smsbox running with `setup`'s configuration; stopped (smsbox first) after."""
    conf = str(setup.write())
    processes: list[asyncio.subprocess.Process] = []
    try:
        for binary, name in ((BEARERBOX, "bearerbox"), (SMSBOX, "smsbox")):
            with (setup.directory / f"{name}.out").open("wb") as out:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        str(binary),
                        "-v",
                        "1",
                        conf,
                        stdin=asyncio.subprocess.DEVNULL,
                        stdout=out,
                        stderr=asyncio.subprocess.STDOUT,
                        cwd=setup.directory,
                    )
                )
            if name == "bearerbox":
                await wait_until("running", setup.status_url, timeout)
            else:
                await wait_until("smsbox:", setup.status_url, timeout)
        yield setup
    finally:
        for process in reversed(processes):
            await _stop(process, 10)


_PAYLOAD_TYPES = frozenset({"text", "data", "ucs2", "ucs-2"})


def _unquote(text: str) -> bytes:
    """Kannel's URL encoding: %XX bytes, and "+" for the byte 0x20."""
    return unquote_to_bytes(text.replace("+", " "))


def _concat_info(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, sequence) of a concatenation UDH (IE 0x00 or 0x08), else None."""
    i = 1
    while i + 1 < len(udh):
        ie, size = udh[i], udh[i + 1]
        body = udh[i + 2 : i + 2 + size]
        if ie == 0x00 and size == 3:
            return body[0], body[1], body[2]
        if ie == 0x08 and size == 4:
            return body[0] << 8 | body[1], body[2], body[3]
        i += 2 + size
    return None


@dataclass(frozen=True)
class Sms:
    sender: str
    receiver: str
    text: str
    kind: str  # the line's type as Kannel wrote it


@dataclass
class FakeSmsc:
    """The operator's side of Kannel's fake SMSC: phones sending and receiving messages."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    _parts: dict[tuple[str, int], dict[int, bytes]] = field(default_factory=dict)

    @classmethod
    async def connect(cls, port: int, timeout: float = 10) -> FakeSmsc:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                return cls(reader, writer)
            except OSError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def send(self, sender: str, receiver: str, text: str) -> None:
        """A phone sends `text`: Cyrillic as `ucs2` (URL-encoded UTF-16BE), ASCII as `text`."""
        if text.isascii() and text.isprintable() and text:
            line = f"{sender} {receiver} text {text}\n"
        else:
            line = f"{sender} {receiver} ucs2 {quote_from_bytes(text.encode('utf-16-be'))}\n"
        self.writer.write(line.encode("ascii"))
        await self.writer.drain()

    async def send_raw(self, line: str) -> None:
        self.writer.write(line.encode("ascii") + b"\n")
        await self.writer.drain()

    async def receive(self, timeout: float = 10) -> Sms:
        """The next whole message a phone receives (concatenated parts joined)."""
        async with asyncio.timeout(timeout):
            while True:
                line = (await self.reader.readline()).decode("ascii").rstrip("\r\n")
                if not line:
                    raise ConnectionError("Kannel closed the fake SMSC connection")
                message = self._parse(line)
                if message is not None:
                    return message

    def _parse(self, line: str) -> Sms | None:
        sender, receiver, kind, rest = line.split(" ", 3)
        udh = b""
        if kind == "udh":
            # Kannel 1.4.5 writes "udh <udh> <type> <payload>" (older versions left out the type)
            udh_text, _, rest = rest.partition(" ")
            udh = _unquote(udh_text)
            inner, _, payload_text = rest.partition(" ")
            if inner in _PAYLOAD_TYPES and payload_text:
                kind, rest = inner, payload_text
        payload = rest.encode("latin-1") if kind == "text" else _unquote(rest)
        concat = _concat_info(udh) if udh else None
        if concat is not None:
            reference, total, sequence = concat
            parts = self._parts.setdefault((receiver, reference), {})
            parts[sequence] = payload
            if len(parts) < total:
                return None
            del self._parts[(receiver, reference)]
            payload = b"".join(parts[n] for n in sorted(parts))
        return Sms(sender, receiver, self._decode(kind, payload), kind)

    @staticmethod
    def _decode(kind: str, payload: bytes) -> str:
        if kind == "text":
            return payload.decode("latin-1")
        # Kannel writes UCS-2 messages as `ucs2`, or as `udh`/`data` bytes when concatenated.
        if kind in ("ucs2", "ucs-2", "data") and len(payload) % 2 == 0:
            try:
                return payload.decode("utf-16-be")
            except UnicodeDecodeError:
                pass
        return payload.decode("latin-1")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
