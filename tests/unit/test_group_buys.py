"""拼团 (group buys): the command's input, joining and leaving, the price tier reached, codes
given once (from the shop's pool or generated) and each participant told once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import GroupBuy, GroupBuyMember, OutboxMessage, Reward, RewardCode
from services.clock import FrozenClock
from services.group_buy_specs import GroupBuyInputError, GroupBuySpec, parse_group_buy
from services.group_buys import (
    GroupBuyClosed,
    GroupBuyService,
    Joining,
    close_due_group_buys,
    standing,
)
from tests.unit.conftest import GROUP

NOW = datetime(2026, 11, 23, 9, 0, 1, tzinfo=UTC)
TZ = "Asia/Shanghai"
Pool = async_sessionmaker[AsyncSession]
TIERS = ((2, 9900), (5, 8900), (10, 7900))


def test_the_command_reads_item_tiers_end_and_pool() -> None:
    spec = parse_group_buy("降噪耳机 Pro 2:99,5:89,10:79 ends=24h pool=3", NOW, TZ)
    assert spec == GroupBuySpec("降噪耳机 Pro", TIERS, NOW + timedelta(hours=24), 3)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ("2:99,5:89 ends=2h", "item"),
        ("耳机 ends=2h", "item"),
        ("耳机 2:99,5:99 ends=2h", "tiers"),
        ("耳机 5:89,2:99 ends=2h", "tiers"),
        ("耳机 1:99 ends=2h", "tiers"),
        ("耳机 2:free ends=2h", "tiers"),
        ("耳机 2:99,5:89", "ends"),
        ("耳机 2:99 ends=2h pool=x", "pool"),
    ],
)
def test_bad_input_names_what_is_wrong(args: str, field: str) -> None:
    with pytest.raises(GroupBuyInputError) as raised:
        parse_group_buy(args, NOW, TZ)
    assert str(raised.value) == field


async def _open(pool: Pool, clock: FrozenClock, reward_id: int | None = None) -> int:
    spec = GroupBuySpec("耳机", TIERS, NOW + timedelta(hours=1), reward_id)
    async with pool() as session, session.begin():
        return (await GroupBuyService(session, clock).create(GROUP, GROUP, 1, spec)).id


async def _press(pool: Pool, clock: FrozenClock, gb: int, user: int, join: bool = True) -> Joining:
    async with pool() as session, session.begin():
        return await GroupBuyService(session, clock).press(GROUP, gb, user, join)


async def _end(pool: Pool, clock: FrozenClock, gb: int) -> GroupBuy:
    async with pool() as session, session.begin():
        return await GroupBuyService(session, clock).end(GROUP, gb)


async def _codes(pool: Pool, gb: int) -> dict[int, str | None]:
    async with pool() as session:
        rows = await session.execute(
            select(GroupBuyMember.user_id, GroupBuyMember.code).where(
                GroupBuyMember.group_buy_id == gb
            )
        )
        return {int(user): code for user, code in rows}


async def _results(pool: Pool) -> list[int]:
    async with pool() as session:
        return list(
            await session.scalars(
                select(OutboxMessage.chat_id)
                .where(OutboxMessage.kind == "group_buy_result")
                .order_by(OutboxMessage.chat_id)
            )
        )


async def test_joining_moves_the_price_through_the_tiers(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    gb = await _open(session_pool, clock)
    outcomes = await asyncio.gather(*(_press(session_pool, clock, gb, u) for u in range(1, 7)))
    assert set(outcomes) == {Joining.JOINED}
    assert await _press(session_pool, clock, gb, 1) is Joining.ALREADY
    assert await _press(session_pool, clock, gb, 6, join=False) is Joining.LEFT
    assert await _press(session_pool, clock, gb, 6, join=False) is Joining.NOT_IN
    async with session_pool() as session:
        group_buy = await session.get(GroupBuy, gb)
        assert group_buy is not None
        assert group_buy.joined == 5
        assert standing(group_buy).price_fen == 8900  # the second tier
        assert standing(group_buy).next_members == 10


async def test_codes_from_the_pool_are_given_once(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        reward = Reward(
            chat_id=GROUP, name="拼团券", kind="coupon", price=0, created_by=1, created_at=NOW
        )
        session.add(reward)
        await session.flush()
        session.add_all(
            RewardCode(chat_id=GROUP, reward_id=reward.id, code=f"C{n}", added_at=NOW)
            for n in range(4)
        )
        reward_id = reward.id
    gb = await _open(session_pool, clock, reward_id)
    for user in range(1, 6):
        await _press(session_pool, clock, gb, user)
    ended = await _end(session_pool, clock, gb)
    assert (ended.status, ended.price_fen) == ("formed", 8900)
    codes = await _codes(session_pool, gb)
    assert sorted(c for c in codes.values() if c) == ["C0", "C1", "C2", "C3"]
    assert list(codes.values()).count(None) == 1  # the pool ran short: an admin sends theirs
    with pytest.raises(GroupBuyClosed):
        await _end(session_pool, clock, gb)
    assert await close_due_group_buys(session_pool, FrozenClock(NOW + timedelta(hours=2))) == 0
    assert await _codes(session_pool, gb) == codes
    assert await _results(session_pool) == [1, 2, 3, 4, 5]
    async with session_pool() as session:
        issued = await session.scalar(
            select(func.count()).where(RewardCode.status == "issued").select_from(RewardCode)
        )
    assert issued == 4


async def test_without_a_pool_codes_are_generated_at_its_end(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    gb = await _open(session_pool, clock)
    for user in (1, 2):
        await _press(session_pool, clock, gb, user)
    assert await close_due_group_buys(session_pool, clock) == 0
    clock.set(NOW + timedelta(hours=1))
    assert await close_due_group_buys(session_pool, clock) == 1
    codes = await _codes(session_pool, gb)
    assert all(code and code.startswith(f"PT{gb}-") for code in codes.values())
    assert len(set(codes.values())) == 2
    assert await _press(session_pool, clock, gb, 3) is Joining.CLOSED


async def test_too_few_and_everyone_is_told_it_did_not_form(session_pool: Pool, chat: int) -> None:
    clock = FrozenClock(NOW)
    gb = await _open(session_pool, clock)
    await _press(session_pool, clock, gb, 7)
    ended = await _end(session_pool, clock, gb)
    assert (ended.status, ended.price_fen) == ("failed", None)
    assert await _codes(session_pool, gb) == {7: None}
    assert await _results(session_pool) == [7]
