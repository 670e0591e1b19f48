"""The daily cadence with a controllable clock: chats sharing a time share a job, each chat's
run goes out once, a missed run is caught up within the grace, and the digest's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from scheduler.cadence import CadenceJobs
from scheduler.core import Scheduler
from services.cadence_rules import set_cadence
from services.chats import ChatService
from services.checkin_rules import CheckinRules
from services.checkins import CheckinService
from services.clock import Clock, FrozenClock
from services.digest import DigestService
from services.factory import ServiceFactory
from services.points import PointsService
from tests.support.telegram import RecordingSession, forum_topics, recording_bot
from tests.unit.conftest import GROUP
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices

SHANGHAI = "Asia/Shanghai"
NINE = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
OTHER = GROUP - 1


class Sending(CadenceJobs):
    """The cadence's jobs, and the outbox sender that posts what they queue."""

    def __init__(self, background: Background) -> None:
        super().__init__(background, 600)
        notices = RightsNotices(background)
        self.outbox = OutboxSender(background, notices, {}, topics=forum_topics(background))

    async def fire(self, bot: Bot, part: str, chat_ids: list[int], fire_time: datetime) -> None:
        await super().fire(bot, part, chat_ids, fire_time)
        await self.outbox.send_due(bot)


def cadence_at(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> tuple[Scheduler, CadenceJobs, RecordingSession]:
    background = Background(pool, ServiceFactory(clock, SHANGHAI), create_i18n("en"))
    cadence = Sending(background)
    scheduler = Scheduler(clock, [cadence])
    bot, session = recording_bot()
    scheduler.bot = bot
    scheduler.scheduler.start(paused=True)  # jobs are planned but only the test runs them
    return scheduler, cadence, session


async def groups(pool: async_sessionmaker[AsyncSession]) -> None:
    async with pool() as session, session.begin():
        chats = ChatService(session, Clock(), SHANGHAI)
        await chats.ensure(OTHER, "supergroup", "Tea")
        await set_cadence(session, OTHER, "reminder", "off")
        await set_cadence(session, OTHER, "digest", "21:30")


async def test_chats_sharing_a_time_share_a_job_and_each_gets_its_post_once(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    await groups(session_pool)
    clock = FrozenClock(NINE - timedelta(hours=1))
    scheduler, cadence, session = cadence_at(session_pool, clock)
    bot = scheduler.bot
    assert bot is not None
    await scheduler.rebuild()
    jobs = sorted(job.id for job in scheduler.scheduler.get_jobs())
    assert jobs == [
        "cadence:digest:21:30:Asia/Shanghai", "cadence:digest:22:00:Asia/Shanghai",
        "cadence:morning:09:00:Asia/Shanghai", "cadence:reminder:20:00:Asia/Shanghai",
    ]  # fmt: skip
    morning = scheduler.scheduler.get_job("cadence:morning:09:00:Asia/Shanghai")
    assert morning.args[-1] == NINE
    await cadence.fire_slot(bot, "morning", "09:00", SHANGHAI, NINE)
    await cadence.fire_slot(bot, "morning", "09:00", SHANGHAI, NINE)  # a second scheduler
    texts = session.sent_texts()
    assert len(texts) == 2  # both groups, once each
    assert all(text.startswith("☀️ Good morning") for text in texts)

    clock.set(NINE + timedelta(minutes=5))  # restarted five minutes late: nothing new
    await scheduler.rebuild()
    assert len(session.sent_texts()) == 2


async def test_a_morning_missed_within_the_grace_is_caught_up(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NINE + timedelta(minutes=4))
    scheduler, _cadence, session = cadence_at(session_pool, clock)
    await scheduler.rebuild()
    assert [text.splitlines()[0] for text in session.sent_texts()] == [
        "☀️ Good morning, Fans! Today is 2026-11-23."
    ]
    clock.set(NINE + timedelta(hours=13, minutes=30))  # 22:30: the digest is 30 min late
    await scheduler.rebuild()
    assert len(session.sent_texts()) == 1  # past the grace: not sent


async def test_the_digest_counts_the_day(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NINE)
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        checkins = CheckinService(session, clock, points)
        for user in (1, 2):
            await checkins.check_in(GROUP, user, SHANGHAI, CheckinRules())
        await points.change(GROUP, 3, 30, reason="message", key="m:3")
    async with session_pool() as session:
        figures = await DigestService(session, clock).day(GROUP, SHANGHAI, date(2026, 11, 23))
    assert (figures.sign_ins, figures.points_issued, figures.draws_ended) == (2, 40, 0)
    assert [(row.user_id, row.points) for row in figures.top_earners] == [(3, 30), (1, 5), (2, 5)]
    assert figures.tomorrow == []
