"""Topics close at their end: one job per open topic, and at start-up those whose end passed
while the bot was down (a summary posted late beats none; its bonuses are owed)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot

from infrastructure.background import Background
from scheduler.core import Jobs
from workflows.topics import ForumTopics

logger = logging.getLogger(__name__)
CLOSE_LATE = timedelta(days=7)  # a close job that fires late still closes


class TopicJobs:
    def __init__(self, background: Background, host: ForumTopics) -> None:
        self.background = background
        self.host = host

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        async with self.background.session_pool() as session:
            due = await self.background.services.topics(session).open_ids()
        for topic_id, closes_at in due:
            if closes_at <= now:
                await self.close(bot, topic_id)
            else:
                jobs.at(
                    f"topic:{topic_id}:close", closes_at, self.close, bot, topic_id,
                    grace=CLOSE_LATE,
                )  # fmt: skip

    async def close(self, bot: Bot, topic_id: int) -> None:
        try:
            await self.host.close(bot, topic_id)
        except Exception:
            logger.exception("topic %s could not be closed", topic_id)
