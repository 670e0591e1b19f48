"""Locks by Telegram's permissions: `/lock` and `/unlock` turn the chat permissions of the locks
that have one off and on again (`services/locks.py` says which), leaving every other permission
as the admins set it."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import ChatPermissions

from infrastructure.transactions import commit_update_so_far
from services.locks import PERMISSIONS, LockChange, permissions_with
from views.rights import RESTRICT
from workflows.moderation import FREE
from workflows.rights import RightsNotices

logger = logging.getLogger(__name__)


def not_modified(error: TelegramBadRequest) -> bool:
    """Telegram's answer to permissions that are so already (CHAT_NOT_MODIFIED)."""
    text = str(error).lower()
    return "not modified" in text or "not_modified" in text


async def apply_locks(bot: Bot, notices: RightsNotices, chat_id: int, change: LockChange) -> bool:
    """Set the chat's permissions for a change of its locks; False when the bot may not (the
    admins are told once). While the night holds the group closed the morning applies it."""
    if change.night_closed or not any(PERMISSIONS[name] for name in change.changed):
        return True
    await commit_update_so_far()  # the locks stand before Telegram hears of them
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramAPIError as error:
        logger.info("chat %s: permissions not read: %s", chat_id, error)
        return False
    current = (chat.permissions or FREE).model_dump(exclude_none=True)
    wanted = permissions_with(current, change.before, change.after)
    try:
        await bot.set_chat_permissions(
            chat_id, ChatPermissions(**wanted), use_independent_chat_permissions=True
        )
    except TelegramBadRequest as error:
        if not_modified(error):
            return True
        await notices.failed(bot, chat_id, RESTRICT, "change the chat's permissions", error)
        return False
    except TelegramAPIError as error:
        await notices.failed(bot, chat_id, RESTRICT, "change the chat's permissions", error)
        return False
    return True
