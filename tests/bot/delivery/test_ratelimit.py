"""Outbound rate limits: exact and instant with a fake clock in one process, in real time (short
runs at small rates) through Redis."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.delivery.ratelimit import (
    DEFAULT_LIMITS,
    ChannelLimit,
    LocalLimiter,
    RateLimiter,
    RedisLimiter,
)
from tests.conftest import require_service

REDIS_URL = "redis://127.0.0.1:6379/13"


class FakeTime:
    """A clock that moves only when told, and a sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def local(fake: FakeTime) -> LocalLimiter:
    return LocalLimiter(clock=fake.clock, sleep=fake.sleep)


async def test_both_limiters_are_rate_limiters(local: LocalLimiter) -> None:
    client = aioredis.Redis.from_url(REDIS_URL)  # not connected: nothing is sent
    limiters: list[RateLimiter] = [local, RedisLimiter(client)]  # mypy checks the protocol
    assert all(callable(limiter.hold_chat) for limiter in limiters)
    await client.aclose()


@pytest.mark.parametrize(
    ("rate", "per_chat"),
    [(0.0, 0.0), (-1.0, 0.0), (float("nan"), 0.0), (float("inf"), 0.0), (1.0, -0.5)],
)
def test_bad_limits_are_refused(rate: float, per_chat: float) -> None:
    with pytest.raises(ValueError):
        ChannelLimit(rate, per_chat)


async def test_concurrent_messages_to_different_chats_go_one_thirtieth_apart(
    local: LocalLimiter, fake: FakeTime
) -> None:
    waits = await asyncio.gather(*(local.acquire("telegram", f"chat{n}") for n in range(90)))
    assert waits == pytest.approx([n / 30 for n in range(90)], abs=1e-9)
    assert fake.sleeps == pytest.approx([n / 30 for n in range(1, 90)], abs=1e-9)


async def test_a_chat_waits_a_second_while_other_chats_keep_the_pace(
    local: LocalLimiter, fake: FakeTime
) -> None:
    first = local.reserve("telegram", "busy")
    second = local.reserve("telegram", "busy")
    others = [local.reserve("telegram", f"other{n}") for n in range(20)]
    assert second.at - first.at == pytest.approx(1.0)
    assert [slot.wait for slot in others] == pytest.approx([n / 30 for n in range(1, 21)])
    # when the free slots before it are used up, the next chat goes after the waiting one
    more = [local.reserve("telegram", f"more{n}") for n in range(12)]
    assert more[8].at == pytest.approx(first.at + 29 / 30)
    assert more[9].at == pytest.approx(second.at + 1 / 30)
    assert sorted(s.at for s in [first, second, *others, *more]) == pytest.approx(
        [fake.now + n / 30 for n in range(34)]
    )


async def test_a_chat_messaged_after_its_second_is_up_does_not_wait(
    local: LocalLimiter, fake: FakeTime
) -> None:
    assert await local.acquire("telegram", "chat") == 0.0
    fake.now += 0.4
    assert await local.acquire("telegram", "chat") == pytest.approx(0.6)
    fake.now += 1.0
    assert await local.acquire("telegram", "chat") == pytest.approx(0.6)
    fake.now += 5.0
    assert await local.acquire("telegram", "chat") == 0.0
    assert await local.acquire("telegram", "other") == pytest.approx(1 / 30)  # "chat" went now


async def test_an_sms_of_three_segments_holds_the_channel_for_three_slots(
    local: LocalLimiter,
) -> None:
    assert await local.acquire("sms", "+77010000001", cost=3) == 0.0
    assert await local.acquire("sms", "+77010000002") == pytest.approx(0.3)
    assert await local.acquire("sms", "+77010000001") == pytest.approx(0.4)  # no per-chat gap
    with pytest.raises(ValueError):
        await local.acquire("sms", "+77010000001", cost=0)


async def test_a_held_chat_waits_and_the_others_do_not(local: LocalLimiter, fake: FakeTime) -> None:
    await local.hold_chat("telegram", "limited", 5)
    await local.hold_chat("telegram", "limited", 2)  # a shorter hold does not shorten it
    assert await local.acquire("telegram", "limited") == pytest.approx(5.0)
    assert await local.acquire("telegram", "other") == 0.0
    await local.hold_chat("sms", "+77010000001", 3)  # SMS has no per-chat gap, but holds count
    assert await local.acquire("sms", "+77010000001") == pytest.approx(3.0)


async def test_an_unknown_channel_does_not_wait(local: LocalLimiter, fake: FakeTime) -> None:
    await local.hold_chat("web", "someone", 5)
    assert [await local.acquire("web", "someone") for _ in range(100)] == [0.0] * 100
    assert fake.sleeps == []


async def test_the_local_limiter_forgets_what_is_past(fake: FakeTime) -> None:
    limiter = LocalLimiter(clock=fake.clock, sleep=fake.sleep)
    for n in range(3 * LocalLimiter.PRUNE_MIN):
        limiter.reserve("telegram", f"chat{n}")
        fake.now += 2.0
    assert len(limiter._chat_next) <= LocalLimiter.PRUNE_MIN
    assert len(limiter._busy["telegram"]) == 1


async def test_the_default_limits_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        DEFAULT_LIMITS["telegram"] = ChannelLimit(1000.0)  # type: ignore[index]


# Redis: every worker's limiter on one Redis.


async def _redis_available() -> bool:
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        return bool(await client.ping())
    except (OSError, aioredis.RedisError):
        return False
    finally:
        await client.aclose()


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A prefix of this test's own keys, deleted afterwards (and nothing else in the database)."""
    require_service(await _redis_available(), f"Redis is not reachable at {REDIS_URL}")
    prefix = f"komek-test:{uuid.uuid4().hex[:12]}:rate"
    yield prefix
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def clients(prefix: str) -> AsyncIterator[list[aioredis.Redis]]:
    """Two connections: two workers."""
    made = [aioredis.Redis.from_url(REDIS_URL) for _ in range(2)]
    yield made
    for client in made:
        await client.aclose()


def _workers(
    clients: list[aioredis.Redis], prefix: str, limits: dict[str, ChannelLimit] | None = None
) -> list[RedisLimiter]:
    return [RedisLimiter(c, limits or DEFAULT_LIMITS, prefix=prefix) for c in clients]


async def test_redis_sixty_messages_at_thirty_a_second_take_two_seconds(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    limiter, _ = _workers(clients, prefix)
    started = time.monotonic()
    waits = await asyncio.gather(*(limiter.acquire("telegram", f"chat{n}") for n in range(60)))
    span = time.monotonic() - started
    # Never faster than the rate; a loaded machine (coverage, CI) may take a little longer to
    # wake up after the last wait, which the reserved waits below do not depend on.
    assert 1.9 <= span < 2.5
    assert max(waits) == pytest.approx(59 / 30, abs=0.05)


async def test_redis_two_workers_never_reserve_the_same_slot(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    workers = _workers(clients, prefix, {"telegram": ChannelLimit(20.0, 1.0)})
    slots = await asyncio.gather(
        *(workers[n % 2].reserve("telegram", f"chat{n}") for n in range(40))
    )
    times = sorted(slot.at for slot in slots)
    assert len(set(times)) == 40
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.05 - 1e-6
    assert times[-1] - times[0] == pytest.approx(1.95, abs=1e-5)


async def test_redis_forty_concurrent_messages_from_two_workers_take_their_time(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    workers = _workers(clients, prefix, {"telegram": ChannelLimit(20.0, 1.0)})
    started = time.monotonic()
    await asyncio.gather(*(workers[n % 2].acquire("telegram", f"chat{n}") for n in range(40)))
    assert time.monotonic() - started >= 1.95


async def test_redis_a_chat_waits_a_second_while_other_chats_keep_the_pace(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    one, two = _workers(clients, prefix)
    first = await one.reserve("telegram", "busy")
    second = await two.reserve("telegram", "busy")
    others = [await (one, two)[n % 2].reserve("telegram", f"other{n}") for n in range(20)]
    assert second.at - first.at == pytest.approx(1.0, abs=1e-6)
    offsets = [slot.at - first.at for slot in others]
    assert offsets == pytest.approx([n / 30 for n in range(1, 21)], abs=1e-4)


async def test_redis_an_sms_of_three_segments_holds_the_channel(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    one, two = _workers(clients, prefix)
    first = await one.reserve("sms", "+77010000001", cost=3)
    second = await two.reserve("sms", "+77010000002")
    assert second.at - first.at == pytest.approx(0.3, abs=1e-6)


async def test_redis_a_held_chat_waits_and_the_others_do_not(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    one, two = _workers(clients, prefix)
    await one.hold_chat("telegram", "limited", 5)
    await one.hold_chat("telegram", "limited", 2)
    held = await two.reserve("telegram", "limited")
    free = await two.reserve("telegram", "other")
    assert held.wait == pytest.approx(5.0, abs=0.05)
    assert free.wait < 0.05
    ttl = await clients[0].pttl(one.chat_key("telegram", "limited"))
    assert 5000 < ttl <= 6000 + RedisLimiter.MARGIN_MS  # 5 s, then 1 s per chat, then a margin


async def test_redis_keys_expire_a_little_after_they_stop_mattering(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    limiter, _ = _workers(clients, prefix)
    await limiter.reserve("telegram", "chat")
    chat_ttl = await clients[0].pttl(limiter.chat_key("telegram", "chat"))
    busy_ttl = await clients[0].pttl(limiter.channel_key("telegram"))
    assert 1000 < chat_ttl <= 1000 + RedisLimiter.MARGIN_MS
    assert 0 < busy_ttl <= 34 + RedisLimiter.MARGIN_MS
    await limiter.reserve("sms", "+77010000001")
    assert not await clients[0].exists(limiter.chat_key("sms", "+77010000001"))  # no gap to keep


async def test_redis_an_unknown_channel_does_not_wait_or_touch_redis(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    limiter, _ = _workers(clients, prefix)
    await limiter.hold_chat("web", "someone", 5)
    assert [await limiter.acquire("web", "someone") for _ in range(20)] == [0.0] * 20
    assert [key async for key in clients[0].scan_iter(match=f"{prefix}:*")] == []


async def test_redis_slots_fill_the_gap_before_a_waiting_chat_exactly(
    clients: list[aioredis.Redis], prefix: str
) -> None:
    one, two = _workers(clients, prefix, {"telegram": ChannelLimit(20.0, 1.0)})
    first = await one.reserve("telegram", "busy")
    second = await two.reserve("telegram", "busy")
    others = [await (one, two)[n % 2].reserve("telegram", f"other{n}") for n in range(22)]
    offsets = [round(slot.at - first.at, 6) for slot in [second, *others]]
    assert offsets == [1.0] + [n / 20 for n in range(1, 20)] + [1.05, 1.1, 1.15]
    blocks = await clients[0].zrange(one.channel_key("telegram"), 0, -1)
    assert len(blocks) == 1  # the slots merged into one busy block
