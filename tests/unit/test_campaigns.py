"""Campaigns: their input, overlaps, the multiplier the points service applies and records,
and greetings and thanks claimed once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import LedgerEntry
from services.campaigns import (
    CampaignInputError,
    CampaignOverlap,
    CampaignService,
    multiplier_text,
    parse_campaign,
)
from services.clock import FrozenClock
from services.points import Award, PointsService
from services.points_audit import audit
from tests.unit.conftest import GROUP

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # noon in Shanghai
SHANGHAI = "Asia/Shanghai"


def test_a_campaign_is_read_with_its_greeting() -> None:
    spec = parse_campaign("店庆 2026-12-01 2026-12-03 x2 欢迎参加店庆！全场9折", TODAY)
    assert (spec.name, spec.first_day, spec.last_day) == (
        "店庆",
        date(2026, 12, 1),
        date(2026, 12, 3),
    )
    assert (spec.multiplier_pct, spec.greeting) == (200, "欢迎参加店庆！全场9折")
    assert parse_campaign("Sale 2026-11-23 2026-11-23 x1.5", TODAY).multiplier_pct == 150
    assert (multiplier_text(200), multiplier_text(150)) == ("×2", "×1.5")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("店庆 2026-12-01 x2", "format"),
        ("店庆 2026-12-01 2026-12-32 x2", "date"),
        ("店庆 2026-11-22 2026-11-24 x2", "past"),
        ("店庆 2026-12-03 2026-12-01 x2", "order"),
        ("店庆 2026-12-01 2027-01-05 x2", "length"),
        ("店庆 2026-12-01 2026-12-03 x1", "multiplier"),
        ("店庆 2026-12-01 2026-12-03 two", "multiplier"),
        ("店庆 2026-12-01 2026-12-03 x11", "multiplier"),
        ("店庆 2026-12-01 2026-12-03 x2 " + "y" * 1001, "long"),
    ],
)
def test_bad_campaigns_name_what_is_wrong(args: str, reason: str) -> None:
    with pytest.raises(CampaignInputError) as error:
        parse_campaign(args, TODAY)
    assert str(error.value) == reason


async def test_awards_during_a_campaign_are_multiplied_and_recorded(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        campaigns = CampaignService(session, clock)
        running = await campaigns.create(
            GROUP, 1, parse_campaign("感恩节 2026-11-23 2026-11-24 x2", TODAY), SHANGHAI
        )
        with pytest.raises(CampaignOverlap):
            await campaigns.create(
                GROUP, 1, parse_campaign("Other 2026-11-24 2026-11-26 x3", TODAY), SHANGHAI
            )
        await campaigns.create(  # the day after: no overlap
            GROUP, 1, parse_campaign("双十二 2026-11-25 2026-11-26 x3", TODAY), SHANGHAI
        )
    assert running.starts_at == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Shanghai midnight
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        paid = await points.award_many(
            [Award(GROUP, 7, 5, "checkin", "c:7"), Award(GROUP, 8, 1, "message", "m:8")],
            {GROUP: SHANGHAI},
        )
        assert paid.paid == {"c:7": 10, "m:8": 2}
        granted = await points.change(GROUP, 9, 50, reason="admin", key="a:9")
        assert granted.paid == 50  # an admin's grant is not multiplied
        referral = await points.change(GROUP, 9, 20, reason="referral", key="r:9")
        assert referral.paid == 40
    async with session_pool() as session:
        rows = (
            await session.execute(
                select(
                    LedgerEntry.idempotency_key, LedgerEntry.delta, LedgerEntry.campaign_id
                ).order_by(LedgerEntry.id)
            )
        ).all()
        assert [tuple(row) for row in rows] == [
            ("c:7", 10, running.id), ("m:8", 2, running.id), ("a:9", 50, None),
            ("r:9", 40, running.id),
        ]  # fmt: skip
        assert await audit(session) == []
        figures = await CampaignService(session, clock).figures(running)
        assert (figures.points, figures.members) == (52, 3)

    clock.set(running.ends_at)  # over, and 双十二 (x3) starts at that very midnight
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        assert (await points.change(GROUP, 7, 5, reason="checkin", key="c:7:2")).paid == 15
    clock.set(running.ends_at + timedelta(days=2))  # no campaign
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        assert (await points.change(GROUP, 7, 5, reason="checkin", key="c:7:3")).paid == 5


async def test_a_greeting_and_the_thanks_are_claimed_once(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        campaign = await CampaignService(session, clock).create(
            GROUP, 1, parse_campaign("店庆 2026-11-24 2026-11-24 x2", TODAY), SHANGHAI
        )
    for what in ("greeting", "thanks"):
        claims = []
        for _worker in range(2):
            async with session_pool() as session, session.begin():
                claims.append(await CampaignService(session, clock).claim(campaign.id, what))
        assert [claim is not None for claim in claims] == [True, False]
    async with session_pool() as session, session.begin():
        service = CampaignService(session, clock)
        assert await service.scheduled() == []
        assert [c.id for c in await service.of_chat(GROUP)] == [campaign.id]
        assert await service.delete(GROUP, campaign.id) is not None
        assert await service.delete(GROUP, campaign.id) is None
        assert await service.of_chat(GROUP) == []
