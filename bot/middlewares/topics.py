"""Records members' messages in open topics and pays their rewards, whatever handler took them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Message, TelegramObject

from bot.announcer import TierAnnouncer
from bot.middlewares.counting import counted_message
from services.chats import ChatProfile
from services.messages import visible_length
from services.topics import TopicMessage, TopicService


class TopicRepliesMiddleware(BaseMiddleware):
    def __init__(self, announcer: TierAnnouncer) -> None:
        self.announcer = announcer

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        profile: ChatProfile | None = data.get("chat_profile")
        if not isinstance(event, Message) or profile is None or not profile.open_topics:
            return result  # most chats, most of the time: no query
        message = topic_message(event, profile)
        if message is None:
            return result
        topics: TopicService = data["topics"]
        topic = await topics.topic_of(message, profile.open_topics)
        if topic is None:
            return result
        outcome = await topics.record(message, topic)
        if outcome is not None and outcome.promoted is not None and event.from_user:
            bot: Bot = data["bot"]
            self.announcer.promoted(bot, profile, event.from_user.full_name, outcome.promoted.tier)
        return result


def topic_message(message: Message, profile: ChatProfile) -> TopicMessage | None:
    """A member's message as topics see it: the same messages that counting counts."""
    counted = counted_message(message, profile)
    if counted is None:
        return None
    parent = message.reply_to_message
    author = parent.from_user if parent is not None else None
    parent_user = (
        author.id
        if parent is not None and author is not None and not author.is_bot
        and parent.sender_chat is None
        else None
    )  # fmt: skip
    return TopicMessage(
        chat_id=counted.chat_id,
        user_id=counted.user_id,
        message_id=counted.message_id,
        sent_at=counted.sent_at,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        parent_message_id=parent.message_id if parent is not None else None,
        parent_user_id=parent_user,
        photo_file_id=message.photo[-1].file_id if message.photo else None,
        fingerprint=counted.fingerprint,
        visible=visible_length(message.text or message.caption or ""),
        timezone=profile.timezone,
    )
