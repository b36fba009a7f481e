"""Outbound rate limits per channel: Telegram's ~30 messages/s per bot and 1/s per chat, SMS at
the gateway's configured rate (a message of N segments costs N).

Each message reserves a slot of channel time, `cost / rate` seconds long, at the earliest time
that is free on the channel and not before the chat's next allowed time; the caller then sleeps
until its slot. Slots never overlap, so the limit holds in every window with no burst on top. A
message that must wait for its chat takes a slot at that later time and leaves the earlier free
slots to other chats: the channel's reserved time is a set of disjoint busy blocks, not one
"next free" time (adjacent slots merge, so the set stays a few blocks long).

`LocalLimiter` keeps this in one process; `RedisLimiter` keeps it in Redis for every worker,
reserving with one Lua script on Redis's own clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class ChannelLimit:
    rate: float  # messages (units of cost) per second overall
    per_chat: float = 0.0  # minimum seconds between two messages to one chat (0: none)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"rate must be a positive number of messages/s, not {self.rate}")
        if not (math.isfinite(self.per_chat) and self.per_chat >= 0):
            raise ValueError(f"per_chat must be 0 or more seconds, not {self.per_chat}")


DEFAULT_LIMITS: Mapping[str, ChannelLimit] = MappingProxyType(
    {"telegram": ChannelLimit(30.0, 1.0), "sms": ChannelLimit(10.0, 0.0)}
)


@dataclass(frozen=True, slots=True)
class Slot:
    """A reservation: when the message may go (on the limiter's clock) and how long from now."""

    at: float
    wait: float


class RateLimiter(Protocol):
    async def acquire(self, channel: str, chat: str, cost: int = 1) -> float:
        """Wait until this message may go; the seconds waited. A channel without a limit (holds
        included) returns at once."""
        ...

    async def hold_chat(self, channel: str, chat: str, seconds: float) -> None:
        """A 429 with retry_after for this chat: its next message waits that long; other chats
        are not delayed."""
        ...


def _check(cost: int, seconds: float | None = None) -> None:
    if cost < 1:
        raise ValueError(f"a message costs at least 1, not {cost}")
    if seconds is not None and not math.isfinite(seconds):
        raise ValueError(f"cannot hold a chat for {seconds} seconds")


class LocalLimiter:
    """The limits in one process. `reserve` runs without awaiting, so concurrent callers always
    get distinct slots."""

    PRUNE_MIN = 1024  # chats remembered before the expired ones are looked for
    EPSILON = 1e-9  # float rounding: a slot that fills a gap to within a nanosecond fits it

    def __init__(
        self,
        limits: Mapping[str, ChannelLimit] = DEFAULT_LIMITS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = dict(limits)
        self._clock = clock
        self._sleep = sleep
        self._busy: dict[str, list[tuple[float, float]]] = {name: [] for name in self.limits}
        self._chat_next: dict[tuple[str, str], float] = {}
        self._prune_at = self.PRUNE_MIN

    def reserve(self, channel: str, chat: str, cost: int = 1) -> Slot:
        """The slot of this message, reserved; the caller sleeps until it."""
        _check(cost)
        now = self._clock()
        limit = self.limits.get(channel)
        if limit is None:
            return Slot(now, 0.0)
        busy = self._busy[channel]
        expired = bisect_left(busy, now, key=lambda block: block[1])
        del busy[:expired]
        at = max(now, self._chat_next.get((channel, chat), now))
        length = cost / limit.rate
        first = index = bisect_left(busy, at, key=lambda block: block[1])
        while index < len(busy) and busy[index][0] < at + length - self.EPSILON:
            at = busy[index][1]
            index += 1
        start, end = at, at + length
        if index > first:  # the block just passed ends at `at`
            first = index - 1
            start = busy[first][0]
        else:
            first = index
        if index < len(busy) and busy[index][0] <= end + self.EPSILON:
            end = busy[index][1]
            index += 1
        busy[first:index] = [(start, end)]
        if limit.per_chat > 0:
            self._remember(channel, chat, at + limit.per_chat, now)
        return Slot(at, at - now)

    async def acquire(self, channel: str, chat: str, cost: int = 1) -> float:
        wait = self.reserve(channel, chat, cost).wait
        if wait > 0:
            await self._sleep(wait)
        return wait

    async def hold_chat(self, channel: str, chat: str, seconds: float) -> None:
        _check(1, seconds)
        if channel not in self.limits or seconds <= 0:
            return
        now = self._clock()
        until = now + seconds
        if until > self._chat_next.get((channel, chat), now):
            self._remember(channel, chat, until, now)

    def _remember(self, channel: str, chat: str, until: float, now: float) -> None:
        self._chat_next[channel, chat] = until
        if len(self._chat_next) >= self._prune_at:
            self._chat_next = {k: t for k, t in self._chat_next.items() if t > now}
            self._prune_at = max(self.PRUNE_MIN, 2 * len(self._chat_next))


# Times are integer microseconds of Redis's clock; numbers go to redis.call formatted by `f`,
# since Lua's own number-to-string keeps 14 digits and a time in microseconds has 16.
# KEYS[1]: the channel's busy blocks (a sorted set; score = end, member = "start:end").
# KEYS[2]: the chat's next allowed time. ARGV: slot length, per-chat gap, key margin (ms).
_RESERVE = """
local function f(x) return string.format('%.0f', x) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local length, gap, margin = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', f(now))
local at = now
local chat_next = tonumber(redis.call('GET', KEYS[2]))
if chat_next and chat_next > at then at = chat_next end
local blocks = redis.call('ZRANGEBYSCORE', KEYS[1], f(at), '+inf')
local start, finish, merged = nil, nil, {}
for _, member in ipairs(blocks) do
  local sep = string.find(member, ':', 1, true)
  local s, e = tonumber(string.sub(member, 1, sep - 1)), tonumber(string.sub(member, sep + 1))
  if s >= at + length then  -- the slot fits before this block; merge them if they touch
    if s == at + length then
      merged[#merged + 1] = member
      finish = e
    end
    break
  end
  merged = {member}  -- the slot would overlap: try right after; this block ends at the new `at`
  start, at = s, e
end
finish = finish or at + length
if #merged > 0 then redis.call('ZREM', KEYS[1], unpack(merged)) end
redis.call('ZADD', KEYS[1], f(finish), f(start or at) .. ':' .. f(finish))
local last = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
redis.call('PEXPIRE', KEYS[1], f(math.ceil((last - now) / 1000) + margin))
if gap > 0 then
  redis.call('SET', KEYS[2], f(at + gap), 'PX', f(math.ceil((at + gap - now) / 1000) + margin))
end
return {at, now}
"""

# KEYS[1]: the chat's next allowed time. ARGV: the hold, key margin (ms).
_HOLD = """
local function f(x) return string.format('%.0f', x) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local hold, margin = tonumber(ARGV[1]), tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]))
if not current or current < now + hold then
  redis.call('SET', KEYS[1], f(now + hold), 'PX', f(math.ceil(hold / 1000) + margin))
end
return 0
"""


class RedisLimiter:
    """The same limits across every worker sharing one Redis. Keys expire `MARGIN_MS` after they
    stop mattering, so chats seen once do not stay in Redis."""

    MARGIN_MS = 1000

    def __init__(
        self,
        client: Redis,
        limits: Mapping[str, ChannelLimit] = DEFAULT_LIMITS,
        *,
        prefix: str = "komek:rate",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.limits = dict(limits)
        self.prefix = prefix
        self._sleep = sleep
        self._reserve = client.register_script(_RESERVE)
        self._hold = client.register_script(_HOLD)

    def channel_key(self, channel: str) -> str:
        return f"{self.prefix}:{channel}:busy"

    def chat_key(self, channel: str, chat: str) -> str:
        return f"{self.prefix}:{channel}:chat:{chat}"

    async def reserve(self, channel: str, chat: str, cost: int = 1) -> Slot:
        """The slot of this message, reserved; `at` is Unix time on Redis's clock."""
        _check(cost)
        limit = self.limits.get(channel)
        if limit is None:
            return Slot(time.time(), 0.0)
        at, now = await self._reserve(
            keys=[self.channel_key(channel), self.chat_key(channel, chat)],
            args=[_micros(cost / limit.rate), _micros(limit.per_chat), self.MARGIN_MS],
        )
        return Slot(int(at) / 1e6, (int(at) - int(now)) / 1e6)

    async def acquire(self, channel: str, chat: str, cost: int = 1) -> float:
        wait = (await self.reserve(channel, chat, cost)).wait
        if wait > 0:
            await self._sleep(wait)
        return wait

    async def hold_chat(self, channel: str, chat: str, seconds: float) -> None:
        _check(1, seconds)
        if channel not in self.limits or seconds <= 0:
            return
        await self._hold(
            keys=[self.chat_key(channel, chat)], args=[_micros(seconds), self.MARGIN_MS]
        )


def _micros(seconds: float) -> int:
    return math.ceil(seconds * 1_000_000)  # up, so that rounding never raises the rate
