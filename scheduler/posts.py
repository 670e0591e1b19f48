"""Scheduled posts on time, once each.

Each post has one job (`scheduler/core.py`), for its next fire time; the job claims its slot
(`post_runs`) before it sends. A run missed while the bot was down is sent if it is at most
`grace` old, else recorded as skipped and logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background import Background
from bot.rights import PIN, RightsNotices
from models import ScheduledPost
from scheduler.core import Jobs
from services.posts import PostService, RunStatus, Schedule, utf16_length

logger = logging.getLogger(__name__)


class PostJobs:
    """Scheduled posts as jobs: one per post, for its next fire time, carrying that time."""

    def __init__(
        self,
        background: Background,
        grace_seconds: float,
        notices: RightsNotices,
    ) -> None:
        self.background = background
        self.grace = timedelta(seconds=grace_seconds)
        self.notices = notices

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

    async def fire(self, bot: Bot, post_id: int, fire_time: datetime) -> None:
        """The job: claim the slot, send, record (the next rebuild plans the next run)."""
        async with self.background.session_pool() as session, session.begin():
            service = self._service(session)
            post = await session.get(ScheduledPost, post_id)
            claimed = post is not None and post.enabled and await service.claim(post_id, fire_time)
        if post is None or not post.enabled:
            return
        if claimed:
            await self._deliver(bot, post, fire_time)

    async def send(self, bot: Bot, post: ScheduledPost, preview: str = "") -> Message:
        """Send the post's content (with `preview` above it for `/post test`), then pin it."""
        shift = utf16_length(preview)  # the entities move past the preview line
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

    async def _deliver(self, bot: Bot, post: ScheduledPost, fire_time: datetime) -> None:
        status, message_id = RunStatus.FAILED, None
        try:
            message = await self.send(bot, post)
            status, message_id = RunStatus.SENT, message.message_id
        except TelegramForbiddenError:
            logger.warning(
                "post %s is off: the bot was removed from chat %s", post.id, post.chat_id
            )
            async with self.background.session_pool() as session, session.begin():
                await self._service(session).disable(post.id, "bot removed")
        except TelegramAPIError as error:
            logger.warning("post %s at %s failed: %s", post.id, fire_time, error)
        async with self.background.session_pool() as session, session.begin():
            await self._service(session).finish(post.id, fire_time, status, message_id)

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
        return PostService(session, self.background.clock, self.background.default_timezone)
