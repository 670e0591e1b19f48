"""What a member hears privately of their redemptions, in the language the redemption keeps:
what was redeemed, a coupon's reminder before it expires, a gift sent (the payloads:
`services/shop_messages.py`; the words: `views/shop.py`). A code is read when it is sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models import Redemption, Reward
from services.chats import ChatProfile
from services.shop_messages import CouponReminder, GiftSent, RewardDelivery
from views.shop import coupon_reminder, delivery, gift_sent
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@dataclass(frozen=True, slots=True)
class Redeemed:
    """A member's redemption as it is when its message goes out."""

    redemption: Redemption
    reward: Reward
    code: str | None
    group: str  # its title
    timezone: str
    language: str


@renderers.register(RewardDelivery)
async def reward_delivery(
    context: RenderContext, profile: ChatProfile, row: RewardDelivery
) -> Delivery:
    """The code, or a gift's delivery: a reply to that is the gift's note."""
    redeemed = await _redeemed(context, profile, row.redemption_id)
    redemption, reward = redeemed.redemption, redeemed.reward

    async def asked(session: AsyncSession, message_id: int) -> None:
        fulfilment = context.background.services.fulfilment(session)
        await fulfilment.asked_for_note(redemption.id, message_id)

    with context.background.i18n.use_locale(redeemed.language):
        text = delivery(reward, redemption, redeemed.code, redeemed.group, redeemed.timezone)
    return Delivery(text, record=asked if reward.kind == "gift" else None)


@renderers.register(CouponReminder)
async def reminder(
    context: RenderContext, profile: ChatProfile, row: CouponReminder
) -> Delivery | None:
    """Before the coupon expires (None once it is used)."""
    redeemed = await _redeemed(context, profile, row.redemption_id)
    redemption, code = redeemed.redemption, redeemed.code
    if redemption.status != "issued" or code is None:
        return None  # used since: nothing to remind of
    with context.background.i18n.use_locale(redeemed.language):
        return Delivery(
            coupon_reminder(redeemed.reward, redemption, code, redeemed.group, redeemed.timezone)
        )


@renderers.register(GiftSent)
async def gift(context: RenderContext, profile: ChatProfile, row: GiftSent) -> Delivery:
    redeemed = await _redeemed(context, profile, row.redemption_id)
    with context.background.i18n.use_locale(redeemed.language):
        return Delivery(gift_sent(redeemed.reward, redeemed.group))


async def _redeemed(context: RenderContext, profile: ChatProfile, redemption_id: int) -> Redeemed:
    """The redemption of the member whose private chat this is (`profile`)."""
    async with context.background.session_pool() as session:
        shop = context.background.services.shop(session)
        found = await shop.redemption_of(profile.id, redemption_id)
        if found is None:
            raise LookupError("no such redemption")
        redemption, reward, code = found
        group, timezone = await shop.group_of(reward.chat_id)
    language = redemption.language or context.background.i18n.default_locale
    return Redeemed(redemption, reward, code, group, timezone, language)
