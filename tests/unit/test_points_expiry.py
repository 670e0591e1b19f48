"""Points that expire, on a real database with the clock fixed: lots earned over a year, spent
oldest first; what is due expired once however often and by however many workers the run
goes; lifetime points kept and the audit balanced; warnings 30 and 7 days before, once each,
never to an unsubscribed member; a refund after expiry takes what is left, then owes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import DailyStats, LedgerEntry, Member, OutboxMessage
from services.chats import ChatService
from services.clawbacks import take_back
from services.clock import FrozenClock, local_day
from services.factory import ServiceFactory
from services.points import EXPIRED, PointsService
from services.points_audit import audit
from services.points_expiry import Expiring, ExpiryNotice, parse_period, set_expiry
from services.promotions import TierPromotions
from tests.unit.conftest import GROUP
from views.member_card import card_text
from workflows.points_expiry import ExpiryRun

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"
FAN, QUIET = 42, 43


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def ledger(session: AsyncSession, clock: FrozenClock) -> PointsService:
    return PointsService(session, clock, SHANGHAI, promotions=TierPromotions)


async def change(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, points: int,
    reason: str, key: str,
) -> None:  # fmt: skip
    async with pool() as session, session.begin():
        await ledger(session, clock).change(GROUP, user, points, reason=reason, key=key)


def run(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> ExpiryRun:
    """A worker's expiry run."""
    return ExpiryRun(Background(pool, ServiceFactory(clock, SHANGHAI), create_i18n("en")))


async def expired_rows(pool: async_sessionmaker[AsyncSession]) -> list[tuple[int, int]]:
    async with pool() as session:
        rows = await session.execute(
            select(LedgerEntry.user_id, LedgerEntry.delta)
            .where(LedgerEntry.reason == EXPIRED)
            .order_by(LedgerEntry.id)
        )
        return [(user, delta) for user, delta in rows]


async def balances(pool: async_sessionmaker[AsyncSession], user: int) -> tuple[int, int, int]:
    async with pool() as session:
        member = await session.get(Member, (GROUP, user))
        assert member is not None
        return member.points, member.lifetime_points, member.points_owed


async def expire_after(pool: async_sessionmaker[AsyncSession], days: int) -> None:
    async with pool() as session, session.begin():
        await set_expiry(session, GROUP, days)


def test_a_period_is_days_or_off() -> None:
    assert [parse_period(word) for word in ("365d", "365", "OFF", "0", "1y", "")] == [
        365, 365, 0, 0, None, None,
    ]  # fmt: skip


async def test_points_expire_oldest_first_once_however_often_the_run_goes(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(T0)
    await expire_after(session_pool, 365)
    await change(session_pool, clock, FAN, 100, "admin", "a")
    clock.set(day(100))
    await change(session_pool, clock, FAN, 50, "checkin", "b")
    clock.set(day(200))
    await change(session_pool, clock, FAN, 30, "checkin", "c")
    clock.set(day(300))
    await change(session_pool, clock, FAN, -120, "shop", "spend")  # the first lot and 20 more
    async with session_pool() as session:
        expiry = ServiceFactory(clock, SHANGHAI).points_expiry(session)
        assert await expiry.next_expiring(GROUP, FAN, 365, SHANGHAI) == Expiring(
            30, local_day(day(465), SHANGHAI)
        )
        profile = await ChatService(session, clock, SHANGHAI).profile(GROUP)
        assert profile is not None
        card = await ServiceFactory(clock, SHANGHAI).member_cards(session).card(profile, FAN)
        assert card.expiring == Expiring(30, local_day(day(465), SHANGHAI))  # what /me says
        i18n = create_i18n("en")
        with i18n.context(), i18n.use_locale("en"):
            assert f"⏳ 30 points expire on {card.expiring.on.isoformat()}" in card_text(
                card, "Fan", "en"
            )
    clock.set(day(366))  # the first lot's year is over, but it was spent
    assert await run(session_pool, clock).run() == (0, 0)
    assert await expired_rows(session_pool) == []
    clock.set(day(466))  # the second lot's: 30 of it left
    stale = ServiceFactory(clock, SHANGHAI)
    async with session_pool() as session:  # a second worker read the figures first
        seen = await stale.points_expiry(session).due(GROUP, 365)
    assert seen == {FAN: 30}
    both = await asyncio.gather(run(session_pool, clock).run(), run(session_pool, clock).run())
    assert sorted(both) == [(0, 0), (30, 0)]  # two workers at once: one expires
    async with session_pool() as session, session.begin():  # ... and expires after the first
        assert await stale.points_expiry(session).expire(GROUP, 365, list(seen), SHANGHAI) == 0
    assert await run(session_pool, clock).run() == (0, 0)  # a re-run the same day
    clock.set(day(467))
    assert await run(session_pool, clock).run() == (0, 0)  # and the next day
    assert await expired_rows(session_pool) == [(FAN, -30)]
    assert await balances(session_pool, FAN) == (30, 180, 0)  # lifetime points stay
    async with session_pool() as session:
        assert await audit(session) == []
        spent = await session.scalar(
            select(func.coalesce(func.sum(DailyStats.points_spent), 0)).where(
                DailyStats.chat_id == GROUP, DailyStats.day == local_day(day(466), SHANGHAI)
            )
        )
    assert spent == 0  # expired is not spent
    clock.set(day(566))
    assert await run(session_pool, clock).run() == (30, 0)  # the last lot, in its turn
    assert await balances(session_pool, FAN) == (0, 180, 0)


async def test_nothing_expires_while_expiry_is_off(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(T0)
    await change(session_pool, clock, FAN, 100, "admin", "a")
    clock.set(day(800))
    assert await run(session_pool, clock).run() == (0, 0)
    await expire_after(session_pool, 365)
    await expire_after(session_pool, 0)  # off again
    assert await run(session_pool, clock).run() == (0, 0)
    assert await balances(session_pool, FAN) == (100, 100, 0)


async def warnings(pool: async_sessionmaker[AsyncSession]) -> list[tuple[int, int, date]]:
    async with pool() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == ExpiryNotice.kind)
            .order_by(OutboxMessage.id)
        )
        found = []
        for row in rows:
            notice = ExpiryNotice.from_json(row.payload)
            found.append((row.chat_id, notice.points, local_day(notice.by, SHANGHAI)))
        return found


async def test_members_are_warned_30_and_7_days_before_once_each(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(T0)
    await expire_after(session_pool, 365)
    for user in (FAN, QUIET):
        await change(session_pool, clock, user, 100, "admin", f"a{user}")
        async with session_pool() as session, session.begin():
            await ChatService(session, clock, SHANGHAI).ensure(user, "private", str(user))
    async with session_pool() as session, session.begin():
        await ServiceFactory(clock, SHANGHAI).pushes(session).subscribe(QUIET, None, on=False)
    clock.set(day(300))
    assert await run(session_pool, clock).run() == (0, 0)  # not within 30 days yet
    clock.set(day(336))
    async with session_pool() as session, session.begin():  # pushed to today already
        today = local_day(clock.now(), SHANGHAI)
        member = await session.get(Member, (GROUP, FAN))
        assert member is not None
        member.last_push_day = today
    assert await run(session_pool, clock).run() == (0, 0)
    clock.set(day(337))
    assert await run(session_pool, clock).run() == (0, 1)  # 30 days before, once
    clock.set(day(338))
    await change(session_pool, clock, FAN, 5, "checkin", "later")  # a lot for a later batch
    assert await run(session_pool, clock).run() == (0, 0)
    clock.set(day(359))
    assert await run(session_pool, clock).run() == (0, 1)  # 7 days before
    assert await run(session_pool, clock).run() == (0, 0)
    clock.set(day(360))
    assert await run(session_pool, clock).run() == (0, 0)
    clock.set(day(366))
    assert await run(session_pool, clock).run() == (200, 0)  # QUIET's expire too
    assert await warnings(session_pool) == [
        (FAN, 100, local_day(day(367), SHANGHAI)),
        (FAN, 100, local_day(day(366), SHANGHAI)),
    ]
    clock.set(day(338 + 365 - 30))
    assert await run(session_pool, clock).run() == (0, 1)  # the later lot's own warning
    assert (await warnings(session_pool))[-1][1] == 5


async def test_a_refund_after_expiry_takes_what_is_left_then_owes(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(T0)
    await expire_after(session_pool, 365)
    await change(session_pool, clock, FAN, 100, "purchase", "order:1")
    clock.set(day(300))
    await change(session_pool, clock, FAN, 20, "checkin", "c")
    clock.set(day(366))
    assert await run(session_pool, clock).run() == (100, 0)
    async with session_pool() as session, session.begin():
        points = ledger(session, clock)
        assert isinstance(points.promotions, TierPromotions)
        taken = await take_back(
            points.promotions, GROUP, FAN, 100, key="clawback:1", ref="order 1",
            timezone=SHANGHAI,
        )  # fmt: skip
    assert taken == 20
    assert await balances(session_pool, FAN) == (0, 100, 80)
    await change(session_pool, clock, FAN, 50, "checkin", "d")  # repays what is owed
    assert await balances(session_pool, FAN) == (0, 100, 30)
    clock.set(day(800))
    assert await run(session_pool, clock).run() == (0, 0)  # nothing left to expire
    async with session_pool() as session:
        assert await audit(session) == []


@pytest.mark.parametrize("word", ["365d", "off"])
def test_the_setting_reads_back(word: str) -> None:
    from services.points_expiry import ExpiryRules

    days = parse_period(word)
    assert ExpiryRules.from_settings({"expiry": {"days": days}}).on == (word != "off")


async def test_a_dice_stake_given_back_keeps_its_points_expiry(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(T0)
    await expire_after(session_pool, 365)
    await change(session_pool, clock, FAN, 100, "admin", "a")
    clock.set(day(360))  # a duel holds 60 of the oldest lot, then a tie gives it back
    await change(session_pool, clock, FAN, -60, "dice_stake", "dice:1:42:hold")
    await change(session_pool, clock, FAN, 60, "dice_stake", "dice:1:42:back")
    async with session_pool() as session:
        expiry = ServiceFactory(clock, SHANGHAI).points_expiry(session)
        assert await expiry.next_expiring(GROUP, FAN, 365, SHANGHAI) == Expiring(
            100, local_day(day(365), SHANGHAI)
        )
    clock.set(day(366))
    assert await run(session_pool, clock).run() == (100, 0)  # the stake is no fresh lot
    assert await balances(session_pool, FAN) == (0, 100, 0)
