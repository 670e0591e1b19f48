"""Per-user command throttle: a fixed window in memory, or in Redis when workers share it."""

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
        self._counts: dict[int, tuple[int, int]] = {}

    async def hit(self, user_id: int) -> Verdict:
        slot = int(time.monotonic() // self.window)
        previous_slot, count = self._counts.get(user_id, (slot, 0))
        count = count + 1 if previous_slot == slot else 1
        self._counts[user_id] = (slot, count)
        if len(self._counts) > 100_000:  # forget everyone from older windows
            self._counts = {k: v for k, v in self._counts.items() if v[0] == slot}
        return verdict_for(count, self.limit)


class RedisThrottle:
    def __init__(self, redis: Redis, limit: int = 5, window: float = 10.0) -> None:
        self.redis, self.limit, self.window = redis, limit, window

    async def hit(self, user_id: int) -> Verdict:
        key = f"fanbot:throttle:{user_id}:{int(time.time() // self.window)}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, int(self.window) + 1)
            count, _ = await pipe.execute()
        return verdict_for(int(count), self.limit)
