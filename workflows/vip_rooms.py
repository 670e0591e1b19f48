"""The VIP room's door (issue 38): join requests answered by the rule, and the look again at
every background check: memberships whose paid period ran out end, members who stopped
qualifying are told and, after the grace period, removed by ban-then-unban (so they may ask
again); admins and staff are never removed; who qualifies and never was invited is, once.

The look runs at every background check, one query per room and a few per change: so a tier
drop, a refund or a lapse is acted on within seconds, and the daily look is the same look.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from models import VipRoom
from services.outbox import OutboxService
from services.vip_messages import VipInvite, VipRemoved, VipWarning
from services.vip_rooms import VipRoomService

logger = logging.getLogger(__name__)
STAYING = ("creator", "administrator")


class VipDoor:
    def __init__(self, background: Background) -> None:
        self.background = background

    def _rooms(self, session: AsyncSession) -> VipRoomService:
        return self.background.services.vip_rooms(session)

    async def look(self, bot: Bot) -> None:
        """End the memberships that ran out, then look at every room."""
        async with self.background.session_pool() as session, session.begin():
            await self.background.services.vip(session).lapse_due()
        async with self.background.session_pool() as session:
            rooms = await self._rooms(session).rooms()
        for room in rooms:
            try:
                await self.look_at(bot, room)
            except TelegramAPIError as error:  # the next look tries again
                logger.info("VIP room %s: %s", room.chat_id, error)

    async def look_at(self, bot: Bot, room: VipRoom) -> None:
        background = self.background
        async with background.session_pool() as session:
            found = await self._rooms(session).look(room)
        warn = await self._removable(bot, room, found.warn)
        now = background.clock.now()
        async with background.session_pool() as session, session.begin():
            rooms, outbox = self._rooms(session), OutboxService(session, background.clock)
            await rooms.mark(room.chat_id, warn, warned_at=now, grace_until=found.grace_until)
            for user_id in warn:
                notice = VipWarning(room_id=room.chat_id, grace_until=found.grace_until)
                await outbox.add(user_id, notice, f"vip_warn:{room.chat_id}:{user_id}:{now}")
            await rooms.mark(room.chat_id, found.cleared, warned_at=None, grace_until=None)
            if room.link is not None:
                await rooms.mark(room.chat_id, found.invite, invited_at=now)
                for user_id in found.invite:
                    key = f"vip_invite:{room.chat_id}:{user_id}"
                    await outbox.add(user_id, VipInvite(room_id=room.chat_id), key)
        for user_id in await self._removable(bot, room, found.remove):
            await bot.ban_chat_member(room.chat_id, user_id)
            await bot.unban_chat_member(room.chat_id, user_id, only_if_banned=True)
            async with background.session_pool() as session, session.begin():
                await self._rooms(session).mark(
                    room.chat_id, [user_id], removed_at=now, warned_at=None, grace_until=None
                )
                await OutboxService(session, background.clock).add(
                    user_id, VipRemoved(room_id=room.chat_id),
                    f"vip_removed:{room.chat_id}:{user_id}:{now}",
                )  # fmt: skip
            logger.info("VIP room %s: removed %s, who no longer qualifies", room.chat_id, user_id)

    async def _removable(self, bot: Bot, room: VipRoom, user_ids: Sequence[int]) -> list[int]:
        """Of the members, those who are neither the room's admins nor the program's staff."""
        if not user_ids:
            return []
        async with self.background.session_pool() as session:
            staff = self.background.services.staff(session)
            kept = {u for u in user_ids if await staff.role_of(room.program_id, u) is not None}
        found = []
        for user_id in user_ids:
            if user_id in kept:
                continue
            member = await bot.get_chat_member(room.chat_id, user_id)
            if member.status not in STAYING:
                found.append(user_id)
        return found
