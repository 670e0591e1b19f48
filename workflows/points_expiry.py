"""Points that expire, on the scheduler: once a day (the first look of each UTC day), each
program whose points expire has what is due expired and its members warned 30 and 7 days
before (`services/points_expiry.py`); each batch of members in a transaction of its own."""

from __future__ import annotations

import logging
from datetime import date

from aiogram import Bot

from infrastructure.background import Background
from services.points_expiry import BATCH, WARN_DAYS

logger = logging.getLogger(__name__)


class ExpiryRun:
    def __init__(self, background: Background) -> None:
        self.background = background
        self.ran_on: date | None = None

    async def look(self, _bot: Bot | None = None) -> None:
        """Run once a day; a re-run (another day's first look, a second worker) expires and
        warns only what the last left."""
        today = self.background.clock.now().date()
        if self.ran_on == today:
            return
        await self.run()
        self.ran_on = today

    async def run(self) -> tuple[int, int]:
        """(points expired, warnings queued) over every program."""
        services, pool = self.background.services, self.background.session_pool
        async with pool() as session:
            programs = await services.points_expiry(session).programs()
        expired = warned = 0
        for program_id, days, timezone in programs:
            async with pool() as session:
                due = sorted(await services.points_expiry(session).due(program_id, days))
            for start in range(0, len(due), BATCH):
                async with pool() as session, session.begin():
                    expiry = services.points_expiry(session)
                    expired += await expiry.expire(
                        program_id, days, due[start : start + BATCH], timezone
                    )
            for within in WARN_DAYS:
                async with pool() as session, session.begin():
                    expiry = services.points_expiry(session)
                    warned += await expiry.warn(program_id, days, within, timezone)
        if expired or warned:
            logger.info("expired %s points, queued %s warnings", expired, warned)
        return expired, warned
