"""Real server processes for the tests that need them: `komek serve` started as a subprocess on a
free port, waited for, and stopped (or killed) by the test."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import aiohttp

KOMEK = Path(sys.executable).with_name("komek")
TEST_SECRET = "test-secret-key-for-komek-servers-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = {
            "KOMEK_SECRET_KEY": TEST_SECRET,
            **os.environ,
            **env,
            "KOMEK_HOST": "127.0.0.1",
            "KOMEK_PORT": str(self.port),
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 20.0) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(KOMEK), "serve"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as client:
            while asyncio.get_running_loop().time() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
                try:
                    async with client.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
