"""Member segments are recounted once a day per chat: an hourly job recounts every group whose
segments were last counted before its local today (so just after each chat's midnight, and at
start-up for any day missed while the bot was down)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot

from infrastructure.background import Background
from scheduler.core import Jobs
from services.cadence_rules import cadence_chats
from services.stats import SegmentService

logger = logging.getLogger(__name__)
EVERY = timedelta(hours=1)
LATE = timedelta(minutes=50)  # a run later than this waits for the next hour


class SegmentJobs:
    def __init__(self, background: Background) -> None:
        self.background = background
        self._started = False

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        """At start-up the run is due now (a day missed while down), as a job, so start-up does
        not wait for it; then a minute past each hour."""
        next_hour = now.replace(minute=0, second=0, microsecond=0) + EVERY + timedelta(minutes=1)
        when, self._started = (next_hour if self._started else now), True
        jobs.at("segments", when, self.recount_due, grace=LATE)

    async def recount_due(self) -> None:
        clock = self.background.clock
        async with self.background.session_pool() as session:
            chats = await cadence_chats(session, self.background.default_timezone)
            due = await SegmentService(session, clock).due(
                [(chat_id, timezone) for chat_id, timezone, _cadence in chats]
            )
        for chat_id, timezone in due:
            try:
                async with self.background.session_pool() as session, session.begin():
                    ladder = await self.background.services.tiers(session).ladder(chat_id)
                    await SegmentService(session, clock).recount(chat_id, timezone, ladder)
            except Exception:
                logger.exception("the segments of chat %s were not recounted", chat_id)
