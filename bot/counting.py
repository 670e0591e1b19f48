"""Counts every member message in a group for message points, and records it for an open
topic it belongs to, whatever handler took it (one middleware: every layer costs each update)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ContentType
from aiogram.types import Message, TelegramObject

from infrastructure.middlewares.services import UPDATE_SERVICES
from infrastructure.replies import replied_message
from infrastructure.transactions import commit_so_far
from services.chats import ChatProfile
from services.message_tally import MessageTally
from services.messages import (
    MIN_VISIBLE,
    ChatMessage,
    fingerprint,
    shows_at_least,
    visible_length,
)
from services.reactions import ReactionRules
from services.topic_replies import TopicMessage, TopicReplyService
from workflows.spam_guard import SpamGuard

# What a member writes, as opposed to service messages (joins, pins, title changes...).
CONTENT = frozenset(
    {
        ContentType.TEXT, ContentType.PHOTO, ContentType.VIDEO, ContentType.ANIMATION,
        ContentType.STICKER, ContentType.VOICE, ContentType.VIDEO_NOTE, ContentType.AUDIO,
        ContentType.DOCUMENT, ContentType.POLL, ContentType.DICE, ContentType.LOCATION,
        ContentType.CONTACT, ContentType.VENUE, ContentType.STORY,
    }
)  # fmt: skip


class MessageCountingMiddleware(BaseMiddleware):
    """The moderation guards first (spam is neither handled nor counted), then the handlers,
    then the count."""

    def __init__(self, tally: MessageTally, spam_guard: SpamGuard | None = None) -> None:
        self.tally = tally
        self.spam_guard = spam_guard

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        profile: ChatProfile | None = data.get("chat_profile")
        if (
            self.spam_guard is not None
            and isinstance(event, Message)
            and profile is not None
            and profile.is_group
            and await self.spam_guard.guard(data["bot"], event, profile, data[UPDATE_SERVICES])
        ):
            return None
        result = await handler(event, data)
        if not isinstance(event, Message) or profile is None:
            return result
        message = counted_message(event, profile)
        if message is None:
            return result
        if profile.open_topics:  # most chats, most of the time: no query
            await record_in_topic(event, message, profile, data[UPDATE_SERVICES].topic_replies)
        await commit_so_far(data["session"])  # on SQLite an open write would block the batch
        await self.tally.record(message)  # a tier reached is congratulated through the outbox
        return result


async def record_in_topic(
    event: Message,
    counted: ChatMessage,
    profile: ChatProfile,
    replies: TopicReplyService,
) -> None:
    """Record the message for the open topic it belongs to (if any) and pay its reward, in the
    update's transaction."""
    message = topic_message(event, counted, profile)
    topic = await replies.topic_of(message, profile.open_topics)
    if topic is None:
        return
    await replies.record(message, topic)


def topic_message(event: Message, counted: ChatMessage, profile: ChatProfile) -> TopicMessage:
    """The message as topics see it: where it was posted and what it answers."""
    parent = event.reply_to_message
    return TopicMessage(
        chat_id=counted.chat_id,
        user_id=counted.user_id,
        message_id=counted.message_id,
        sent_at=counted.sent_at,
        thread_id=event.message_thread_id if event.is_topic_message else None,
        parent_message_id=parent.message_id if parent is not None else None,
        parent_user_id=answered_person(event),
        photo_file_id=event.photo[-1].file_id if event.photo else None,
        fingerprint=counted.fingerprint,
        visible=visible_length(event.text or event.caption or ""),
        timezone=profile.timezone,
    )


def answered_person(message: Message) -> int | None:
    """The person whose message this one replies to (they received a reply), if any: not a
    bot, a channel, or the service message that opened a forum topic."""
    parent = replied_message(message)
    if parent is None or parent.from_user is None or parent.sender_chat is not None:
        return None
    return None if parent.from_user.is_bot else parent.from_user.id


def counted_message(message: Message, profile: ChatProfile) -> ChatMessage | None:
    """The message as counting sees it, or None when it is not a member's message in a group."""
    user = message.from_user
    if not profile.is_group or not profile.active or user is None or user.is_bot:
        return None
    if message.sender_chat is not None:  # an anonymous admin or a channel: nobody to pay
        return None
    text = message.text or message.caption or ""
    if text.startswith("/") or message.content_type not in CONTENT:
        return None
    media = message.video or (message.photo[-1] if message.photo else None)
    attached = media or message.sticker or message.animation or message.voice or message.document
    media_id = attached.file_unique_id if attached is not None else None
    return ChatMessage(
        chat_id=profile.id,
        user_id=user.id,
        message_id=message.message_id,
        sent_at=message.date,
        fingerprint=fingerprint(text, media_id),
        earns=(media is not None or shows_at_least(text, MIN_VISIBLE))
        and not profile.checkin_rules.is_keyword(text),  # paid by the sign-in instead
        username=user.username,
        display_name=user.full_name,
        timezone=profile.timezone,
        rules=profile.message_rules,
        program_id=profile.joined_program,
        replied_to=None if (answered := answered_person(message)) == user.id else answered,
        keeps_author=profile.rules(ReactionRules).earn,
    )
