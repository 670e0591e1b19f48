"""Campaign greetings at their start and thanks at their end, once each.

A job takes the greeting (or the thanks) and puts its message in the outbox in one transaction
(`CampaignService.announce`); the outbox sender posts it. A greeting missed while the bot was
down is still posted if the campaign runs; thanks, up to a day after the end. Past that they
are dropped (taken without a post).
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot

from infrastructure.background import Background
from scheduler.core import Jobs
from services.campaigns import THANKS_LATE


class CampaignJobs:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        async with self.background.session_pool() as session:
            campaigns = await self.background.services.campaigns(session).scheduled()
        for campaign in campaigns:
            if campaign.greeted_at is None:
                if now >= campaign.ends_at:
                    await self._drop(campaign.id, "greeting")  # too late to greet
                elif now >= campaign.starts_at:
                    await self.greet(bot, campaign.id)
                else:
                    jobs.at(
                        f"campaign:{campaign.id}:greeting", campaign.starts_at, self.greet,
                        bot, campaign.id, grace=campaign.ends_at - campaign.starts_at,
                    )  # fmt: skip
            if campaign.thanked_at is None:
                if now - campaign.ends_at > THANKS_LATE:
                    await self._drop(campaign.id, "thanks")
                elif now >= campaign.ends_at:
                    await self.thank(bot, campaign.id)
                else:
                    jobs.at(
                        f"campaign:{campaign.id}:thanks", campaign.ends_at, self.thank,
                        bot, campaign.id, grace=THANKS_LATE,
                    )  # fmt: skip

    async def greet(self, bot: Bot, campaign_id: int) -> None:
        async with self.background.session_pool() as session, session.begin():
            await self.background.services.campaigns(session).announce(campaign_id, "greeting")

    async def thank(self, bot: Bot, campaign_id: int) -> None:
        async with self.background.session_pool() as session, session.begin():
            await self.background.services.campaigns(session).announce(campaign_id, "thanks")

    async def _drop(self, campaign_id: int, what: str) -> None:
        async with self.background.session_pool() as session, session.begin():
            await self.background.services.campaigns(session).claim(campaign_id, what)
