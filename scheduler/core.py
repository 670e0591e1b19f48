"""The process's one AsyncIOScheduler. Its jobs are a cache of the database: every source
(posts, campaigns, the daily cadence) plans its jobs again at start-up, every `REBUILD_EVERY`
seconds (a change made through another worker) and after a change in this process; a job not
planned again is removed. Every job claims its slot in the database before it sends, so a
restart, a rebuild racing a job, or a second scheduler never sends twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from services.clock import Clock

logger = logging.getLogger(__name__)
REBUILD_EVERY = 30.0  # below a minute, the finest schedule, so a next run is always planned
REBUILD = "rebuild"
STOP_GRACE = 10.0  # a look of the background checks takes well under a second


class Jobs:
    """The jobs one rebuild plans."""

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        running: set[asyncio.Task[Any]] | None = None,
        now: datetime | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.running = set() if running is None else running  # the scheduler's, to stop
        self.planned: set[str] = set()
        self.now = now or datetime.now(UTC)  # the plan's moment

    def _tracked(self, work: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        return tracked(work, self.running)

    def at(
        self,
        job_id: str,
        when: datetime,
        work: Callable[..., Awaitable[None]],
        *args: Any,
        grace: timedelta,
    ) -> None:
        self.planned.add(job_id)
        due = self.scheduler.get_job(job_id)
        due_at = due.next_run_time if due is not None else None
        if due_at is not None and due_at <= self.now and due_at < when:
            return  # due and not run yet (a late wake-up): replaced, that run would be lost
        self.scheduler.add_job(
            self._tracked(work), "date", run_date=when, args=list(args), id=job_id,
            replace_existing=True, misfire_grace_time=max(1, int(grace.total_seconds())),
        )  # fmt: skip

    def every(
        self, job_id: str, seconds: float, work: Callable[..., Awaitable[object]], *args: Any
    ) -> None:
        """A check repeated every `seconds`, the first now. Planned again at each rebuild, the
        job is kept as it is: replacing it would put its next run off by the interval again."""
        self.planned.add(job_id)
        if self.scheduler.get_job(job_id) is None:
            self.scheduler.add_job(
                self._tracked(work), Every(seconds=seconds, timezone=UTC), args=list(args),
                id=job_id, next_run_time=datetime.now(UTC), coalesce=True,
                misfire_grace_time=None,
            )  # fmt: skip


class Every(IntervalTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """An interval whose missed runs are skipped in one step. APScheduler lists every missed
    run of a job before it coalesces them, in the event loop: after the wall clock jumps ahead
    (a host that slept, a clock set forward, a test's libfaketime), a 1 s check 8 days behind
    is a loop of 691,200 steps during which the bot answers no one."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> Any:
        if previous_fire_time is not None and now - previous_fire_time > self.interval:
            # from the run before the last one due, so the next is the last due (on the grid)
            behind = (now - previous_fire_time) // self.interval
            previous_fire_time += (behind - 1) * self.interval
        return super().get_next_fire_time(previous_fire_time, now)


def tracked(
    work: Callable[..., Awaitable[Any]], running: set[asyncio.Task[Any]]
) -> Callable[..., Awaitable[Any]]:
    """`work`, whose runs are in `running` while they run: a stop waits for them."""

    @functools.wraps(work)
    async def run(*args: Any) -> Any:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            return await work(*args)
        finally:
            running.discard(task)

    return run


class JobSource(Protocol):
    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        """Catch up what was missed, and plan the next runs."""


class Scheduler:
    def __init__(self, clock: Clock, sources: Sequence[JobSource]) -> None:
        self.clock = clock
        self.sources = sources
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.bot: Bot | None = None
        self._reloads: set[asyncio.Task[None]] = set()
        # One rebuild at a time: two side by side (reloads after two commands) could finish in
        # the other order, and the one that read the older settings would drop the jobs the
        # newer one planned.
        self._rebuilding = asyncio.Lock()
        self._running: set[asyncio.Task[Any]] = set()

    async def start(self, bot: Bot) -> None:
        self.bot = bot
        self.scheduler.start()
        self.scheduler.add_job(
            tracked(self.rebuild, self._running), Every(seconds=REBUILD_EVERY, timezone=UTC),
            id=REBUILD, coalesce=True,
        )  # fmt: skip
        await self.rebuild()

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """No job starts any more, and those running finish (for `grace` seconds at most): a
        job cancelled halfway through a query left the database connection to the engine's
        disposal in a state that could hang the process's exit."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        self.scheduler.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return self.bot is not None and self.scheduler.running

    async def rebuild(self) -> None:
        async with self._rebuilding:
            await self._rebuild()

    async def _rebuild(self) -> None:
        assert self.bot is not None
        now = self.clock.now()
        jobs = Jobs(self.scheduler, self._running, now)
        for source in self.sources:
            try:
                await source.plan(self.bot, jobs, now)
            except Exception:
                logger.exception("could not plan the jobs of %s", type(source).__name__)
                return  # keep the jobs planned before rather than drop them
        for job in self.scheduler.get_jobs():
            if job.id != REBUILD and job.id not in jobs.planned:
                job.remove()  # paused, deleted, or its chat removed the bot

    async def reload(self) -> None:
        """Something changed in this process: plan now rather than at the next rebuild."""
        if self.running:
            await self.rebuild()

    def reload_soon(self) -> None:
        """`reload` without waiting for it: for after an update's commit (`after_commit`)."""
        if self.running:
            task = asyncio.get_running_loop().create_task(self.reload())
            self._reloads.add(task)
            task.add_done_callback(self._reloads.discard)
