"""Who may run admin commands: owners, the chat's administrators, and anonymous admins."""

from __future__ import annotations

import logging
import time
from contextlib import suppress

from aiogram import Bot
from aiogram.types import Chat, Message, User
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

ADMIN_TTL = 300.0
PREFIX = "fanbot:admins:"


class AdminCache:
    """`getChatAdministrators` per chat, kept for a TTL and dropped on `chat_member` updates.

    With Redis the lists are kept there, for every worker: a demotion seen by one worker
    drops the list for all (else another would let the demoted admin in for up to the TTL).
    If Redis cannot be reached the worker keeps its own lists meanwhile, with a warning.
    """

    def __init__(
        self, owner_ids: frozenset[int], ttl: float = ADMIN_TTL, redis: Redis | None = None
    ) -> None:
        self.owner_ids = owner_ids
        self.ttl = ttl
        self.redis = redis
        self._admins: dict[int, tuple[float, frozenset[int]]] = {}
        # The creator of each chat whose list this worker fetched (a program's owner when none
        # is stored): asked rarely (/staff, the console's staff page), so kept per worker.
        self._creators: dict[int, tuple[float, int | None]] = {}

    async def admins_of(self, bot: Bot, chat_id: int) -> frozenset[int]:
        cached = await self._cached(chat_id)
        if cached is not None:
            return cached
        return await self._fetch(bot, chat_id)

    async def creator_of(self, bot: Bot, chat_id: int) -> int | None:
        """The chat's Telegram creator (status "creator"), None when it hides among the
        anonymous admins or has left."""
        cached = self._creators.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        await self._fetch(bot, chat_id)
        return self._creators[chat_id][1]

    async def _fetch(self, bot: Bot, chat_id: int) -> frozenset[int]:
        members = await bot.get_chat_administrators(chat_id)
        admins = frozenset(member.user.id for member in members)
        creator = next((m.user.id for m in members if m.status == "creator"), None)
        self._creators[chat_id] = (time.monotonic(), creator)
        await self._keep(chat_id, admins)
        return admins

    async def invalidate(self, chat_id: int) -> None:
        self._admins.pop(chat_id, None)
        self._creators.pop(chat_id, None)
        if self.redis is not None:
            try:
                await self.redis.delete(f"{PREFIX}{chat_id}")
            except RedisError:
                logger.warning("Redis is unreachable: chat %s's admin list not dropped", chat_id)

    async def _cached(self, chat_id: int) -> frozenset[int] | None:
        if self.redis is not None:
            try:
                value = await self.redis.get(f"{PREFIX}{chat_id}")
            except RedisError:
                logger.warning("Redis is unreachable: this worker's own admin lists meanwhile")
            else:
                if value is None:
                    return None
                return frozenset(int(user_id) for user_id in value.split(b",") if user_id)
        cached = self._admins.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        return None

    async def _keep(self, chat_id: int, admins: frozenset[int]) -> None:
        self._admins[chat_id] = (time.monotonic(), admins)
        if self.redis is not None:
            value = ",".join(str(user_id) for user_id in sorted(admins))
            with suppress(RedisError):  # told by _cached already; the local list serves
                await self.redis.set(f"{PREFIX}{chat_id}", value, px=int(self.ttl * 1000))

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
