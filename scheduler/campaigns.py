"""Campaign greetings at their start and thanks at their end, once each.

A greeting missed while the bot was down is posted late if the campaign still runs; thanks, up
to a day after the end. Past that they are dropped (claimed without a post).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import gettext as _

from bot.background import Background
from models import Campaign
from scheduler.core import Jobs
from services.campaigns import CampaignFigures, CampaignService, last_minute, multiplier_text
from services.chats import ChatProfile

logger = logging.getLogger(__name__)
THANKS_LATE = timedelta(days=1)


class CampaignJobs:
    def __init__(
        self,
        background: Background,
    ) -> None:
        self.background = background

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        async with self.background.session_pool() as session:
            campaigns = await CampaignService(session, self.background.clock).scheduled()
        for campaign in campaigns:
            if campaign.greeted_at is None:
                if now >= campaign.ends_at:
                    await self._claim(campaign.id, "greeting")  # too late to greet
                elif now >= campaign.starts_at:
                    await self.greet(bot, campaign.id)
                else:
                    jobs.at(
                        f"campaign:{campaign.id}:greeting", campaign.starts_at, self.greet,
                        bot, campaign.id, grace=campaign.ends_at - campaign.starts_at,
                    )  # fmt: skip
            if campaign.thanked_at is None:
                if now - campaign.ends_at > THANKS_LATE:
                    await self._claim(campaign.id, "thanks")
                elif now >= campaign.ends_at:
                    await self.thank(bot, campaign.id)
                else:
                    jobs.at(
                        f"campaign:{campaign.id}:thanks", campaign.ends_at, self.thank,
                        bot, campaign.id, grace=THANKS_LATE,
                    )  # fmt: skip

    async def greet(self, bot: Bot, campaign_id: int) -> None:
        claimed = await self._claim(campaign_id, "greeting")
        if claimed is None:
            return
        campaign, profile, _figures = claimed
        with self.background.speaking(profile):
            text = greeting_text(campaign, self.background.timezone_of(profile))
        await self._post(bot, campaign, text)

    async def thank(self, bot: Bot, campaign_id: int) -> None:
        claimed = await self._claim(campaign_id, "thanks")
        if claimed is None:
            return
        campaign, profile, figures = claimed
        with self.background.speaking(profile):
            text = thanks_text(campaign, figures)
        await self._post(bot, campaign, text)

    async def _claim(
        self, campaign_id: int, what: str
    ) -> tuple[Campaign, ChatProfile | None, CampaignFigures] | None:
        async with self.background.session_pool() as session, session.begin():
            service = CampaignService(session, self.background.clock)
            campaign = await service.claim(campaign_id, what)
            if campaign is None:
                return None
            profile = await self.background.chats(session).profile(campaign.chat_id)
            figures = await service.figures(campaign) if what == "thanks" else CampaignFigures(0, 0)
        return campaign, profile, figures

    async def _post(self, bot: Bot, campaign: Campaign, text: str) -> None:
        try:
            await bot.send_message(campaign.chat_id, text)
        except TelegramAPIError as error:
            logger.warning("campaign %s: could not post in chat %s: %s", campaign.id,
                           campaign.chat_id, error)  # fmt: skip


def greeting_text(campaign: Campaign, timezone: str) -> str:
    ends = last_minute(campaign, timezone)
    lines = [
        _("🎉 <b>{name}</b> starts now: every point you earn counts {multiplier}!").format(
            name=escape(campaign.name), multiplier=multiplier_text(campaign.multiplier_pct)
        ),
        _("Until {end} ({timezone}).").format(end=f"{ends:%Y-%m-%d %H:%M}", timezone=timezone),
    ]
    if campaign.greeting:
        lines += ["", escape(campaign.greeting)]
    return "\n".join(lines)


def thanks_text(campaign: Campaign, figures: CampaignFigures) -> str:
    return _(
        "🙏 <b>{name}</b> is over. Thank you all! "
        "Points earned: {points} ({multiplier}) · members earning: {members}"
    ).format(
        name=escape(campaign.name), members=figures.members, points=figures.points,
        multiplier=multiplier_text(campaign.multiplier_pct),
    )  # fmt: skip
