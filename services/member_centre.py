"""A member's centre in one group (会员中心), as the Mini App shows it: their card (the same as
/me's), the shop at their tier's price, what they received, this month's sign-ins and their
latest orders, gathered in one call from the services that own each part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Badge, Checkin, Order, Redemption, Reward
from services.chats import ChatProfile
from services.clock import Clock
from services.member_card import MemberCard, MemberCardService
from services.shop import ShopService, discounted, required_tier
from services.tiers import Tier, TierService

LATEST_ORDERS = 20  # the member's orders the page lists, newest first
LATEST_RECEIVED = 30  # as /mycoupons lists them


@dataclass(frozen=True, slots=True)
class ShelfItem:
    reward: Reward
    price: int  # after the member's tier discount
    left: int | None  # what is left (stock, or free codes if fewer); None: no limit
    needs: Tier | None  # the tier it asks for, when the member is below it
    badge: str | None = None  # the badge it asks for (`badge=`), when the member lacks it


@dataclass(frozen=True, slots=True)
class MemberCentre:
    card: MemberCard
    shelf: list[ShelfItem]
    received: list[tuple[Redemption, Reward, str | None]]  # newest first, with their codes
    signed: set[date]  # this month's days the member signed in, in the group's time zone
    today: date  # the group's today
    orders: list[Order]  # newest first
    now: datetime


@dataclass(frozen=True, slots=True)
class MemberCentreService:
    session: AsyncSession
    clock: Clock
    cards: MemberCardService
    shop: ShopService
    tiers: TierService

    async def centre(self, profile: ChatProfile, user_id: int) -> MemberCentre:
        chat_id = profile.program_id  # the shop, sign-ins and orders are the program's
        card = await self.cards.card(profile, user_id)
        ladder = await self.tiers.ladder(chat_id)
        rewards = await self.shop.shelf(chat_id)
        free = await self.shop.free_codes([reward.id for reward in rewards])
        discount = card.tier.discount if card.tier else 0
        reached = card.tier.threshold if card.tier else -1
        held = set(await self.session.scalars(select(Badge.badge).where(
            Badge.program_id == chat_id, Badge.user_id == user_id)))  # fmt: skip
        shelf = []
        for reward in rewards:
            counts = [reward.stock, free.get(reward.id, 0) if reward.kind == "coupon" else None]
            known = [count for count in counts if count is not None]
            needs = required_tier(ladder, reward)
            shelf.append(ShelfItem(
                reward, discounted(reward.price, discount), min(known) if known else None,
                needs if needs is not None and needs.threshold > reached else None,
                reward.badge if reward.badge is not None and reward.badge not in held else None,
            ))  # fmt: skip
        today = self.clock.today_in(profile.timezone)
        days = await self.session.scalars(
            select(Checkin.day).where(
                Checkin.chat_id == chat_id, Checkin.user_id == user_id,
                Checkin.day >= today.replace(day=1), Checkin.day <= today,
            )
        )  # fmt: skip
        orders = await self.session.scalars(
            select(Order)
            .where(Order.chat_id == chat_id, Order.user_id == user_id)
            .order_by(Order.paid_at.desc(), Order.id.desc())
            .limit(LATEST_ORDERS)
        )
        received = await self.shop.received(chat_id, user_id)
        return MemberCentre(
            card, shelf, received[:LATEST_RECEIVED], set(days), today, list(orders),
            self.clock.now(),
        )  # fmt: skip
