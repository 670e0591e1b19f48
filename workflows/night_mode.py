"""Night mode: a group closes at its night's start and opens in the morning with the
permissions it had in the evening (`switch_due`, a background check of the scheduler's).
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import ChatPermissions
from sqlalchemy import select

from models import Chat as ChatRow
from services.chats import ChatProfile
from services.guards import ModerationRules
from services.locks import LockRules, with_locks
from services.moderation_settings import set_night_closed
from views import moderation as view
from views.rights import RESTRICT
from workflows.moderation import FREE, SILENT, Moderator

logger = logging.getLogger(__name__)
# A group's morning permissions when its evening ones were not read: members talk and invite.
MORNING = ChatPermissions(**{**FREE.model_dump(), "can_change_info": False, "can_edit_tag": False,
                             "can_pin_messages": False, "can_manage_topics": False})  # fmt: skip


class NightMode:
    def __init__(self, moderator: Moderator) -> None:
        self.moderator = moderator
        self.background = moderator.background

    async def switch_due(self, bot: Bot) -> None:
        """Close the groups whose night began, and open those whose morning came (one look at
        the groups' settings; a group switches under its row's lock, so once)."""
        now = self.background.clock.now()
        async with self.background.session_pool() as session:
            rows = (
                await session.execute(
                    select(ChatRow.id, ChatRow.timezone, ChatRow.settings).where(
                        ChatRow.active.is_(True), ChatRow.type == "supergroup"
                    )
                )
            ).all()
        due = []
        for chat_id, timezone, settings in rows:
            night = ModerationRules.from_settings(settings or {}).night
            zone = timezone or self.background.default_timezone
            wanted = night is not None and is_night(now, zone, night.start, night.end)
            if wanted != bool((settings or {}).get("night_closed")):
                due.append((chat_id, wanted))
        for chat_id, wanted in due:
            evening = await self._permissions_of(bot, chat_id) if wanted else None
            async with self.background.session_pool() as session, session.begin():
                chats = self.background.services.chats(session)
                switched = await set_night_closed(session, chat_id, wanted, evening)
                if switched is None:
                    continue  # another worker switched it
                profile = await chats.profile(chat_id)
                assert profile is not None
                moderation = self.background.services.moderation(session)
                action = "night" if wanted else "morning"
                await self.moderator.record(moderation, profile, action, None, rule="night")
            # The morning gives back the evening's permissions, with the locks of now (a lock
            # or unlock during the night changed what was kept: `services/locks.py`).
            evening_kept = switched or MORNING.model_dump(exclude_none=True)
            morning = ChatPermissions(**with_locks(evening_kept, profile.rules(LockRules).locked))
            await self._switch_night(bot, profile, SILENT if wanted else morning, closed=wanted)

    async def _permissions_of(self, bot: Bot, chat_id: int) -> dict[str, bool] | None:
        """The group's permissions before the night closes it, to give back in the morning."""
        try:
            chat = await bot.get_chat(chat_id)
        except TelegramAPIError as error:
            logger.info("chat %s: permissions not read: %s", chat_id, error)
            return None
        if chat.permissions is None:
            return None
        return chat.permissions.model_dump(exclude_none=True)

    async def _switch_night(
        self, bot: Bot, profile: ChatProfile, permissions: ChatPermissions, *, closed: bool
    ) -> None:
        night = profile.moderation.night
        try:
            await bot.set_chat_permissions(
                profile.id, permissions, use_independent_chat_permissions=True
            )
        except TelegramBadRequest as error:
            if "not modified" not in str(error).lower():
                await self.moderator.notices.failed(
                    bot, profile.id, RESTRICT, "close the group", error
                )
                return
        with self.background.speaking(profile):
            text = (
                view.night_closed_text(night.end if night else "")
                if closed
                else view.night_opened_text()
            )
        try:
            await bot.send_message(profile.id, text)
        except TelegramAPIError as error:
            logger.info("chat %s: night notice not sent: %s", profile.id, error)


def is_night(now: datetime, timezone: str, start: str, end: str) -> bool:
    """Whether the local time is within [start, end), a window that may cross midnight."""
    local = now.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    if start < end:
        return start <= local < end
    return local >= start or local < end
