"""Boosts: a member's boost pays once per boost id, is taken back when removed (never below
zero: the rest is owed), and /stats counts boosts standing and added."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import LedgerEntry, Member
from services.boosts import Boost, BoostRules, BoostService, Outcome
from services.clock import FrozenClock
from services.points import PointsService
from services.points_audit import audit
from tests.unit.conftest import GROUP

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ALICE, BOB = 1, 2
RULES = BoostRules(points=50)


def boost(boost_id: str = "b1", user: int | None = ALICE, source: str = "premium",
          days: int = 30, added: datetime = NOW) -> Boost:  # fmt: skip
    return Boost(GROUP, boost_id, source, user, added, added + timedelta(days=days))


async def boosted(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, the_boost: Boost,
    rules: BoostRules = RULES,
) -> Outcome:  # fmt: skip
    async with pool() as session, session.begin():
        service = BoostService(session, clock, PointsService(session, clock))
        return await service.boosted(the_boost, rules, "Asia/Shanghai")


async def removed(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, the_boost: Boost
) -> tuple[Outcome, int]:
    async with pool() as session, session.begin():
        service = BoostService(session, clock, PointsService(session, clock))
        return await service.removed(the_boost, clock.now(), "Asia/Shanghai")


async def standing(pool: async_sessionmaker[AsyncSession], user: int) -> tuple[int, int, int]:
    async with pool() as session:
        member = await session.get(Member, (GROUP, user))
        assert member is not None
        return member.points, member.lifetime_points, member.points_owed


async def reasons(pool: async_sessionmaker[AsyncSession]) -> list[tuple[str, int, str | None]]:
    async with pool() as session:
        rows = await session.execute(
            select(LedgerEntry.reason, LedgerEntry.delta, LedgerEntry.ref).order_by(LedgerEntry.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_boost_pays_once_however_often_it_is_told_or_extended(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    assert await boosted(session_pool, clock, boost()) == Outcome.PAID
    assert await boosted(session_pool, clock, boost()) == Outcome.KNOWN  # delivered again
    assert await boosted(session_pool, clock, boost(days=60)) == Outcome.KNOWN  # extended
    assert await standing(session_pool, ALICE) == (50, 50, 0)
    assert await boosted(session_pool, clock, boost("b2")) == Outcome.PAID  # a second boost
    assert await standing(session_pool, ALICE) == (100, 100, 0)
    async with session_pool() as session:
        assert await audit(session) == []


async def test_a_removed_boost_is_taken_back_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await boosted(session_pool, clock, boost())
    clock.set(NOW + timedelta(days=3))
    assert await removed(session_pool, clock, boost()) == (Outcome.TAKEN_BACK, 50)
    assert await removed(session_pool, clock, boost()) == (Outcome.KNOWN, 0)  # told again
    assert await boosted(session_pool, clock, boost()) == Outcome.KNOWN  # a late addition
    assert await standing(session_pool, ALICE) == (0, 0, 0)
    assert await reasons(session_pool) == [("boost", 50, None), ("clawback", -50, "boost")]
    async with session_pool() as session:
        assert await audit(session) == []


async def test_what_was_spent_is_owed_and_taken_from_the_next_earnings(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await boosted(session_pool, clock, boost())
    async with session_pool() as session, session.begin():
        await PointsService(session, clock).change(
            GROUP, ALICE, -40, reason="shop", key="shop:1", timezone="UTC"
        )
    assert await removed(session_pool, clock, boost()) == (Outcome.TAKEN_BACK, 10)
    assert await standing(session_pool, ALICE) == (0, 40, 40)  # 40 owed, lowered when repaid
    async with session_pool() as session, session.begin():
        await PointsService(session, clock).change(
            GROUP, ALICE, 30, reason="checkin", key="checkin:1", timezone="UTC"
        )
    assert await standing(session_pool, ALICE) == (0, 40, 10)  # the sign-in repaid 30
    async with session_pool() as session:
        assert await audit(session) == []


async def test_boosts_of_gift_codes_and_giveaways_are_counted_not_paid(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    assert await boosted(session_pool, clock, boost("g1", None, "giveaway")) == Outcome.RECORDED
    assert await boosted(session_pool, clock, boost("c1", BOB, "gift_code")) == Outcome.RECORDED
    assert await boosted(session_pool, clock, boost("p0", BOB), BoostRules(0)) == Outcome.RECORDED
    assert await removed(session_pool, clock, boost("c1", BOB, "gift_code")) == (
        Outcome.REMOVED, 0,
    )  # fmt: skip
    assert await reasons(session_pool) == []


async def test_a_removal_before_its_addition_leaves_the_addition_unpaid(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    assert await removed(session_pool, clock, boost()) == (Outcome.REMOVED, 0)
    assert await boosted(session_pool, clock, boost()) == Outcome.KNOWN
    assert await reasons(session_pool) == []


async def test_stats_count_boosts_standing_and_added_per_period(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await boosted(session_pool, clock, boost("old", added=NOW - timedelta(days=10)))
    await boosted(session_pool, clock, boost("new", BOB, added=NOW - timedelta(days=1)))
    await boosted(session_pool, clock, boost("gone", BOB, added=NOW - timedelta(days=2)))
    await boosted(session_pool, clock, boost("over", BOB, days=1, added=NOW - timedelta(days=3)))
    await removed(session_pool, clock, boost("gone", BOB))
    await removed(session_pool, clock, boost("never added", BOB))  # not a boost added
    week = timedelta(days=7)
    async with session_pool() as session:
        service = BoostService(session, clock, PointsService(session, clock))
        figures = await service.figures(GROUP, NOW - week, NOW, NOW - 2 * week)
    assert (figures.active, figures.added, figures.added_before) == (2, 3, 1)


async def test_a_crash_before_the_commit_pays_nothing_and_the_redelivery_once(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    try:
        async with session_pool() as session, session.begin():
            service = BoostService(session, clock, PointsService(session, clock))
            assert await service.boosted(boost(), RULES, "UTC") == Outcome.PAID
            raise ConnectionError("the database went away before the commit")
    except ConnectionError:
        pass
    assert await reasons(session_pool) == []  # the row and the points went together
    assert await boosted(session_pool, clock, boost()) == Outcome.PAID  # delivered again
    assert await boosted(session_pool, clock, boost()) == Outcome.KNOWN
    assert await standing(session_pool, ALICE) == (50, 50, 0)
