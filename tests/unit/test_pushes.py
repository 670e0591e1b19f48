"""Targeted pushes on a real database: who a push reaches (a segment or a tier and above, who
started the bot, not unsubscribed, not pushed to today), once per confirmation and per day,
within the day's budget; a post's early run once per fire time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import OutboxMessage, ScheduledPost
from services.chats import ChatService
from services.clock import FrozenClock
from services.points import PointsService
from services.posts import PostContent
from services.promotions import TierPromotions
from services.push_messages import PushCopy
from services.pushes import Audience, PushError, PushService
from services.tiers import TierService
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"
GOLD, BRONZE, SILENT = 42, 43, 44


def pushes(session: AsyncSession, clock: FrozenClock) -> PushService:
    return PushService(session, clock, TierService(session))


async def members(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> None:
    async with pool() as session, session.begin():
        points = PointsService(session, clock, promotions=TierPromotions)  # the tiers reached
        for user, lifetime in ((GOLD, 2_000), (BRONZE, 100), (SILENT, 2_500)):
            await points.change(GROUP, user, lifetime, reason="admin", key=f"grant:{user}")
        chats = ChatService(session, clock, SHANGHAI)
        for user in (GOLD, BRONZE):  # the third never started the bot
            await chats.ensure(user, "private", str(user))


async def copies(pool: async_sessionmaker[AsyncSession]) -> list[int]:
    async with pool() as session:
        rows = await session.scalars(
            select(OutboxMessage.chat_id)
            .where(OutboxMessage.kind == PushCopy.kind)
            .order_by(OutboxMessage.chat_id)
        )
        return list(rows)


async def test_a_tier_push_reaches_that_tier_and_above_once_a_day(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await members(session_pool, clock)
    async with session_pool() as session, session.begin():
        service = pushes(session, clock)
        silver = Audience("tier", "silver")
        reach = await service.reach(GROUP, silver, SHANGHAI)
        assert (reach.count, reach.left_out) == (1, 1)  # Gold; the other never started
        push = await service.draft(GROUP, 7, silver, PostContent("new arrivals"), [])
        sent = await service.confirm(GROUP, push.id, SHANGHAI)
        assert sent.recipients == 1
        with pytest.raises(PushError) as again:
            await service.confirm(GROUP, push.id, SHANGHAI)
        assert again.value.reason == "done"
        second = await service.draft(GROUP, 7, Audience("tier", "member"), PostContent("x"), [])
        sent = await service.confirm(GROUP, second.id, SHANGHAI)  # Gold had one today
        assert sent.recipients == 1
    assert await copies(session_pool) == [GOLD, BRONZE]
    async with session_pool() as session, session.begin():
        assert await pushes(session, clock).subscribe(BRONZE, None, on=False) == 1
    clock.set(NOW + timedelta(days=1))
    async with session_pool() as session, session.begin():
        reach = await pushes(session, clock).reach(GROUP, Audience("tier", "member"), SHANGHAI)
    assert (reach.count, reach.left_out) == (1, 2)  # Bronze unsubscribed


async def test_a_posts_early_run_goes_once_per_fire_time(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await members(session_pool, clock)
    fire = NOW + timedelta(hours=1)
    async with session_pool() as session, session.begin():
        post = ScheduledPost(
            chat_id=GROUP, created_by=7, schedule="at 2026-12-02 13:00", text="限量款",
            entities=[], buttons=[], early_tier="gold", early_minutes=120, enabled=True,
            created_at=NOW,
        )  # fmt: skip
        session.add(post)
        await session.flush()
        service = pushes(session, clock)
        first = await service.early(post, fire, SHANGHAI)
        assert first is not None
        assert first.recipients == 1
        assert await service.early(post, fire, SHANGHAI) is None
        assert await service.early_done(post.id, fire)
    assert await copies(session_pool) == [GOLD]
