from __future__ import annotations

import pytest
from redis.asyncio import Redis

from infrastructure.throttle import MemoryThrottle, RedisThrottle, Throttle, Verdict
from tests.conftest import REDIS_URL


async def verdicts(throttle: Throttle, user_id: int, count: int) -> list[Verdict]:
    return [await throttle.hit(user_id) for _ in range(count)]


async def test_memory_throttle_allows_five_warns_once_then_drops() -> None:
    throttle = MemoryThrottle(limit=5, window=60)
    assert (
        await verdicts(throttle, 1, 8) == [Verdict.ALLOW] * 5 + [Verdict.WARN] + [Verdict.DROP] * 2
    )
    assert await throttle.hit(2) is Verdict.ALLOW  # per user


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (make test sets it)")
async def test_redis_throttle_is_shared_by_workers() -> None:
    redis = Redis.from_url(REDIS_URL or "")
    try:
        await redis.delete("fanbot:throttle:5")  # not flushdb: other modules share the db
        first, second = (
            RedisThrottle(redis, limit=3, window=60),
            RedisThrottle(redis, limit=3, window=60),
        )
        results = [await first.hit(5), await second.hit(5), await first.hit(5), await second.hit(5)]
        assert results == [Verdict.ALLOW] * 3 + [Verdict.WARN]
    finally:
        await redis.aclose()
