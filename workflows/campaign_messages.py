"""A campaign's greeting and thanks (the payloads: `services/campaign_messages.py`; the words:
`views/announcements.py`)."""

from __future__ import annotations

from models import Campaign
from services.campaign_messages import CampaignGreeting, CampaignThanks
from services.chats import ChatProfile
from views.announcements import greeting_text, thanks_text
from views.shop import coupon_keyboard
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(CampaignGreeting)
async def greeting(
    context: RenderContext, profile: ChatProfile, greeting: CampaignGreeting
) -> Delivery:
    """The campaign as it is now, with its coupon's button if it gives one."""
    campaign = await _campaign(context, greeting.campaign_id)
    text = greeting_text(campaign, context.background.timezone_of(profile))
    coupon = campaign.coupon_reward_id
    return Delivery(text, markup=coupon_keyboard(campaign.id) if coupon else None)


@renderers.register(CampaignThanks)
async def thanks(context: RenderContext, profile: ChatProfile, thanks: CampaignThanks) -> Delivery:
    campaign = await _campaign(context, thanks.campaign_id)
    return Delivery(thanks_text(campaign, thanks.points, thanks.members))


async def _campaign(context: RenderContext, campaign_id: int) -> Campaign:
    async with context.background.session_pool() as session:
        campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise LookupError(f"campaign {campaign_id} is gone")
    return campaign
