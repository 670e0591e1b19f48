"""Referrals: who counts as a new fan, when a referral pays, and that it pays once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import LedgerEntry, Member, Referral
from services.chats import ChatService
from services.clock import FrozenClock
from services.points import PointsService
from services.points_audit import audit
from services.referral_rules import set_referral_reward
from services.referrals import STAY, ReferralService, ReferralStatus
from tests.unit.conftest import GROUP

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LINK = "https://t.me/+alice"
ALICE = 1


def service(session: AsyncSession, clock: FrozenClock) -> ReferralService:
    return ReferralService(session, clock, PointsService(session, clock))


async def with_link(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> None:
    async with pool() as session, session.begin():
        await service(session, clock).save_link(GROUP, ALICE, LINK)


async def join(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, link: str = LINK
) -> int | None:
    async with pool() as session, session.begin():
        return await service(session, clock).joined(GROUP, user, link, "UTC")


async def talk(pool: async_sessionmaker[AsyncSession], user: int) -> None:
    async with pool() as session, session.begin():
        await session.execute(
            update(Member)
            .where(Member.chat_id == GROUP, Member.user_id == user)
            .values(message_count=Member.message_count + 1)
        )


async def due(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> list[int]:
    async with pool() as session:
        return [r.invitee_id for r in await service(session, clock).due()]


async def confirm(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, reward: int = 20
) -> bool:
    async with pool() as session, session.begin():
        done = await service(session, clock).confirm(GROUP, user, reward, "Asia/Shanghai")
        return done is not None


async def test_a_link_is_kept_and_joins_through_it_name_the_inviter(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await with_link(session_pool, clock)
    await with_link(session_pool, clock)  # saved twice (a retried update): one link
    async with session_pool() as session:
        assert await service(session, clock).link_of(GROUP, ALICE) == LINK
        assert await service(session, clock).link_of(GROUP, 2) is None
    assert await join(session_pool, clock, 2) == ALICE
    assert await join(session_pool, clock, 2) is None  # the same join redelivered
    assert await join(session_pool, clock, ALICE) is None  # her own link
    assert await join(session_pool, clock, 3, "https://t.me/+unknown") is None
    async with session_pool() as session:
        bob = await session.get(Member, (GROUP, 2))
        assert bob is not None
        assert bob.invited_by == ALICE
        counts = await service(session, clock).counts(GROUP, ALICE)
        assert (counts.confirmed, counts.pending) == (0, 1)


async def test_a_returning_member_who_talked_before_is_no_referral(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await with_link(session_pool, clock)
    async with session_pool() as session, session.begin():
        session.add(Member(chat_id=GROUP, user_id=5, message_count=12))
    assert await join(session_pool, clock, 5) is None


async def test_a_referral_pays_after_a_day_and_a_message_and_only_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await with_link(session_pool, clock)
    await join(session_pool, clock, 2)
    await talk(session_pool, 2)
    clock.set(NOW + STAY - timedelta(seconds=1))
    assert await due(session_pool, clock) == []  # not a day yet
    await join(session_pool, clock, 3)
    clock.set(NOW + STAY)
    assert await due(session_pool, clock) == [2]  # 3 has neither stayed nor talked
    assert await confirm(session_pool, clock, 2)
    assert not await confirm(session_pool, clock, 2)  # a second worker, or a retry
    assert await due(session_pool, clock) == []
    async with session_pool() as session:
        balance = await PointsService(session, clock).balance(GROUP, ALICE)
        assert (balance.points, balance.lifetime_points) == (20, 20)
        entry = (await session.scalars(select(LedgerEntry))).one()
        assert (entry.reason, entry.idempotency_key) == ("referral", f"referral:{GROUP}:2")
        inviters = await service(session, clock).top(GROUP)
        assert [(i.user_id, i.confirmed) for i in inviters] == [(ALICE, 1)]
        assert await audit(session) == []


async def test_leaving_within_the_day_earns_nothing_even_after_coming_back(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await with_link(session_pool, clock)
    await join(session_pool, clock, 2)  # Alice's second account
    await talk(session_pool, 2)
    async with session_pool() as session, session.begin():
        assert await service(session, clock).left(GROUP, 2)
    clock.set(NOW + timedelta(hours=2))
    assert await join(session_pool, clock, 2) is None  # once per invitee, ever
    clock.set(NOW + 2 * STAY)
    assert await due(session_pool, clock) == []
    assert not await confirm(session_pool, clock, 2)
    async with session_pool() as session:
        referral = await session.get(Referral, (GROUP, 2))
        assert referral is not None
        assert referral.status == ReferralStatus.LEFT
        assert (await PointsService(session, clock).balance(GROUP, ALICE)).points == 0


async def test_fifty_joins_through_one_link_at_once_are_all_recorded(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await with_link(session_pool, clock)
    friends = range(100, 150)
    inviters = await asyncio.gather(*(join(session_pool, clock, user) for user in friends))
    assert inviters == [ALICE] * 50
    for user in friends[:30]:
        await talk(session_pool, user)
    clock.set(NOW + STAY)
    assert sorted(await due(session_pool, clock)) == list(friends[:30])
    confirmed = await asyncio.gather(
        *(confirm(session_pool, clock, user) for user in friends[:30] for _twice in range(2))
    )
    assert confirmed.count(True) == 30
    async with session_pool() as session:
        assert (await PointsService(session, clock).balance(GROUP, ALICE)).points == 600
        counts = await service(session, clock).counts(GROUP, ALICE)
        assert (counts.confirmed, counts.pending) == (30, 20)
        assert await audit(session) == []


async def test_a_chat_may_pay_nothing_or_more_for_a_referral(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        chats = ChatService(session, clock, "Asia/Shanghai")
        await set_referral_reward(session, GROUP, 0)
        profile = await chats.profile(GROUP)
    assert profile is not None
    assert profile.referral_rules.reward == 0
    await with_link(session_pool, clock)
    await join(session_pool, clock, 2)
    await talk(session_pool, 2)
    clock.set(NOW + STAY)
    assert await confirm(session_pool, clock, 2, reward=0)
    async with session_pool() as session:
        assert (await PointsService(session, clock).balance(GROUP, ALICE)).points == 0
        assert (await service(session, clock).counts(GROUP, ALICE)).confirmed == 1
