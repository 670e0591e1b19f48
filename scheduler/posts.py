"""Scheduled posts on time: one AsyncIOScheduler whose jobs are a cache of `scheduled_posts`.

Each post has one job, for its next fire time; the job claims its slot (`post_runs`) before it
sends, then plans the next one. At start-up, and every `REBUILD_EVERY` seconds (a post added
through another worker), the jobs are rebuilt from the database, and a run missed while the bot
was down is sent if it is at most `grace` old, else recorded as skipped and logged.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rights import PIN, RightsNotices
from models import ScheduledPost
from services.chats import ChatService
from services.clock import Clock
from services.posts import PostService, RunStatus, Schedule

logger = logging.getLogger(__name__)
REBUILD_EVERY = 30.0


class PostScheduler:
    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        default_timezone: str,
        grace_seconds: float,
        notices: RightsNotices,
    ) -> None:
        self.session_pool = session_pool
        self.clock = clock
        self.default_timezone = default_timezone
        self.grace = timedelta(seconds=grace_seconds)
        self.notices = notices
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.bot: Bot | None = None

    async def start(self, bot: Bot) -> None:
        self.bot = bot
        self.scheduler.start()
        self.scheduler.add_job(
            self.rebuild, "interval", seconds=REBUILD_EVERY, id="rebuild", coalesce=True
        )
        await self.rebuild()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return self.bot is not None and self.scheduler.running

    async def rebuild(self) -> None:
        """Plan every enabled post again, after catching up a run missed while down."""
        now = self.clock.now()
        async with self.session_pool() as session:
            posts = await self._service(session).scheduled()
        planned = set()
        for post, timezone, last_run in posts:
            planned.add(job_id(post.id))
            since = max(last_run or post.created_at, post.created_at)
            missed = Schedule(post.schedule).last_between(since, now, timezone)
            if missed is not None:
                await self._catch_up(post, missed, now)
            self._plan(post.id, post.schedule, timezone, now)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("post:") and job.id not in planned:
                job.remove()  # paused, deleted, or its chat removed the bot

    async def reload(self, post_id: int) -> None:
        """A post was added or changed in this process: plan it now rather than at the rebuild."""
        if self.running:
            await self.rebuild()

    async def fire(self, post_id: int, fire_time: datetime) -> None:
        """The job: claim the slot, send, record; then plan the next run."""
        async with self.session_pool() as session, session.begin():
            service = self._service(session)
            post = await session.get(ScheduledPost, post_id)
            claimed = post is not None and post.enabled and await service.claim(post_id, fire_time)
        if post is None or not post.enabled:
            return
        if claimed:
            await self._deliver(post, fire_time)
        timezone = await self._timezone(post.chat_id)
        self._plan(post_id, post.schedule, timezone, fire_time)

    async def send(self, bot: Bot, post: ScheduledPost, preview: str = "") -> Message:
        """Send the post's content (with `preview` above it for `/post test`), then pin it."""
        shift = len(preview.encode("utf-16-le")) // 2  # entity offsets count UTF-16 units
        entities = [
            MessageEntity(**{**entity, "offset": entity["offset"] + shift})
            for entity in post.entities
        ] or None
        text = preview + (post.text or "")
        markup = (
            InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text=t, url=u)] for t, u in post.buttons]
            )
            if post.buttons
            else None
        )
        if post.photo_file_id:
            message = await bot.send_photo(
                post.chat_id, post.photo_file_id, caption=text or None,
                caption_entities=entities, parse_mode=None, reply_markup=markup,
                message_thread_id=post.thread_id,
            )  # fmt: skip
        else:
            message = await bot.send_message(
                post.chat_id, text, entities=entities, parse_mode=None, reply_markup=markup,
                message_thread_id=post.thread_id,
            )  # fmt: skip
        if post.pin and not preview:
            try:
                await bot.pin_chat_message(post.chat_id, message.message_id)
            except TelegramBadRequest as error:
                logger.info("post %s was not pinned: %s", post.id, error)
                await self.notices.check(bot, post.chat_id, PIN)
        return message

    async def _deliver(self, post: ScheduledPost, fire_time: datetime) -> None:
        assert self.bot is not None
        status, message_id = RunStatus.FAILED, None
        try:
            message = await self.send(self.bot, post)
            status, message_id = RunStatus.SENT, message.message_id
        except TelegramForbiddenError:
            logger.warning(
                "post %s is off: the bot was removed from chat %s", post.id, post.chat_id
            )
            async with self.session_pool() as session, session.begin():
                await self._service(session).disable(post.id, "bot removed")
        except TelegramAPIError as error:
            logger.warning("post %s at %s failed: %s", post.id, fire_time, error)
        async with self.session_pool() as session, session.begin():
            await self._service(session).finish(post.id, fire_time, status, message_id)

    async def _catch_up(self, post: ScheduledPost, missed: datetime, now: datetime) -> None:
        if now - missed <= self.grace:
            await self.fire(post.id, missed)
            return
        async with self.session_pool() as session, session.begin():
            skipped = await self._service(session).claim(post.id, missed, RunStatus.SKIPPED)
        if skipped:
            logger.warning(
                "post %s: the run at %s was missed by %s (the bot was down) and is skipped",
                post.id, missed.isoformat(), now - missed,
            )  # fmt: skip

    def _plan(self, post_id: int, schedule: str, timezone: str, after: datetime) -> None:
        next_run = Schedule(schedule).next_after(after, timezone)
        if next_run is None:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(job_id(post_id))
            return
        self.scheduler.add_job(
            self.fire, "date", run_date=next_run, args=[post_id, next_run], id=job_id(post_id),
            replace_existing=True, misfire_grace_time=int(self.grace.total_seconds()) or 1,
        )  # fmt: skip

    async def _timezone(self, chat_id: int) -> str:
        async with self.session_pool() as session:
            profile = await ChatService(session, self.clock, self.default_timezone).profile(chat_id)
        return profile.timezone if profile else self.default_timezone

    def _service(self, session: AsyncSession) -> PostService:
        return PostService(session, self.clock, self.default_timezone)


def job_id(post_id: int) -> str:
    return f"post:{post_id}"
