"""Redeeming a reward: the one transaction that spends a member's points on it.

A redemption checks the reward (there, not paused), the member (tier, badge, limit, points) and the
stock, then deducts the points (a ledger row keyed by the press), takes one free code, moves
the stock and writes the redemption, with the code's private delivery in the outbox, all in
one savepoint: a refusal writes nothing, and the same press twice redeems once. The reward's
row is locked first, so redemptions of one reward queue on it and stock never goes below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member, Redemption, Reward, RewardCode
from services.batching import PointsGroupCommit
from services.chats import ChatService
from services.clock import Clock, local_day, start_of
from services.outbox import OutboxService
from services.points import NotEnoughPoints, PointsService
from services.reward_codes import code_of
from services.shop import discounted, holds_badge, required_tier
from services.shop_messages import CouponReminder, RewardDelivery
from services.tiers import Tier, TierService, tier_figure

REMIND_BEFORE = timedelta(days=3)  # a coupon's holder is reminded this long before it expires


class Refused(Exception):
    """A redemption refused, with nothing written: `reason` is gone, paused, tier, badge, limit,
    sold_out or points (`balance` then says what the member has)."""

    def __init__(self, reason: str, balance: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.balance = balance


@dataclass(frozen=True, slots=True)
class Redeemed:
    redemption: Redemption
    code: str | None
    balance: int
    already: bool = False  # the same press before: nothing new was written
    private: bool = False  # the member has a private chat with the bot (the code goes there)


@dataclass(frozen=True, slots=True)
class RedeemRequest:
    """One press of Confirm, for `RedemptionGroupCommit`."""

    chat_id: int
    user_id: int
    reward_id: int
    key: str
    ladder: Sequence[Tier]
    timezone: str
    discount: int = 0
    language: str | None = None
    source: str = "shop"  # or draw, campaign, tier: free, without the shop's checks
    campaign_id: int | None = None  # the campaign whose greeting handed it out


def window_start(per: str, now: datetime, timezone: str) -> datetime | None:
    """Where a member's limit period began (their group's local day, week from Monday, month)."""
    today = local_day(now, timezone)
    if per == "day":
        return start_of(today, timezone)
    if per == "week":
        return start_of(today - timedelta(days=today.weekday()), timezone)
    if per == "month":
        return start_of(date(today.year, today.month, 1), timezone)
    return None


class RedemptionService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def redeem(
        self,
        chat_id: int,
        user_id: int,
        reward_id: int,
        *,
        key: str,
        ladder: Sequence[Tier],
        timezone: str,
        source: str = "shop",
        discount: int = 0,
        language: str | None = None,
        campaign_id: int | None = None,
    ) -> Redeemed:
        """Redeem once per `key` (the press, or the draw's win, or the campaign's member), or
        raise Refused having written nothing. A free reward (`source` other than the shop)
        costs no points. `language`: the member's, for the private delivery."""
        return await self.redeem_request(
            RedeemRequest(
                chat_id,
                user_id,
                reward_id,
                key,
                ladder,
                timezone,
                discount,
                language,
                source,
                campaign_id,
            )
        )

    async def redeem_request(self, request: RedeemRequest) -> Redeemed:
        """`redeem`, asked with a request (as `RedemptionGroupCommit` holds them)."""
        existing = await self.session.scalar(
            select(Redemption).where(Redemption.key == request.key)
        )
        if existing is not None:
            private = await self.started_privately(request.user_id)
            return Redeemed(
                existing, await code_of(self.session, existing), 0, already=True, private=private
            )
        async with self.session.begin_nested():
            return await self._redeem(request)

    async def _redeem(self, request: RedeemRequest) -> Redeemed:
        chat_id, user_id, reward_id = request.chat_id, request.user_id, request.reward_id
        source = request.source
        reward = await self.session.scalar(
            select(Reward)
            .where(Reward.id == reward_id, Reward.chat_id == chat_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if reward is None or reward.status == "deleted":
            raise Refused("gone")
        if reward.status == "paused" and source == "shop":
            raise Refused("paused")
        member = await self.session.get(Member, (chat_id, user_id))
        balance = member.points if member else 0
        needed = required_tier(request.ladder, reward)
        if source == "shop" and needed is not None:
            basis = await TierService(self.session, self.points.ladders).basis(chat_id)
            if tier_figure(member, basis) < needed.threshold:
                raise Refused("tier", balance)
        if (  # the badge as held now, not when the reward was made
            source == "shop"
            and reward.badge is not None
            and not await holds_badge(self.session, chat_id, user_id, reward.badge)
        ):
            raise Refused("badge", balance)
        now = self.clock.now()
        if source == "shop" and reward.limit_count is not None:
            since = window_start(reward.limit_per, now, request.timezone)
            mine = (
                select(func.count())
                .select_from(Redemption)
                .where(
                    Redemption.chat_id == chat_id,
                    Redemption.user_id == user_id,
                    Redemption.reward_id == reward_id,
                )
            )
            if since is not None:
                mine = mine.where(Redemption.created_at >= since)
            taken = await self.session.scalar(mine)
            if (taken or 0) >= reward.limit_count:
                raise Refused("limit", balance)
        if reward.stock is not None and reward.stock <= 0:
            raise Refused("sold_out", balance)
        price = discounted(reward.price, request.discount) if source == "shop" else 0
        if price > balance:  # before a code is looked for (a concurrent change still refuses)
            raise Refused("points", balance)
        code = None
        if reward.kind == "coupon":
            code = await self.session.scalar(
                select(RewardCode)
                .where(RewardCode.reward_id == reward_id, RewardCode.status == "free")
                .order_by(RewardCode.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if code is None:
                raise Refused("sold_out", balance)
        if price:
            try:
                paid = await self.points.change(
                    chat_id, user_id, -price, reason="shop", key=f"shop:{request.key}",
                    ref=f"reward:{reward_id}", timezone=request.timezone, member_exists=True,
                )  # fmt: skip
            except NotEnoughPoints as short:
                raise Refused("points", short.balance) from None
            balance = paid.points
        await self.session.execute(
            update(Reward)
            .where(Reward.id == reward_id)
            .values(
                stock=Reward.stock - 1 if reward.stock is not None else None,
                redeemed=Reward.redeemed + 1,
                points_spent=Reward.points_spent + price,
            )
        )
        if code is not None:
            code.status = "issued"
        valid = timedelta(days=reward.valid_days) if reward.valid_days else None
        redemption = Redemption(
            key=request.key, chat_id=chat_id, user_id=user_id, reward_id=reward_id,
            source=source, price=price, code_id=code.id if code else None, status="issued",
            language=request.language, campaign_id=request.campaign_id,
            expires_at=now + valid if valid else None, created_at=now,
        )  # fmt: skip
        self.session.add(redemption)
        await self.session.flush()
        private = await self.started_privately(user_id)
        if private:
            await self._tell_privately(redemption)
        return Redeemed(redemption, code.code if code else None, balance, private=private)

    async def _tell_privately(self, redemption: Redemption) -> None:
        """The delivery now and, for a coupon that expires, a reminder 3 days before (in the
        member's language, which the redemption keeps)."""
        outbox = OutboxService(self.session, self.clock)
        user, key = redemption.user_id, redemption.id
        await outbox.add(user, RewardDelivery(redemption_id=key), f"reward:{key}")
        expires = redemption.expires_at
        if redemption.code_id is not None and expires is not None:
            remind_at = expires - REMIND_BEFORE
            if remind_at > self.clock.now():
                reminder = CouponReminder(redemption_id=key)
                await outbox.add(user, reminder, f"coupon_reminder:{key}", due_at=remind_at)

    async def started_privately(self, user_id: int) -> bool:
        chats = ChatService(self.session, self.clock, self.points.default_timezone)
        return await chats.started_privately(user_id)


class RedemptionGroupCommit(PointsGroupCommit[RedeemRequest, "Redeemed | Refused"]):
    """The process's shop presses, group-committed: a rush on one reward shares a few
    transactions (each redemption in its own savepoint), each press answered once committed."""

    async def redeem(self, request: RedeemRequest) -> Redeemed | Refused:
        """The redemption, or the refusal (returned, not raised: the batch goes on)."""
        return await self._batches.submit(request)

    async def write(
        self, session: AsyncSession, points: PointsService, items: list[RedeemRequest]
    ) -> list[Redeemed | Refused]:
        redemptions = RedemptionService(session, self.clock, points)
        done = list[Redeemed | Refused]()
        for item in items:
            try:
                done.append(await redemptions.redeem_request(item))
            except Refused as refused:
                done.append(refused)
        return done
