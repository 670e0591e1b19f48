"""The points ledger on a real database: exactly once per key, never below zero, always audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import LedgerEntry, Member
from services.campaigns import CampaignService, parse_campaign
from services.clock import FrozenClock
from services.points import Award, NotEnoughPoints, PointsService
from services.points_audit import audit
from services.standings import Balance, Period
from tests.unit.conftest import GROUP

CHAT, FAN = GROUP, 42
CLOCK = FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


async def change(
    pool: async_sessionmaker[AsyncSession], delta: int, key: str, reason: str = "message"
) -> Balance:
    async with pool() as session:
        result = await PointsService(session, CLOCK).change(
            CHAT, FAN, delta, reason=reason, key=key
        )
        await session.commit()
        return result


async def test_the_same_key_pays_once(session_pool, chat) -> None:
    first = await change(session_pool, 5, "checkin:-1001:42:2026-11-23")
    again = await change(session_pool, 5, "checkin:-1001:42:2026-11-23")
    assert (first.points, first.applied) == (5, True)
    assert (again.points, again.applied) == (5, False)


async def test_fifty_concurrent_deliveries_of_one_update_pay_once(session_pool, chat) -> None:
    results = await asyncio.gather(*(change(session_pool, 1, "msg:-1001:777") for _ in range(50)))
    assert sum(result.applied for result in results) == 1
    async with session_pool() as session:
        assert (await PointsService(session, CLOCK).balance(CHAT, FAN)).points == 1


async def test_concurrent_different_awards_all_count(session_pool, chat) -> None:
    await asyncio.gather(*(change(session_pool, 2, f"msg:-1001:{n}") for n in range(40)))
    async with session_pool() as session:
        balance = await PointsService(session, CLOCK).balance(CHAT, FAN)
        assert (balance.points, balance.lifetime_points) == (80, 80)
        assert await audit(session) == []


async def test_a_deduction_below_zero_is_refused_and_leaves_no_trace(session_pool, chat) -> None:
    await change(session_pool, 10, "admin:1")
    with pytest.raises(NotEnoughPoints) as refused:
        await change(session_pool, -20, "admin:2", reason="admin")
    assert refused.value.balance == 10
    async with session_pool() as session:
        rows = await session.scalar(select(func.count()).select_from(LedgerEntry))
        assert rows == 1
    retried = await change(session_pool, -10, "admin:2", reason="admin")  # the key was not used up
    assert retried.points == 0


async def test_spending_lowers_points_but_never_lifetime(session_pool, chat) -> None:
    await change(session_pool, 100, "msg:1")
    spent = await change(session_pool, -30, "draw:7:entry", reason="draw")
    refunded = await change(session_pool, 30, "draw:7:refund", reason="refund")
    assert (spent.points, spent.lifetime_points) == (70, 100)
    assert (refunded.points, refunded.lifetime_points) == (100, 100)


@pytest.mark.parametrize("delta", [0, 1_000_001, -1_000_001])
async def test_absurd_amounts_are_refused(session_pool, chat, delta: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 1000000"):
        await change(session_pool, delta, f"admin:{delta}")


async def test_history_lists_the_latest_changes_first(session_pool, chat) -> None:
    for n in range(12):
        await change(session_pool, n + 1, f"msg:{n}")
    async with session_pool() as session:
        history = await PointsService(session, CLOCK).history(CHAT, FAN)
    assert [line.entry.delta for line in history] == list(range(12, 2, -1))


async def test_audit_finds_a_balance_changed_behind_the_ledgers_back(session_pool, chat) -> None:
    await change(session_pool, 7, "msg:1")
    async with session_pool() as session:
        await session.execute(update(Member).where(Member.user_id == FAN).values(points=1000))
        await session.commit()
        mismatches = await audit(session)
    assert len(mismatches) == 1
    assert (mismatches[0].points, mismatches[0].ledger_points) == (1000, 7)


async def test_fanbot_audit_exits_non_zero_on_a_mismatch(
    session_pool, chat, database_url: str, tmp_path
) -> None:
    import os
    import sys

    async def run_audit() -> tuple[int, str]:
        env = {**os.environ, "BOT_TOKEN": "123456:" + "A" * 35, "DATABASE_URL": database_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "audit",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        return process.returncode or 0, out.decode()

    await change(session_pool, 7, "msg:1")
    assert await run_audit() == (
        0,
        "ok: every balance matches its ledger\nok: the shop's stock and codes add up\n",
    )
    async with session_pool() as session:
        await session.execute(update(Member).where(Member.user_id == FAN).values(points=9))
        await session.commit()
    code, out = await run_audit()
    assert code == 1
    assert f"chat {CHAT} user {FAN}: points 9, ledger says 7" in out


@pytest.mark.parametrize("period", [Period.TODAY, Period.ALL])
async def test_a_tie_in_top_goes_to_who_reached_the_figure_first(
    session_pool, chat, period
) -> None:
    clock = FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    # Member 900 (the higher id) gets to 10 first; 100 gets there ten minutes later.
    for step, (user, key) in enumerate([(900, "a"), (100, "b"), (900, "c"), (100, "d")]):
        clock.set(datetime(2026, 11, 23, 9, step * 10, tzinfo=UTC))
        async with session_pool() as session:
            await PointsService(session, clock).change(CHAT, user, 5, reason="message", key=key)
            await session.commit()
    async with session_pool() as session:
        service = PointsService(session, clock)
        top = await service.top(CHAT, "UTC", period)
        positions = [await service.position(CHAT, "UTC", period, u) for u in (900, 100)]
    assert [row.user_id for row in top] == [900, 100]
    assert positions == [(1, 10), (2, 10)]


async def test_history_names_the_campaign_that_multiplied_a_change(session_pool, chat) -> None:
    async with session_pool() as session:
        campaigns = CampaignService(session, CLOCK)
        spec = parse_campaign("双十二 2026-11-23 2026-11-24 x2", CLOCK.now().date())
        await campaigns.create(CHAT, 1, spec, "UTC")
        await session.commit()
    await change(session_pool, 3, "msg:campaign")
    async with session_pool() as session:
        history = await PointsService(session, CLOCK).history(CHAT, FAN)
    assert [(line.entry.delta, line.campaign) for line in history] == [(6, "双十二")]


async def test_a_batch_pays_like_single_changes_and_refuses_a_deduction(session_pool, chat) -> None:
    async with session_pool() as session, session.begin():
        points = PointsService(session, CLOCK)
        one = await points.change(CHAT, FAN, 5, reason="message", key="m:1")
        paid = await points.award_many(
            [Award(CHAT, FAN, 5, "message", "m:1"), Award(CHAT, FAN, 7, "message", "m:2"),
             Award(CHAT, FAN + 1, 3, "message", "m:3")],
            {CHAT: "UTC"},
        )  # fmt: skip
        assert (one.points, one.paid) == (5, 5)
        assert (paid.applied, paid.paid) == ({"m:2", "m:3"}, {"m:2": 7, "m:3": 3})
        assert paid.balances == {(CHAT, FAN): (12, 12), (CHAT, FAN + 1): (3, 3)}
        with pytest.raises(ValueError, match="a batch pays earnings"):
            await points.award_many([Award(CHAT, FAN, -1, "shop", "s:1")], {CHAT: "UTC"})
        assert await audit(session) == []
