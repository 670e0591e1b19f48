"""Who may run admin commands: owners, the chat's administrators, and anonymous admins."""

from __future__ import annotations

import time

from aiogram import Bot
from aiogram.types import Chat, Message, User

ADMIN_TTL = 300.0


class AdminCache:
    """`getChatAdministrators` per chat, kept for a TTL and dropped on `chat_member` updates."""

    def __init__(self, owner_ids: frozenset[int], ttl: float = ADMIN_TTL) -> None:
        self.owner_ids = owner_ids
        self.ttl = ttl
        self._admins: dict[int, tuple[float, frozenset[int]]] = {}

    async def admins_of(self, bot: Bot, chat_id: int) -> frozenset[int]:
        cached = self._admins.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        members = await bot.get_chat_administrators(chat_id)
        admins = frozenset(member.user.id for member in members)
        self._admins[chat_id] = (time.monotonic(), admins)
        return admins

    def invalidate(self, chat_id: int) -> None:
        self._admins.pop(chat_id, None)

    async def is_admin(
        self, bot: Bot, chat: Chat, user: User | None, message: Message | None
    ) -> bool:
        if user is not None and user.id in self.owner_ids:
            return True
        if chat.type == "private":
            return True  # a private chat's only member runs it
        if message is not None and message.sender_chat is not None:
            # Anonymous admins post as the group itself; a linked channel does not count.
            return message.sender_chat.id == chat.id
        if user is None:
            return False
        return user.id in await self.admins_of(bot, chat.id)
