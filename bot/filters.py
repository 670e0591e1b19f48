"""Preconditions shared by handlers, checked once in a filter and never in a handler body."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Chat, Message, User

from bot.admins import AdminCache


async def is_command(message: Message) -> bool:
    """Plain chatter skips every command router in one cheap check (see handlers/__init__.py)."""
    return (message.text or message.caption or "").startswith("/")


class IsAdmin(Filter):
    """The sender is an owner, an administrator of this chat, or the chat's anonymous admin."""

    async def __call__(
        self,
        event: Message | CallbackQuery,
        bot: Bot,
        admin_cache: AdminCache,
        event_chat: Chat | None = None,
        event_from_user: User | None = None,
    ) -> bool:
        if event_chat is None:
            return False
        message = event if isinstance(event, Message) else None
        return await admin_cache.is_admin(bot, event_chat, event_from_user, message)
