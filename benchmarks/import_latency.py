"""Chat latency while a large caseload is imported, run by `make bench`.

A `komek serve` on SQLite; ten web-chat people talk to it without pause (the next message once
the previous reply is back) while a worker imports a caseload of 100,000 families, once through
the staff API and once with `komek caseload import` (another process writing the same database
file). Printed: the import's duration and the chat's p50/p99 latency during it, and before it
as a baseline. Target: p99 under 250 ms during the import. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from tests.bot.servers import KOMEK, Server

# A whole self-assessment, over and over: consent, region ... review: all right, result, menu.
SCRIPT = ["", "1", "6", "34 32 7 2", "0", "2", "1", "90000", "1", "1", "1", "menu"]
PASSWORD = "benchmark password"


def caseload(rows: int) -> bytes:
    lines = ["name,phone,region,language,case_notes,next_reassessment"]
    lines += [
        f"Отбасы {n} Сәрсенбаева,+7701{n:07d},astana,kk,көп балалы отбасы,2027-03-01"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


async def chat(
    client: aiohttp.ClientSession,
    url: str,
    person: int,
    stop: asyncio.Event,
    latencies: list[float],
) -> None:
    conversation = f"{person:032x}"
    n = 0
    while not stop.is_set():
        text = SCRIPT[n % len(SCRIPT)]
        started = time.perf_counter()
        async with client.post(
            f"{url}/api/chat",
            json={
                "conversation": conversation,
                "text": text,
                "language": "kk",
                "message_id": f"m{n}",
            },
        ) as response:
            await response.read()
            assert response.status == 200, response.status
        latencies.append(time.perf_counter() - started)
        n += 1


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "no messages"

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return (
        f"p50 {pct(0.5):6.1f} ms   p99 {pct(0.99):6.1f} ms   max {ordered[-1] * 1000:6.1f} ms"
        f"   ({len(ordered)} messages, mean {statistics.fmean(ordered) * 1000:.1f} ms)"
    )


async def measure(
    url: str, people: int, work: Callable[[], Awaitable[float]]
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as client:
        talking = [
            asyncio.create_task(chat(client, url, 1000 + p, stop, latencies)) for p in range(people)
        ]
        took = await work()
        stop.set()
        await asyncio.gather(*talking)
    return took, latencies


async def main(rows: int, people: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite+aiosqlite:///{tmp}/bench.db"
        env = {
            **os.environ,
            "KOMEK_DATABASE_URL": database,
            "KOMEK_STAFF_PASSWORD": PASSWORD,
            "KOMEK_WEB_NEW_CONVERSATIONS": "100000",
        }
        for worker in ("api-worker", "cli-worker"):
            subprocess.run(
                [
                    str(KOMEK),
                    "staff",
                    "add",
                    worker,
                    "--name",
                    worker,
                    "--role",
                    "worker",
                    "--region",
                    "astana",
                ],
                env=env,
                check=True,
                capture_output=True,
            )
        token = subprocess.run(
            [str(KOMEK), "staff", "token", "api-worker"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        server = Server({"KOMEK_DATABASE_URL": database}, Path(tmp) / "server.log")
        await server.start()
        data = caseload(rows)
        cli_data = caseload(rows).replace(b"+7701", b"+7702")
        (Path(tmp) / "cli.csv").write_bytes(cli_data)
        try:

            async def pause() -> float:
                await asyncio.sleep(5)
                return 5.0

            async def through_the_api() -> float:
                started = time.perf_counter()
                async with (
                    aiohttp.ClientSession() as client,
                    client.post(
                        f"{server.url}/api/staff/caseload?filename=cases.csv",
                        data=data,
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=aiohttp.ClientTimeout(total=600),
                    ) as response,
                ):
                    body = await response.json()
                    assert response.status == 200 and body["added"] == rows, body
                return time.perf_counter() - started

            async def with_the_cli() -> float:
                started = time.perf_counter()
                process = await asyncio.create_subprocess_exec(
                    str(KOMEK),
                    "caseload",
                    "import",
                    str(Path(tmp) / "cli.csv"),
                    "--as",
                    "cli-worker",
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                out, _ = await process.communicate()
                assert process.returncode == 0, out
                assert out.decode().startswith(f"{rows} case(s) added"), out
                return time.perf_counter() - started

            print(f"\nChat latency while {rows:,} families are imported ({people} people talking)")
            _, quiet = await measure(server.url, people, pause)
            print(f"  no import (5 s)        {percentiles(quiet)}")
            took, during = await measure(server.url, people, through_the_api)
            print(f"  API import   {took:6.1f} s  {percentiles(during)}")
            api_p99 = sorted(during)[int(0.99 * len(during))] * 1000
            took, during = await measure(server.url, people, with_the_cli)
            print(f"  CLI import   {took:6.1f} s  {percentiles(during)}")
            cli_p99 = sorted(during)[int(0.99 * len(during))] * 1000
        finally:
            server.stop()
    worst = max(api_p99, cli_p99)
    verdict = "ok" if worst < 250 else "MISSED"
    print("\nSummary")
    print(f"  chat p99 during an import, ms (worst)   {worst:8.1f}   target < 250: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(main(options.rows, options.people))
    sys.exit(0)
