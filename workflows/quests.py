"""Missions, milestones and seasons on the scheduler (a `Check` each). The missions' look
settles the members whose ledger moved and gives the milestone badges they reached
(`services/quest_sweep.py`). The season's closes each program's ended week or month once,
its groups' admins left out: asked of Telegram here, outside any transaction."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from infrastructure.background import Background
from services.programs import ProgramService
from services.quest_sweep import BATCH, sweep
from services.seasons import SeasonService

logger = logging.getLogger(__name__)


class QuestSweep:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def look(self, _bot: Bot | None = None) -> None:
        pool, services = self.background.session_pool, self.background.services
        for _ in range(10):  # a backlog is read a batch a transaction, a few per look
            async with pool() as session, session.begin():
                read = await sweep(session, services.clock, services.points(session))
            if read < BATCH:
                return


class SeasonClose:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def look(self, bot: Bot) -> None:
        pool, services = self.background.session_pool, self.background.services
        async with pool() as session:
            seasons = SeasonService(session, services.clock, services.points(session))
            due = []
            for program_id, rules, timezone in await seasons.programs():
                period = await seasons.due(program_id, rules, timezone)
                if period is not None:
                    groups = await ProgramService(session, services.clock).groups(program_id)
                    due.append((program_id, period, rules, timezone, groups))
        for program_id, period, rules, timezone, groups in due:
            staff = await self._staff(bot, program_id, groups)
            if staff is None:
                continue  # closed at a later look, its staff known
            async with pool() as session, session.begin():
                seasons = SeasonService(session, services.clock, services.points(session))
                winners = await seasons.close(program_id, period, rules, timezone, staff)
            logger.info("season %s of %s closed: %s winners", period, program_id, len(winners))

    @staticmethod
    async def _staff(bot: Bot, program_id: int, groups: list[int]) -> set[int] | None:
        """The admins of the program's (active) groups; None when Telegram did not say."""
        staff: set[int] = set()
        for group in groups:
            try:
                admins = await bot.get_chat_administrators(group)
            except TelegramAPIError as failed:
                logger.warning("season of %s: no admins of %s: %s", program_id, group, failed)
                return None
            staff.update(admin.user.id for admin in admins)
        return staff
