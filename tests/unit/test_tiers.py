"""The VIP ladder, tier-ups, and the period totals behind /top, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.clock import FrozenClock
from services.points import Award, PointsService
from services.promotions import TierPromotions
from services.standings import Period, period_keys
from services.tiers import (
    DEFAULT_TIERS,
    LastTier,
    ThresholdTaken,
    TierError,
    TierService,
    UnknownTier,
    standing,
)
from tests.unit.conftest import GROUP

CHAT = GROUP
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 17:00 in Shanghai
ZONES = {CHAT: "Asia/Shanghai"}


def test_standing_and_progress_on_the_default_ladder() -> None:
    place = standing(DEFAULT_TIERS, 300)
    assert place.tier is not None
    assert place.tier.key == "bronze"
    assert place.next is not None
    assert place.next.key == "silver"
    assert place.progress(300) == pytest.approx(0.5)
    top = standing(DEFAULT_TIERS, 9000)
    assert top.next is None
    assert top.progress(9000) == 1.0
    assert DEFAULT_TIERS[3].label("zh") == "金牌"
    assert DEFAULT_TIERS[3].label("en") == "Gold"


def test_period_keys_follow_the_calendar() -> None:
    keys = period_keys(START.date())
    assert keys == {
        Period.TODAY: "d:2026-11-23",
        Period.WEEK: "w:2026-W48",
        Period.MONTH: "m:2026-11",
    }


async def test_admins_edit_the_ladder_by_either_name(session: AsyncSession, chat: int) -> None:
    tiers = TierService(session)
    gold = await tiers.set(CHAT, "金牌", 2500, "金牌会员专享9折")
    assert (gold.key, gold.threshold, gold.perks) == ("gold", 2500, "金牌会员专享9折")
    vip = await tiers.set(CHAT, "VIP", 20000, None)
    assert vip.label("zh") == "VIP"
    ladder = await tiers.ladder(CHAT)
    assert [tier.key for tier in ladder] == ["member", "bronze", "silver", "gold", "diamond", "vip"]
    with pytest.raises(ThresholdTaken):
        await tiers.set(CHAT, "Gold", 500, None)
    with pytest.raises(TierError):
        await tiers.set(CHAT, "x" * 33, 5, None)
    assert (await tiers.delete(CHAT, "bronze")).key == "bronze"
    with pytest.raises(UnknownTier):
        await tiers.delete(CHAT, "Bronze")
    assert len(await tiers.ladder(CHAT)) == 5


async def test_the_last_tier_cannot_be_removed(session: AsyncSession, chat: int) -> None:
    tiers = TierService(session)
    for name in ("Member", "Bronze", "Silver", "Gold"):
        await tiers.delete(CHAT, name)
    with pytest.raises(LastTier):
        await tiers.delete(CHAT, "Diamond")


async def test_a_change_that_reaches_a_tier_reports_it_once(session: AsyncSession, chat) -> None:
    clock = FrozenClock(START)
    points = PointsService(session, clock, "Asia/Shanghai", promotions=TierPromotions)
    first = await points.change(CHAT, 1, 99, reason="admin", key="a1")
    second = await points.change(CHAT, 1, 1, reason="admin", key="a2")
    third = await points.change(CHAT, 1, -50, reason="redeem", key="a3")
    fourth = await points.change(CHAT, 1, 60, reason="admin", key="a4")
    assert first.promoted_to is None
    assert second.promoted_to is not None
    assert second.promoted_to.key == "bronze"
    assert third.promoted_to is None
    assert fourth.promoted_to is None


async def test_top_and_position_by_period(session: AsyncSession, chat: int) -> None:
    clock = FrozenClock(START - timedelta(days=7))  # last week
    points = PointsService(session, clock, "Asia/Shanghai")
    await points.award_many([Award(CHAT, 1, 50, "message", "old-1")], ZONES)
    clock.set(START)
    awards = [
        Award(CHAT, 2, 10, "message", "k2"),
        Award(CHAT, 3, 30, "message", "k3"),
        Award(CHAT, 3, 5, "checkin", "k4"),
    ]
    await points.award_many(awards, ZONES)
    await points.change(CHAT, 1, -20, reason="redeem", key="spend")
    today = await points.top(CHAT, "Asia/Shanghai", Period.TODAY)
    assert [(row.user_id, row.points) for row in today] == [(3, 35), (2, 10)]
    everyone = await points.top(CHAT, "Asia/Shanghai", Period.ALL)
    assert [(row.user_id, row.points) for row in everyone] == [(1, 50), (3, 35), (2, 10)]
    assert await points.top(CHAT, "Asia/Shanghai", Period.ALL, offset=1, limit=1) == everyone[1:2]
    assert await points.position(CHAT, "Asia/Shanghai", Period.WEEK, 2) == (2, 10)
    assert await points.position(CHAT, "Asia/Shanghai", Period.WEEK, 1) is None
    assert await points.position(CHAT, "Asia/Shanghai", Period.ALL, 1) == (1, 50)


async def test_ties_rank_in_a_stable_order(session: AsyncSession, chat: int) -> None:
    points = PointsService(session, FrozenClock(START), "Asia/Shanghai")
    awards = [Award(CHAT, user, 5, "message", f"tie-{user}") for user in (7, 8, 9)]
    await points.award_many(awards, ZONES)
    listed = [row.user_id for row in await points.top(CHAT, "Asia/Shanghai", Period.MONTH)]
    ranks = [(await points.position(CHAT, "Asia/Shanghai", Period.MONTH, user)) for user in listed]
    assert ranks == [(1, 5), (2, 5), (3, 5)]
