"""Slows a member who floods commands: one polite answer, then silence until the window ends.

A group's admins are never slowed: setting a group up is a run of commands, and their rights
are only looked up (from the cached list) once they go over the limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from infrastructure.admins import AdminCache
from infrastructure.sender_only import for_sender, open_scope
from infrastructure.throttle import Throttle, Verdict


class CommandThrottleMiddleware(BaseMiddleware):
    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Message) or not (event.text or "").startswith("/"):
            return await handler(event, data)
        if event.from_user is None:
            return await handler(event, data)
        verdict = await self.throttle.hit(event.from_user.id)
        if verdict is Verdict.ALLOW or await self._is_group_admin(event, data):
            return await handler(event, data)
        if verdict is Verdict.WARN:
            open_scope(
                data.get("chat_profile"),
                event.from_user,
                admins=data.get("admin_cache"),
                incoming=event,
            )
            await event.reply(
                for_sender(_("You're sending commands too fast. Please wait a few seconds."))
            )
        return None

    @staticmethod
    async def _is_group_admin(message: Message, data: dict[str, Any]) -> bool:
        if message.chat.type not in ("group", "supergroup"):
            return False
        admins: AdminCache = data["admin_cache"]
        return await admins.is_admin(data["bot"], message.chat, message.from_user, message)
