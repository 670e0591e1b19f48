"""The outbox on a real database: an intent written once with its change, gathered and sent
once, again after a sender died, never after its grace; tier-ups and referral thanks on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import OutboxMessage
from services.chats import ChatService
from services.clock import FrozenClock
from services.digest import DigestService
from services.factory import ServiceFactory
from services.outbox import GATHERED, Kind, OutboxService
from services.points import PointsService
from services.referrals import ReferralService
from tests.support.telegram import recording_bot
from tests.unit.conftest import GROUP
from views.cadence import render_digest
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GATHER = 60


def sender(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> OutboxSender:
    background = Background(pool, ServiceFactory(clock, "UTC"), create_i18n("en"))
    return OutboxSender(background, RightsNotices(background), dict.fromkeys(GATHERED, GATHER))


async def grant(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int) -> None:
    """Points enough for Bronze (100 lifetime): a promotion, and its congratulation queued."""
    async with pool() as session, session.begin():
        await PointsService(session, clock).change(
            GROUP, user, 150, reason="admin", key=f"grant:{user}"
        )


async def rows(pool: async_sessionmaker[AsyncSession], status: str) -> int:
    async with pool() as session:
        query = select(func.count()).where(OutboxMessage.status == status)
        return int(await session.scalar(query.select_from(OutboxMessage)) or 0)


async def test_an_intent_is_written_once_however_often_its_change_is_retried(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    for _ in range(3):
        async with session_pool() as session, session.begin():
            await OutboxService(session, clock).add(GROUP, Kind.TIER_UP, "k:1", {"n": 1})
    assert await rows(session_pool, "pending") == 1


async def test_tier_ups_of_one_minute_go_out_as_one_congratulation_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(seconds=20))
    await grant(session_pool, clock, 12)
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 0  # still gathering
    clock.set(NOW + timedelta(seconds=GATHER))
    assert await sender(session_pool, clock).send_due(bot) == 1
    (text,) = telegram.sent_texts()
    assert text.startswith("🎉 New VIP tiers, congratulations!")
    assert text.count("→") == 2
    clock.set(NOW + timedelta(seconds=2 * GATHER))
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert await rows(session_pool, "sent") == 2


async def test_what_a_dead_sender_had_claimed_goes_out_once_after_the_restart(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(seconds=GATHER))
    async with session_pool() as session, session.begin():
        assert len(await OutboxService(session, clock).claim({Kind.TIER_UP: GATHER})) == 1
    # The process dies here, between claiming and sending.
    async with session_pool() as session, session.begin():
        assert await OutboxService(session, clock).resume_interrupted() == 1
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 1
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert len(telegram.sent_texts()) == 1


async def test_an_announcement_later_than_its_grace_is_skipped_not_sent_stale(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(days=2))  # the bot was down for two days
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert telegram.sent_texts() == []
    assert await rows(session_pool, "skipped") == 1


async def test_a_refused_send_fails_the_row_instead_of_retrying_for_ever(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await grant(session_pool, clock, 11)
    clock.set(NOW + timedelta(seconds=GATHER))
    bot, telegram = recording_bot()
    telegram.refused.add("sendMessage")  # a 400 from Telegram
    assert await sender(session_pool, clock).send_due(bot) == 0
    assert await rows(session_pool, "failed") == 1


async def test_a_confirmed_referral_writes_its_thanks_in_the_same_transaction(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        referrals = ReferralService(session, clock, PointsService(session, clock))
        await referrals.save_link(GROUP, 1, "https://t.me/+alice")
        await referrals.joined(GROUP, 2, "https://t.me/+alice", "UTC")
    async with session_pool() as session:
        referrals = ReferralService(session, clock, PointsService(session, clock))
        await referrals.confirm(GROUP, 2, 20, "UTC")
        await session.rollback()  # the confirmation did not happen: nor did its thanks
    assert await rows(session_pool, "pending") == 0
    async with session_pool() as session, session.begin():
        referrals = ReferralService(session, clock, PointsService(session, clock))
        await referrals.confirm(GROUP, 2, 20, "UTC")
    clock.set(NOW + timedelta(seconds=GATHER))
    bot, telegram = recording_bot()
    assert await sender(session_pool, clock).send_due(bot) == 1
    (thanks,) = telegram.sent_texts()
    assert thanks.splitlines()[0] == "🤝 <b>Thanks for bringing friends!</b>"
    assert "+20" in thanks.splitlines()[1]


async def test_the_evening_digest_counts_the_announcements_skipped_as_too_late(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await OutboxService(session, clock).add(GROUP, Kind.TIER_UP, "late", {}, due_at=NOW)
    clock.set(NOW + timedelta(hours=7))  # past the six hours a congratulation may wait
    async with session_pool() as session, session.begin():
        assert [due.late for due in await OutboxService(session, clock).claim()] == [True]
    async with session_pool() as session:
        figures = await DigestService(session, clock).day(GROUP, "UTC", NOW.date())
    assert figures.announcements_skipped == 1
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        async with session_pool() as session:
            profile = await ChatService(session, clock, "UTC").profile(GROUP)
        assert profile is not None
        text = render_digest(profile, figures)
    assert text.splitlines()[-1] == "⚠️ 1 announcement was too late to post and was skipped."
