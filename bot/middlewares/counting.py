"""Counts every member message in a group for message points, whatever handler took it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ContentType
from aiogram.types import Message, TelegramObject

from bot.announcer import TierAnnouncer
from bot.middlewares.database import commit_so_far
from services.chats import ChatProfile
from services.messages import MIN_VISIBLE, ChatMessage, MessageTally, fingerprint, visible_length

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
    def __init__(self, tally: MessageTally, announcer: TierAnnouncer) -> None:
        self.tally = tally
        self.announcer = announcer

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        profile: ChatProfile | None = data.get("chat_profile")
        if not isinstance(event, Message) or profile is None:
            return result
        message = counted_message(event, profile)
        if message is None:
            return result
        await commit_so_far(data["session"])  # on SQLite an open write would block the batch
        counted = await self.tally.record(message)
        if counted.promoted_to is not None:
            bot: Bot = data["bot"]
            self.announcer.promoted(bot, profile, message.display_name, counted.promoted_to)
        return result


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
        earns=(media is not None or visible_length(text) >= MIN_VISIBLE)
        and not profile.checkin_rules.is_keyword(text),  # paid by the sign-in instead
        username=user.username,
        display_name=user.full_name,
        timezone=profile.timezone,
        rules=profile.message_rules,
    )
