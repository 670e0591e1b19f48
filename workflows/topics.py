"""Topics in Telegram: opened as a forum topic with its opening post, or as an anchor message
that replies join; closed with a summary (and, for a show-off topic, its most loved photos).

Used by `/topic`, by the scheduler (a topic's end) and by the morning post (the daily topic);
it works in sessions of its own, so the caller commits what it wrote first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup, InputMediaPhoto, Message, ReplyParameters
from aiogram.types.media_union import MediaUnion
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from infrastructure.chat_cache import ChatCache
from infrastructure.transactions import commit_update_so_far
from models import Topic
from services.chats import ChatProfile
from services.outbox import OutboxService
from services.topic_messages import TopicSummary
from services.topic_specs import TopicSpec, spec_of
from services.topics import ClosedTopic, TopicService
from views.rights import TOPICS
from views.topics import opening_text, photos_caption, summary_text
from workflows.rights import RightsNotices

logger = logging.getLogger(__name__)


class TopicRightsMissing(Exception):
    """The bot may not create forum topics in this group."""


class ForumTopics:
    def __init__(
        self,
        background: Background,
        notices: RightsNotices,
        chat_cache: ChatCache,
    ) -> None:
        self.background = background
        self.notices = notices
        self.chat_cache = chat_cache

    async def open(
        self,
        bot: Bot,
        profile: ChatProfile,
        spec: TopicSpec,
        *,
        forum: bool,
        created_by: int,
        source_message_id: int | None = None,
        queued_id: int | None = None,
    ) -> Topic | None:
        """Post the topic, then record it open: a new one (from `/topic new`, whose message id
        makes a redelivery open nothing) or the queued `queued_id`. None when it was opened
        before. TopicRightsMissing when a forum does not let the bot create topics."""
        await commit_update_so_far()
        closes_at = self.background.clock.now() + timedelta(hours=spec.hours)
        thread_id = None
        if forum:
            try:
                created = await bot.create_forum_topic(
                    profile.id, spec.title, icon_color=spec.icon_color
                )
            except TelegramBadRequest as error:
                if await self.notices.failed(bot, profile.id, TOPICS, "create a topic", error):
                    raise TopicRightsMissing from None
                raise  # not the right: the original error
            thread_id = created.message_thread_id
        with self.background.speaking(profile):
            text = opening_text(spec, forum, closes_at.astimezone(ZoneInfo(profile.timezone)))
        anchor = await bot.send_message(profile.id, text, message_thread_id=thread_id)
        async with self._session() as session, session.begin():
            topics = self._topics(session)
            if queued_id is not None:
                topic = await topics.open_queued(
                    queued_id, thread_id=thread_id, anchor_message_id=anchor.message_id
                )
            else:
                topic = await topics.create(
                    profile.id, created_by, spec, thread_id=thread_id,
                    anchor_message_id=anchor.message_id, source_message_id=source_message_id,
                )  # fmt: skip
        self.chat_cache.forget(profile.id)
        return topic

    async def open_next(self, bot: Bot, profile: ChatProfile) -> Topic | None:
        """The first queued topic, opened now, if there is one."""
        async with self._session() as session:
            queued = await self._topics(session).next_queued(profile.id)
        return await self.open_queued(bot, profile, queued.id) if queued else None

    async def open_queued(self, bot: Bot, profile: ChatProfile, topic_id: int) -> Topic | None:
        """The daily topic the morning post chose (`topic_id`): opened now, or as it was
        opened before (a morning post sent again after a restart opens nothing twice)."""
        async with self._session() as session:
            queued = await session.get(Topic, topic_id)
        if queued is None or queued.chat_id != profile.id or queued.status != "queued":
            return queued if queued is not None and queued.status == "open" else None
        forum = bool((await bot.get_chat(profile.id)).is_forum)
        spec = spec_of(queued)
        if not forum:
            spec = replace(spec, icon_color=None)  # queued for a group that is no forum now
        return await self.open(
            bot, profile, spec, forum=forum, created_by=queued.created_by, queued_id=queued.id
        )

    async def close(self, bot: Bot, topic_id: int) -> ClosedTopic | None:
        """Close an open topic, pay the bonuses and post the summary; None if it was closed."""
        await commit_update_so_far()
        async with self._session() as session, session.begin():
            topics = self._topics(session)
            chat_id = await topics.chat_of(topic_id)
            profile = (
                await self.background.services.chats(session).profile(chat_id) if chat_id else None
            )
            timezone = self.background.timezone_of(profile)
            closed = await topics.close(topic_id, timezone)
            if closed is None:
                return None
            # The summary (and the forum topic's closing) goes out through the outbox, written
            # with the close: a stop between the two cannot lose it.
            topic = closed.topic
            with self.background.speaking(profile):
                summary = TopicSummary(
                    text=summary_text(closed),
                    photos=tuple(photo.file_id for photo in closed.photos),
                    caption=photos_caption(closed),
                    thread_id=topic.thread_id,
                    anchor_id=topic.anchor_message_id,
                )
            await OutboxService(session, self.background.clock).add(
                topic.chat_id, summary, f"topic_summary:{topic.id}"
            )
        self.chat_cache.forget(topic.chat_id)
        return closed  # a tier reached with the bonuses is congratulated through the outbox

    def _session(self) -> AsyncSession:
        return self.background.session_pool()

    def _topics(self, session: AsyncSession) -> TopicService:
        return self.background.services.topics(session)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a topic's messages go: its forum thread, or under its anchor."""

    thread_id: int | None
    reply: ReplyParameters | None

    @classmethod
    def of(cls, topic: Topic) -> Placement:
        return cls.at(topic.thread_id, topic.anchor_message_id)

    @classmethod
    def at(cls, thread_id: int | None, anchor_id: int | None) -> Placement:
        if thread_id is not None or anchor_id is None:
            return cls(thread_id, None)
        return cls(None, ReplyParameters(message_id=anchor_id, allow_sending_without_reply=True))

    async def send(
        self, bot: Bot, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        return await bot.send_message(
            chat_id, text, message_thread_id=self.thread_id, reply_parameters=self.reply,
            reply_markup=reply_markup,
        )  # fmt: skip

    async def send_photos(self, bot: Bot, chat_id: int, file_ids: list[str], caption: str) -> None:
        """One photo, or an album (Telegram's take 2 to 10), the caption on the first."""
        if len(file_ids) == 1:
            await bot.send_photo(
                chat_id, file_ids[0], caption=caption, message_thread_id=self.thread_id,
                reply_parameters=self.reply,
            )  # fmt: skip
            return
        media: list[MediaUnion] = [
            InputMediaPhoto(media=file_id, caption=caption if index == 0 else None)
            for index, file_id in enumerate(file_ids)
        ]
        await bot.send_media_group(
            chat_id,
            media,
            message_thread_id=self.thread_id,
            reply_parameters=self.reply,
        )
