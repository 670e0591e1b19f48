"""Draws end on time: one job per open draw, at its end.

A draw whose end passed while the bot was down ends at the next plan (start-up, or the rebuild
every 30 s). Ending chooses the winners and writes the result to the outbox in one transaction
(`DrawService.end`), so the result is posted once however the process stops.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from scheduler.core import Jobs
from services.draws import DrawClosed, DrawNotFound, DrawService

# A draw ends however late its job runs: past this, the next plan ends it instead.
ENDING_GRACE = timedelta(minutes=5)


class DrawJobs:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        async with self.background.session_pool() as session:
            draws = await self._service(session).open_everywhere()
        for draw_id, chat_id, ends_at in draws:
            if ends_at <= now:
                await self.end(chat_id, draw_id)
            else:
                jobs.at(f"draw:{draw_id}", ends_at, self.end, chat_id, draw_id, grace=ENDING_GRACE)

    async def end(self, chat_id: int, draw_id: int) -> None:
        async with self.background.session_pool() as session, session.begin():
            try:
                await self._service(session).end(chat_id, draw_id)
            except (DrawClosed, DrawNotFound):
                return  # ended by an admin, or cancelled, in the meantime

    def _service(self, session: AsyncSession) -> DrawService:
        return self.background.services.draws(session)
