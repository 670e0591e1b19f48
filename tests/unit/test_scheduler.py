"""The post scheduler with a controllable clock: catch-up, skip, two schedulers, a removed bot,
and the lock that lets one process run it. Posts go out through the outbox sender, run here
right after the jobs."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import ScheduledPost, create_engine
from scheduler import checks
from scheduler.checks import Check
from scheduler.core import Jobs, Scheduler
from scheduler.lock import SchedulerLock
from scheduler.posts import PostJobs
from services.chats import ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.posts import PostContent, PostService, RunStatus, parse_post
from tests.support.telegram import RecordingSession, recording_bot
from tests.unit.conftest import GROUP
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices

SHANGHAI = "Asia/Shanghai"
CREATED = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, the day before
NINE = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


async def daily_post(pool: async_sessionmaker[AsyncSession]) -> int:
    clock = FrozenClock(CREATED)
    async with pool() as session, session.begin():
        post = await PostService(session, clock, SHANGHAI).create(
            GROUP, 1, parse_post("daily 09:00 Good morning", CREATED, SHANGHAI),
            PostContent("Good morning"),
        )  # fmt: skip
    return post.id


class Sending(PostJobs):
    """The post jobs, and the outbox sender that posts what they queue."""

    def __init__(self, background: Background, bot: Bot) -> None:
        super().__init__(background, 600)
        self.bot = bot
        self.outbox = OutboxSender(background, RightsNotices(background), gather={})

    async def fire(self, bot: Bot, post_id: int, fire_time: datetime) -> None:
        await super().fire(bot, post_id, fire_time)
        await self.outbox.send_due(bot)

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        await super().plan(bot, jobs, now)
        await self.outbox.send_due(bot)


def scheduler_at(
    pool: async_sessionmaker[AsyncSession], now: datetime
) -> tuple[Scheduler, PostJobs, RecordingSession]:
    clock = FrozenClock(now)
    background = Background(pool, ServiceFactory(clock, SHANGHAI), create_i18n("en"))
    bot, session = recording_bot()
    posts = Sending(background, bot)
    scheduler = Scheduler(clock, [posts])
    scheduler.bot = bot
    scheduler.scheduler.start(paused=True)  # jobs are planned but only the test runs them
    return scheduler, posts, session


async def runs(pool: async_sessionmaker[AsyncSession], post_id: int) -> list[tuple[datetime, str]]:
    async with pool() as session:
        found = await PostService(session, FrozenClock(NINE), SHANGHAI).runs(post_id)
        return [(run.fire_time, run.status) for run in found]


async def test_a_run_missed_by_five_minutes_is_caught_up_once(session_pool, chat) -> None:
    post_id = await daily_post(session_pool)
    # down since before yesterday's run too: only the latest missed run counts
    scheduler, _posts, session = scheduler_at(session_pool, NINE + timedelta(minutes=5))
    await scheduler.rebuild()
    await scheduler.rebuild()  # a second start, or the periodic rebuild
    assert session.sent_texts() == ["Good morning"]
    assert await runs(session_pool, post_id) == [(NINE, RunStatus.SENT)]
    (job,) = [job for job in scheduler.scheduler.get_jobs() if job.id.startswith("post:")]
    assert job.args[1:] == (post_id, NINE + timedelta(days=1))  # tomorrow's run is planned


async def test_a_background_check_is_planned_once_and_keeps_its_timing(session_pool) -> None:
    scheduler, _posts, _session = scheduler_at(session_pool, NINE)

    async def look() -> None:
        pass

    Jobs(scheduler.scheduler).every("check:something", 5, look)  # at start-up
    (job,) = scheduler.scheduler.get_jobs()
    first_run = job.next_run_time
    Jobs(scheduler.scheduler).every("check:something", 5, look)  # a rebuild plans it again
    (again,) = scheduler.scheduler.get_jobs()
    assert again.next_run_time == first_run  # not put off by another interval
    assert again.trigger.interval == timedelta(seconds=5)


async def test_a_check_behind_a_clock_that_jumped_runs_once_without_listing_each_missed_run(
    session_pool,
) -> None:
    # APScheduler lists every missed run before it coalesces them: for a 1 s check after a
    # jump of 8 days, 691,200 steps in the event loop (the stall of two e2e runs under load).
    scheduler, _posts, _session = scheduler_at(session_pool, NINE)

    async def look() -> None:
        pass

    Jobs(scheduler.scheduler).every("check:fast", 1, look)
    (job,) = scheduler.scheduler.get_jobs()
    started = job.trigger.start_date  # the wall clock's: the trigger counts its runs from it
    job.next_run_time = started
    later = started + timedelta(days=8, microseconds=300_000)
    steps = 0
    trigger_next = job.trigger.get_next_fire_time

    def counted(previous: datetime | None, now: datetime) -> datetime | None:
        nonlocal steps
        steps += 1
        return trigger_next(previous, now)  # type: ignore[no-any-return]

    job.trigger.get_next_fire_time = counted
    run_times = job._get_run_times(later)
    assert run_times == [started, started + timedelta(days=8)]  # the first and the last due
    assert steps == 2  # a coalescing job runs the last, once
    following = counted(run_times[-1], later)
    assert later < following <= later + timedelta(seconds=1)  # the next from now on
    on_time = counted(later - timedelta(milliseconds=500), later)  # not behind: one interval
    assert on_time == later + timedelta(milliseconds=500)


async def test_a_stop_lets_a_running_check_finish_and_starts_none(session_pool) -> None:
    # Cancelled halfway through a query, a check left SQLite's connection in a state that could
    # hang the process's exit: a stop lets it finish instead.
    scheduler = Scheduler(FrozenClock(NINE), [])
    scheduler.scheduler.start()
    looking, done = asyncio.Event(), []

    async def look() -> None:
        looking.set()
        await asyncio.sleep(0.2)
        done.append("look")

    Jobs(scheduler.scheduler, scheduler._running).every("check:slow", 0.1, look)
    await asyncio.wait_for(looking.wait(), 5)
    await scheduler.stop()
    assert done == ["look"]
    await asyncio.sleep(0.3)
    assert done == ["look"]  # none started after the stop
    assert not scheduler.scheduler.running  # (AsyncIOScheduler shuts down in a later turn)


async def test_a_run_missed_by_two_hours_is_skipped_and_recorded(session_pool, chat) -> None:
    post_id = await daily_post(session_pool)
    scheduler, _posts, session = scheduler_at(session_pool, NINE + timedelta(hours=2))
    await scheduler.rebuild()
    assert session.sent_texts() == []
    assert await runs(session_pool, post_id) == [(NINE, RunStatus.SKIPPED)]


async def test_two_schedulers_on_one_database_post_once(session_pool, chat) -> None:
    post_id = await daily_post(session_pool)
    first, first_posts, first_session = scheduler_at(session_pool, NINE)
    second, second_posts, second_session = scheduler_at(session_pool, NINE)
    assert first.bot is not None
    assert second.bot is not None
    await first_posts.fire(first.bot, post_id, NINE)
    await second_posts.fire(second.bot, post_id, NINE)
    assert first_session.sent_texts() + second_session.sent_texts() == ["Good morning"]


async def test_a_post_whose_chat_removed_the_bot_turns_itself_off(session_pool, chat) -> None:
    post_id = await daily_post(session_pool)
    scheduler, posts, session = scheduler_at(session_pool, NINE)
    session.forbidden.add(GROUP)
    assert scheduler.bot is not None
    await posts.fire(scheduler.bot, post_id, NINE)
    async with session_pool() as db:
        post = await db.get(ScheduledPost, post_id)
        assert post is not None
        assert (post.enabled, post.disabled_reason) == (False, "bot removed")
    assert await runs(session_pool, post_id) == [(NINE, RunStatus.FAILED)]
    await scheduler.rebuild()
    assert [job.id for job in scheduler.scheduler.get_jobs()] == []


async def test_one_process_holds_the_scheduler_lock(database_url: str) -> None:
    db_engine = create_engine(database_url)
    first, second = SchedulerLock(db_engine), SchedulerLock(db_engine)
    try:
        assert await first.try_acquire()
        if db_engine.dialect.name == "postgresql":
            assert not await second.try_acquire()  # the other worker stands by
            await first.release()
            assert await second.try_acquire()  # and takes over when the holder goes
        else:
            assert await second.try_acquire()  # SQLite: one process's database
    finally:
        await first.release()
        await second.release()
        await db_engine.dispose()


async def test_a_post_goes_out_unpinned_and_admins_hear_once_without_the_pin_right(
    session_pool, chat
) -> None:
    post_id = await daily_post(session_pool)
    async with session_pool() as db, db.begin():
        post = await db.get(ScheduledPost, post_id)
        assert post is not None
        post.pin = True
    scheduler, posts, session = scheduler_at(session_pool, NINE)
    session.refused.add("pinChatMessage")
    session.bot_rights = {"can_pin_messages": False}
    assert scheduler.bot is not None
    await posts.fire(scheduler.bot, post_id, NINE)
    await posts.fire(scheduler.bot, post_id, NINE + timedelta(days=1))
    texts = session.sent_texts()
    assert texts.count("Good morning") == 2  # it went out both times
    notices = [text for text in texts if text.startswith("⚠️")]
    assert len(notices) == 1
    assert "can't pin messages" in notices[0]


async def test_an_early_post_reaches_its_tier_privately_before_the_group(
    session_pool, chat
) -> None:
    clock = FrozenClock(CREATED)
    async with session_pool() as session, session.begin():
        await (
            ServiceFactory(clock)
            .points(session)
            .change(GROUP, 42, 2_000, reason="admin", key="gold")
        )
        await ChatService(session, clock, SHANGHAI).ensure(42, "private", "Gold fan")
        request = parse_post("daily 09:00 early=Gold:2h 新品抢先看", CREATED, SHANGHAI)
        await PostService(session, clock, SHANGHAI).create(
            GROUP, 1, request, PostContent("新品抢先看"), early_tier="gold"
        )
    scheduler, _posts, session = scheduler_at(session_pool, NINE - timedelta(hours=3))
    await scheduler.rebuild()
    early = [job for job in scheduler.scheduler.get_jobs() if job.id.startswith("post_early:")]
    assert [job.next_run_time for job in early] == [NINE - timedelta(hours=2)]
    scheduler, posts, session = scheduler_at(session_pool, NINE - timedelta(minutes=90))
    await scheduler.rebuild()  # the moment has passed while down: it goes now, once
    await scheduler.rebuild()
    await posts.outbox.send_due(scheduler.bot)  # type: ignore[attr-defined]
    # a member's private copy names the group it comes from, as every push does
    assert session.sent_texts() == ["📣 From Fans:\n新品抢先看"]


async def test_a_slow_background_check_is_named_in_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # On SQLite updates wait for the connection while a check runs: a slow one is worth a line.
    monkeypatch.setattr(checks, "SLOW", 0.05)

    async def slow(_bot: Bot) -> None:
        await asyncio.sleep(0.1)

    async def quick(_bot: Bot) -> None:
        pass

    looks = checks.BackgroundChecks(1, [Check("do it slowly", slow), Check("do it", quick)])
    with caplog.at_level(logging.WARNING, logger="scheduler.checks"):
        await looks.look(recording_bot()[0])
    (said,) = [record.getMessage() for record in caplog.records]
    assert re.fullmatch(r"took \d+\.\d s to do it slowly", said)


async def test_a_rebuild_keeps_a_run_that_is_due_and_has_not_run_yet(session_pool) -> None:
    # A rebuild landing in the seconds between a run's time and the scheduler's late wake-up
    # plans the next run from now (tomorrow): replacing the due one would lose today's.
    scheduler, _posts, _session = scheduler_at(session_pool, NINE)

    async def post() -> None:
        pass

    Jobs(scheduler.scheduler, now=NINE - timedelta(minutes=1)).at(
        "post:1", NINE, post, grace=timedelta(minutes=10)
    )
    later = NINE + timedelta(seconds=5)  # due, and the scheduler has not woken for it yet
    jobs = Jobs(scheduler.scheduler, now=later)
    jobs.at("post:1", NINE + timedelta(days=1), post, grace=timedelta(minutes=10))
    (kept,) = scheduler.scheduler.get_jobs()
    assert kept.next_run_time == NINE  # today's run still fires; the next rebuild plans tomorrow
    assert "post:1" in jobs.planned  # and the rebuild does not remove it
    ahead = Jobs(scheduler.scheduler, now=NINE - timedelta(seconds=5))  # not due yet: a new time
    ahead.at("post:1", NINE + timedelta(hours=1), post, grace=timedelta(minutes=10))
    (moved,) = scheduler.scheduler.get_jobs()
    assert moved.next_run_time == NINE + timedelta(hours=1)
