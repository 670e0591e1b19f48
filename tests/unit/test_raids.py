"""Raid mode's pieces: the minute's join window (in memory and shared in Redis), the settings'
parsing, and raids on a real database — started once however many joins see the surge, a
joiner counted once however often Telegram tells of them, ended once, summed up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.methods import RestrictChatMember
from aiogram.types import Chat, ChatMemberLeft, ChatMemberMember, ChatMemberUpdated, Update, User
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from infrastructure.i18n import create_i18n
from infrastructure.join_window import MemoryJoinWindow, RedisJoinWindow
from models import OutboxMessage, Raid, RaidJoin, create_engine, create_session_pool
from services.chat_settings import BadSetting
from services.clock import FrozenClock
from services.raid_messages import RaidAlert
from services.raids import RaidRules, RaidService, RaidTally, parse_raid_rule, set_raid_rules
from tests.conftest import REDIS_URL
from tests.support.telegram import TOKEN, group, recording_bot
from tests.support.untranslated import untranslated
from tests.unit.conftest import GROUP
from views.raids import (
    raid_alert,
    raid_ended_text,
    raid_started_text,
    raid_status_text,
    raid_summary,
)

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


def join_update(update_id: int, chat: Chat, user_id: int) -> Update:
    user = User(id=user_id, is_bot=False, first_name=f"Raider{user_id}")
    joined = ChatMemberUpdated(
        chat=chat, from_user=user, date=datetime.now(UTC),
        old_chat_member=ChatMemberLeft(user=user), new_chat_member=ChatMemberMember(user=user),
    )  # fmt: skip
    return Update(update_id=update_id, chat_member=joined)


async def test_a_surge_through_the_dispatcher_starts_one_raid_and_redelivered_joins_count_once(
    database_url: str,
) -> None:
    settings = load_settings(bot_token=TOKEN, database_url=database_url)
    engine = create_engine(database_url)
    resources = Resources(settings, engine, create_session_pool(engine))
    dispatcher = create_dispatcher(resources)
    bot, telegram = recording_bot()
    fans = group(title="Tea Fans")
    telegram.admins[fans.id] = [1]
    try:
        updates = [join_update(5000 + n, fans, 100 + n) for n in range(20)]
        for update in updates + updates[14:18]:  # the last ones delivered again
            await dispatcher.feed_update(bot, update)
        async with resources.session_pool() as session:
            raids = list(await session.scalars(select(Raid)))
            joined = list(await session.scalars(select(RaidJoin)))
            told = list(
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == RaidAlert.kind)
                )
            )
            welcomes = list(
                await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "welcome"))
            )
    finally:
        await resources.close()
    assert len(raids) == 1
    assert sorted(j.user_id for j in joined) == [100 + n for n in range(20)]  # once each
    assert all(j.restricted for j in joined)
    restricted = {m.user_id for m in telegram.requests if isinstance(m, RestrictChatMember)}
    assert restricted == {100 + n for n in range(20)}
    # Nobody to tell privately, no log channel: one alert in the group, however many surging.
    assert [(row.chat_id, row.key) for row in told] == [
        (fans.id, f"raid_alert:{raids[0].id}:group")
    ]
    assert len(welcomes) == 15  # queued before the raid; the renderer drops them (a raid is on)


def test_raid_mode_reads_as_chinese() -> None:
    i18n = create_i18n("zh")
    started = Raid(id=1, chat_id=GROUP, started_at=NOW, ends_at=NOW + timedelta(minutes=10))
    by_hand = Raid(
        id=2, chat_id=GROUP, started_at=NOW, started_by=7, ends_at=NOW + timedelta(hours=2)
    )
    ended = Raid(
        id=3, chat_id=GROUP, started_at=NOW, ends_at=NOW, ended_at=NOW + timedelta(minutes=25)
    )
    rules, tally = RaidRules(), RaidTally(joins=2048, restricted=2047)
    with i18n.context(), i18n.use_locale("zh"):
        texts = [
            raid_alert("粉丝福利群", started, rules, "Asia/Shanghai"),
            raid_alert("粉丝福利群", by_hand, rules, "Asia/Shanghai"),
            raid_summary("粉丝福利群", ended, tally, "Asia/Shanghai"),
            raid_status_text(started, tally, rules, "Asia/Shanghai"),
            raid_status_text(None, None, RaidRules(threshold=0), "Asia/Shanghai"),
            raid_started_text(by_hand, rules, "Asia/Shanghai", started=True),
            raid_ended_text(tally),
        ]
    assert texts[0] == (
        "🚨 粉丝福利群 已开启防炸群模式：一分钟内入群超过 15 人。新成员 1 小时内只能看不能发言，"
        "群内欢迎语和入群验证题暂停。连续 10 分钟没有集中入群后自动结束，"
        "也可发送 <code>/raid off</code> 结束。"
    )
    assert texts[2].splitlines()[1] == "期间入群 2,048 人，其中 2,047 人被设为只读。"
    assert [untranslated(text) for text in texts] == [[]] * len(texts)
