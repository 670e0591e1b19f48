"""Raid mode's pieces: the minute's join window (in memory and shared in Redis), the settings'
parsing, and raids on a real database — started once however many joins see the surge, a
joiner counted once however often Telegram tells of them, ended once, summed up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.join_window import MemoryJoinWindow, RedisJoinWindow
from services.chat_settings import BadSetting
from services.clock import FrozenClock
from services.raids import RaidRules, RaidService, parse_raid_rule, set_raid_rules
from tests.conftest import REDIS_URL
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
T0 = NOW.timestamp()


async def test_the_window_counts_each_joiner_once_within_the_last_minute() -> None:
    window = MemoryJoinWindow()
    for user_id in range(1, 16):
        assert len(await window.note(GROUP, user_id, T0 + user_id)) == user_id
    assert len(await window.note(GROUP, 7, T0 + 20)) == 15  # told again: still one join
    assert len(await window.note(GROUP, 16, T0 + 30)) == 16  # the sixteenth in a minute
    assert len(await window.note(-100_2, 1, T0 + 30)) == 1  # every group its own window
    # A minute after the first joins, they have left the window; 7 was seen again at +20.
    late = await window.note(GROUP, 17, T0 + 63)
    assert sorted(late) == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (make test sets it)")
async def test_the_window_in_redis_is_shared_by_workers() -> None:
    redis = Redis.from_url(REDIS_URL or "")
    prefix = "fanbot:test-joins:"
    try:
        await redis.delete(f"{prefix}{GROUP}")
        first, second = RedisJoinWindow(redis, prefix=prefix), RedisJoinWindow(redis, prefix=prefix)
        assert await first.note(GROUP, 1, T0) == [1]
        assert sorted(await second.note(GROUP, 2, T0 + 1)) == [1, 2]
        assert sorted(await first.note(GROUP, 2, T0 + 2)) == [1, 2]  # a redelivery
        assert await second.note(GROUP, 3, T0 + 61) == [2, 3]
    finally:
        await redis.aclose()


def test_raid_settings_read_and_refuse() -> None:
    assert parse_raid_rule(["20"]) == {"threshold": 20}
    assert parse_raid_rule(["OFF"]) == {"threshold": 0}
    assert parse_raid_rule(["hold", "2h"]) == {"hold": 7200}
    assert parse_raid_rule(["calm", "5m"]) == {"calm": 300}
    for bad, which in ((["2"], "threshold"), (["hold", "1m"], "hold"), (["calm", "2d"], "calm"),
                       (["lots"], "usage"), (["hold"], "usage")):  # fmt: skip
        with pytest.raises(BadSetting, match=which):
            parse_raid_rule(bad)
    assert RaidRules.from_settings({}) == RaidRules(threshold=15, hold=3600, calm=600)
    assert RaidRules.from_settings({"raid": {"threshold": 0}}).threshold == 0


async def test_a_raid_starts_once_counts_each_joiner_once_and_ends_once(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await set_raid_rules(session, chat, {"threshold": 20})
        raids = RaidService(session, clock)
        raid, started = await raids.start(chat, NOW + timedelta(minutes=10))
        again, second = await raids.start(chat, NOW + timedelta(minutes=12))
        assert (started, second, again.id) == (True, False, raid.id)
        for user_id in (1, 2, 2, 3):  # 2 told twice (the update and the service message)
            await raids.joined(raid, user_id)
        await raids.held(raid.id, [1, 2])
        await raids.extend(raid, NOW + timedelta(minutes=5))  # never shortened
    clock.set(NOW + timedelta(minutes=11))
    async with session_pool() as session, session.begin():
        raids = RaidService(session, clock)
        assert await raids.due() == []  # pushed to 12 minutes by the second surge
        assert (await raids.tally(raid.id)).joins == 3
    clock.set(NOW + timedelta(minutes=12))
    async with session_pool() as session, session.begin():
        raids = RaidService(session, clock)
        (due,) = await raids.due()
        assert await raids.close(due.id) is not None
        assert await raids.close(due.id) is None  # a second worker's look ends nothing
        assert await raids.current(chat) is None
        tally = await raids.tally(raid.id)
        assert (tally.joins, tally.restricted) == (3, 2)
    async with session_pool() as session, session.begin():
        raids = RaidService(session, clock)
        fresh, started = await raids.start(chat, NOW + timedelta(hours=1), started_by=5)
        assert started
        assert (fresh.id != raid.id, fresh.started_by) == (True, 5)
        assert await raids.close(fresh.id, ended_by=5) is not None
