"""Who joined each group in the last minute, in memory or in Redis when workers share it
(raid mode's threshold: `services/raids.py`).

The window slides (not a slot of the clock: a burst that straddles a slot's edge would count
half). It holds user ids, so a join Telegram tells of twice (the `chat_member` update and the
service message, or a redelivery) counts once. With Redis one sorted set per group, taken in one
transaction as the command throttle's window is (`infrastructure/throttle.py`): every worker
counts the same joins. The scores are the bot's own clock (a worker's, synchronised by NTP).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

PREFIX = "fanbot:joins:"


class JoinWindow(Protocol):
    async def note(self, chat_id: int, user_id: int, now: float) -> list[int]:
        """Note the join at `now` (seconds); who joined in the window up to it, this one too."""
        ...


class MemoryJoinWindow:
    def __init__(self, seconds: float = 60.0, capacity: int = 10_000) -> None:
        self.seconds, self.capacity = seconds, capacity
        self._joins: OrderedDict[int, dict[int, float]] = OrderedDict()  # chat: {user: time}

    async def note(self, chat_id: int, user_id: int, now: float) -> list[int]:
        joins = self._joins.pop(chat_id, {})
        self._joins[chat_id] = joins  # the most recent chat last; the oldest go first
        joins[user_id] = now
        for user, at in list(joins.items()):
            if at <= now - self.seconds:
                del joins[user]
        if len(self._joins) > self.capacity:
            self._joins.popitem(last=False)
        return list(joins)


class RedisJoinWindow:
    """Falls back to this worker's own window while Redis is away (a raid a worker sees alone
    still starts; one spread over workers waits for Redis)."""

    def __init__(self, redis: Redis, seconds: float = 60.0, prefix: str = PREFIX) -> None:
        self.redis, self.seconds, self.prefix = redis, seconds, prefix
        self.local = MemoryJoinWindow(seconds)

    async def note(self, chat_id: int, user_id: int, now: float) -> list[int]:
        key = f"{self.prefix}{chat_id}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zadd(key, {str(user_id): now})
                pipe.zremrangebyscore(key, "-inf", now - self.seconds)
                pipe.zrange(key, 0, -1)
                pipe.expire(key, int(self.seconds) + 1)
                _, _, members, _ = await pipe.execute()
        except RedisError:
            return await self.local.note(chat_id, user_id, now)
        return [int(member) for member in members]
