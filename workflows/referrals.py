"""Paying referrals once they are due (the group's thanks go out through the outbox).

At each background check (`scheduler/checks.py`) the pending referrals whose friend has stayed
a day and talked are taken; Telegram is asked whether the friend is still there (a leave the bot
missed while it was down must not pay), and each is confirmed in its own transaction: of two
workers, one pays.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from services.chats import ChatProfile
from services.referrals import Confirmed, ReferralService

logger = logging.getLogger(__name__)
MAX_NAMED = 10  # thanks name this many referrals, then "and N more"
GONE = ("left", "kicked")


class ReferralPayouts:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def settle_due(self, bot: Bot) -> list[Confirmed]:
        """Confirm (and pay) or void each referral that is due."""
        async with self.background.session_pool() as session:
            due = await self._service(session).due()
        by_chat: dict[int, list[Confirmed]] = defaultdict(list)
        profiles: dict[int, ChatProfile] = {}
        for referral in due:
            chat_id, invitee_id = referral.chat_id, referral.invitee_id
            try:
                membership = await bot.get_chat_member(chat_id, invitee_id)
            except TelegramAPIError as error:
                logger.info("referral of %s in chat %s waits: %s", invitee_id, chat_id, error)
                continue
            async with self.background.session_pool() as session, session.begin():
                service = self._service(session)
                if membership.status in GONE:
                    await service.left(chat_id, invitee_id)
                    continue
                profile = profiles.get(chat_id)  # read once per chat and check
                if profile is None:
                    profile = await self.background.services.chats(session).profile(chat_id)
                if profile is None:
                    continue
                profiles[chat_id] = profile
                confirmed = await service.confirm(
                    chat_id, invitee_id, profile.referral_rules.reward, profile.timezone
                )
            if confirmed is not None:
                by_chat[chat_id].append(confirmed)
        # Each confirmation wrote the group's thanks to the outbox in its own transaction.
        return [confirmed for done in by_chat.values() for confirmed in done]

    def _service(self, session: AsyncSession) -> ReferralService:
        return self.background.services.referrals(session)
