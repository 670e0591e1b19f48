"""Every way points, orders and codes move in a group that joined another's program, on a real
database: each reads and pays the member's account in the program, never the group's row
(Fans South, `SECOND`, joined Fans, `GROUP`)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import BuyerBinding, Member, Order, RewardCode
from services.boosts import Boost, BoostRules
from services.checkin_results import SignedIn, SignInRequest, Silenced
from services.checkin_rules import CheckinRules
from services.draw_entries import JoinOutcome, JoinRequest
from services.draw_specs import parse_draw
from services.points_audit import audit
from services.reward_specs import parse_reward
from tests.unit.conftest import GROUP
from tests.unit.test_programs import (
    BOTH,
    CLOCK,
    FACTORY,
    ONLY_FIRST,
    ONLY_SECOND,
    SECOND,
    join,
    said,
    two_groups,
    writing_in_both,
)
from workflows.orders import OrderIntake


async def account(pool: async_sessionmaker[AsyncSession], user_id: int) -> Member:
    async with pool() as session:
        found = await session.get(Member, (GROUP, user_id))
        assert found is not None
        return found


async def test_a_draw_in_the_joined_group_checks_and_takes_the_accounts_points(
    session_pool,
) -> None:
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        spec = parse_draw("Mug cost=10 min_points=20", CLOCK.now(), "UTC", [])
        draw = await FACTORY.draws(session).create(SECOND, 1, spec)
        await session.commit()
    async with session_pool() as session:
        (joined,) = await FACTORY.draws(session).join_many([JoinRequest(draw.id, SECOND, BOTH)])
        await session.commit()
    assert (joined.outcome, joined.balance) == (JoinOutcome.JOINED, 130)
    assert (await account(session_pool, BOTH)).points == 130


async def test_a_boost_removed_in_the_joined_group_takes_back_from_the_account(
    session_pool,
) -> None:
    await two_groups(session_pool)
    await join(session_pool)
    now = CLOCK.now()
    boost = Boost(SECOND, "b1", "premium", ONLY_SECOND, now, now + timedelta(days=30))
    async with session_pool() as session:
        await FACTORY.boosts(session).boosted(boost, BoostRules(points=50), "UTC")
        await session.commit()
    assert (await account(session_pool, ONLY_SECOND)).points == 80
    async with session_pool() as session:
        await FACTORY.boosts(session).removed(boost, now, "UTC")
        await session.commit()
        assert await audit(session) == []
    taken = await account(session_pool, ONLY_SECOND)
    assert (taken.points, taken.points_owed) == (30, 0)


async def test_an_order_posted_for_the_joined_group_is_the_programs(session_pool) -> None:
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        session.add(BuyerBinding(chat_id=GROUP, buyer_key="bob", buyer="bob", user_id=BOTH,
                                 bound_by=1, created_at=CLOCK.now(), proof="admin"))  # fmt: skip
        await session.commit()
    intake = OrderIntake(Background(session_pool, FACTORY, create_i18n("en")))
    await intake.post(SECOND, {"group": SECOND, "order_id": "W9", "buyer": "bob",
                               "amount": "100.00", "status": "paid"})  # fmt: skip
    async with session_pool() as session:
        (order,) = await session.scalars(select(Order))
    assert (order.chat_id, order.user_id) == (GROUP, BOTH)


async def test_a_code_kept_apart_at_the_join_is_never_handed_out(session_pool) -> None:
    await two_groups(session_pool)
    now = CLOCK.now()
    async with session_pool() as session:
        shop = FACTORY.shop(session)
        mug = await shop.add(SECOND, 1, parse_reward("Mug price=1 kind=coupon", []))
        cup = await shop.add(GROUP, 1, parse_reward("Cup price=1 kind=coupon", []))
        for chat_id, reward_id in ((SECOND, mug.id), (GROUP, cup.id)):
            session.add(RewardCode(chat_id=chat_id, reward_id=reward_id, code="TEA-1",
                                   status="free", added_at=now))  # fmt: skip
        await session.commit()
    await join(session_pool)
    async with session_pool() as session:
        assert await FACTORY.shop(session).free_codes([mug.id]) == {}
        kept = await session.scalar(select(RewardCode.status).where(RewardCode.chat_id == SECOND))
    assert kept == "held"


async def test_one_batch_with_both_groups_messages_keeps_the_programs_cap(session_pool) -> None:
    await two_groups(session_pool)
    await join(session_pool)
    tally = await writing_in_both(session_pool)
    batch = [said(SECOND, 1, 3), said(GROUP, 2, 5), said(GROUP, 3, 5), said(SECOND, 4, 3)]
    paid = await asyncio.gather(*(tally.record(message) for message in batch))
    later = await asyncio.gather(tally.record(said(GROUP, 5, 5)), tally.record(said(SECOND, 6, 3)))
    assert sum(each.points for each in paid) + sum(each.points for each in later) == 10
    assert (await account(session_pool, ONLY_FIRST)).points == 5 + 10


async def test_an_account_the_ledger_makes_is_not_a_member_of_the_founding_group(
    session_pool,
) -> None:
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        await FACTORY.points(session).change(SECOND, 99, 5, reason="admin", key="a:99")
        await session.commit()
    made = await account(session_pool, 99)
    assert made.points == 5
    assert made.left_at is not None


async def test_a_sign_in_answers_to_the_mute_of_the_group_it_is_made_in(session_pool) -> None:
    """Bob is muted in Fans and signs in in Fans South: signed; Cleo is muted in Fans South and
    signs in there: refused."""
    await two_groups(session_pool)
    await join(session_pool)
    later = CLOCK.now() + timedelta(days=1)
    async with session_pool() as session:
        for chat_id, user_id in ((GROUP, BOTH), (SECOND, ONLY_SECOND)):
            await session.execute(
                update(Member)
                .where(Member.chat_id == chat_id, Member.user_id == user_id)
                .values(silenced_until=later)
            )
        await session.commit()
    async with session_pool() as session:
        results = await FACTORY.checkins(session).check_in_many([
            SignInRequest(GROUP, BOTH, "UTC", CheckinRules(), group_id=SECOND),
            SignInRequest(GROUP, ONLY_SECOND, "UTC", CheckinRules(), group_id=SECOND),
        ])  # fmt: skip
        await session.commit()
    assert isinstance(results[0], SignedIn)
    assert isinstance(results[1], Silenced)
