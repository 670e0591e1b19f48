"""Per-user command throttle, in memory or in Redis when workers share it.

A member's window opens with their first command and lasts `window` seconds (not a slot of the
clock: a burst that straddles a slot's edge would get twice the limit).
"""

from __future__ import annotations

import enum
import time
from typing import Protocol

from redis.asyncio import Redis


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first command over the limit: answer once, politely
    DROP = "drop"


def verdict_for(count: int, limit: int) -> Verdict:
    if count <= limit:
        return Verdict.ALLOW
    return Verdict.WARN if count == limit + 1 else Verdict.DROP


class Throttle(Protocol):
    async def hit(self, user_id: int) -> Verdict: ...


class MemoryThrottle:
    def __init__(self, limit: int = 5, window: float = 10.0) -> None:
        self.limit, self.window = limit, window
        self._counts: dict[int, tuple[float, int]] = {}  # user: (window opened, commands)

    async def hit(self, user_id: int) -> Verdict:
        now = time.monotonic()
        opened, count = self._counts.get(user_id, (now, 0))
        if now - opened >= self.window:
            opened, count = now, 0
        self._counts[user_id] = (opened, count + 1)
        if len(self._counts) > 100_000:  # forget everyone whose window has closed
            self._counts = {k: v for k, v in self._counts.items() if now - v[0] < self.window}
        return verdict_for(count + 1, self.limit)


class RedisThrottle:
    def __init__(
        self, redis: Redis, limit: int = 5, window: float = 10.0, prefix: str = "fanbot:throttle:"
    ) -> None:
        self.redis, self.limit, self.window, self.prefix = redis, limit, window, prefix

    async def hit(self, user_id: int) -> Verdict:
        key = f"{self.prefix}{user_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, px=int(self.window * 1000), nx=True)  # the first opens the window
            pipe.incr(key)  # keeps the window's expiry
            _, count = await pipe.execute()
        return verdict_for(int(count), self.limit)
