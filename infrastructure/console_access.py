"""Who may open a group's console pages, and who owns a program: the one place both the web
console and `/staff` ask.

A group's admins (asked of Telegram through the admin cache, as the admin filter does) and
`OWNER_IDS` have full access; a program's staff have the role its owner gave them, in every
group of the program; the program's owner has full access to all of them. The owner is
`OWNER_IDS`, else `programs.owner_id` when stored, else the Telegram creator of the founding
group (the group whose id is the program's). Nothing here is cached beyond the admin cache:
a grant is read on every request, so a revoke takes effect at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.admins import AdminCache
from services.clock import Clock
from services.staff import StaffService

logger = logging.getLogger(__name__)


class Role(StrEnum):
    ADMIN = "admin"  # a Telegram admin of the group, or OWNER_IDS
    OWNER = "owner"  # the program's owner, in a group where they are not admin
    FULL = "full"  # staff: what an admin may do in the console
    READ = "read"  # staff: pages and downloads, no change


@dataclass(frozen=True, slots=True)
class Access:
    role: Role

    @property
    def may_change(self) -> bool:
        return self.role is not Role.READ

    @property
    def as_staff(self) -> bool:
        return self.role in (Role.FULL, Role.READ)


class ConsoleAccess:
    def __init__(self, admin_cache: AdminCache, bot: Bot, clock: Clock) -> None:
        self.admin_cache = admin_cache
        self.bot = bot
        self.clock = clock

    async def is_admin(self, user_id: int, chat_id: int) -> bool:
        """Asked of Telegram now (cached like the admin filter)."""
        if user_id in self.admin_cache.owner_ids:
            return True
        try:
            return user_id in await self.admin_cache.admins_of(self.bot, chat_id)
        except Exception:  # noqa: BLE001 - removed from the group, or Telegram away: not an admin
            return False

    async def owner_of(self, session: AsyncSession, program_id: int) -> int | None:
        """The program's owner besides OWNER_IDS: the stored one, else the founding group's
        Telegram creator (None when Telegram does not say)."""
        stored = await StaffService(session, self.clock).stored_owner(program_id)
        if stored is not None:
            return stored
        try:
            return await self.admin_cache.creator_of(self.bot, program_id)
        except TelegramAPIError:
            return None

    async def is_owner(self, session: AsyncSession, user_id: int, program_id: int) -> bool:
        if user_id in self.admin_cache.owner_ids:
            return True
        return await self.owner_of(session, program_id) == user_id

    async def access(
        self, session: AsyncSession, user_id: int, chat_id: int, program_id: int
    ) -> Access | None:
        """What `user_id` may do on group `chat_id`'s console pages now; None: nothing."""
        if await self.is_admin(user_id, chat_id):
            return Access(Role.ADMIN)
        role = await StaffService(session, self.clock).role_of(program_id, user_id)
        if role is not None:
            return Access(Role(role))
        if await self.is_owner(session, user_id, program_id):
            return Access(Role.OWNER)
        return None
