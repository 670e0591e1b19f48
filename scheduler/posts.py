"""Scheduled posts on time, once each.

Each post has one job (`scheduler/core.py`), for its next fire time; the job claims its slot
(`post_runs`) and writes the post to the outbox in one transaction, and the outbox sender posts
it. A run missed while the bot was down is sent if it is at most `grace` old, else recorded as
skipped and logged; the outbox row expires with the same grace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from models import ScheduledPost
from scheduler.core import Jobs
from services.batching import GroupCommit
from services.posts import PostService, RunStatus, Schedule

logger = logging.getLogger(__name__)


FIRES_PER_TRANSACTION = 100  # the first go out while the rest are written


class PostJobs:
    """Scheduled posts as jobs: one per post, for its next fire time, carrying that time."""

    def __init__(
        self,
        background: Background,
        grace_seconds: float,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """`queued`: called once posts are committed to the outbox (it wakes the sender)."""
        self.background = background
        self.grace = timedelta(seconds=grace_seconds)
        self.queued = queued
        self._fires = GroupCommit(self._queue, max_batch=FIRES_PER_TRANSACTION)

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        """Catch up a run missed while down, and plan each enabled post's next run."""
        async with self.background.session_pool() as session:
            posts = await self._service(session).scheduled()
        for post, timezone, last_run in posts:
            since = max(last_run or post.created_at, post.created_at)
            missed = Schedule(post.schedule).last_between(since, now, timezone)
            if missed is not None:
                await self._catch_up(bot, post, missed, now)
            next_run = Schedule(post.schedule).next_after(now, timezone)
            if next_run is not None:
                jobs.at(
                    f"post:{post.id}", next_run, self.fire, bot, post.id, next_run,
                    grace=self.grace,
                )  # fmt: skip
                if post.early_tier and post.early_minutes:
                    await self._plan_early(jobs, post, next_run, timezone, now)

    async def fire(self, bot: Bot, post_id: int, fire_time: datetime) -> None:
        """The job: claim the slot and queue the post in the outbox, in one transaction (the
        sender posts and pins it; the next rebuild plans the next run). The jobs of one moment
        (300 groups' 09:00 posts) share a few transactions rather than queue for the database
        one by one, ahead of the sender."""
        await self._fires.submit((post_id, fire_time))

    async def _queue(self, fires: list[tuple[int, datetime]]) -> list[None]:
        async with self.background.session_pool() as session, session.begin():
            found = await session.scalars(
                select(ScheduledPost).where(ScheduledPost.id.in_({p for p, _ in fires}))
            )
            posts = {post.id: post for post in found if post.enabled}
            runs = [(posts[p], when) for p, when in fires if p in posts]
            await self._service(session).queue(runs, self.grace)
        self.queued()
        return [None] * len(fires)

    async def _plan_early(
        self, jobs: Jobs, post: ScheduledPost, next_run: datetime, timezone: str, now: datetime
    ) -> None:
        """The tier's private run `early_minutes` before the group's: a job, or now when that
        moment has passed (a post made 1 h ahead with early=Gold:2h) and it has not run."""
        early_at = next_run - timedelta(minutes=post.early_minutes or 0)
        if early_at > now:
            jobs.at(
                f"post_early:{post.id}", early_at, self.early, post.id, next_run, timezone,
                grace=self.grace,
            )  # fmt: skip
            return
        async with self.background.session_pool() as session:
            done = await self.background.services.pushes(session).early_done(post.id, next_run)
        if not done:
            await self.early(post.id, next_run, timezone)

    async def early(self, post_id: int, fire_time: datetime, timezone: str) -> None:
        async with self.background.session_pool() as session, session.begin():
            post = await session.get(ScheduledPost, post_id)
            if post is None or not post.enabled or not post.early_tier:
                return
            sent = await self.background.services.pushes(session).early(post, fire_time, timezone)
        if sent is not None:
            logger.info("post %s: early run to %s members", post_id, sent.recipients)
            self.queued()

    async def _catch_up(
        self, bot: Bot, post: ScheduledPost, missed: datetime, now: datetime
    ) -> None:
        if now - missed <= self.grace:
            await self.fire(bot, post.id, missed)
            return
        async with self.background.session_pool() as session, session.begin():
            skipped = await self._service(session).claim(post.id, missed, RunStatus.SKIPPED)
        if skipped:
            logger.warning(
                "post %s: the run at %s was missed by %s (the bot was down) and is skipped",
                post.id, missed.isoformat(), now - missed,
            )  # fmt: skip

    def _service(self, session: AsyncSession) -> PostService:
        return self.background.services.posts(session)
