"""Sales figures: a period's orders, GMV, buyers and tiers; coupon funnels; a campaign's sales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Campaign, LedgerEntry, Member, Order, Redemption, Reward


@dataclass(frozen=True, slots=True)
class BuyerFigures:
    """Sales to a set of buyers in a period (see `order_figures` for each figure's definition)."""

    orders: int
    gmv_fen: int
    buyers: int
    repeat_buyers: int

    @property
    def aov_fen(self) -> int:
        """客单价: GMV per buyer (销售额 ÷ 成交顾客数)."""
        return self.gmv_fen // self.buyers if self.buyers else 0

    @property
    def repeat_rate(self) -> float:
        return self.repeat_buyers / self.buyers if self.buyers else 0.0


@dataclass(frozen=True, slots=True)
class TierSales(BuyerFigures):
    tier: str | None  # None: no tier, or a buyer nobody has bound


@dataclass(frozen=True, slots=True)
class OrderFigures(BuyerFigures):
    """A period's sales, the sum of its tiers' (`by_tier`, most GMV first); `paying_members`:
    the buyers who are bound members (what conversion compares with active members)."""

    paying_members: int
    by_tier: list[TierSales]


@dataclass(frozen=True, slots=True)
class CouponFunnel:
    """Coupons of one reward or campaign handed out in a period → used → the sales naming them."""

    label: str
    issued: int
    used: int
    orders: int
    gmv_fen: int


def _net() -> Any:
    return Order.amount_fen - Order.refunded_fen


async def order_figures(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime
) -> OrderFigures:
    """The one definition of the sales figures, for /stats, the console and what the exports
    sum to. Orders: paid in [start, end), not wholly refunded. GMV (成交额): their amounts less
    refunds. Buyers (成交顾客数): a bound member once, whatever their nicknames; a nickname
    nobody has bound once by its key. AOV (客单价): GMV ÷ buyers. Repeat rate: buyers with two
    orders or more ÷ buyers. Each tier's figures are its buyers' (unbound: no tier), and the
    headline is their sum, so the two can never disagree."""
    unbound_key = case((Order.user_id.is_(None), Order.buyer_key))
    per_buyer = (
        select(
            Member.tier.label("tier"),
            Order.user_id.label("user_id"),
            func.count().label("orders"),
            func.sum(_net()).label("gmv"),
        )
        .outerjoin(Member, (Member.chat_id == Order.chat_id) & (Member.user_id == Order.user_id))
        .where(Order.chat_id == chat_id, Order.paid_at >= start, Order.paid_at < end)
        .where(Order.refunded_fen < Order.amount_fen)
        .group_by(Member.tier, Order.user_id, unbound_key)
        .subquery()
    )
    rows = await session.execute(
        select(
            per_buyer.c.tier, func.sum(per_buyer.c.orders), func.sum(per_buyer.c.gmv),
            func.count(), func.sum(case((per_buyer.c.orders >= 2, 1), else_=0)),
            func.count(per_buyer.c.user_id),
        )
        .group_by(per_buyer.c.tier)
        .order_by(func.sum(per_buyer.c.gmv).desc())
    )  # fmt: skip
    tiers, members = [], 0
    for tier, orders, gmv, buyers, repeat, bound in rows:
        tiers.append(TierSales(int(orders), int(gmv), int(buyers), int(repeat), tier))
        members += int(bound)
    return OrderFigures(
        sum(t.orders for t in tiers), sum(t.gmv_fen for t in tiers), sum(t.buyers for t in tiers),
        sum(t.repeat_buyers for t in tiers), members, tiers,
    )  # fmt: skip


async def coupon_funnels(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime, *, by: str
) -> list[CouponFunnel]:
    """Per reward (`by="reward"`) or per campaign (`by="campaign"`): coupons handed out in the
    period, how many were used, and the orders naming them (their GMV), most GMV first."""
    group_key = Redemption.reward_id if by == "reward" else Redemption.campaign_id
    label = Reward.name if by == "reward" else Campaign.name
    sales = (
        select(Order.redemption_id, func.count().label("orders"), func.sum(_net()).label("gmv"))
        .where(Order.chat_id == chat_id, Order.redemption_id.is_not(None))
        .group_by(Order.redemption_id)
        .subquery()
    )
    query = (
        select(
            label, func.count(), func.sum(case((Redemption.status == "used", 1), else_=0)),
            func.coalesce(func.sum(sales.c.orders), 0), func.coalesce(func.sum(sales.c.gmv), 0),
        )
        .select_from(Redemption)
        .join(Reward, Reward.id == Redemption.reward_id)
        .outerjoin(sales, sales.c.redemption_id == Redemption.id)
        .where(Redemption.chat_id == chat_id, Reward.kind == "coupon")
        .where(Redemption.created_at >= start, Redemption.created_at < end)
    )  # fmt: skip
    if by == "campaign":
        query = query.join(Campaign, Campaign.id == Redemption.campaign_id)
    rows = await session.execute(
        query.group_by(group_key, label).order_by(func.coalesce(func.sum(sales.c.gmv), 0).desc())
    )
    return [
        CouponFunnel(str(name), int(issued), int(used or 0), int(orders), int(gmv))
        for name, issued, used, orders, gmv in rows
    ]


@dataclass(frozen=True, slots=True)
class CampaignSales:
    """What a campaign brought: points paid under its multiplier, the members who earned them,
    its coupons' funnel, and every order attributed to it."""

    points: int
    members: int
    coupons: CouponFunnel | None
    orders: int
    gmv_fen: int


async def campaign_sales(session: AsyncSession, campaign: Campaign) -> CampaignSales:
    points, members = (
        await session.execute(
            select(func.coalesce(func.sum(LedgerEntry.delta), 0),
                   func.count(func.distinct(LedgerEntry.user_id)))
            .where(LedgerEntry.chat_id == campaign.chat_id,
                   LedgerEntry.campaign_id == campaign.id, LedgerEntry.delta > 0)
        )
    ).one()  # fmt: skip
    ever = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    funnels = await coupon_funnels(session, campaign.chat_id, *ever, by="campaign")
    coupons = next((f for f in funnels if f.label == campaign.name), None)
    orders, gmv = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(_net()), 0)).where(
                Order.chat_id == campaign.chat_id, Order.campaign_id == campaign.id
            )
        )
    ).one()
    return CampaignSales(int(points), int(members), coupons, int(orders), int(gmv))
