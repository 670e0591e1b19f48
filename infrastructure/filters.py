"""Preconditions shared by handlers, checked once in a filter and never in a handler body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Chat, Message, User

from infrastructure.admins import AdminCache
from infrastructure.replies import replied_message

Check = TypeVar("Check", bound=Callable[..., Any])

# Filters that refuse every message of plain chatter (`bot/dispatcher.py`), besides commands:
# a handler or router behind one of them never sees what the chatter lane counts.
REFUSING_CHATTER: set[Callable[..., Any]] = set()


def refuses_chatter(check: Check) -> Check:
    REFUSING_CHATTER.add(check)
    return check


@refuses_chatter
async def is_command(message: Message) -> bool:
    """Plain chatter skips every command router in one cheap check (see handlers/__init__.py)."""
    return (message.text or message.caption or "").startswith("/")


async def is_private(event: Message | CallbackQuery) -> bool:
    """Sent in (or pressed under a message of) a private chat with the bot: not a group."""
    message = event if isinstance(event, Message) else event.message
    return message is not None and message.chat.type == "private"


def addressed(message: Message) -> bool:
    """A reply, or a message ending in ?/？ or naming someone (the bot, maybe): what the draw
    dialogue, the FAQ and private notes may be waiting for (a few percent of chatter)."""
    if replied_message(message) is not None:
        return True
    text = (message.text or message.caption or "").rstrip()
    return text.endswith(("?", "？")) or "@" in text


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
