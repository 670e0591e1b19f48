"""Events on their own, every BACKGROUND_CHECK_SECONDS: offers not taken in time lapse and go
to the next on the waiting list, the day-before and hour-before reminders are queued, and
events that ended record their no-shows and queue the thank-you post; each in a transaction
of its own (`services/events.py`, `services/event_door.py`)."""

from __future__ import annotations

import logging

from aiogram import Bot

from infrastructure.background import Background

logger = logging.getLogger(__name__)


class EventRounds:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def look(self, _bot: Bot | None = None) -> None:
        services, pool = self.background.services, self.background.session_pool
        async with pool() as session, session.begin():
            lapsed = await services.events(session).lapse_offers()
        async with pool() as session, session.begin():
            reminded = await services.events(session).door.remind_due()
        async with pool() as session, session.begin():
            closed = await services.events(session).door.close_ended()
        if lapsed or reminded or closed:
            logger.info(
                "events: %s offers lapsed, %s reminders, %s ended", lapsed, reminded, closed
            )
