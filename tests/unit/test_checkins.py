"""The daily sign-in on a real database: once a local day, streaks across DST, make-up days."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.checkin_results import (
    AlreadySignedIn,
    MakeupRefused,
    SignedIn,
    SignInRequest,
    SignInResult,
)
from services.checkin_rules import CheckinRules
from services.checkins import CheckinService, SignInGroupCommit
from services.clock import FrozenClock
from services.points import PointsService
from services.points_audit import audit
from tests.unit.conftest import GROUP

SHANGHAI, NEW_YORK = "Asia/Shanghai", "America/New_York"
RULES = CheckinRules()


def at(day: str, clock_time: str, zone: str = SHANGHAI) -> datetime:
    local = datetime.fromisoformat(f"{day}T{clock_time}").replace(tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


async def sign(
    pool: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    user: int = 1,
    zone: str = SHANGHAI,
    rules: CheckinRules = RULES,
) -> SignInResult:
    async with pool() as session:
        service = CheckinService(session, clock, PointsService(session, clock, zone))
        result = await service.check_in(GROUP, user, zone, rules)
        await session.commit()
        return result


async def make_up(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int = 1
) -> object:
    async with pool() as session:
        service = CheckinService(session, clock, PointsService(session, clock, SHANGHAI))
        try:
            result: object = await service.make_up(GROUP, user, SHANGHAI, RULES)
        except MakeupRefused as refused:
            return refused.reason
        await session.commit()
        return result


async def test_once_a_day_with_a_rank_and_the_time_to_the_next(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-11-23", "09:00"))
    first = await sign(session_pool, clock)
    assert isinstance(first, SignedIn)
    assert (first.streak, first.reward, first.rank, first.balance) == (1, 5, 1, 5)
    clock.set(at("2026-11-23", "23:59:59"))
    again = await sign(session_pool, clock)
    assert isinstance(again, AlreadySignedIn)
    assert again.next_at == at("2026-11-24", "00:00")
    clock.set(at("2026-11-24", "00:00:01"))  # two seconds later: a new day
    second = await sign(session_pool, clock)
    assert isinstance(second, SignedIn)
    assert (second.streak, second.reward, second.rank) == (2, 6, 1)


async def test_streak_bonus_milestones_and_a_missed_day(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-11-01", "08:00"))
    rewards = []
    for day in range(9):
        clock.set(at("2026-11-01", "08:00") + timedelta(days=day))
        result = await sign(session_pool, clock)
        assert isinstance(result, SignedIn)
        rewards.append(result.reward)
    # base 5, +1 a day up to +7, and +20 on day 7
    assert rewards == [5, 6, 7, 8, 9, 10, 11 + 20, 12, 12]
    clock.set(at("2026-11-11", "08:00"))  # the 10th was missed
    result = await sign(session_pool, clock)
    assert isinstance(result, SignedIn)
    assert (result.streak, result.reward) == (1, 5)


@pytest.mark.parametrize(
    "days",
    [("2026-03-07", "2026-03-08", "2026-03-09"), ("2026-10-31", "2026-11-01", "2026-11-02")],
    ids=["spring-forward", "fall-back"],
)
async def test_streaks_survive_dst_changes(session_pool, chat, days) -> None:
    clock = FrozenClock(at(days[0], "23:30", NEW_YORK))
    for n, day in enumerate(days, start=1):
        clock.set(at(day, "23:30" if n != 2 else "00:30", NEW_YORK))
        result = await sign(session_pool, clock, zone=NEW_YORK)
        assert isinstance(result, SignedIn)
        assert result.streak == n


async def test_a_thousand_members_in_one_second_get_ranks_one_to_a_thousand(
    session_pool, chat
) -> None:
    """Through two workers' desks at once, each member trying on both: one sign-in each."""
    clock = FrozenClock(at("2026-11-23", "09:00"))
    desks = [SignInGroupCommit(session_pool, clock, max_batch=300) for _ in range(2)]
    tries = [
        desk.check_in(SignInRequest(GROUP, user, SHANGHAI, RULES))
        for user in range(1, 1001)
        for desk in desks
    ]
    results = await asyncio.gather(*tries)
    signed = [result for result in results if isinstance(result, SignedIn)]
    assert len(signed) == 1000
    assert sorted(result.rank for result in signed) == list(range(1, 1001))
    assert {result.rank for result in results if isinstance(result, AlreadySignedIn)} == {
        result.rank for result in signed
    }
    async with session_pool() as session:
        assert await audit(session) == []
        service = CheckinService(session, clock, PointsService(session, clock, SHANGHAI))
        assert await service.count_today(GROUP, SHANGHAI) == 1000


async def test_one_member_twice_in_a_batch_signs_in_once(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-11-23", "09:00"))
    async with session_pool() as session, session.begin():
        service = CheckinService(session, clock, PointsService(session, clock, SHANGHAI))
        results = await service.check_in_many(
            [SignInRequest(GROUP, user, SHANGHAI, RULES) for user in (7, 7, 8)]
        )
    first, again, other = results
    assert isinstance(first, SignedIn)
    assert isinstance(other, SignedIn)
    assert isinstance(again, AlreadySignedIn)
    assert (first.rank, again.rank, other.rank) == (1, 1, 2)
    assert await sign(session_pool, clock, 7) == again  # later, in its own transaction


async def test_twenty_tries_by_one_member_sign_in_once(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-11-23", "09:00"))
    results = await asyncio.gather(*(sign(session_pool, clock) for _ in range(20)))
    assert sum(isinstance(result, SignedIn) for result in results) == 1
    assert sum(isinstance(result, AlreadySignedIn) for result in results) == 19
    async with session_pool() as session:
        assert (await PointsService(session, clock).balance(GROUP, 1)).points == 5
        assert await audit(session) == []


async def test_make_up_fills_the_missed_day_and_restores_the_streak(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-11-20", "09:00"))
    for day in range(4):  # the 20th to the 23rd: 5+6+7+8 = 26 points
        clock.set(at("2026-11-20", "09:00") + timedelta(days=day))
        await sign(session_pool, clock)
    clock.set(at("2026-11-25", "09:00"))  # the 24th was missed
    assert await make_up(session_pool, clock) != "none"
    signed = await sign(session_pool, clock)
    assert isinstance(signed, SignedIn)
    assert signed.streak == 6  # 20..25 with the 24th made up
    assert signed.balance == 26 - 20 + 5 + 5  # reward on day 6: base 5 + 5
    assert await make_up(session_pool, clock) == "none"  # nothing left to fill


async def test_make_up_refusals_spend_nothing(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-11-01", "09:00"))
    await sign(session_pool, clock)  # 5 points
    clock.set(at("2026-11-03", "09:00"))
    assert await make_up(session_pool, clock) == "points"  # the 2nd costs 20
    for day in range(5, 10):  # the 5th to the 9th signed: the 2nd to the 4th are too far back
        clock.set(at(f"2026-11-0{day}", "09:00"))
        await sign(session_pool, clock)
    clock.set(at("2026-11-10", "09:00"))
    assert await make_up(session_pool, clock) == "none"
    async with session_pool() as session:
        balance = (await PointsService(session, clock).balance(GROUP, 1)).points
    assert balance == 5 + (5 + 6 + 7 + 8 + 9)


async def test_at_most_two_make_ups_a_month(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-11-01", "09:00"))
    async with session_pool() as session:
        await PointsService(session, clock).change(GROUP, 1, 100, reason="admin", key="gift")
        await session.commit()
    clock.set(at("2026-11-05", "09:00"))
    await sign(session_pool, clock)
    made_up = []
    for today in ("07", "09", "11"):
        clock.set(at(f"2026-11-{today}", "09:00"))
        made_up.append(await make_up(session_pool, clock))
    assert [getattr(outcome, "day", outcome) for outcome in made_up] == [
        date(2026, 11, 6),
        date(2026, 11, 8),
        "limit",
    ]
    clock.set(at("2026-12-02", "09:00"))  # a new month
    assert await make_up(session_pool, clock) != "limit"


async def test_a_time_zone_moved_west_gives_no_second_sign_in_on_the_same_real_day(
    session_pool, chat
) -> None:
    clock = FrozenClock(at("2026-12-02", "08:00"))  # Shanghai morning; New York's evening before
    assert isinstance(await sign(session_pool, clock), SignedIn)
    clock.set(at("2026-12-02", "09:00"))
    again = await sign(session_pool, clock, zone=NEW_YORK)  # New York: still 2026-12-01
    assert isinstance(again, AlreadySignedIn)
    # New York's 12-02 is the day already signed: the next sign-in is on its 12-03, in a row.
    clock.set(at("2026-12-02", "12:00", NEW_YORK))
    assert isinstance(await sign(session_pool, clock, zone=NEW_YORK), AlreadySignedIn)
    clock.set(at("2026-12-03", "09:00", NEW_YORK))
    later = await sign(session_pool, clock, zone=NEW_YORK)
    assert isinstance(later, SignedIn)
    assert later.streak == 2


async def test_a_time_zone_moved_east_gives_no_second_sign_in_on_the_same_real_day(
    session_pool, chat
) -> None:
    clock = FrozenClock(at("2026-12-01", "20:00", NEW_YORK))  # 12-02 09:00 in Shanghai
    assert isinstance(await sign(session_pool, clock, zone=NEW_YORK), SignedIn)
    clock.set(at("2026-12-02", "09:30"))  # Shanghai's 12-02: the same real morning
    assert isinstance(await sign(session_pool, clock), AlreadySignedIn)
    clock.set(at("2026-12-03", "08:00"))
    after = await sign(session_pool, clock)
    assert isinstance(after, SignedIn)
    assert after.day == date(2026, 12, 3)


async def test_a_make_up_of_yesterday_does_not_count_as_todays_sign_in(session_pool, chat) -> None:
    clock = FrozenClock(at("2026-12-01", "09:00"))
    assert isinstance(await sign(session_pool, clock), SignedIn)
    clock.set(at("2026-12-03", "09:00"))  # 12-02 was missed
    async with session_pool() as session:
        await PointsService(session, clock, SHANGHAI).change(
            GROUP, 1, 100, reason="admin", key="grant"
        )
        await session.commit()
    assert await make_up(session_pool, clock) != "none"
    assert isinstance(await sign(session_pool, clock), SignedIn)
